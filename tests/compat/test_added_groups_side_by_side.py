"""A param group added with ``add_param_group`` while several schedulers share the optimizer, live with torch.

torch's chainable classes multiply every group's rate by their step's ratio, CosineAnnealingLR moves
it towards ``eta_min`` and ReduceLROnPlateau reduces it, a group added later too; the others fail at
their next step (LambdaLR, MultiplicativeLR, CyclicLR, CosineAnnealingWarmRestarts: a ``zip()``
ValueError; OneCycleLR and SWALR: a KeyError for the keys they read), and CosineAnnealingLR fails at
the step its period restarts. Each run is driven in both libraries until the first exception: the
rates (lr and momentum of every group, every scheduler's ``get_last_lr()``) after every step must
be equal, and the exception must come from the same scheduler at the same step with the same type.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from _compat_harness import COMPAT, RTOL, TORCH

#: The classes whose torch step reads every group's rate (they follow an added group).
FOLLOWERS: dict[str, Callable[[torch.optim.Optimizer, Any], Any]] = {
    "StepLR": lambda o, m: m.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda o, m: m.MultiStepLR(o, [2, 7, 7], 0.6),
    "ConstantLR": lambda o, m: m.ConstantLR(o, 0.25, 5),
    "LinearLR": lambda o, m: m.LinearLR(o, 0.1, 1.0, 6),
    "ExponentialLR": lambda o, m: m.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o, m: m.PolynomialLR(o, 8, 2.0),
    "CosineAnnealingLR": lambda o, m: m.CosineAnnealingLR(o, 20),
    "CosineAnnealingLR(eta_min, restarts)": lambda o, m: m.CosineAnnealingLR(o, 5, 0.002),
    "ReduceLROnPlateau": lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=1),
    "ReduceLROnPlateau(min_lr list)": lambda o, m: m.ReduceLROnPlateau(
        o, factor=0.5, patience=1, min_lr=[0.004] * len(o.param_groups)
    ),
}
#: The classes whose torch step fails once a group was added after them.
FAILING: dict[str, Callable[[torch.optim.Optimizer, Any], Any]] = {
    "LambdaLR": lambda o, m: m.LambdaLR(o, lambda e: 0.95**e),
    "MultiplicativeLR": lambda o, m: m.MultiplicativeLR(o, lambda e: 0.95),
    "CyclicLR": lambda o, m: m.CyclicLR(o, 0.01, 0.2, 3),
    "CosineAnnealingWarmRestarts": lambda o, m: m.CosineAnnealingWarmRestarts(o, 4),
    "OneCycleLR": lambda o, m: m.OneCycleLR(o, 0.5, total_steps=40),
    "SWALR": lambda o, m: m.SWALR(o, 0.02, anneal_epochs=4),
}
GROUPS = {"one group": (0.1,), "equal groups": (0.1, 0.1, 0.1), "distinct groups": (0.1, 0.03, 1.0)}
#: (step, lr, index of the scheduler it is added before) of each group added: before the first step,
#: mid-run, between two schedulers' steps of one update, two at once later.
ADDS = {
    "at 0": [(0, 0.05, 0)],
    "at 3": [(3, 0.05, 0)],
    "at 4 between the steps": [(4, 0.05, 1)],
    "two at 5": [(5, 0.02, 0), (5, 0.4, 0)],
}
STEPS = 18


def _loss(i: int) -> float:
    """Improves, then stalls: the plateau reduces (with patience 1) from step 6 on, every other step."""
    return 1.0 / (1 + i) if i < 4 else 0.2


def drive(ns: Any, build: Callable[..., list[Any]], bases, adds, kind="sgd", append_min_lr=True):
    """Rows after every step until the first exception; the exception as (scheduler, step, type)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + len(adds))]
    groups = [{"params": [params[i]], "lr": b} for i, b in enumerate(bases)]
    opt = torch.optim.Adam(groups, lr=0.5) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
    extra = iter(params[len(bases) :])
    rows: list[list[float]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schedulers = build(opt, ns)
        for t in range(STEPS):
            opt.step()
            for index, s in enumerate(schedulers):
                for at, lr, before in adds:
                    if (at, before) == (t, index):
                        opt.add_param_group({"params": [next(extra)], "lr": lr})
                        for other in schedulers:
                            plateau = type(other).__name__ == "ReduceLROnPlateau"
                            if append_min_lr and plateau and other.default_min_lr is None:
                                other.min_lrs.append(0.001)
                try:
                    if type(s).__name__ == "ReduceLROnPlateau":
                        s.step(_loss(t))
                    else:
                        s.step()
                except (ValueError, KeyError, RuntimeError) as error:
                    return rows, (index, t, type(error))
            lrs = [float(g["lr"]) for g in opt.param_groups]
            momenta = [float(g["betas"][0] if "betas" in g else g["momentum"]) for g in opt.param_groups]
            shown = [float(v) for s in schedulers for v in s.get_last_lr()]
            rows.append(lrs + momenta + shown)
    return rows, None


def same(build, bases, adds, **kw):
    ref, ref_error = drive(TORCH, build, bases, adds, **kw)
    ours, our_error = drive(COMPAT, build, bases, adds, **kw)
    assert our_error == ref_error
    assert len(ours) == len(ref)
    for t, (a, b) in enumerate(zip(ours, ref, strict=True)):
        assert len(a) == len(b), f"step {t}: {len(a)} columns, torch {len(b)}"
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15, err_msg=f"step {t}")
    return ref_error


PAIRS = list(itertools.permutations(FOLLOWERS, 2))


@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("adds", list(ADDS))
@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_an_added_group_side_by_side_continues_as_in_torch(first, second, adds, groups):
    def build(o, m):
        return [FOLLOWERS[first](o, m), FOLLOWERS[second](o, m)]

    error = same(build, GROUPS[groups], ADDS[adds])
    restarts = "restarts" in first + second
    assert (error is not None) == restarts  # only the cosine restart step fails, in torch too


THREE = {
    "warmup, cosine, plateau": lambda o, m: [
        m.LinearLR(o, 0.1, 1.0, 5),
        m.CosineAnnealingLR(o, 30, 0.001),
        m.ReduceLROnPlateau(o, factor=0.5, patience=1),
    ],
    "plateau, step, exponential": lambda o, m: [
        m.ReduceLROnPlateau(o, factor=0.3, patience=0, cooldown=1),
        m.StepLR(o, 4, 0.5),
        m.ExponentialLR(o, 0.97),
    ],
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("adds", list(ADDS))
@pytest.mark.parametrize("name", list(THREE))
def test_three_side_by_side_with_sgd_and_adam(name, adds, groups, kind):
    assert same(THREE[name], GROUPS[groups], ADDS[adds], kind=kind) is None


@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("order", ["failing first", "failing second"])
@pytest.mark.parametrize("name", list(FAILING))
def test_where_torch_fails_compat_fails_at_the_same_step(name, order, groups):
    def build(o, m):
        pair = [FAILING[name](o, m), m.StepLR(o, 2, 0.5)]
        return pair if order == "failing first" else pair[::-1]

    error = same(build, GROUPS[groups], ADDS["at 3"])
    assert error is not None
    assert error[1] == 3
    assert error[2] is (KeyError if name in ("OneCycleLR", "SWALR") else ValueError)


def test_a_failing_step_changes_nothing():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}])
    lam, step = COMPAT.LambdaLR(opt, lambda e: 0.9**e), COMPAT.StepLR(opt, 2, 0.5)
    for _ in range(2):
        opt.step()
        lam.step()
        step.step()
    opt.add_param_group({"params": [params[1]], "lr": 0.05})
    before, epoch = [g["lr"] for g in opt.param_groups], lam.last_epoch
    with pytest.raises(ValueError, match=r"LambdaLR.step\(\): the optimizer has 2 param groups, 1 when"):
        lam.step()
    assert [g["lr"] for g in opt.param_groups] == before
    assert lam.last_epoch == epoch


@pytest.mark.parametrize("groups", list(GROUPS))
def test_a_plateau_list_min_lr_not_extended_raises_torchs_runtime_error(groups):
    def build(o, m):
        return [m.ExponentialLR(o, 0.9), FOLLOWERS["ReduceLROnPlateau(min_lr list)"](o, m)]

    error = same(build, GROUPS[groups], ADDS["at 3"], append_min_lr=False)
    assert error is not None
    assert error[2] is RuntimeError


@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("built", ["after the group", "first alone, then the group, then the second"])
def test_schedulers_built_after_a_group_was_added(built, groups):
    # torch: a scheduler built after add_param_group has the new group among its base_lrs.
    def drive_late(ns):
        bases = GROUPS[groups]
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + 1)]
        opt = torch.optim.SGD([{"params": [params[i]], "lr": b} for i, b in enumerate(bases)])
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = ns.LinearLR(opt, 0.2, 1.0, 6)
            for _ in range(3):
                opt.step()
                first.step()
            if built == "after the group":
                second = ns.ExponentialLR(opt, 0.9)
                opt.add_param_group({"params": [params[-1]], "lr": 0.05})
                third = ns.StepLR(opt, 2, 0.5)  # built with the new group
            else:
                opt.add_param_group({"params": [params[-1]], "lr": 0.05})
                second = ns.ExponentialLR(opt, 0.9)
                third = ns.CosineAnnealingLR(opt, 12, 0.001)
            schedulers = [first, second, third]
            for _ in range(12):
                opt.step()
                for s in schedulers:
                    s.step()
                rows.append(
                    [float(g["lr"]) for g in opt.param_groups]
                    + [float(v) for s in schedulers for v in s.get_last_lr()]
                )
        return np.array(rows)

    np.testing.assert_allclose(drive_late(COMPAT), drive_late(TORCH), rtol=RTOL, atol=1e-15)
