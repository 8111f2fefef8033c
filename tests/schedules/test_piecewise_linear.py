"""piecewise_linear: interpolation through points, holding outside them, fractions, errors."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, from_config, parse, piecewise_linear


def test_values_at_points_between_and_outside() -> None:
    s = piecewise_linear([2, 6, 10], [0.2, 1.0, 0.0])
    assert s(0) == 0.2  # holds values[0] before the first point
    assert s(1.5) == 0.2
    assert s(2) == 0.2
    assert s(6) == 1.0
    assert s(10) == 0.0
    assert s(11) == s(1e9) == 0.0
    assert s.horizon == 10.0
    for t in (3, 4.5, 5.99):
        assert s(t) == pytest.approx(0.2 + 0.8 * (t - 2) / 4, rel=1e-15)
    for t in (7, 9.5):
        assert s(t) == pytest.approx(1.0 - (t - 6) / 4, rel=1e-15)


def test_optax_piecewise_interpolate_anchor_item_42() -> None:
    # piecewise_interpolate_schedule('linear', 1, {4: .1, 8: .1}): the products written out.
    s = piecewise_linear([0, 4, 8], [1.0, 0.1, 0.01])
    expected = [1, 0.775, 0.55, 0.325, 0.1, 0.0775, 0.055, 0.0325, 0.01, 0.01]
    np.testing.assert_allclose(s(np.arange(10)), expected, rtol=1e-14)


def test_matches_numpy_interp_bit_for_bit() -> None:
    steps, values = [0, 3, 7, 10, 50], [0.0, 1.0, 0.25, 0.1, 0.05]
    s = piecewise_linear(steps, values)
    ts = np.linspace(0, 60, 6001)
    expected = np.interp(ts, steps, values)
    np.testing.assert_array_equal(s(ts), expected)
    np.testing.assert_array_equal([s(float(t)) for t in ts], expected)


def test_fractions_with_a_leading_zero_resolve() -> None:
    s = piecewise_linear([0, 0.1, 1.0], [0.0, 1.0, 0.0])
    assert s.horizon is None
    r = s.resolve(total=30)
    assert r == piecewise_linear([0, 3, 30], [0.0, 1.0, 0.0])
    assert r(3) == 1.0
    with pytest.raises(ValueError, match="strictly increasing once resolved"):
        piecewise_linear([0.31, 0.32], [1.0, 0.0]).resolve(total=10)


def test_absolute_values_and_single_point() -> None:
    r = piecewise_linear([0, 10], [absolute(0.1), absolute(0.001)]).resolve(base=0.1)
    assert r(0) == pytest.approx(1.0)
    assert r(10) == pytest.approx(0.01)
    one = piecewise_linear([5], [0.5])
    assert one(0) == one(5) == one(100) == 0.5


@pytest.mark.parametrize(
    ("build", "kind", "message"),
    [
        (
            lambda: piecewise_linear([0, 5, 5], [1, 2, 3]),
            ValueError,
            r"Argument `steps` of piecewise_linear\(\).*strictly",
        ),
        (lambda: piecewise_linear([5, 2], [1, 2]), ValueError, r"strictly increasing"),
        (
            lambda: piecewise_linear([-1, 2], [1, 2]),
            ValueError,
            r"Argument `steps`.*Received: steps=\[-1, 2\]",
        ),
        (lambda: piecewise_linear([0, 1.5], [1, 2]), ValueError, r"Received: steps=\[0, 1.5\]"),
        (lambda: piecewise_linear([0, 2, 0.5], [1, 2, 3]), ValueError, r"not a mix"),
        (lambda: piecewise_linear([], []), ValueError, r"a non-empty list"),
        (lambda: piecewise_linear([0, "a"], [1, 2]), TypeError, r"Argument `steps`"),  # type: ignore[list-item]
        (lambda: piecewise_linear(3, [1]), TypeError, r"Argument `steps`"),  # type: ignore[arg-type]
        (lambda: piecewise_linear([0, 2], [1.0]), ValueError, r"Argument `values`.*one value per position"),
        (
            lambda: piecewise_linear([0, 2], [1.0, float("-inf")]),
            ValueError,
            r"Argument `values`.*Received: values=-inf",
        ),
        (lambda: piecewise_linear([0, 2], 1.0), TypeError, r"Argument `values`"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments(build: Callable[[], object], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        build()


@pytest.mark.parametrize(
    "s",
    [
        piecewise_linear([0, 2, 6], [0.0, 1.0, 0.2]),
        piecewise_linear([0, 0.5, 1.0], [0.1, 1.0, absolute(1e-5)]),
        piecewise_linear([3], [0.5]),
    ],
    ids=repr,
)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.integers(0, 1000), st.floats(0, 10)), min_size=1, max_size=8, unique_by=lambda p: p[0]
    ),
    ts=st.lists(st.floats(0, 1200), min_size=1, max_size=40),
)
def test_scalar_equals_vector_and_stays_within_the_values(
    points: list[tuple[int, float]], ts: list[float]
) -> None:
    points = sorted(points)
    steps, values = [p[0] for p in points], [p[1] for p in points]
    s = piecewise_linear(steps, values)
    grid = np.asarray([*ts, *steps])
    vector = s(grid)
    np.testing.assert_array_equal(vector, [s(float(t)) for t in grid])
    assert np.all(vector >= min(values))
    assert np.all(vector <= max(values))
    for step, value in points:
        assert s(step) == value
