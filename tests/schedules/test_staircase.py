"""staircase: the child read at whole multiples of `every`, its boundaries, horizon and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import cosine, from_config, inverse_power, linear, parse, staircase, warmup


def test_keras_inverse_time_decay_staircase_formula():
    # Keras: I / (1 + r * floor(t / D)); D = 3, r = 2.
    s = staircase(inverse_power(timescale=3 / 2.0, power=1.0), every=3)
    for t in range(30):
        assert s(t) == pytest.approx(1 / (1 + 2.0 * math.floor(t / 3)), rel=1e-14)


def test_a_stair_acts_at_its_step():
    child = cosine(steps=12)
    s = staircase(child, every=4)
    assert s(3.999) == child(0) == 1.0
    assert s(4) == child(4)
    assert s(7.5) == child(4)
    assert s(8) == child(8)


def test_horizon_is_the_first_stair_after_the_childs():
    assert staircase(linear(steps=10), every=4).horizon == 12.0
    assert staircase(linear(steps=8), every=4).horizon == 8.0
    assert staircase(inverse_power(), every=4).horizon is None
    s = staircase(linear(steps=10), every=4)
    assert s(12) == s(1000) == 0.0
    assert s(11) == linear(steps=10)(8)


def test_fraction_of_the_run_and_child_window():
    s = staircase(linear(), every=0.25).resolve(total=20)
    assert s.every == 5
    assert s.schedule.steps == 20
    inner = warmup(staircase(cosine(), every=2), steps=4).resolve(total=20)
    assert inner.schedule.schedule.steps == 16


@given(st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=30), st.integers(1, 9))
def test_vectorized_equals_scalar(steps, every):
    s = staircase(warmup(cosine(end=0.1), steps=3), every=every).resolve(total=40)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_active_child_sees_the_stair():
    s = staircase(warmup(linear(steps=10), steps=4), every=5)
    assert [path for path, _ in s.active(4.5)] == [(), ("schedule",)]  # read at 0: the warmup
    assert [path for path, _ in s.active(5.0)] == [(), ("schedule",), ("schedule", "schedule")]


def test_round_trips():
    s = staircase(linear(1.0, 0.1, steps=9), every=3)
    assert repr(s) == "staircase(linear(end=0.1, steps=9), every=3)"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert staircase(linear(), every=0.1) != staircase(linear(), every=1)


def test_errors():
    with pytest.raises(ValueError, match=r"Argument `every` of staircase\(\) must be a positive int"):
        staircase(linear(steps=4), every=0)
    with pytest.raises(ValueError, match=r"Received: every=1.5"):
        staircase(linear(steps=4), every=1.5)
    with pytest.raises(TypeError, match=r"Argument `every` of staircase\(\)"):
        staircase(linear(steps=4), every=None)
    with pytest.raises(TypeError, match=r"Argument `schedule` of staircase\(\) must be a schedule"):
        staircase([linear()], every=2)
