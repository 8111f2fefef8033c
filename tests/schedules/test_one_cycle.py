"""one_cycle: torch's OneCycleLR (two and three phases, cos and linear), boundaries, errors."""

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, from_config, one_cycle, parse
from lrkit.schedules import OneCycle
from lrkit.schedules._base import FloatArray


def torch_one_cycle(n: int, **kwargs: Any) -> FloatArray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, total_steps=n, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


def as_torch(
    n: int,
    pct: float = 0.3,
    div: float = 25.0,
    final_div: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """torch's OneCycleLR(total_steps=n, pct_start=pct, ...) as a one_cycle over n - 1 steps."""
    return one_cycle(
        steps=n - 1,
        peak_at=(pct * n - 1) / (n - 1),
        start=1 / div,
        end=1 / div / final_div,
        anneal=anneal,
        three_phase=three_phase,
    )


def compare_with_torch(n: int, max_lr: float, **kwargs: Any) -> None:
    ref = torch_one_cycle(
        n,
        max_lr=max_lr,
        pct_start=kwargs.get("pct", 0.3),
        div_factor=kwargs.get("div", 25.0),
        final_div_factor=kwargs.get("final_div", 1e4),
        anneal_strategy=kwargs.get("anneal", "cos"),
        three_phase=kwargs.get("three_phase", False),
    )
    s = as_torch(n, **kwargs)
    # Relative 1e-12; the absolute term covers torch's own last linear step, (min - max) * 1.0 + max,
    # which cancels (torch is ~1e-16 * max_lr away from min_lr there; lrkit gives `end` exactly).
    atol = 1e-15 * max_lr
    np.testing.assert_allclose(max_lr * s(np.arange(n)), ref, rtol=1e-12, atol=atol)
    np.testing.assert_allclose([max_lr * s(t) for t in range(n)], ref, rtol=1e-12, atol=atol)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("n", [10, 101, 1000])
def test_matches_torch_one_cycle_lr(n: int, anneal: str, three_phase: bool) -> None:
    compare_with_torch(n, 0.37, anneal=anneal, three_phase=three_phase)


def test_torch_anchor_items_5_and_6() -> None:
    two = as_torch(10)
    anchor = [0.04, 0.52, 1.0, 0.950485, 0.811746, 0.611262, 0.388742, 0.188258, 0.049519, 4e-06]
    np.testing.assert_allclose(two(np.arange(10)), anchor, atol=1e-6)
    three = as_torch(10, three_phase=True)
    anchor = [0.04, 0.52, 1.0, 0.52, 0.04, 0.036181, 0.026182, 0.013822, 0.003823, 4e-06]
    np.testing.assert_allclose(three(np.arange(10)), anchor, atol=1e-6)
    linear = as_torch(10, anneal="linear")
    anchor = [0.04, 0.52, 1.0, 0.857143, 0.714287, 0.57143, 0.428574, 0.285717, 0.142861, 4e-06]
    np.testing.assert_allclose(linear(np.arange(10)), anchor, atol=1e-6)


def test_boundaries_from_the_formulas() -> None:
    s = one_cycle(steps=100, peak_at=0.25, start=0.1, end=0.001)
    assert s(0) == pytest.approx(0.1, rel=1e-15)
    assert s(25) == 1.0
    assert s(100) == 0.001
    assert s(101) == s(1e9) == 0.001
    assert s.horizon == 100.0
    assert s(10) == pytest.approx(1 + (0.1 - 1) / 2 * (math.cos(math.pi * 10 / 25) + 1), rel=1e-15)
    assert s(60) == pytest.approx(0.001 + (1 - 0.001) / 2 * (math.cos(math.pi * 35 / 75) + 1), rel=1e-15)


def test_three_phase_boundaries() -> None:
    s = one_cycle(steps=100, peak_at=0.2, start=0.1, end=0.0, anneal="linear", three_phase=True)
    assert s(0) == 0.1
    assert s(20) == 1.0
    assert s(40) == pytest.approx(0.1, rel=1e-15)
    assert s(30) == pytest.approx(0.55, rel=1e-15)
    assert s(70) == pytest.approx(0.05, rel=1e-15)
    assert s(100) == 0.0


def test_lengths_and_absolute_values_resolve() -> None:
    s = one_cycle(end=absolute(1e-6))
    r = s.resolve(total=50, base=0.01)
    assert isinstance(r, OneCycle)
    assert r.steps == 50
    assert r(50) == pytest.approx(1e-4)
    assert r(15) == 1.0  # the peak at 0.3 * 50, not rounded to a step
    assert one_cycle(steps=0.5).resolve(total=20) == one_cycle(steps=10)


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"peak_at": 0.0},
            ValueError,
            r"Argument `peak_at` of one_cycle\(\) must be a finite number in \(0, 1\)",
        ),
        ({"peak_at": 1.0}, ValueError, r"Received: peak_at=1.0"),
        ({"peak_at": 0.5, "three_phase": True}, ValueError, r"in \(0, 0.5\)\. Received: peak_at=0.5"),
        ({"peak_at": "0.3"}, TypeError, r"Argument `peak_at`"),
        ({"anneal": "cosine"}, ValueError, r"Argument `anneal`.*one of 'cos', 'linear'"),
        ({"three_phase": "yes"}, TypeError, r"Argument `three_phase`.*True or False"),
        ({"steps": 0}, ValueError, r"Argument `steps`.*Received: steps=0"),
        ({"start": -0.04}, ValueError, r"Argument `start`"),
        ({"end": math.inf}, ValueError, r"Argument `end`"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        one_cycle(**kwargs)


@pytest.mark.parametrize(
    "s",
    [
        one_cycle(),
        one_cycle(steps=99, peak_at=2 / 9, anneal="linear", three_phase=True),
        one_cycle(steps=0.5, start=absolute(0.004), end=absolute(1e-7)),
    ],
    ids=repr,
)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(4, 400),
    pct=st.floats(0.05, 0.95),
    max_lr=st.floats(1e-4, 10.0),
    div=st.floats(1.0, 100.0),
    final_div=st.floats(1.0, 1e5),
    anneal=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
)
def test_matches_torch_over_many_configurations(
    n: int, pct: float, max_lr: float, div: float, final_div: float, anneal: str, three_phase: bool
) -> None:
    peak = pct * n - 1
    # torch divides by zero, or its last phase has no length: there is no one_cycle to compare.
    assume(peak > 0 and not (three_phase and 2 * peak >= n - 1))
    compare_with_torch(
        n, max_lr, pct=pct, div=div, final_div=final_div, anneal=anneal, three_phase=three_phase
    )


@settings(max_examples=40, deadline=None)
@given(
    steps=st.integers(1, 10_000),
    peak_at=st.floats(0.01, 0.49),
    three_phase=st.booleans(),
    anneal=st.sampled_from(["cos", "linear"]),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_scalar_equals_vector_exactly(
    steps: int, peak_at: float, three_phase: bool, anneal: str, ts: list[float]
) -> None:
    s = one_cycle(steps=steps, peak_at=peak_at, three_phase=three_phase, anneal=anneal)
    a = peak_at * steps
    grid = np.asarray([*ts, 0.0, a, 2 * a, float(steps)])
    values = s(grid)
    np.testing.assert_array_equal(values, [s(float(t)) for t in grid])
    assert np.all(values >= 0)
    assert np.all(values <= 1.0)
