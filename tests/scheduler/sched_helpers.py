"""Small helpers shared by the scheduler tests."""

import io

import torch


def params(n=1):
    return [torch.nn.Parameter(torch.zeros(2)) for _ in range(n)]


def sgd(*lrs, **kwargs):
    """An SGD optimizer with one param group per lr."""
    return torch.optim.SGD([{"params": params(), "lr": lr} for lr in lrs], **kwargs)


def lrs(opt):
    return [float(g["lr"]) for g in opt.param_groups]


def run(opt, sched, updates, observe=None):
    """The lrs each update used (read from the optimizer just before the update), per update."""
    used = []
    for i in range(updates):
        used.append(lrs(opt))
        opt.step()
        sched.step()
        if observe is not None:
            sched.observe(observe(i))
    return used


def roundtrip(state):
    """A state through torch.save and torch.load(weights_only=True)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)
