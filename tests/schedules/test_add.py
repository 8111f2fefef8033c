"""add: values from the terms' own formulas, spans, horizon, round trips and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import (
    absolute,
    add,
    constant,
    cosine,
    floor,
    from_config,
    inverse_sqrt,
    linear,
    parse,
    product,
    warmup,
)


def test_sum_of_terms():
    s = add([linear(1.0, 0.0, steps=4), cosine(0.0, 0.5, steps=8), constant(0.1)])
    for t in range(10):
        lin = 1.0 - min(t, 4) / 4
        cos = 0.5 - 0.5 * (1 + math.cos(math.pi * min(t, 8) / 8)) / 2
        assert s(t) == pytest.approx(lin + cos + 0.1, rel=1e-15)


def test_timm_floored_stable_decay_mixture():
    # timm WSD: lr_min + (max(base * stable, lr_min) - lr_min) * decay, as factors of base 1.
    m, d = 0.3, 4
    stable = inverse_sqrt(timescale=2.0)
    s = add([product([floor(stable, m), linear(1.0, 0.0, steps=d)]), linear(0.0, m, steps=d)])
    for t in range(8):
        frac = min(t / d, 1.0)
        g = max(1 / math.sqrt(1 + t / 2.0), m)
        assert s(t) == pytest.approx(m + (g - m) * (1 - frac), rel=1e-14)


def test_every_term_sees_the_whole_window_and_absolute_values_resolve():
    s = warmup(add([cosine(), linear(0.0, absolute(0.01))]), steps=4).resolve(total=20, base=0.1)
    assert [term.steps for term in s.schedule.schedules] == [16, 16]
    assert s.schedule.schedules[1].end == pytest.approx(0.1)


def test_horizon_is_the_latest_term():
    assert add([linear(steps=3), cosine(steps=7)]).horizon == 7.0
    assert add([constant(0.5), constant(0.2)]).horizon == 0.0
    assert add([cosine(steps=3), inverse_sqrt()]).horizon is None


@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=30))
def test_vectorized_equals_scalar(steps):
    s = add([warmup(cosine(end=0.1), steps=3), linear(0.0, 0.2, steps=20), constant(0.7)]).resolve(total=40)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_round_trips():
    s = add([cosine(end=0.1, steps=10), linear(0.0, 0.5, steps=4)])
    assert repr(s) == "add([cosine(end=0.1, steps=10), linear(start=0.0, end=0.5, steps=4)])"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_errors():
    with pytest.raises(ValueError, match=r"Argument `schedules` of add\(\) must be a list of at least one"):
        add([])
    with pytest.raises(TypeError, match=r"Argument `schedules` of add\(\) must be a list of schedules"):
        add(cosine())
    with pytest.raises(TypeError, match=r"Received: schedules=\[0.5"):
        add([0.5, cosine()])
