"""Tensor learning rates: in place, same objects, shared-tensor conflicts, tensor_lr=True."""

import pytest
import torch
from sched_helpers import params, run

from lrkit import Scheduler, constant, cosine, warmup


def tensor_groups(*lrs):
    return [{"params": params(), "lr": torch.tensor(lr, dtype=torch.float64)} for lr in lrs]


def test_tensor_lrs_keep_their_identity_and_follow_the_float_path():
    schedule = warmup(cosine(end=0.1), steps=3)
    opt = torch.optim.SGD(tensor_groups(0.1, 0.05, 0.2))
    tensors = [g["lr"] for g in opt.param_groups]
    sched = Scheduler(opt, schedule, total=20)
    used = run(opt, sched, 20)
    assert all(g["lr"] is t for g, t in zip(opt.param_groups, tensors, strict=True))
    ref_opt = torch.optim.SGD([{"params": params(), "lr": lr} for lr in (0.1, 0.05, 0.2)])
    ref = run(ref_opt, Scheduler(ref_opt, schedule, total=20), 20)
    assert used == ref  # float64 tensors hold exactly the float values
    assert sched.get_last_lr() == ref[-1]
    assert all(isinstance(v, float) for v in sched.get_last_lr())


def test_one_tensor_shared_by_groups_with_different_schedules_is_an_error():
    shared = torch.tensor(0.1)
    opt = torch.optim.SGD([{"params": params()}, {"params": params()}], lr=shared)
    assert opt.param_groups[0]["lr"] is opt.param_groups[1]["lr"]
    with pytest.raises(ValueError, match="share one lr tensor"):
        Scheduler(opt, [constant(1.0), constant(0.5)])
    # One schedule for all: both groups want the same rate, which one tensor can carry.
    sched = Scheduler(opt, cosine(), total=4)
    run(opt, sched, 2)
    assert float(shared) == pytest.approx(0.05)


def test_tensor_lr_option_makes_per_group_tensors():
    opt = torch.optim.SGD([{"params": params(), "lr": 0.1}, {"params": params(), "lr": 0.2}])
    sched = Scheduler(opt, cosine(), total=4, tensor_lr=True)
    assert sched.base_lrs == [0.1, 0.2]  # the float bases, not their float32 roundings
    tensors = [g["lr"] for g in opt.param_groups]
    assert all(isinstance(t, torch.Tensor) and t.dim() == 0 for t in tensors)
    assert tensors[0] is not tensors[1]
    run(opt, sched, 2)
    assert [g["lr"] for g in opt.param_groups] == tensors
    assert [float(t) for t in tensors] == pytest.approx([0.05, 0.1])


def test_returned_lists_never_alias_the_tensors():
    opt = torch.optim.SGD(tensor_groups(0.1))
    sched = Scheduler(opt, cosine(), total=10)
    run(opt, sched, 3)
    before = float(opt.param_groups[0]["lr"])
    sched.get_last_lr()[0] = 5.0
    sched.lr_for_next_update()[0] = 5.0
    assert float(opt.param_groups[0]["lr"]) == before
    assert sched.base_lrs == [pytest.approx(0.1)]
