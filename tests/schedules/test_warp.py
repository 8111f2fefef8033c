"""warp: the k-decay clock, checked against the paper's formula, at the boundaries and as a tree."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import (
    constant,
    cosine,
    extrapolate,
    from_config,
    inverse_sqrt,
    linear,
    parse,
    polynomial,
    restarts,
    warmup,
    warp,
)


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_k_decay_cosine_is_the_papers_formula(k):
    # Zhang & Li 2020, eq. (k-decay cosine): lr_min + (max - lr_min)/2 * (1 + cos(pi t^k / T^k)).
    s = warp(cosine(end=0.1, steps=8), k)
    for t in np.linspace(0, 12, 49):
        expected = 0.1 + 0.45 * (1 + math.cos(math.pi * min(t, 8) ** k / 8**k))
        assert s(t) == pytest.approx(expected, rel=1e-13, abs=1e-16)


def test_anchor_values():
    # anchors (c) item 20: k = 2, t_initial 8.
    s = warp(cosine(steps=8), 2.0)
    assert [round(s(t), 5) for t in range(9)] == [
        1.0, 0.9994, 0.99039, 0.95199, 0.85355, 0.66844, 0.40245, 0.12952, 0.0
    ]  # fmt: skip


def test_k_decay_polynomial_is_timms_formula():
    s = warp(polynomial(1.0, 0.0, power=0.5, steps=10), 2.0)
    for t in range(12):
        assert s(t) == pytest.approx((1 - min(t, 10) ** 2 / 10**2) ** 0.5, rel=1e-13, abs=1e-15)


def test_ends_are_kept_and_held():
    s = warp(linear(1.0, 0.2, steps=6), 3.0)
    assert s(0) == 1.0
    assert s(6) == 0.2
    assert s(100) == 0.2
    assert s.horizon == 6.0


def test_power_one_is_the_identity_and_constants_are_unchanged():
    inner = cosine(end=0.3, steps=7)
    assert [warp(inner, 1.0)(t) for t in range(9)] == [inner(t) for t in range(9)]
    assert warp(constant(0.4), 2.0)(5) == 0.4


def test_resolved_with_the_childs_window_and_inside_restarts():
    s = warmup(warp(cosine(), 2.0), steps=2).resolve(total=10)
    assert s.schedule == warp(cosine(steps=8), 2.0)
    # Each restart cycle is warped over its own length (cycle 1 lasts 8 steps).
    r = restarts(warp(cosine(steps=4), 2.0), period=4, mult=2.0)
    assert r(4 + 4) == pytest.approx(0.5 * (1 + math.cos(math.pi * 4**2 / 8**2)), rel=1e-13)


@given(st.lists(st.floats(0, 40, allow_nan=False), min_size=1, max_size=30), st.floats(0.1, 5.0))
def test_vectorized_equals_scalar(steps, k):
    s = warp(warmup(cosine(end=0.1), steps=3), k).resolve(total=20)
    np.testing.assert_array_max_ulp(s(np.array(steps)), np.array([s(t) for t in steps]), maxulp=1)


def test_active_children_see_the_warped_clock():
    s = warp(warmup(linear(steps=8), steps=2), 2.0)
    # t = 5 of 10 is the child's 10 * (5 / 10) ** 2 = 2.5: past its warmup, the linear is active.
    assert [path for path, _ in s.active(5.0)] == [(), ("schedule",), ("schedule", "schedule")]
    # t = 4 is the child's 1.6: still in the warmup.
    assert [path for path, _ in s.active(4.0)] == [(), ("schedule",)]


def test_round_trips():
    s = warp(cosine(end=0.1, steps=10), 2.5)
    assert repr(s) == "warp(cosine(end=0.1, steps=10), 2.5)"
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_errors():
    with pytest.raises(ValueError, match=r"Argument `power` of warp\(\) must be a finite number in \(0"):
        warp(cosine(steps=4), 0.0)
    with pytest.raises(ValueError, match=r"Received: power=nan"):
        warp(cosine(steps=4), float("nan"))
    with pytest.raises(TypeError, match=r"Argument `schedule` of warp\(\) must be a schedule"):
        warp(0.5, 2.0)
    with pytest.raises(ValueError, match=r"a schedule that ends .*inverse_sqrt\(\) keeps changing"):
        warp(inverse_sqrt(timescale=4), 2.0)
    with pytest.raises(ValueError, match=r"extrapolate\(\) keeps changing"):
        warp(extrapolate(cosine()), 2.0).resolve(total=10)
