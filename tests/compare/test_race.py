"""A tiny race end to end: real training with lrkit.Scheduler, every file and its contents."""

import base64
import csv
import json
import math
import re

import numpy as np
import pytest
import torch

from lrkit.compare import DEFAULT_SPECS, DIGITS_SPECS, compare, has_plateau, parse_specs
from lrkit.schedules import REGISTRY
from lrkit.tasks import TASKS, Task, TaskError
from lrkit.tasks.digits import Batches, digits

EPOCHS = 2
SPE = -(-1437 // 32)  # digits: 1437 training images in batches of 32
TOTAL = EPOCHS * SPE


@pytest.fixture
def recording(monkeypatch):
    """A digits task whose optimizers record the lr of every group right before each update."""
    applied = []

    def build(seed):
        task = digits(seed)

        def optimizer(model):
            opt = torch.optim.SGD(
                [
                    {"params": [p for n, p in model.named_parameters() if n.endswith("weight")]},
                    {"params": [p for n, p in model.named_parameters() if n.endswith("bias")], "lr": 0.05},
                ],
                lr=0.1,
                momentum=0.9,
            )
            record = []
            applied.append(record)
            opt.register_step_pre_hook(
                lambda o, args, kwargs: record.append([g["lr"] for g in o.param_groups])
            )
            return opt

        return Task(task.model, optimizer, task.train, task.val, task.loss, name="recording")

    monkeypatch.setitem(TASKS, "recording", build)
    return applied


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("race")
    result = compare(
        ["cosine()", "wc=warmup(cosine(end=0.1), steps=0.25)"], task="digits", epochs=EPOCHS, seeds=2, out=out
    )
    return result, out


def test_lr_in_results_json_is_what_the_optimizer_applied(recording, tmp_path):
    compare(
        ["cosine()", "warmup(cosine(), steps=0.5)"], task="recording", epochs=EPOCHS, seeds=2, out=tmp_path
    )
    data = json.loads((tmp_path / "results.json").read_text())
    # compare() builds one optimizer to read the base rates before racing; the runs follow.
    runs = [run for schedule in data["schedules"] for run in schedule["runs"]]
    assert len(recording) == 1 + len(runs)
    for run, applied in zip(runs, recording[1:], strict=True):
        assert run["lr"] == applied
        assert len(applied) == TOTAL
    # And they are the schedule's values: cosine over the run, both groups (0.1 and 0.05).
    cosine_run = data["schedules"][0]["runs"][0]["lr"]
    for i in (0, 1, TOTAL // 2, TOTAL - 1):
        expected = (1 + math.cos(math.pi * i / TOTAL)) / 2
        assert cosine_run[i] == pytest.approx([0.1 * expected, 0.05 * expected], rel=1e-12, abs=1e-15)


def test_lr_sets_the_first_groups_base_and_keeps_the_ratios(recording):
    result = compare(["constant()"], task="recording", epochs=1, seeds=1, lr=0.3)
    assert result.base_lrs == [0.3, 0.15]
    assert result.lr_source == "given"
    assert recording[-1][0] == [0.3, 0.15]
    assert result.entries[0].runs[0].lr == recording[-1]


def test_lr_find_races_at_the_range_tests_suggestion():
    from lrkit.finder import find_lr
    from lrkit.tasks import load_task

    fresh = load_task("digits", seed=0)
    expected = find_lr(fresh.model, fresh.make_optimizer(), fresh.loss, fresh.train, progress=False)
    notices = []
    result = compare(["constant()"], task="digits", epochs=1, seeds=1, lr="find", notice=notices.append)
    assert result.lr_source == "range test"
    low, high = expected.interval
    printed = f"lr = {expected.suggestion.lr:.4g}, interval [{low:.3g}, {high:.3g}]"
    assert any(line.startswith("range test (") and printed in line for line in notices), notices
    assert result.range_test["lr"] == expected.suggestion.lr
    assert result.base_lrs == [expected.suggestion.lr]
    assert result.entries[0].runs[0].lr[0] == [expected.suggestion.lr]


def test_files_and_their_contents(tiny):
    _, out = tiny
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "report.png",
        "results.csv",
        "results.json",
    ]
    data = json.loads((out / "results.json").read_text())
    assert data["status"] == "complete"
    assert (data["task"], data["epochs"], data["seeds"], data["steps_per_epoch"]) == (
        "digits",
        EPOCHS,
        [0, 1],
        SPE,
    )
    assert [s["label"] for s in data["schedules"]] == ["cosine()", "wc"]
    # How to read it: the validation set is sklearn's 20 % split of the 1797 digits (rounded up).
    assert data["validation_size"] == math.ceil(0.2 * 1797) == 360
    assert data["accuracy_resolution"] == 1 / 360
    assert data["confidence_level"] == 0.95
    assert [s["statistics"]["rank"] for s in data["schedules"]].count("1") == 1
    assert data["schedules"][1]["spec"] == "warmup(cosine(end=0.1), steps=0.25)"
    for schedule in data["schedules"]:
        assert [run["seed"] for run in schedule["runs"]] == [0, 1]
        for run in schedule["runs"]:
            assert len(run["lr"]) == len(run["train_loss"]) == TOTAL
            assert len(run["val_loss"]) == len(run["val_accuracy"]) == EPOCHS
            assert all(0.0 <= a <= 1.0 for a in run["val_accuracy"])
            assert run["seconds"] > 0
        finals = [run["val_accuracy"][-1] for run in schedule["runs"]]
        assert schedule["summary"]["final_val_accuracy"]["mean"] == pytest.approx(np.mean(finals))
        assert schedule["summary"]["final_val_accuracy"]["std"] == pytest.approx(np.std(finals, ddof=1))
    # Learning after 2 epochs of digits: far above chance (10 %).
    assert min(run["val_accuracy"][-1] for s in data["schedules"] for run in s["runs"]) > 0.8
    rows = list(csv.DictReader((out / "results.csv").open()))
    lr_rows = [r for r in rows if (r["schedule"], r["seed"], r["curve"]) == ("wc", "1", "lr")]
    assert [float(r["value"]) for r in lr_rows] == [g[0] for g in data["schedules"][1]["runs"][1]["lr"]]
    # warmup(cosine(end=0.1), steps=0.25) from the spec's formula; the warmup starts at 0, so the
    # scheduler (skip_zero_start) gives update i the value at position i + 1: no update at rate 0.
    ramp = math.ceil(0.25 * TOTAL)

    def expected(p):
        if p < ramp:
            return 0.1 * p / ramp
        return 0.1 * (0.1 + 0.9 * (1 + math.cos(math.pi * (p - ramp) / (TOTAL - ramp))) / 2)

    wc = data["schedules"][1]["runs"][0]["lr"]
    assert [g[0] for g in wc] == pytest.approx([expected(i + 1) for i in range(TOTAL)], rel=1e-12)
    assert wc[ramp - 1][0] == pytest.approx(0.1, rel=1e-15)
    assert wc[-1][0] == pytest.approx(0.01, rel=1e-12)


def test_same_seed_means_same_start_and_batches_for_every_schedule(tmp_path):
    result = compare(["a=constant()", "b=constant()", "c=cosine()"], task="digits", epochs=1, seeds=2)
    a, b, c = result.entries
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert ra.train_loss == rb.train_loss
        assert ra.val_accuracy == rb.val_accuracy
    assert a.runs[0].train_loss[0] == c.runs[0].train_loss[0]  # same weights, same first batch
    assert a.runs[0].train_loss != a.runs[1].train_loss  # another seed


def test_report_png_and_html(tiny):
    import matplotlib.image

    _, out = tiny
    png = (out / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = matplotlib.image.imread(out / "report.png")
    assert pixels.shape[1] > 1000
    assert (pixels[..., :3] < 0.9).any(axis=-1).mean() > 0.02  # lines and text, not a blank canvas
    html = (out / "report.html").read_text()
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert embedded is not None
    assert base64.b64decode(embedded.group(1)) == png
    assert "<table>" in html
    assert "<td>wc</td>" in html
    assert "<th>vs best [95% CI]</th>" in html
    assert "validation: 360 predicted values; accuracy resolution 0.278 pp" in html
    assert "http://" not in html
    assert "https://" not in html


def test_plateau_phase_observes_the_validation_loss(monkeypatch):
    """A model that cannot learn (zero inputs): the validation loss never improves, so a
    plateau(patience=0) halves the rate after every epoch but the first (torch's convention)."""

    def frozen(seed):
        torch.manual_seed(seed)
        model = torch.nn.Linear(2, 3, bias=False)
        train = Batches(torch.zeros(8, 2), torch.zeros(8, dtype=torch.long), batch_size=4)
        val = Batches(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), batch_size=4)
        optimizer = lambda m: torch.optim.SGD(m.parameters(), lr=0.2)  # noqa: E731
        return Task(model, optimizer, train, val, torch.nn.functional.cross_entropy, name="frozen")

    monkeypatch.setitem(TASKS, "frozen", frozen)
    result = compare(["plateau(factor=0.5, patience=0)"], task="frozen", epochs=4, seeds=1)
    run = result.entries[0].runs[0]
    expected = [0.2 * 0.5 ** max(0, epoch - 1) for epoch in range(4) for _ in range(2)]
    assert [g[0] for g in run.lr] == pytest.approx(expected, rel=1e-12)
    assert len(set(run.val_loss)) == 1


def test_a_diverging_run_stops_and_is_marked(monkeypatch):
    def exploding(seed):
        task = digits(seed)

        def loss(outputs, targets):
            return torch.nn.functional.cross_entropy(outputs, targets) * math.inf

        return Task(task.model, task.optimizer, task.train, task.val, loss, name="exploding")

    monkeypatch.setitem(TASKS, "exploding", exploding)
    result = compare(["constant()"], task="exploding", epochs=2, seeds=1)
    run = result.entries[0].runs[0]
    assert run.diverged
    assert len(run.train_loss) == 1
    assert run.val_accuracy == []
    assert "-" in result.table()


def test_finished_schedules_are_kept_when_a_later_run_fails(monkeypatch, tmp_path):
    calls = []

    def flaky(seed):
        calls.append(seed)
        if len(calls) == 3:  # the first load reads the base rates, then one run per schedule
            raise RuntimeError("disk full")
        return digits(seed)

    monkeypatch.setitem(TASKS, "flaky", flaky)
    with pytest.raises(TaskError, match=r"task 'flaky' failed: RuntimeError: disk full"):
        compare(["first=constant()", "second=cosine()"], task="flaky", epochs=1, seeds=1, out=tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["status"] == "failed"
    assert "disk full" in data["error"]
    assert data["schedules"][0]["label"] == "first"
    assert len(data["schedules"][0]["runs"]) == 1
    assert len(data["schedules"][0]["runs"][0]["lr"]) == SPE
    assert data["schedules"][1]["runs"] == []
    assert (tmp_path / "report.png").exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"specs": ["cosin()"]}, ValueError, "unknown schedule 'cosin'"),
        ({"specs": ["warmup(cosine(), steps=1000)"]}, ValueError, "must fit in the run"),
        ({"specs": []}, ValueError, "at least one schedule"),
        ({"specs": "cosine()"}, TypeError, "a list of spec strings"),
        ({"specs": ["a=cosine()", "a=constant()"]}, ValueError, "distinct labels"),
        ({"epochs": 0}, ValueError, r"Argument `epochs` of compare\(\) must be an int >= 1"),
        ({"seeds": 0}, ValueError, r"Argument `seeds` of compare\(\) must be an int >= 1"),
        ({"target": 1.5}, ValueError, r"Argument `target` of compare\(\)"),
        ({"task": "imagenet"}, TaskError, "must be one of 'charlm', 'digits', 'digits-cnn'"),
        ({"seeds": 10**11}, ValueError, r"Argument `seeds` of compare\(\) must be an int in \[1, 10000\]"),
        ({"threads": 100000}, ValueError, r"Argument `threads` of compare\(\) must be an int in \[1, 1024\]"),
        ({"jobs": 0}, ValueError, r"Argument `jobs` of compare\(\) must be an int >= 1"),
        ({"backend": "dask"}, ValueError, r"Argument `backend` of compare\(\)"),
        ({"lr": 0.0}, ValueError, r"Argument `lr` of compare\(\) must be a finite number in \(0, inf\]"),
        ({"lr": "fast"}, TypeError, r"Argument `lr` of compare\(\)"),
    ],
)
def test_bad_input_fails_before_training(kwargs, error, message, tmp_path):
    kwargs = {"specs": ["cosine()"], "task": "digits", "epochs": 1, "seeds": 1, **kwargs}
    with pytest.raises(error, match=message):
        compare(out=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_default_race_is_the_five_schedules_and_all_of_them_build():
    assert list(DEFAULT_SPECS) == ["constant", "warmup", "cosine", "WSD", "one-cycle"]
    schedules = parse_specs(None)
    for label, schedule in schedules.items():
        assert schedule.resolve(TOTAL * 10, base=0.1).is_resolved, label
    digits_race = parse_specs(DIGITS_SPECS)
    assert [label for label, s in digits_race.items() if has_plateau(s)] == ["plateau after warmup"]
    assert "plateau" in REGISTRY


def test_a_regression_task_reports_losses_only(monkeypatch, tmp_path):
    def regression(seed):
        torch.manual_seed(seed)
        x = torch.randn(64, 3)
        y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
        model = torch.nn.Linear(3, 1)
        optimizer = lambda m: torch.optim.SGD(m.parameters(), lr=0.05)  # noqa: E731
        return Task(
            model, optimizer, Batches(x, y, batch_size=16), Batches(x, y, batch_size=64), torch.nn.MSELoss()
        )

    monkeypatch.setitem(TASKS, "regression", regression)
    result = compare(["cosine()"], task="regression", epochs=3, seeds=2, out=tmp_path)
    run = result.entries[0].runs[0]
    assert run.val_accuracy == [None, None, None]
    assert run.val_loss[-1] < run.val_loss[0]
    header = result.table().splitlines()[0]
    assert "acc" not in header  # no accuracy column
    assert "epoch to" not in header  # no target given
    assert (tmp_path / "report.png").stat().st_size > 0
    assert (
        json.loads((tmp_path / "results.json").read_text())["schedules"][0]["summary"]["final_val_accuracy"][
            "n"
        ]
        == 0
    )
