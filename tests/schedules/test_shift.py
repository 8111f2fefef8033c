"""shift: the child read `steps` steps ahead, spans in the child's clock, horizon, errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import cosine, extrapolate, from_config, linear, parse, shift, stretch, warmup


def test_cosine_read_one_step_ahead():
    # transformers' cosine_warmup_with_min_lr with W = 0: r + (1 - r) * 0.5 * (1 + cos(pi * (t + 1) / T)).
    r, total = 0.1, 10
    s = shift(extrapolate(cosine(end=r, steps=total)), 1)
    for t in range(25):
        expected = r + (1 - r) * 0.5 * (1 + math.cos(math.pi * (t + 1) / total))
        assert s(t) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_boundaries_and_hold():
    s = shift(linear(1.0, 0.2, steps=5), 2)
    # linear from 1 to 0.2 over 5 steps, read at t + 2: 1 - 0.8 * (t + 2) / 5 until it holds.
    assert s(0) == pytest.approx(1 - 0.8 * 2 / 5)
    assert s(2.5) == pytest.approx(1 - 0.8 * 4.5 / 5)
    assert s.horizon == 3.0
    assert s(3) == 0.2
    assert s(2.99) > 0.2
    assert s(100) == 0.2
    assert shift(linear(steps=3), 5).horizon == 0.0
    assert shift(linear(steps=3), 5)(0) == 0.0
    assert shift(extrapolate(cosine(steps=3)), 1).horizon is None


@given(st.floats(0.01, 50), st.integers(1, 30))
def test_holds_from_its_horizon(length, by):
    child = stretch(linear(1.0, 0.5, steps=7), 7 / length)  # ends at a real step near `length`
    s = shift(child, by)
    assert s.horizon + by >= child.horizon
    assert s(s.horizon) == child(child.horizon) == 0.5


def test_child_window_is_in_its_own_clock():
    assert shift(cosine(), 3).resolve(total=10).schedule.steps == 13
    inner = warmup(shift(cosine(), 1), steps=4).resolve(total=20)
    assert inner.schedule.schedule.steps == 17
    # None (the rest of the window) ends with the window: the shifted cosine ends at step 10.
    s = shift(cosine(end=0.25), 3).resolve(total=10)
    assert s(10) == 0.25
    assert s(9) > 0.25


@given(st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=30), st.integers(1, 20))
def test_vectorized_equals_scalar(steps, by):
    s = shift(warmup(cosine(end=0.1), steps=3), by).resolve(total=40)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_active_child_sees_the_shifted_step():
    s = shift(warmup(linear(steps=10), steps=4), 2)
    assert [path for path, _ in s.active(1.5)] == [(), ("schedule",)]
    assert [path for path, _ in s.active(2.0)] == [(), ("schedule",), ("schedule", "schedule")]


def test_round_trips():
    s = shift(extrapolate(cosine(steps=10)), 3)
    assert repr(s) == "shift(extrapolate(cosine(steps=10)), 3)"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert shift(cosine(steps=4), np.int64(2)).steps == 2
    assert type(shift(cosine(steps=4), np.int64(2)).steps) is int


def test_errors():
    with pytest.raises(ValueError, match=r"`steps` of shift\(\) must be an int >= 1\. Received: steps=0"):
        shift(cosine(steps=4), 0)
    with pytest.raises(TypeError, match=r"Argument `steps` of shift\(\) must be an int >= 1"):
        shift(cosine(steps=4), 1.5)
    with pytest.raises(TypeError, match=r"Argument `steps` of shift\(\)"):
        shift(cosine(steps=4), True)
    with pytest.raises(TypeError, match=r"Argument `schedule` of shift\(\) must be a schedule"):
        shift(0.5, 1)
