"""stretch: the child on a scaled clock (real periods from whole-step lengths), spans, horizon, errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import constant, cosine, extrapolate, from_config, linear, parse, sequence, stretch, warmup


def test_cosine_with_a_real_half_period():
    # transformers' cosine: 0.5 * (1 + cos(2 pi n t / D)), D = 10, n = 0.3 (half period 16.67 steps).
    s = stretch(extrapolate(cosine(steps=10)), 2 * 0.3)
    for t in range(40):
        expected = 0.5 * (1 + math.cos(math.pi * 0.3 * 2.0 * t / 10))
        assert s(t) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_restart_cycles_of_a_real_length():
    # transformers' hard restarts: 0.5 * (1 + cos(pi * ((n t / D) % 1))) for t < D, then 0; n = 3, D = 10.
    cycles = sequence([cosine(steps=10)] * 3 + [constant(0.0)], [10, 20, 30])
    s = stretch(cycles, 3.0)
    for t in np.linspace(0, 14, 57):
        n_t = 3 * t
        expected = 0.0 if t >= 10 else 0.5 * (1 + math.cos(math.pi * (n_t % 10) / 10))
        assert s(t) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_boundaries_and_hold():
    s = stretch(linear(1.0, 0.0, steps=3), 1.5)
    assert s(0) == 1.0
    assert s(2) == 0.0
    assert s(1.9) > 0.0
    assert s.horizon == 2.0
    assert s(50) == 0.0


def test_horizon_reaches_the_childs_end_exactly():
    for factor in (0.3, 0.7, 3.0, 1 / 3, 2.9):
        s = stretch(linear(1.0, 0.25, steps=7), factor)
        assert s.horizon * factor >= 7
        assert s(s.horizon) == 0.25
        assert s(math.nextafter(s.horizon, 0)) > 0.25


def test_child_window_is_in_its_own_clock():
    assert stretch(cosine(), 2.0).resolve(total=10).schedule.steps == 20
    assert stretch(cosine(), 0.3).resolve(total=10).schedule.steps == 3
    assert stretch(cosine(), 0.25).resolve(total=10).schedule.steps == 3  # 2.5 rounded up
    inner = warmup(stretch(cosine(), 0.5), steps=4).resolve(total=20)
    assert inner.schedule.schedule.steps == 8
    # A fraction inside the child is of the run's total, in the child's steps.
    assert stretch(cosine(steps=0.5), 2.0).resolve(total=10).schedule.steps == 5


@given(st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=30), st.floats(0.1, 8.0))
def test_vectorized_equals_scalar(steps, factor):
    s = stretch(warmup(cosine(end=0.1), steps=3), factor).resolve(total=40)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_active_child_sees_the_scaled_step():
    s = stretch(warmup(linear(steps=10), steps=4), 2.0)
    assert [path for path, _ in s.active(1.5)] == [(), ("schedule",)]
    assert [path for path, _ in s.active(2.0)] == [(), ("schedule",), ("schedule", "schedule")]


def test_round_trips():
    s = stretch(extrapolate(cosine(steps=10)), 0.6)
    assert repr(s) == "stretch(extrapolate(cosine(steps=10)), 0.6)"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_errors():
    with pytest.raises(ValueError, match=r"Argument `factor` of stretch\(\) must be a finite number in \(0"):
        stretch(cosine(steps=4), 0)
    with pytest.raises(ValueError, match=r"Received: factor=inf"):
        stretch(cosine(steps=4), math.inf)
    with pytest.raises(TypeError, match=r"Argument `schedule` of stretch\(\) must be a schedule"):
        stretch(2.0, 2.0)
