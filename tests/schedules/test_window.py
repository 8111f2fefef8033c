"""window(): a schedule squeezed into exact fractions of the run, against the formula written out."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import cosine, from_config, linear, parse, sequence, window


@settings(max_examples=100, deadline=None)
@given(total=st.integers(1, 200), a=st.floats(0.0, 0.95), length=st.floats(0.01, 1.0), lo=st.floats(0.0, 2.0))
def test_cosine_in_a_window_is_the_formula(total, a, length, lo):
    b = min(1.0, a + length)
    s = window(cosine(2.0, lo), a, b).resolve(total=total)
    t = np.arange(float(total + 3))
    # cosine over the whole run, read at (t - a * N) / (b - a), held at its end
    u = np.minimum(np.maximum(t - a * total, 0.0) / (b - a), total)
    expected = lo + (2.0 - lo) * (1.0 + np.cos(np.pi * u / total)) / 2.0
    np.testing.assert_allclose(s(t), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([s(float(x)) for x in t], s(t), rtol=4e-16, atol=1e-300)


def test_a_window_ending_between_steps():
    """0.25 of 37 steps is 9.25 steps: the line reaches 1 at 27.75, not at a whole step."""
    s = sequence([linear(0.0, 0.0), window(linear(0.0, 1.0), 0.25, 1.0)], [0.25], clock="global")
    r = s.resolve(total=37)
    assert r(9) == 0.0
    assert r(10) == pytest.approx((10 / 37 - 0.25) / 0.75, rel=1e-15)
    assert r(36) == pytest.approx((36 / 37 - 0.25) / 0.75, rel=1e-15)


def test_round_trips_and_errors():
    s = window(cosine(), 0.2, 0.7)
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    r = s.resolve(total=10)
    assert parse(repr(r)) == r
    assert r.horizon == pytest.approx(0.2 * 10 + 0.5 * 10)
    with pytest.raises(ValueError, match="cannot be evaluated yet"):
        s(0)
    with pytest.raises(ValueError, match="needs the run's length"):
        s.resolve()
    with pytest.raises(ValueError, match=r"Argument `end` of window\(\)"):
        window(cosine(), 0.5, 0.5)
    with pytest.raises(ValueError, match=r"Argument `start` of window\(\)"):
        window(cosine(), 1.0, 1.0)
    with pytest.raises(TypeError, match=r"Argument `schedule` of window\(\)"):
        window(0.5, 0.1, 0.2)
    assert math.isclose(window(linear(1.0, 0.0), 0.5, 1.0, span=4).resolve()(3), 0.5)
