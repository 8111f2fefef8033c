"""Values at the edge of what torch 2.13 accepts, each compared live with torch: compat runs what
torch runs, with torch's rates (and momentum or beta1), and refuses only what torch cannot run.

One group, three equal groups and three distinct groups, with SGD (momentum) and Adam (betas).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _compat_harness import COMPAT, RTOL, TORCH, relative_difference, run

GROUPS = {"one": (0.1,), "equal": (0.1, 0.1, 0.1), "distinct": (0.1, 0.03, 1.0)}
FLAT = [1.0] * 40
FALLING = [1.0 / (1 + i) for i in range(40)]
RISING = [1.0 + i for i in range(40)]

#: name -> (builder(optimizer, namespace), metrics or None)
CASES: dict[str, tuple[Any, list[float] | None]] = {
    "ReduceLROnPlateau(factor=0)": (lambda o, m: m.ReduceLROnPlateau(o, factor=0.0, patience=1), FLAT),
    "ReduceLROnPlateau(factor=-0.5)": (lambda o, m: m.ReduceLROnPlateau(o, factor=-0.5, patience=1), FLAT),
    "ReduceLROnPlateau(factor=0, min_lr)": (
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.0, patience=0, min_lr=0.01),
        FLAT,
    ),
    "ReduceLROnPlateau(threshold=1, rel)": (
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=1.0),
        FALLING,
    ),
    "ReduceLROnPlateau(threshold=2, rel)": (
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=2.0),
        FALLING,
    ),
    "ReduceLROnPlateau(threshold=2, rel, max)": (
        lambda o, m: m.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=1, threshold=2.0),
        RISING,
    ),
    "ReduceLROnPlateau(threshold=-0.1)": (
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=-0.1),
        FALLING,
    ),
    "ReduceLROnPlateau(threshold=-0.1, abs)": (
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=-0.1, threshold_mode="abs"),
        FLAT,
    ),
    "MultiStepLR(gamma=0)": (lambda o, m: m.MultiStepLR(o, [3, 2, 2], 0.0), None),
    "MultiStepLR(gamma=2)": (lambda o, m: m.MultiStepLR(o, [2, 2, 5], 2.0), None),
    "MultiStepLR(no milestones, gamma=0)": (lambda o, m: m.MultiStepLR(o, [], 0.0), None),
    "StepLR(gamma=0)": (lambda o, m: m.StepLR(o, 3, 0.0), None),
    "ExponentialLR(gamma=0)": (lambda o, m: m.ExponentialLR(o, 0.0), None),
    "CyclicLR(exp_range, gamma=0)": (
        lambda o, m: m.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.0),
        None,
    ),
    "CosineAnnealingLR(T_max=7.0)": (lambda o, m: m.CosineAnnealingLR(o, 7.0, 0.001), None),
    "CosineAnnealingLR(T_max=7.5)": (lambda o, m: m.CosineAnnealingLR(o, 7.5, 0.001), None),
    "StepLR(step_size=3.0)": (lambda o, m: m.StepLR(o, 3.0, 0.5), None),
    "StepLR(step_size=2.5)": (lambda o, m: m.StepLR(o, 2.5, 0.5), None),
    "StepLR(step_size=0.5)": (lambda o, m: m.StepLR(o, 0.5, 0.9), None),
    "StepLR(step_size=2.7)": (lambda o, m: m.StepLR(o, 2.7, 0.5), None),
    "MultiStepLR(milestones 0, -1, 2.5, 6.0)": (
        lambda o, m: m.MultiStepLR(o, [0, -1, 2.5, 6.0, 3], 0.5),
        None,
    ),
    "ConstantLR(total_iters=4.0)": (lambda o, m: m.ConstantLR(o, 0.5, 4.0), None),
    "LinearLR(total_iters=4.0)": (lambda o, m: m.LinearLR(o, 0.5, 1.0, 4.0), None),
    "PolynomialLR(total_iters=6.0)": (lambda o, m: m.PolynomialLR(o, 6.0, 2.0), None),
    "PolynomialLR(total_iters=0)": (lambda o, m: m.PolynomialLR(o, 0, 2.0), None),
    "PolynomialLR(total_iters=4.5)": (lambda o, m: m.PolynomialLR(o, 4.5, 2.0), None),
    "LinearLR(total_iters=2.5)": (lambda o, m: m.LinearLR(o, 0.5, 1.0, 2.5), None),
    "ConstantLR(total_iters=2.5)": (lambda o, m: m.ConstantLR(o, 0.5, 2.5), None),
    "CyclicLR(step sizes 3.0, 2.0)": (lambda o, m: m.CyclicLR(o, 0.01, 0.1, 3.0, 2.0), None),
    "CyclicLR(step sizes 2.5, 1.5)": (lambda o, m: m.CyclicLR(o, 0.01, 0.1, 2.5, 1.5), None),
    "ReduceLROnPlateau(patience=1.5, cooldown=1.5)": (
        lambda o, m: m.ReduceLROnPlateau(o, patience=1.5, cooldown=1.5),
        FLAT,
    ),
    "LambdaLR(negative factors)": (lambda o, m: m.LambdaLR(o, lambda e: 1.0 - e / 10), None),
    "MultiplicativeLR(negative factors)": (lambda o, m: m.MultiplicativeLR(o, lambda e: -0.9), None),
    "ExponentialLR(gamma=-0.5)": (lambda o, m: m.ExponentialLR(o, -0.5), None),
    "StepLR(gamma=-0.5)": (lambda o, m: m.StepLR(o, 3, -0.5), None),
    "MultiStepLR(gamma=-0.5)": (lambda o, m: m.MultiStepLR(o, [2, 5, 5], -0.5), None),
    "CosineAnnealingLR(T_max=-5)": (lambda o, m: m.CosineAnnealingLR(o, -5, 0.001), None),
    "CyclicLR(exp_range, gamma=1.01)": (
        lambda o, m: m.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=1.01),
        None,
    ),
}


def _compare(
    build: Any, metrics: list[float] | None, bases: tuple[float, ...], kind: str, steps: int
) -> None:
    ref = run(build, TORCH, steps, bases=bases, kind=kind, metrics=metrics)
    ours = run(build, COMPAT, steps, bases=bases, kind=kind, metrics=metrics)
    difference = relative_difference(ours, ref)
    assert difference <= RTOL, f"{difference:.3g}\ntorch {ref[:, 0]}\ncompat {ours[:, 0]}"


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("groups", sorted(GROUPS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_torch_accepts_give_torchs_rates(name, groups, kind):
    build, metrics = CASES[name]
    _compare(build, metrics, GROUPS[groups], kind, 40 if metrics is None else len(metrics))


def _one_cycle_rows(m: Any, kw: dict[str, Any], bases: tuple[float, ...], kind: str) -> np.ndarray | str:
    """Each update's rates and momenta (the N updates of the cycle), or the error's class name."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in bases]
    groups = [{"params": [p], "lr": b} for p, b in zip(params, bases, strict=True)]
    opt = torch.optim.Adam(groups) if kind == "adam" else torch.optim.SGD(groups, lr=0.5, momentum=0.9)
    peaks = [1.0 + i for i in range(len(bases))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scheduler = m.OneCycleLR(opt, peaks, **kw)
        except (ValueError, ZeroDivisionError) as error:
            return type(error).__name__
        rows = []
        for i in range(kw["total_steps"]):
            rows.append(
                [float(g["lr"]) for g in opt.param_groups]
                + [float(g["betas"][0] if "betas" in g else g["momentum"]) for g in opt.param_groups]
            )
            opt.step()
            if i < kw["total_steps"] - 1:
                scheduler.step()
    return np.array(rows, dtype=np.float64)


LAYOUTS = list(itertools.product([1, 2, 3, 5, 10], [0.0, 0.05, 0.1, 0.15, 0.5, 0.9, 1.0], [False, True]))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("total", "pct", "three"), LAYOUTS)
def test_one_cycle_layouts_with_short_phases_run_as_in_torch(total, pct, three, kind):
    # torch runs a rise of one step or less (pct_start * total_steps < 1 starts part-way down), a
    # total of 1 or 2 steps, pct_start of 0 or 1; it divides by zero (ZeroDivisionError) where a step
    # falls in a phase of length 0, which compat refuses at construction with a ValueError.
    for anneal in ("cos", "linear"):
        kw = {"total_steps": total, "pct_start": pct, "three_phase": three, "anneal_strategy": anneal}
        ref = _one_cycle_rows(TORCH, kw, (0.1, 0.03), kind)
        ours = _one_cycle_rows(COMPAT, kw, (0.1, 0.03), kind)
        if isinstance(ref, str):
            assert ours == "ValueError", (kw, ref, ours)
            continue
        assert not isinstance(ours, str), (kw, ours)
        assert relative_difference(ours, ref) <= RTOL, kw


def test_a_one_cycle_phase_of_length_zero_is_refused_with_a_clear_error():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    with pytest.raises(ZeroDivisionError):
        TORCH.OneCycleLR(opt, 1.0, total_steps=10, pct_start=0.1)
    with pytest.raises(ValueError, match=r"pct_start.*phase of length 0 at step 0 with total_steps=10"):
        COMPAT.OneCycleLR(opt, 1.0, total_steps=10, pct_start=0.1)


def _plateau_with_a_group_added(
    m: Any, min_lr: Any, append: float | None, edit: list[float] | None
) -> list[Any]:
    """torch's test pattern (#104361): a group added to the optimizer while a ReduceLROnPlateau runs;
    rows of every group's rate, or the error's class name and message start."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.5}, {"params": [params[1]], "lr": 0.3}], lr=0.1)
    scheduler = m.ReduceLROnPlateau(opt, threshold=0.1, patience=2, cooldown=1, min_lr=min_lr, factor=0.5)
    rows: list[Any] = []
    for epoch, metric in enumerate([1.0] * 7 + [0.6] + [0.5] * 16):
        if epoch == 8:
            opt.add_param_group({"params": [params[2]], "lr": 0.05})
            if append is not None:
                scheduler.min_lrs.append(append)
        if epoch == 14 and edit is not None:
            scheduler.min_lrs[:] = edit  # torch reads min_lrs at every reduction
        opt.step()
        try:
            scheduler.step(metric)
        except RuntimeError as error:
            rows.append(f"RuntimeError: {str(error)[:40]}")
            break
        rows.append([float(g["lr"]) for g in opt.param_groups])
    return rows


@pytest.mark.parametrize(
    ("min_lr", "append", "edit"),
    [
        (0, None, None),
        (0.02, None, None),
        ([1e-5, 1e-4], 1e-6, None),
        ([1e-5, 1e-4], None, None),
        ([0.2, 0.01], 0.04, None),
        ([0.2, 0.01], 0.04, [0.0, 0.1, 0.0]),
    ],
)
def test_a_param_group_added_while_reduce_lr_on_plateau_runs(min_lr, append, edit):
    ref = _plateau_with_a_group_added(TORCH, min_lr, append, edit)
    ours = _plateau_with_a_group_added(COMPAT, min_lr, append, edit)
    assert len(ours) == len(ref)
    for row_ours, row_ref in zip(ours, ref, strict=True):
        if isinstance(row_ref, str):
            assert row_ours == row_ref
        else:
            assert row_ours == pytest.approx(row_ref, rel=RTOL, abs=1e-15)


@pytest.mark.parametrize("groups", sorted(GROUPS))
def test_a_min_lr_above_the_rate_leaves_the_rate_as_torch(groups):
    # torch applies max(lr * factor, min_lr) only when it lowers the rate: a floor above it changes nothing.
    build = lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=0, min_lr=0.05)  # noqa: E731
    _compare(build, FLAT, GROUPS[groups], "sgd", len(FLAT))
