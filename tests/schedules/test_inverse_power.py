"""inverse_power: (1 + t / timescale) ** -power from its formula, against inverse_sqrt, errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import from_config, inverse_power, inverse_sqrt, parse, warmup


@pytest.mark.parametrize(("timescale", "power"), [(1.0, 1.0), (4.0, 0.5), (3.0, 0.3), (10.0, 2.0)])
def test_formula_at_boundaries(timescale, power):
    s = inverse_power(timescale=timescale, power=power)
    assert s(0) == 1.0
    assert s(timescale) == pytest.approx(2.0**-power, rel=1e-15)
    for t in (1, 7, 100, 1e6):
        assert s(t) == pytest.approx((1 + t / timescale) ** -power, rel=1e-15)


def test_power_one_is_inverse_time_decay():
    # Keras' InverseTimeDecay(I, decay_steps=D, decay_rate=r): I / (1 + r * t / D), tau = D / r.
    s = inverse_power(timescale=3 / 2.0, power=1.0)
    for t in range(10):
        assert s(t) == pytest.approx(1 / (1 + 2.0 * t / 3), rel=1e-14)


def test_half_power_agrees_with_inverse_sqrt():
    a, b = inverse_power(timescale=7.0, power=0.5), inverse_sqrt(timescale=7.0)
    steps = np.arange(0, 2000, 0.5)
    np.testing.assert_array_max_ulp(a(steps), b(steps), maxulp=4)
    assert a != b  # two registered shapes, two specs


def test_open_ended():
    s = inverse_power(timescale=2.0, power=0.7)
    assert s.horizon is None
    assert s(1e9) > 0.0
    assert s(1e9) < s(1e8)


def test_behind_a_warmup_is_timms_power_stable_phase():
    s = warmup(inverse_power(timescale=5.0, power=0.3), steps=5)
    for t in range(5, 30):
        assert s(t) == pytest.approx((1 + (t - 5) / 5) ** -0.3, rel=1e-15)


@given(st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=30), st.floats(0.1, 4.0))
def test_vectorized_equals_scalar_bit_for_bit(steps, power):
    s = inverse_power(timescale=3.0, power=power)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_round_trips():
    s = inverse_power(timescale=8.0, power=0.25)
    assert repr(s) == "inverse_power(timescale=8.0, power=0.25)"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert repr(inverse_power()) == "inverse_power()"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"timescale": 0.0}, "timescale"), ({"power": -1.0}, "power"), ({"power": math.inf}, "power")],
)
def test_errors(kwargs, name):
    with pytest.raises(ValueError, match=rf"Argument `{name}` of inverse_power\(\) must be a finite number"):
        inverse_power(**kwargs)
    with pytest.raises(TypeError, match=r"Argument `power` of inverse_power\(\)"):
        inverse_power(power="1")
