"""The loggers write, for update i, the values the optimizer applied in update i."""

import csv
import json
import sys

import pytest
import torch

from lrkit import Scheduler, cosine, warmup
from lrkit.integrations.loggers import log_csv, log_jsonl, log_tensorboard
from lrkit.scheduler import ScheduleEndWarning

UPDATES = 7


def build(names=("head", "body")):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in names]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.01), strict=False)]
    for group, name in zip(groups, names, strict=True):
        if name is not None:
            group["name"] = name
    opt = torch.optim.SGD(groups, momentum=0.9)
    sched = Scheduler(
        opt,
        warmup(cosine(end=0.1), steps=3),
        total=UPDATES,
        hparams={"momentum": "linear(1.0, 0.5)"},
    )
    return opt, sched


def spied_run(opt, sched):
    """What the optimizer really had in each update: {update: {key: value}}."""
    seen = []
    for _ in range(UPDATES):
        seen.append([(g["lr"], g["momentum"]) for g in opt.param_groups])
        opt.step()
        sched.step()
    return seen


def test_csv_rows_are_the_values_each_update_used(tmp_path):
    opt, sched = build()
    with log_csv(sched, tmp_path / "lr.csv"):
        seen = spied_run(opt, sched)
    with open(tmp_path / "lr.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["update", "position", "lr/head", "lr/body", "momentum/head", "momentum/body"]
    assert [int(r["update"]) for r in rows] == list(range(UPDATES))
    for row, used in zip(rows, seen, strict=True):
        assert [float(row["lr/head"]), float(row["lr/body"])] == [used[0][0], used[1][0]]  # bit for bit
        assert [float(row["momentum/head"]), float(row["momentum/body"])] == [used[0][1], used[1][1]]
    # The warmup from 0 is shifted one update in (skip_zero_start): update 0 used 1/3 of the peak.
    assert float(rows[0]["lr/head"]) == 0.1 * (1 / 3)


def test_jsonl_rows(tmp_path):
    opt, sched = build(names=(None, None))
    log = log_jsonl(sched, str(tmp_path / "lr.jsonl"))
    seen = spied_run(opt, sched)
    log.close()
    log.close()  # idempotent
    opt.step()
    with pytest.warns(ScheduleEndWarning):
        sched.step()  # detached: nothing more is written
    rows = [json.loads(line) for line in (tmp_path / "lr.jsonl").read_text().splitlines()]
    assert len(rows) == UPDATES
    for i, (row, used) in enumerate(zip(rows, seen, strict=True)):
        assert row["update"] == i
        assert [row["lr/group0"], row["lr/group1"]] == [used[0][0], used[1][0]]
        assert row["position"] == i + 1  # skip_zero_start: the warmup's first point is skipped


class Spy:
    def __init__(self):
        self.calls = []
        self.flushed = 0

    def add_scalar(self, tag, value, global_step):
        self.calls.append((tag, value, global_step))

    def flush(self):
        self.flushed += 1


def test_tensorboard_tags_and_steps():
    opt, sched = build()
    spy = Spy()
    log = log_tensorboard(sched, spy, prefix="train/")
    seen = spied_run(opt, sched)
    log.close()
    assert spy.flushed == 1
    lr_head = [(value, step) for tag, value, step in spy.calls if tag == "train/lr/head"]
    assert lr_head == [(used[0][0], i) for i, used in enumerate(seen)]
    assert {tag for tag, _, _ in spy.calls} == {
        "train/lr/head",
        "train/lr/body",
        "train/momentum/head",
        "train/momentum/body",
    }


def test_real_summary_writer_reads_back(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    opt, sched = build()
    log = log_tensorboard(sched, tmp_path / "tb")
    seen = spied_run(opt, sched)
    log.close()
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    scalars = events.Scalars("lr/body")
    assert [e.step for e in scalars] == list(range(UPDATES))
    # TensorBoard stores float32.
    assert [e.value for e in scalars] == [
        float(torch.tensor(used[1][0], dtype=torch.float32)) for used in seen
    ]


def test_tensorboard_without_the_package_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    _, sched = build()
    with pytest.raises(ImportError, match="pip install tensorboard"):
        log_tensorboard(sched, tmp_path / "tb")


def test_csv_refuses_a_group_added_later(tmp_path):
    opt, sched = build()
    with log_csv(sched, tmp_path / "lr.csv"):
        opt.step()
        sched.step()
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "name": "new", "momentum": 0.9})
        opt.step()
        sched.step()  # the group joins after this update (it used its own lr, unscheduled)
        opt.step()
        with pytest.raises(ValueError, match="use log_jsonl"):
            sched.step()


@pytest.mark.parametrize("logger", [log_csv, log_jsonl, log_tensorboard])
def test_bad_arguments(tmp_path, logger):
    _, sched = build()
    name = logger.__name__
    with pytest.raises(TypeError, match=rf"Argument `scheduler` of {name}\(\)"):
        logger(torch.optim.lr_scheduler.StepLR(sched.optimizer, 1), tmp_path / "x")
    with pytest.raises(TypeError, match=rf"Argument `rank_zero_only` of {name}\(\)"):
        logger(sched, tmp_path / "x", rank_zero_only=1)
    with pytest.raises(TypeError, match=rf"Argument `(path|writer)` of {name}\(\)"):
        logger(sched, 42)
