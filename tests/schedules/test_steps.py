"""step_decay, multi_step and piecewise_constant against torch, optax and independent formulas."""

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, from_config, multi_step, parse, piecewise_constant, step_decay
from lrkit.schedules import MultiStep, PiecewiseConstant
from lrkit.schedules._base import FloatArray


def torch_lrs(make: Callable[[torch.optim.Optimizer], Any], steps: int, base: float = 1.0) -> FloatArray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


def assert_paths_agree(s: Schedule, ts: Iterable[float]) -> None:
    grid = np.asarray(ts, dtype=np.float64)
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])


# -- step_decay ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "gamma"), [(1, 0.5), (2, 0.5), (3, 0.1), (7, 0.9)])
def test_step_decay_matches_torch_step_lr(size: int, gamma: float) -> None:
    ref = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=size, gamma=gamma), 60, base=0.1)
    s = step_decay(size, gamma=gamma)
    np.testing.assert_allclose(0.1 * s(np.arange(61)), ref, rtol=1e-12)
    np.testing.assert_allclose([0.1 * s(t) for t in range(61)], ref, rtol=1e-12)


def test_step_decay_acts_at_its_step() -> None:
    s = step_decay(3, gamma=0.5)
    assert s(0) == 1.0
    assert s(2.999) == 1.0
    assert s(3) == 0.5
    assert s(6) == 0.25
    assert s.horizon is None
    assert [s(t) for t in range(10)] == [0.5 ** (t // 3) for t in range(10)]
    assert_paths_agree(s, np.linspace(0, 100, 1001))


def test_step_decay_every_as_a_fraction() -> None:
    s = step_decay(0.25, gamma=0.5)
    assert s.resolve(total=10) == step_decay(3, gamma=0.5)
    assert s.resolve(total=10)(3) == 0.5


def test_seed_question_rate_after_three_epochs() -> None:
    s = step_decay(2, gamma=0.5)
    assert [0.1 * s(t) for t in range(4)] == [0.1, 0.1, 0.05, 0.05]


# -- multi_step ----------------------------------------------------------------------------------


@pytest.mark.parametrize("milestones", [[3], [2, 5, 9], [2, 4, 4], [3, 3, 3, 8], [1, 2, 3, 4, 5, 6]], ids=str)
def test_multi_step_matches_torch_including_repeated_milestones(milestones: list[int]) -> None:
    ref = torch_lrs(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones, gamma=0.5), 15, base=0.1)
    s = multi_step(milestones, gamma=0.5)
    np.testing.assert_allclose(0.1 * s(np.arange(16)), ref, rtol=1e-12)
    np.testing.assert_allclose([0.1 * s(t) for t in range(16)], ref, rtol=1e-12)


def test_multi_step_formula_boundaries_and_horizon() -> None:
    s = multi_step([30, 60, 60, 90], gamma=0.1)
    for t in (0, 29, 29.99, 30, 59, 60, 89, 90, 1000):
        count = sum(1 for m in (30, 60, 60, 90) if m <= t)
        assert s(t) == 0.1**count
    assert s.horizon == 90.0
    assert multi_step([]).horizon == 0.0
    assert multi_step([])(5) == 1.0
    assert_paths_agree(s, np.linspace(0, 120, 2401))


def test_multi_step_fractions_resolve_and_may_compound() -> None:
    s = multi_step([0.5, 0.75])
    assert s.horizon is None
    assert s.resolve(total=8) == multi_step([4, 6])
    same_step = multi_step([0.31, 0.32], gamma=0.5).resolve(total=10)
    assert isinstance(same_step, MultiStep)
    assert same_step.milestones == (4, 4)
    assert same_step(4) == 0.25


def test_multi_step_growth_gamma_is_bounded_by_the_milestones() -> None:
    s = multi_step([1, 2], gamma=10.0)
    assert [s(t) for t in range(4)] == [1.0, 10.0, 100.0, 100.0]


def test_multi_step_does_not_keep_the_callers_list() -> None:
    milestones = [2, 4]
    s = multi_step(milestones)
    milestones.append(1)
    assert s.milestones == (2, 4)


# -- piecewise_constant --------------------------------------------------------------------------


def test_piecewise_constant_matches_optax_anchor_item_41() -> None:
    # optax piecewise_constant_schedule(1, {3: .1, 6: .1}) -> values are the running products.
    s = piecewise_constant([3, 6], [1.0, 0.1, 0.01])
    assert [s(t) for t in range(8)] == [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]
    assert s.horizon == 6.0


def test_piecewise_constant_is_torch_constant_lr() -> None:
    ref = torch_lrs(lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=0.25, total_iters=4), 8, base=0.1)
    s = piecewise_constant([4], [0.25, 1.0])
    np.testing.assert_allclose(0.1 * s(np.arange(9)), ref, rtol=1e-15)


def test_piecewise_constant_fvcore_multistep_anchor_item_47() -> None:
    s = piecewise_constant([30, 60], [1.0, 0.1, 0.01])
    assert (s(29), s(30), s(60)) == (1.0, 0.1, 0.01)
    assert_paths_agree(s, np.linspace(0, 90, 1801))


def test_piecewise_constant_absolute_values_and_fractions() -> None:
    s = piecewise_constant([0.5], [absolute(0.1), absolute(0.01)])
    r = s.resolve(total=10, base=0.1)
    assert isinstance(r, PiecewiseConstant)
    assert r.boundaries == (5,)
    assert r(0) == pytest.approx(1.0)
    assert r(5) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="needs the base value"):
        piecewise_constant([5], [absolute(0.1), 1.0]).resolve()
    # Fractions that land on one step act there together (fvcore: values[int(where * n)]).
    assert piecewise_constant([0.31, 0.32], [1.0, 0.5, 0.25]).resolve(total=10) == piecewise_constant(
        [4], [1.0, 0.25]
    )


def test_piecewise_constant_single_value() -> None:
    s = piecewise_constant([], [0.3])
    assert s(0) == s(1e6) == 0.3
    assert s.horizon == 0.0


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "kind", "message"),
    [
        (lambda: step_decay(0), ValueError, r"Argument `every` of step_decay\(\) must be a positive int"),
        (lambda: step_decay(-2), ValueError, r"Received: every=-2"),
        (lambda: step_decay(None), TypeError, r"Argument `every`"),  # type: ignore[arg-type]
        (
            lambda: step_decay(2, gamma=-0.5),
            ValueError,
            r"Argument `gamma` of step_decay\(\) must be .*\[0, inf\].*Received: gamma=-0.5",
        ),
        (lambda: step_decay(2, gamma=math.nan), ValueError, r"Received: gamma=nan"),
        (
            lambda: multi_step([5, 3]),
            ValueError,
            r"Argument `milestones` of multi_step\(\) must be non-decreasing",
        ),
        (lambda: multi_step([0, 3]), ValueError, r"Argument `milestones`.*Received: milestones=0"),
        (lambda: multi_step([3, 0.5]), ValueError, r"not a mix"),
        (lambda: multi_step(3), TypeError, r"Argument `milestones`.*a list of positions"),  # type: ignore[arg-type]
        (
            lambda: multi_step([3], gamma=0.0),
            ValueError,
            r"Argument `gamma` of multi_step\(\).*Received: gamma=0.0",
        ),
        (lambda: multi_step([3], gamma=math.inf), ValueError, r"Received: gamma=inf"),
        (lambda: multi_step([1] * 400, gamma=10.0), ValueError, r"gamma \*\* 400 is finite"),
        (
            lambda: piecewise_constant([3, 3], [1, 2, 3]),
            ValueError,
            r"Argument `boundaries`.*strictly increasing",
        ),
        (
            lambda: piecewise_constant([3], [1.0]),
            ValueError,
            r"Argument `values`.*one more value than boundaries",
        ),
        (
            lambda: piecewise_constant([3], [1.0, float("nan")]),
            ValueError,
            r"Argument `values`.*Received: values=nan",
        ),
        (lambda: piecewise_constant([3], "ab"), TypeError, r"Argument `values`.*a list of factors"),
        (
            lambda: piecewise_constant([1.5], [1.0, 0.1]),
            ValueError,
            r"Argument `boundaries`.*Received: boundaries=1.5",
        ),
    ],
)
def test_bad_arguments(build: Callable[[], object], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        build()


# -- round trips and evaluation paths ------------------------------------------------------------

CASES = [
    step_decay(3),
    step_decay(0.1, gamma=0.5),
    multi_step([2, 4, 4], gamma=0.5),
    multi_step([0.5, 0.75]),
    multi_step([]),
    piecewise_constant([3, 6], [1.0, 0.1, 0.01]),
    piecewise_constant([0.5], [absolute(0.1), 0.5]),
]


@pytest.mark.parametrize("s", CASES, ids=repr)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_numpy_inputs_are_normalized() -> None:
    s = multi_step(np.array([2, 4]), gamma=np.float32(0.5))  # type: ignore[arg-type]
    assert s == multi_step([2, 4], gamma=0.5)
    assert all(type(m) is int for m in s.milestones)
    p = piecewise_constant(np.array([3]), np.array([1.0, 0.5]))  # type: ignore[arg-type]
    assert p == piecewise_constant([3], [1.0, 0.5])
    assert all(type(v) is float for v in p.values)


@settings(max_examples=50, deadline=None)
@given(
    milestones=st.lists(st.integers(1, 200), max_size=8).map(sorted),
    gamma=st.floats(0.01, 3.0),
    ts=st.lists(st.floats(0, 300), min_size=1, max_size=40),
)
def test_multi_step_property(milestones: list[int], gamma: float, ts: list[float]) -> None:
    s = multi_step(milestones, gamma=gamma)
    assert_paths_agree(s, ts)
    for t in ts:
        assert s(t) == gamma ** sum(1 for m in milestones if m <= t)


@settings(max_examples=50, deadline=None)
@given(
    every=st.integers(1, 50),
    gamma=st.floats(1e-3, 1.0),
    ts=st.lists(st.floats(0, 1e4), min_size=1, max_size=40),
)
def test_step_decay_scalar_equals_vector(every: int, gamma: float, ts: list[float]) -> None:
    s = step_decay(every, gamma=gamma)
    grid = np.asarray(ts)
    grid = np.concatenate([grid, grid[::-1]])  # stairs that repeat and go back
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
