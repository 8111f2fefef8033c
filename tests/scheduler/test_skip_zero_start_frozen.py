"""skip_zero_start shifts the run only for a warmup from 0, not for a group held at 0."""

import torch

from lrkit import Scheduler, constant, cosine, sequence, warmup


def _opt(n: int) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1, "name": f"g{i}"} for i in range(n)]
    return torch.optim.SGD(groups, lr=0.1)


def test_a_frozen_group_does_not_shift_the_others():
    opt = _opt(2)
    frozen_then_on = sequence([constant(0.0), constant(1.0)], [3])
    sched = Scheduler(opt, [cosine(steps=10), frozen_then_on], total=10)
    assert sched.position == 0.0
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.0]


def test_a_warmup_from_zero_shifts_by_one_update():
    opt = _opt(1)
    sched = Scheduler(opt, warmup(cosine(), steps=4), total=10)
    assert sched.position == 1.0
    assert opt.param_groups[0]["lr"] == 0.1 * 0.25
