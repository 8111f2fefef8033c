"""tensor_lr=True: per-group 0-dim tensors that are views of one buffer, written with one copy_."""

import math

import torch

from lrkit import Scheduler, cosine


def _groups(n: int) -> list[dict]:
    return [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1 * (i + 1)} for i in range(n)]


def test_every_group_gets_its_own_rate_in_the_same_tensor_objects():
    opt = torch.optim.SGD(_groups(5), lr=0.5)
    sched = Scheduler(opt, cosine(steps=10), tensor_lr=True)
    tensors = [g["lr"] for g in opt.param_groups]
    assert all(isinstance(t, torch.Tensor) and t.dim() == 0 for t in tensors)
    versions = [t._version for t in tensors]
    for step in range(1, 12):
        opt.step()
        sched.step()
        factor = (1 + math.cos(math.pi * min(step, 10) / 10)) / 2
        for i, group in enumerate(opt.param_groups):
            assert group["lr"] is tensors[i]
            assert math.isclose(float(group["lr"]), 0.1 * (i + 1) * factor, rel_tol=1e-6, abs_tol=1e-9)
    # In-place writes are visible to autograd's version counter (no silent stale reads).
    assert all(t._version > v for t, v in zip(tensors, versions, strict=True))


def test_a_user_replaced_tensor_falls_back_to_fill():
    opt = torch.optim.SGD(_groups(3), lr=0.5)
    sched = Scheduler(opt, cosine(steps=10), tensor_lr=True)
    mine = torch.tensor(0.3)
    opt.param_groups[1]["lr"] = mine
    sched.sync()
    opt.step()
    sched.step()
    assert opt.param_groups[1]["lr"] is mine
    factor = (1 + math.cos(math.pi * 1 / 10)) / 2
    # The base stays the group's rate when the scheduler was built; the new tensor is written in place.
    assert math.isclose(float(mine), 0.2 * factor, rel_tol=1e-6)
    assert math.isclose(float(opt.param_groups[2]["lr"]), 0.3 * factor, rel_tol=1e-6)
