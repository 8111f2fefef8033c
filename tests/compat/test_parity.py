"""Every lrkit.compat class against torch 2.13 itself, side by side, on hypothesis-drawn configurations.

Each case builds the torch scheduler and its compat twin with the same arguments on two fresh
optimizers with three param groups of different base rates, steps both (after ``optimizer.step()``)
for up to 300 steps, and compares every group's lr (and momentum or beta1) after construction and
after each step to a relative 1e-12. The largest difference per class is printed at the end of the
run (see conftest.py).
"""

from __future__ import annotations

import math
import types

import pytest
from _compat_harness import BASES, COMPAT, RTOL, TORCH, record, relative_difference, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
STEPS = 300


#: Three equal groups: each configuration also runs on them (the paths that share one schedule).
EQUAL = (0.1, 0.1, 0.1)


def check(name, build, steps=STEPS, first_row=0, **options):
    """torch vs compat on three distinct groups and on three equal groups (or on `bases` if given)."""
    layouts = [options.pop("bases")] if "bases" in options else [BASES, EQUAL]
    for bases in layouts:
        ref = run(build, TORCH, steps, bases=bases, **options)[first_row:]
        ours = run(build, COMPAT, steps, bases=bases, **options)[first_row:]
        difference = relative_difference(ours, ref)
        record(name, difference)
        assert ours.shape == ref.shape
        assert difference <= RTOL, f"{name} ({bases}): largest relative difference {difference:.3g}"


def per_group(draw, values):
    """One value, or a list with one per group."""
    return draw(st.one_of(values, st.lists(values, min_size=len(BASES), max_size=len(BASES))))


@CASES
@given(step_size=st.integers(1, 40), gamma=st.floats(0.05, 1.0))
def test_step_lr(step_size, gamma):
    check("StepLR", lambda o, m: m.StepLR(o, step_size, gamma))


@CASES
@given(milestones=st.lists(st.integers(1, 250), min_size=1, max_size=6), gamma=st.floats(0.05, 0.99))
def test_multi_step_lr_with_repeated_milestones(milestones, gamma):
    check("MultiStepLR", lambda o, m: m.MultiStepLR(o, milestones, gamma))


@CASES
@given(factor=st.floats(0.001, 1.0), total_iters=st.integers(0, 60))
def test_constant_lr(factor, total_iters):
    check("ConstantLR", lambda o, m: m.ConstantLR(o, factor, total_iters))


@CASES
@given(start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total_iters=st.integers(0, 200))
def test_linear_lr(start, end, total_iters):
    check("LinearLR", lambda o, m: m.LinearLR(o, start, end, total_iters))


@CASES
@given(gamma=st.floats(0.9, 1.0))
def test_exponential_lr(gamma):
    check("ExponentialLR", lambda o, m: m.ExponentialLR(o, gamma))


@CASES
@given(total_iters=st.integers(1, 200), power=st.floats(0.1, 4.0))
def test_polynomial_lr(total_iters, power):
    check("PolynomialLR", lambda o, m: m.PolynomialLR(o, total_iters, power))


@CASES
@given(t_max=st.integers(1, 120), eta_min=st.sampled_from([0.0, 1e-4, 0.001, 0.02]))
def test_cosine_annealing_lr_past_t_max(t_max, eta_min):
    check("CosineAnnealingLR", lambda o, m: m.CosineAnnealingLR(o, t_max, eta_min))


@CASES
@given(t0=st.integers(1, 30), t_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 0.001]))
def test_cosine_annealing_warm_restarts_with_t_mult(t0, t_mult, eta_min):
    check("CosineAnnealingWarmRestarts", lambda o, m: m.CosineAnnealingWarmRestarts(o, t0, t_mult, eta_min))


SCALE_FNS = {
    "inverse": lambda x: 1.0 / (1.0 + x),
    "halving": lambda x: 0.5 ** (x - 1),
    "slow": lambda x: 0.999**x,
}


@CASES
@given(data=st.data())
def test_cyclic_lr_every_mode_scale_fn_and_momentum(data):
    low = per_group(data.draw, st.floats(0.001, 0.1))
    span = data.draw(st.floats(0.01, 2.0))
    high = [x + span for x in low] if isinstance(low, list) else low + span
    up, down = data.draw(st.integers(1, 40)), data.draw(st.one_of(st.none(), st.integers(1, 40)))
    mode = data.draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    gamma = data.draw(st.floats(0.95, 1.0))
    fn = data.draw(st.sampled_from([None, *SCALE_FNS]))
    scale_mode = data.draw(st.sampled_from(["cycle", "iterations"]))
    cycle_momentum = data.draw(st.booleans())
    base_m = per_group(data.draw, st.floats(0.5, 0.85))
    kind = data.draw(st.sampled_from(["sgd", "adam"]))

    def build(o, m):
        return m.CyclicLR(
            o,
            low,
            high,
            up,
            down,
            mode=mode,
            gamma=gamma,
            scale_fn=None if fn is None else SCALE_FNS[fn],
            scale_mode=scale_mode,
            cycle_momentum=cycle_momentum,
            base_momentum=base_m,
            max_momentum=0.9,
        )

    check("CyclicLR", build, kind=kind)


@CASES
@given(data=st.data())
def test_one_cycle_lr_two_and_three_phases_with_momentum(data):
    total = data.draw(st.integers(12, 400))
    pct = data.draw(st.floats(0.1, 0.45))
    strategy = data.draw(st.sampled_from(["cos", "linear"]))
    three = data.draw(st.booleans())
    div, final_div = data.draw(st.floats(2.0, 50.0)), data.draw(st.floats(10.0, 1e5))
    peak = per_group(data.draw, st.floats(0.01, 2.0))
    cycle_momentum = data.draw(st.booleans())
    kind = data.draw(st.sampled_from(["sgd", "adam"]))
    by_epochs = data.draw(st.booleans())
    size = {"epochs": 1, "steps_per_epoch": total} if by_epochs else {"total_steps": total}

    def build(o, m):
        return m.OneCycleLR(
            o,
            peak,
            pct_start=pct,
            anneal_strategy=strategy,
            cycle_momentum=cycle_momentum,
            base_momentum=0.8,
            max_momentum=0.93,
            div_factor=div,
            final_div_factor=final_div,
            three_phase=three,
            **size,
        )

    # torch allows total - 1 steps within the schedule (step `total` jumps back up, then it raises).
    check("OneCycleLR", build, steps=total - 1, kind=kind)


LAMBDAS = {
    "exp": lambda e: 0.95**e,
    "inverse": lambda e: 1.0 / (1.0 + e),
    "warmup": lambda e: min(1.0, (e + 1) / 10),
    "cos": lambda e: 0.5 * (1 + math.cos(math.pi * min(e, 100) / 100)),
}
MULTIPLIERS = {"const": lambda e: 0.98, "alternate": lambda e: 0.99 if e % 2 else 0.97, "one": lambda e: 1.0}


@CASES
@given(
    names=st.one_of(
        st.sampled_from(sorted(LAMBDAS)), st.lists(st.sampled_from(sorted(LAMBDAS)), min_size=3, max_size=3)
    )
)
def test_lambda_lr_one_or_per_group(names):
    fns = LAMBDAS[names] if isinstance(names, str) else [LAMBDAS[n] for n in names]
    check("LambdaLR", lambda o, m: m.LambdaLR(o, fns))


@CASES
@given(
    names=st.one_of(
        st.sampled_from(sorted(MULTIPLIERS)),
        st.lists(st.sampled_from(sorted(MULTIPLIERS)), min_size=3, max_size=3),
    )
)
def test_multiplicative_lr(names):
    fns = MULTIPLIERS[names] if isinstance(names, str) else [MULTIPLIERS[n] for n in names]
    check("MultiplicativeLR", lambda o, m: m.MultiplicativeLR(o, fns))


@CASES
@given(data=st.data())
def test_swalr(data):
    swa_lr = per_group(data.draw, st.floats(0.001, 2.0))
    epochs = data.draw(st.integers(0, 40))
    strategy = data.draw(st.sampled_from(["cos", "linear"]))
    check("SWALR", lambda o, m: m.SWALR(o, swa_lr, anneal_epochs=epochs, anneal_strategy=strategy))


#: Children for the containers: name -> builder(optimizer, namespace).
MULTIPLICATIVE = {
    "step": lambda o, m: m.StepLR(o, 7, 0.5),
    "multistep": lambda o, m: m.MultiStepLR(o, [10, 10, 40], 0.7),
    "constant": lambda o, m: m.ConstantLR(o, 0.5, 12),
    "linear": lambda o, m: m.LinearLR(o, 0.2, 1.0, 15),
    "exp": lambda o, m: m.ExponentialLR(o, 0.99),
    "poly": lambda o, m: m.PolynomialLR(o, 400, 2.0),
    "cos": lambda o, m: m.CosineAnnealingLR(o, 400),
    "mult": lambda o, m: m.MultiplicativeLR(o, lambda e: 0.995),
}
OVERWRITING = {
    "lambda": lambda o, m: m.LambdaLR(o, lambda e: 0.97**e),
    "cyclic": lambda o, m: m.CyclicLR(o, 0.01, 0.2, 9, cycle_momentum=False),
    "warm_restarts": lambda o, m: m.CosineAnnealingWarmRestarts(o, 10, 2, 0.001),
}
ANY_CHILD = {
    **MULTIPLICATIVE,
    **OVERWRITING,
    "cos_eta": lambda o, m: m.CosineAnnealingLR(o, 25, 0.002),
    "cyclic_momentum": lambda o, m: m.CyclicLR(o, 0.01, 0.2, 6, 4, base_momentum=0.7, max_momentum=0.85),
}


@CASES
@given(
    names=st.lists(st.sampled_from(sorted(ANY_CHILD)), min_size=2, max_size=4),
    gaps=st.lists(st.integers(1, 80), min_size=3, max_size=3),
    kind=st.sampled_from(["sgd", "adam"]),
)
def test_sequential_lr(names, gaps, kind):
    milestones = [sum(gaps[: i + 1]) for i in range(len(names) - 1)]

    def build(o, m):
        return m.SequentialLR(o, [ANY_CHILD[n](o, m) for n in names], milestones)

    check("SequentialLR", build, kind=kind)


@CASES
@given(
    names=st.lists(st.sampled_from(sorted(MULTIPLICATIVE)), min_size=1, max_size=3),
    last=st.one_of(st.none(), st.sampled_from(sorted(OVERWRITING))),
)
def test_chained_scheduler(names, last):
    def build(o, m):
        children = [MULTIPLICATIVE[n](o, m) for n in names]
        if last is not None:
            children.append(OVERWRITING[last](o, m))
        return m.ChainedScheduler(children)

    # A CyclicLR built after another scheduler starts, in torch, at the stale `initial_lr` instead
    # of `base_lr` (pytorch#21965; a documented difference, tested in test_differences.py): the
    # rates after construction are compared from the first step on.
    check("ChainedScheduler", build, first_row=1 if last == "cyclic" else 0)


@CASES
@given(data=st.data())
def test_reduce_lr_on_plateau_modes_thresholds_cooldown_min_lr(data):
    mode = data.draw(st.sampled_from(["min", "max"]))
    threshold_mode = data.draw(st.sampled_from(["rel", "abs"]))
    threshold = data.draw(st.sampled_from([0.0, 1e-4, 0.01, 0.1]))
    kwargs = {
        "mode": mode,
        "factor": data.draw(st.floats(0.05, 0.9)),
        "patience": data.draw(st.integers(0, 6)),
        "threshold": threshold,
        "threshold_mode": threshold_mode,
        "cooldown": data.draw(st.integers(0, 4)),
        "min_lr": per_group(data.draw, st.sampled_from([0.0, 1e-4, 0.003, 0.02])),
        "eps": data.draw(st.sampled_from([1e-8, 1e-3])),
    }
    # Metrics with long flat stretches and small improvements, so that plateaus happen.
    metrics = data.draw(
        st.lists(st.sampled_from([1.0, 0.999, 0.99, 0.9, 0.5, 1.1, 2.0]), min_size=50, max_size=300)
    )
    check(
        "ReduceLROnPlateau",
        lambda o, m: m.ReduceLROnPlateau(o, **kwargs),
        steps=len(metrics),
        metrics=metrics,
    )


#: Every class with arguments for one group (scalars), as most torch code builds them.
ONE_GROUP = {
    **ANY_CHILD,
    "one_cycle": lambda o, m: m.OneCycleLR(o, 0.5, total_steps=301, three_phase=True),
    "cyclic_momentum": lambda o, m: m.CyclicLR(o, 0.01, 0.2, 9, mode="exp_range", gamma=0.999),
    "swalr": lambda o, m: m.SWALR(o, 0.02, anneal_epochs=30),
    "sequential": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, 1.0, 20), m.CosineAnnealingLR(o, 280)], [20]
    ),
    "chained": lambda o, m: m.ChainedScheduler([m.ConstantLR(o, 0.5, 12), m.ExponentialLR(o, 0.99)]),
    "chained_stepped": lambda o, m: m.ChainedScheduler(
        [m.CosineAnnealingLR(o, 40, 0.001), m.StepLR(o, 30, 0.5)]
    ),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(ONE_GROUP))
def test_every_class_with_one_group_and_a_single_float_rate(name, kind):
    check(f"one group: {name}", ONE_GROUP[name], bases=(0.25,), kind=kind)


@pytest.mark.parametrize("bases", [(0.25,), EQUAL, BASES], ids=["one", "equal", "distinct"])
def test_reduce_lr_on_plateau_with_one_equal_and_distinct_groups(bases):
    metrics = [1.0, 0.99, 0.99, 0.999, 1.1, 0.5, 0.5, 0.5, 0.5, 2.0] * 8
    check(
        "ReduceLROnPlateau",
        lambda o, m: m.ReduceLROnPlateau(o, factor=0.3, patience=1, cooldown=1, min_lr=0.004),
        steps=len(metrics),
        metrics=metrics,
        bases=bases,
    )


@CASES
@given(t0=st.integers(1, 12), t_mult=st.integers(1, 3), iters=st.integers(1, 7), epochs=st.integers(1, 30))
def test_cosine_annealing_warm_restarts_stepped_with_fractional_epochs(t0, t_mult, iters, epochs):
    # torch's documented per-batch use: scheduler.step(epoch + i / iters).
    positions = [e + i / iters for e in range(epochs) for i in range(iters)]

    def build(o, m):
        scheduler = m.CosineAnnealingWarmRestarts(o, t0, t_mult, 0.001)
        feed = iter(positions)
        return types.SimpleNamespace(step=lambda: scheduler.step(next(feed)), inner=scheduler)

    check("CosineAnnealingWarmRestarts.step(epoch)", build, steps=len(positions))


@CASES
@given(
    swa_start=st.integers(1, 60),
    t_max=st.integers(5, 100),
    swa_lr=st.floats(0.001, 0.5),
    epochs=st.integers(1, 15),
    strategy=st.sampled_from(["cos", "linear"]),
)
def test_swa_recipe_main_scheduler_then_swalr(swa_start, t_max, swa_lr, epochs, strategy):
    # torch's documented recipe: a main scheduler until swa_start, then the SWALR scheduler,
    # which anneals from the rate the main one left. (With anneal_epochs=0, torch's SWALR sets
    # swa_lr when built and the main scheduler's recursion then continues from it: two schedulers
    # stepping one optimizer, a documented difference.)
    def build(o, m):
        main = m.CosineAnnealingLR(o, t_max)
        swa = m.SWALR(o, swa_lr, anneal_epochs=epochs, anneal_strategy=strategy)
        count = iter(range(10**6))
        return types.SimpleNamespace(step=lambda: (main if next(count) < swa_start else swa).step())

    check("SWALR after a main scheduler", build, steps=swa_start + 40)


EDGE_CASES = {
    "StepLR(gamma=0)": lambda o, m: m.StepLR(o, 3, 0.0),
    "ExponentialLR(gamma=0)": lambda o, m: m.ExponentialLR(o, 0.0),
    "PolynomialLR(power=0)": lambda o, m: m.PolynomialLR(o, 7, 0.0),
    "MultiStepLR(gamma=2)": lambda o, m: m.MultiStepLR(o, [3, 9], 2.0),
    "ConstantLR(total_iters=0)": lambda o, m: m.ConstantLR(o, 0.5, 0),
    "LinearLR(total_iters=0)": lambda o, m: m.LinearLR(o, 0.5, 1.0, 0),
    "CosineAnnealingLR(eta_min above the base)": lambda o, m: m.CosineAnnealingLR(o, 10, 0.5),
    "StepLR(gamma > 1, growth)": lambda o, m: m.StepLR(o, 4, 1.5),
    "ExponentialLR(gamma > 1, a range test)": lambda o, m: m.ExponentialLR(o, 1.1),
    "CyclicLR(base_lr > max_lr)": lambda o, m: m.CyclicLR(o, 0.2, 0.05, 3, 5, cycle_momentum=False),
    "CyclicLR(momentum outside [0, 1), SGD)": lambda o, m: m.CyclicLR(
        o, 1, 5, 4, base_momentum=1, max_momentum=5
    ),
    "OneCycleLR(momentum outside [0, 1), SGD)": lambda o, m: m.OneCycleLR(
        o, 25, total_steps=41, final_div_factor=2, base_momentum=1, max_momentum=22
    ),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_configurations_at_the_edge_of_what_torch_accepts(name, kind):
    check(name, EDGE_CASES[name], steps=40, kind=kind)
