"""Reading runs: lrkit compare results, and the logs lrkit's loggers write (CSV, JSON lines, TensorBoard)."""

import json

import numpy as np
import pytest
import torch

from lrkit import Scheduler, parse
from lrkit.integrations.loggers import log_csv, log_jsonl, log_tensorboard
from lrkit.predict import from_comparison, rates_of, read_log

SPEC = "warmup(cosine(end=0.1), steps=3)"
TOTAL = 12


def race_data():
    rates = [[float(r)] for r in rates_of(SPEC, TOTAL, 0.1)]
    return {
        "steps_per_epoch": 4,
        "base_lrs": [0.1],
        "schedules": [
            {
                "label": "wc",
                "runs": [
                    {
                        "seed": 0,
                        "lr": rates,
                        "val_loss": [1.0, 0.8, 0.7],
                        "train_loss": [2.0] * 4 + [1.0] * 4 + [0.5] * 4,
                    },
                    {"seed": 1, "lr": rates, "val_loss": [1.1, None, 0.6], "train_loss": [2.0] * 12},
                ],
            },
            {"label": "other", "runs": [{"seed": 0, "lr": rates, "val_loss": [1.0, 0.9, 0.9]}]},
        ],
    }


def test_from_comparison_places_each_epoch_at_its_update_count(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(race_data()))
    curves = from_comparison(tmp_path, labels=["wc"])
    assert [c.label for c in curves] == ["wc", "wc"]
    assert curves[0].steps.tolist() == [4, 8, 12]
    assert curves[0].loss.tolist() == [1.0, 0.8, 0.7]
    assert curves[1].steps.tolist() == [4, 12]  # a missing value is left out, not filled
    np.testing.assert_allclose(curves[0].rates, rates_of(SPEC, TOTAL, 0.1))
    assert curves[0].base == 0.1


def test_from_comparison_train_loss_windows():
    curves = from_comparison(race_data(), curve="train_loss", labels=["wc"])
    # windows of 4 updates (0-3, 4-7, 8-11) placed at their mean count; the first: 1.5 -> 2
    assert curves[0].steps.tolist() == [2, 6, 10]
    assert curves[0].loss.tolist() == [2.0, 1.0, 0.5]


def test_from_comparison_errors(tmp_path):
    with pytest.raises(ValueError, match="Argument `labels` of from_comparison"):
        from_comparison(race_data(), labels=["nope"])
    with pytest.raises(ValueError, match="Argument `curve` of from_comparison"):
        from_comparison(race_data(), curve="accuracy")
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ValueError, match="valid JSON"):
        from_comparison(tmp_path)
    with pytest.raises(ValueError, match="lrkit compare results"):
        from_comparison({"hello": 1})


def train(hook_writer, losses_every=3):
    """A tiny real run under lrkit's Scheduler; returns the rates the optimizer used."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1)
    scheduler = Scheduler(optimizer, parse(SPEC), total=TOTAL)
    used = []
    log = hook_writer(scheduler)
    for update in range(TOTAL):
        used.append(optimizer.param_groups[0]["lr"])
        if update % losses_every == 0:
            yield update, used
        optimizer.step()
        scheduler.step()
    log.close()


def test_read_log_csv_with_lrkit_rates_log(tmp_path):
    rates_path, loss_path = tmp_path / "lr.csv", tmp_path / "loss.csv"
    with loss_path.open("w") as file:
        file.write("step,loss\n")
        for update, _ in train(lambda s: log_csv(s, rates_path)):
            file.write(f"{update},{2.0 / (update + 1)}\n")
    curve = read_log(loss_path, rates_log=rates_path)
    np.testing.assert_allclose(curve.rates, rates_of(SPEC, TOTAL, 0.1))
    assert curve.steps.tolist() == [3, 6, 9]  # the loss at update 0 has no update before it


def test_read_log_jsonl_and_schedule_instead_of_rates(tmp_path):
    rates_path, loss_path = tmp_path / "lr.jsonl", tmp_path / "loss.jsonl"
    with loss_path.open("w") as file:
        for update, _ in train(lambda s: log_jsonl(s, rates_path)):
            file.write(json.dumps({"update": update, "val_loss": 1.0 + 1.0 / (update + 1)}) + "\n")
    from_file = read_log(loss_path, rates_log=rates_path)
    from_spec = read_log(loss_path, schedule=SPEC, base=0.1, total=TOTAL)
    np.testing.assert_allclose(from_file.rates, from_spec.rates)
    assert from_file.loss.tolist() == from_spec.loss.tolist()


def test_read_log_tensorboard(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for update, _ in train(lambda s: log_tensorboard(s, writer, prefix="train/")):
        writer.add_scalar("train/loss", 3.0 - 0.1 * update, update)
    writer.close()
    curve = read_log(tmp_path, loss="train/loss")
    np.testing.assert_allclose(
        curve.rates, rates_of(SPEC, TOTAL, 0.1), rtol=1e-6
    )  # TensorBoard stores float32
    assert curve.steps.tolist() == [3, 6, 9]


def test_read_log_errors(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("step,lr,loss\n0,0.1,\n2,0.1,1.0\n")
    with pytest.raises(ValueError, match="missing at 1 updates, first 1"):
        read_log(path)
    with pytest.raises(ValueError, match="Argument `loss` of read_log"):
        read_log(path, loss="val_loss")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(ValueError, match=r"a \.csv or \.jsonl file"):
        read_log(tmp_path / "x.txt")
    with pytest.raises(ValueError, match="an existing file"):
        read_log(tmp_path / "nope.csv")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 1, "loss": 1}\n[1]\n')
    with pytest.raises(ValueError, match="line 2"):
        read_log(bad)


@pytest.mark.parametrize(
    "spec",
    [
        SPEC,
        "cosine()",
        "one_cycle()",
        "wsd(warmup=0.1, decay=0.2)",
        "step_decay(every=0.3, gamma=0.1)",
        "warmup(constant(), steps=5)",
        "linear(start=0.0, end=1.0)",
    ],
)
def test_rates_of_are_the_rates_lrkit_scheduler_applies(spec):
    """The reference is the real torch run: the rate in the optimizer at each optimizer.step()."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.05)
    scheduler = Scheduler(optimizer, parse(spec), total=40)
    used = []
    for _ in range(40):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(rates_of(spec, 40, 0.05), used, rtol=1e-13, atol=1e-18)
