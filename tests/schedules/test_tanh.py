"""tanh_decay: timm's TanhLRScheduler formula, its ends, precision, errors."""

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, from_config, parse, tanh_decay
from lrkit.schedules import TanhDecay


def timm_tanh(
    t: float, start: float, end: float, steps: int, lower: float = -7.0, upper: float = 3.0
) -> float:
    """timm's formula (anchors (c) 21), with timm's cut to lr_min at t = t_initial."""
    if t >= steps:
        return end
    tr = t / steps
    return end + 0.5 * (start - end) * (1 - math.tanh(lower * (1 - tr) + upper * tr))


def test_timm_anchor_item_21() -> None:
    s = tanh_decay(steps=8)
    anchor = [1.0, 0.99999, 0.99988, 0.9985, 0.98201, 0.81757, 0.26894, 0.02931, 0.0]
    np.testing.assert_allclose(s(np.arange(9)), anchor, atol=5e-6)


@pytest.mark.parametrize(
    ("start", "end", "lower", "upper"), [(1, 0, -7, 3), (0.5, 0.05, -3, 3), (1, 0.2, -1, 6)]
)
def test_matches_timm_formula(start: float, end: float, lower: float, upper: float) -> None:
    s = tanh_decay(start, end, steps=20, lower=lower, upper=upper)
    for t in [*range(25), 0.5, 19.99]:
        assert s(t) == pytest.approx(timm_tanh(t, start, end, 20, lower, upper), rel=1e-13, abs=1e-15)


def test_ends_and_hold() -> None:
    s = tanh_decay(start=1.0, end=0.1, steps=10)
    assert s(0) == pytest.approx(0.1 + 0.9 * 0.5 * (1 - math.tanh(-7)), rel=1e-15)
    assert s(9.999) > 0.1  # timm: still above the end just before it
    assert s(10) == 0.1
    assert s(1e9) == 0.1
    assert s.horizon == 10.0


def test_decay_to_zero_keeps_relative_precision_near_the_end() -> None:
    s = tanh_decay(steps=1000, upper=20.0)
    z = -7 * (1 / 1000) + 20 * (999 / 1000)
    exact = 1 / (1 + math.exp(2 * z))  # 0.5 * (1 - tanh(z)), which cancels in double precision
    assert s(999) == pytest.approx(exact, rel=1e-13)


def test_lengths_and_absolute_values() -> None:
    r = tanh_decay(end=absolute(0.001), steps=0.5).resolve(total=20, base=0.01)
    assert isinstance(r, TanhDecay)
    assert r.steps == 10
    assert r(10) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"lower": 3.0, "upper": 3.0},
            ValueError,
            r"Argument `upper` of tanh_decay\(\) must be greater than lower=3.0",
        ),
        ({"lower": 4.0}, ValueError, r"Received: upper=3.0"),
        ({"upper": 101}, ValueError, r"Argument `upper`.*\[-100, 100\]"),
        ({"lower": -math.inf}, ValueError, r"Argument `lower`"),
        ({"steps": 0}, ValueError, r"Argument `steps`"),
        ({"start": -1}, ValueError, r"Argument `start`"),
        ({"lower": "x"}, TypeError, r"Argument `lower`"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        tanh_decay(**kwargs)


@pytest.mark.parametrize("s", [tanh_decay(), tanh_decay(0.5, 0.01, 100, -5.0, 5.0)], ids=repr)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 10),
    end=st.floats(0, 10),
    steps=st.integers(1, 10_000),
    bounds=st.tuples(st.floats(-100, 100), st.floats(-100, 100)).filter(lambda b: b[0] < b[1]),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_scalar_equals_vector(
    start: float, end: float, steps: int, bounds: tuple[float, float], ts: list[float]
) -> None:
    s = tanh_decay(start, end, steps, *bounds)
    grid = np.asarray([*ts, 0.0, steps - 0.5, float(steps)])
    # Both paths evaluate numpy's transcendental functions: bit for bit.
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
    assert np.all(np.isfinite(s(grid)))
    assert np.all(s(grid) >= 0)


@pytest.mark.parametrize("shape", [(), (0,), (3, 2)])
def test_arrays_of_any_shape(shape: tuple[int, ...]) -> None:
    for s in (tanh_decay(steps=10), tanh_decay(0.5, 0.2, steps=10)):
        grid = np.linspace(0.0, 12.0, int(np.prod(shape))).reshape(shape) if shape else np.array(3.0)
        values = s(grid)
        assert values.shape == grid.shape
        np.testing.assert_array_equal(values, np.vectorize(lambda v, s=s: s(float(v)), otypes=[float])(grid))
