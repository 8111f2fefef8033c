"""SequentialLR with unsorted milestones, compared live with torch 2.13 after every step.

torch runs child ``bisect_right(milestones, t)`` at step ``t`` and restarts its clock only where
``milestones[index - 1] == t``; with an unsorted list a child can take over at another step, and
torch then calls its ``step()`` from where its undone construction left it (``last_epoch = -1``):
the chainable classes continue from the rate the previous phase left. Every row holds every
group's lr and momentum (or beta1), the container's and every child's ``get_last_lr()`` and every
child's ``last_epoch``.
"""

from __future__ import annotations

import bisect
import types
import warnings

import numpy as np
import pytest
import torch
from _compat_harness import RTOL

import lrkit.compat as C  # noqa: N812

T = types.SimpleNamespace(**vars(torch.optim.lr_scheduler), SWALR=torch.optim.swa_utils.SWALR)
GROUPS = {"one group": (0.1,), "equal groups": (0.1, 0.1, 0.1), "distinct groups": (0.1, 0.03, 1.0)}
STEPS = 16

#: The child that takes over (built first: torch's CyclicLR and OneCycleLR built after other
#: schedulers start from the keys those wrote, documented difference 7).
TAKING_OVER = {
    "StepLR": lambda o, m: m.StepLR(o, 2, 0.5),
    "MultiStepLR (milestone 0)": lambda o, m: m.MultiStepLR(o, [0, 3], 0.5),
    "ConstantLR": lambda o, m: m.ConstantLR(o, 0.3, 3),
    "ConstantLR(total_iters=0)": lambda o, m: m.ConstantLR(o, 0.3, 0),
    "LinearLR": lambda o, m: m.LinearLR(o, 0.2, 1.0, 4),
    "LinearLR(total_iters=0)": lambda o, m: m.LinearLR(o, 0.2, 1.0, 0),
    "ExponentialLR": lambda o, m: m.ExponentialLR(o, 0.8),
    "PolynomialLR": lambda o, m: m.PolynomialLR(o, 4, 2.0),
    "CosineAnnealingLR (restarts)": lambda o, m: m.CosineAnnealingLR(o, 4, 0.001),
    "CosineAnnealingLR": lambda o, m: m.CosineAnnealingLR(o, 30),
    "CosineAnnealingLR (fractional T_max)": lambda o, m: m.CosineAnnealingLR(o, 4.5, 0.001),
    "LambdaLR": lambda o, m: m.LambdaLR(o, lambda e: 0.9**e),
    "MultiplicativeLR": lambda o, m: m.MultiplicativeLR(o, lambda e: 0.9),
    "CyclicLR": lambda o, m: m.CyclicLR(o, 0.01, 0.2, 3),
    "OneCycleLR": lambda o, m: m.OneCycleLR(o, 0.5, total_steps=40),
    "CosineAnnealingWarmRestarts": lambda o, m: m.CosineAnnealingWarmRestarts(o, 3),
    "SWALR": lambda o, m: m.SWALR(o, 0.02, anneal_epochs=3),
}
#: Unsorted lists where the last child takes over without restarting (at the step in the name),
#: after restarted phases or not.
MILESTONES = {
    "[1, 2, 0] (step 2)": [1, 2, 0],
    "[0, 4, 1] (step 4)": [0, 4, 1],
    "[5, 6, 2] (step 6)": [5, 6, 2],
}


def _takeovers(marks: list[int]) -> list[tuple[int, int, bool]]:
    """(step, child, restarted) of every change of child, by torch's rule (written anew)."""
    out, current = [], bisect.bisect_right(marks, 0)
    for t in range(1, max(marks) + 1):
        index = bisect.bisect_right(marks, t)
        restarted = index > 0 and marks[index - 1] == t
        if restarted or index != current:
            out.append((t, index, restarted))
            current = index
    return out


def test_the_lists_make_the_last_child_take_over_without_restarting():
    for name, marks in MILESTONES.items():
        step = int(name.split("step ")[1].rstrip(")"))
        assert (step, 3, False) in _takeovers(marks)


def drive(ns, build, bases, marks, kind):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": b} for b in bases]
    opt = torch.optim.Adam(groups, lr=0.5) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        last = build(opt, ns)
        children = [ns.LinearLR(opt, 0.5, 1.0, 3), ns.ExponentialLR(opt, 0.9), ns.StepLR(opt, 2, 0.7), last]
        sequential = ns.SequentialLR(opt, children, marks)
        for _ in range(STEPS):
            opt.step()
            sequential.step()
            g = opt.param_groups
            row = [float(x["lr"]) for x in g]
            row += [float(x["betas"][0] if "betas" in x else x["momentum"]) for x in g]
            row += [float(v) for s in [sequential, *children] for v in s.get_last_lr()]
            rows.append(row + [float(c.last_epoch) for c in children])
    return np.array(rows)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("marks", list(MILESTONES))
@pytest.mark.parametrize("name", list(TAKING_OVER))
def test_a_child_taking_over_without_restarting_continues_as_in_torch(name, marks, groups, kind):
    ours = drive(C, TAKING_OVER[name], GROUPS[groups], MILESTONES[marks], kind)
    ref = drive(T, TAKING_OVER[name], GROUPS[groups], MILESTONES[marks], kind)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("marks", [[1, 2, 3], [2, 2, 5], [4, 1, 1]], ids=str)
def test_a_constant_lr_with_total_iters_0_restarted_as_a_phase_is_torchs(marks, groups):
    # torch's step(0) of it is the closed form: the factor applies only before total_iters, so 1
    build = TAKING_OVER["ConstantLR(total_iters=0)"]
    ours = drive(C, build, GROUPS[groups], marks, "sgd")
    ref = drive(T, build, GROUPS[groups], marks, "sgd")
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize(
    "late",
    [
        lambda o: C.ReduceLROnPlateau(o),
        lambda o: C.SequentialLR(o, [C.ConstantLR(o, 0.5, 2), C.ExponentialLR(o, 0.9)], [2]),
        lambda o: C.PolynomialLR(o, total_iters=0),
    ],
    ids=["ReduceLROnPlateau", "SequentialLR", "PolynomialLR(total_iters=0)"],
)
def test_what_torch_cannot_run_without_restarting_is_refused(late):
    # torch refuses a ReduceLROnPlateau child and has no way to step a nested container's clock here
    # (compat's own extensions restart them at their milestone); torch's PolynomialLR(total_iters=0)
    # divides by zero at the step it takes over.
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    children = [C.ConstantLR(opt, 0.5, 3), C.ExponentialLR(opt, 0.9), C.StepLR(opt, 2), late(opt)]
    with pytest.raises(ValueError, match=r"child 3 .* take[s]? over at step 9 without restarting"):
        C.SequentialLR(opt, children, [3, 9, 4])
