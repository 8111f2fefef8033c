"""The torch-named presets against torch.optim.lr_scheduler itself, value for value.

Every preset is driven the way torch is: group g's rate after t calls of `step()` is compared
with ``base_g * schedule.resolve(base=base_g)(t)``, for several parameter groups with different
base rates, over hundreds of steps (past T_max and total_steps where torch allows it), for many
configurations drawn by hypothesis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrkit import from_config, parse
from lrkit.presets import pytorch as P  # noqa: N812

sched = torch.optim.lr_scheduler
BASES = (0.1, 0.03, 1.0)
RTOL = 1e-12


def torch_rates(make, steps: int, bases=BASES) -> np.ndarray:
    """Rates of every group after 0..steps calls of step() (row t = after t calls)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in bases]
    opt = torch.optim.SGD([{"params": [p], "lr": b} for p, b in zip(params, bases, strict=True)], lr=0.5)
    scheduler = make(opt)
    rows = [[g["lr"] for g in opt.param_groups]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.step()
            scheduler.step()
            rows.append([g["lr"] for g in opt.param_groups])
    return np.array(rows, dtype=np.float64)


def lrkit_rates(schedule, steps: int, bases=BASES) -> np.ndarray:
    t = np.arange(steps + 1, dtype=np.float64)
    columns = [b * schedule.resolve(base=b)(t) for b in bases]
    return np.stack(columns, axis=1)


def assert_same(ours: np.ndarray, ref: np.ndarray, rtol: float = RTOL) -> None:
    """Equal to a relative `rtol`; values that torch's recursive (chainable) formulas bring to
    about zero (e.g. LinearLR ending at -1.7e-17 instead of 0) compare with an absolute 1e-15 of
    each group's largest rate."""
    atol = 1e-15 * np.max(np.abs(ref), axis=0)
    diff = np.abs(ours - ref)
    within = diff <= rtol * np.abs(ref) + atol
    worst = float(np.max(diff / np.maximum(np.abs(ref), 1e-300)))
    assert within.all(), f"largest relative difference {worst:.3g}\nours={ours[:8]}\nref={ref[:8]}"


def check(make_torch, schedule, steps: int = 300, rtol: float = RTOL) -> None:
    assert_same(lrkit_rates(schedule, steps), torch_rates(make_torch, steps), rtol)
    # The preset is a plain schedule: it round-trips through configs and specs.
    assert from_config(schedule.to_config()) == schedule
    assert parse(repr(schedule)) == schedule


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(step_size=st.integers(1, 40), gamma=st.floats(0.05, 1.0))
def test_step_lr(step_size, gamma):
    check(lambda o: sched.StepLR(o, step_size, gamma), P.StepLR(step_size, gamma))


@FAST
@given(milestones=st.lists(st.integers(1, 250), min_size=1, max_size=6), gamma=st.floats(0.05, 0.99))
def test_multi_step_lr_with_repeated_milestones(milestones, gamma):
    check(lambda o: sched.MultiStepLR(o, milestones, gamma), P.MultiStepLR(milestones, gamma))


def test_multi_step_lr_repeated_milestone_compounds():
    check(lambda o: sched.MultiStepLR(o, [3, 3, 7], 0.5), P.MultiStepLR([3, 3, 7], 0.5), steps=20)


@FAST
@given(factor=st.floats(0.001, 1.0), total_iters=st.integers(1, 60))
def test_constant_lr(factor, total_iters):
    # factor=0 makes torch divide by zero when the constant phase ends; total_iters=0 makes it
    # apply `factor` forever; the preset rejects the latter and handles the former.
    check(lambda o: sched.ConstantLR(o, factor, total_iters), P.ConstantLR(factor, total_iters))


@FAST
@given(start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total_iters=st.integers(1, 200))
def test_linear_lr(start, end, total_iters):
    check(lambda o: sched.LinearLR(o, start, end, total_iters), P.LinearLR(start, end, total_iters))


@FAST
@given(gamma=st.floats(0.9, 1.0))
def test_exponential_lr(gamma):
    check(lambda o: sched.ExponentialLR(o, gamma), P.ExponentialLR(gamma))


@FAST
@given(total_iters=st.integers(1, 200), power=st.floats(0.1, 4.0))
def test_polynomial_lr(total_iters, power):
    check(lambda o: sched.PolynomialLR(o, total_iters, power), P.PolynomialLR(total_iters, power))


@FAST
@given(t_max=st.integers(1, 120), eta_min=st.sampled_from([0.0, 1e-4, 0.001, 0.02]))
def test_cosine_annealing_lr_past_t_max(t_max, eta_min):
    check(lambda o: sched.CosineAnnealingLR(o, t_max, eta_min), P.CosineAnnealingLR(t_max, eta_min))


@FAST
@given(t0=st.integers(1, 30), t_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 0.001]))
def test_cosine_annealing_warm_restarts(t0, t_mult, eta_min):
    check(
        lambda o: sched.CosineAnnealingWarmRestarts(o, t0, t_mult, eta_min),
        P.CosineAnnealingWarmRestarts(t0, t_mult, eta_min),
    )


@FAST
@given(
    base_lr=st.floats(0.001, 0.1),
    span=st.floats(0.01, 2.0),
    up=st.integers(1, 40),
    down=st.one_of(st.none(), st.integers(1, 40)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.95, 1.0),
)
def test_cyclic_lr_every_mode(base_lr, span, up, down, mode, gamma):
    max_lr = base_lr + span

    def make(o):
        return sched.CyclicLR(o, base_lr, max_lr, up, down, mode=mode, gamma=gamma, cycle_momentum=False)

    check(make, P.CyclicLR(base_lr, max_lr, up, down, mode, gamma))


@FAST
@given(
    total=st.integers(12, 400),
    pct=st.floats(0.1, 0.45),
    strategy=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
    div=st.floats(2.0, 50.0),
    final_div=st.floats(10.0, 1e5),
    max_lr=st.floats(0.01, 2.0),
)
def test_one_cycle_lr_two_and_three_phases(total, pct, strategy, three_phase, div, final_div, max_lr):
    def make(o):
        return sched.OneCycleLR(
            o,
            max_lr,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=strategy,
            div_factor=div,
            final_div_factor=final_div,
            three_phase=three_phase,
            cycle_momentum=False,
        )

    preset = P.OneCycleLR(
        max_lr,
        total,
        pct_start=pct,
        anneal_strategy=strategy,
        div_factor=div,
        final_div_factor=final_div,
        three_phase=three_phase,
    )
    # torch allows total - 1 steps (and one more that jumps back up before raising); compare those.
    check(make, preset, steps=total - 1)


def test_sequential_lr_of_linear_and_cosine():
    def make(o):
        return sched.SequentialLR(
            o, [sched.LinearLR(o, 0.1, 1.0, 5), sched.CosineAnnealingLR(o, 10)], milestones=[5]
        )

    check(make, P.SequentialLR([P.LinearLR(0.1, 1.0, 5), P.CosineAnnealingLR(10)], [5]), steps=40)


@FAST
@given(
    warm=st.integers(1, 30),
    t_max=st.integers(1, 60),
    gamma=st.floats(0.8, 0.99),
    step_size=st.integers(1, 20),
)
def test_sequential_lr_three_phases(warm, t_max, gamma, step_size):
    m1, m2 = warm, warm + t_max

    def make(o):
        return sched.SequentialLR(
            o,
            [
                sched.LinearLR(o, 0.2, 1.0, warm),
                sched.StepLR(o, step_size, gamma),
                sched.ExponentialLR(o, gamma),
            ],
            milestones=[m1, m2],
        )

    preset = P.SequentialLR(
        [P.LinearLR(0.2, 1.0, warm), P.StepLR(step_size, gamma), P.ExponentialLR(gamma)], [m1, m2]
    )
    check(make, preset, steps=200, rtol=1e-11)


@FAST
@given(factor=st.floats(0.1, 1.0), iters=st.integers(1, 30), gamma=st.floats(0.9, 1.0))
def test_chained_scheduler_of_multiplicative_schedulers(factor, iters, gamma):
    def make(o):
        return sched.ChainedScheduler([sched.ConstantLR(o, factor, iters), sched.ExponentialLR(o, gamma)])

    check(make, P.ChainedScheduler([P.ConstantLR(factor, iters), P.ExponentialLR(gamma)]), rtol=1e-11)


def test_seed_answer_step_lr_after_three_epochs():
    # Seeds 000/001: StepLR(step_size=2, gamma=0.5) from 0.1; after 3 epochs the rate is 0.05.
    s = parse("StepLR(step_size=2, gamma=0.5)")
    assert 0.1 * s(3) == 0.05


def test_preset_arguments_are_checked():
    with pytest.raises(ValueError, match=r"Argument `start_factor` of LinearLR\(\)"):
        P.LinearLR(start_factor=0.0)
    with pytest.raises(TypeError, match=r"Argument `total_iters` of LinearLR\(\)"):
        P.LinearLR(total_iters=1.5)
    assert [P.ConstantLR(0.0, 2)(t) for t in range(4)] == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="needs `total_steps`"):
        P.OneCycleLR(max_lr=0.1)
    with pytest.raises(ValueError, match=r"Argument `T_max` of CosineAnnealingLR\(\)"):
        P.CosineAnnealingLR(T_max=0)
