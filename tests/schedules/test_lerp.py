"""lerp: a schedule's [0, 1] mapped onto two values, against the formula written out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrkit import absolute, cosine, cyclic, lerp, linear, parse


def test_values_follow_the_formula_both_ways():
    shape = cosine(steps=10)
    s = lerp(shape, 0.95, 0.85)
    for t in range(13):
        c = (1 + math.cos(math.pi * min(t, 10) / 10)) / 2
        assert s(t) == pytest.approx(0.95 + (0.85 - 0.95) * c, rel=1e-15)
    grid = np.linspace(0, 12, 97)
    np.testing.assert_array_equal(s(grid), np.array([s(float(t)) for t in grid]))
    assert s.horizon == 10.0


def test_absolute_values_resolve_against_the_base():
    s = lerp(linear(0.0, 1.0, steps=4), absolute(0.9), absolute(0.8)).resolve(base=0.5)
    assert [round(0.5 * s(t), 12) for t in (0, 2, 4)] == [0.9, 0.85, 0.8]


def test_a_child_outside_zero_one_that_makes_it_negative_is_an_error_at_that_step():
    s = lerp(linear(0.0, 3.0, steps=3), 0.9, 0.0)  # 0.9 - 0.9 * t: negative after t = 1
    assert s(1) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"negative .* at step 2"):
        s(2)
    with pytest.raises(ValueError, match="negative"):
        s(np.arange(4.0))


def test_negative_ends_are_refused_and_round_trips_hold():
    with pytest.raises(ValueError, match="at_one"):
        lerp(cyclic(0.0, 1.0, steps_up=2), 0.9, -0.1)
    s = lerp(cyclic(0.0, 1.0, steps_up=2), 0.9, 0.8)
    assert parse(repr(s)) == s
