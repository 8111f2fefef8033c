"""exponential: the rate mode against torch, optax and Keras; the length modes against formulas."""

import math
from collections.abc import Callable, Iterable
from decimal import Decimal, getcontext
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, constant, exponential, from_config, parse, sequence, warmup
from lrkit.schedules._base import FloatArray


def torch_lrs(make: Callable[[torch.optim.Optimizer], Any], steps: int, base: float = 1.0) -> FloatArray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


def scalar_vs_vector(s: Schedule, ts: Iterable[float], maxulp: int = 0) -> None:
    grid = np.asarray(ts, dtype=np.float64)
    scalar = np.array([s(float(t)) for t in grid])
    if maxulp == 0:
        np.testing.assert_array_equal(s(grid), scalar)
    else:
        np.testing.assert_array_max_ulp(s(grid), scalar, maxulp=maxulp)


# -- rate mode ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.999])
def test_rate_mode_matches_torch_exponential_lr(gamma: float) -> None:
    ref = torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma), 200, base=0.1)
    s = exponential(rate=gamma)
    np.testing.assert_allclose(0.1 * s(np.arange(201)), ref, rtol=1e-12)
    np.testing.assert_allclose([0.1 * s(t) for t in range(201)], ref, rtol=1e-12)


def test_rate_mode_boundaries_and_open_end() -> None:
    s = exponential(rate=0.9)
    assert s(0) == 1.0
    assert s(1) == 0.9
    assert s(2.5) == pytest.approx(0.9**2.5, rel=1e-15)
    assert s.horizon is None
    assert s.resolve(total=10) == s  # open-ended: the total changes nothing
    assert s(10**6) == 0.9 ** (10**6)  # underflows to 0.0, never negative


def test_staircase_matches_optax_and_keras_anchor() -> None:
    # anchors (c) 39 and 79: optax exponential_decay(1, 2, .5, staircase=True), Keras ExponentialDecay.
    s = exponential(rate=0.5, every=2, staircase=True)
    expected = [0.5 ** (t // 2) for t in range(7)]
    assert [s(t) for t in range(7)] == expected == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert s(3.99) == 0.5
    assert s(4) == 0.25  # a stair acts at its step


def test_rate_per_every_steps_without_staircase() -> None:
    s = exponential(rate=0.5, every=2)
    assert s(1) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert s(2) == 0.5


def test_every_as_a_fraction_of_the_run() -> None:
    s = exponential(rate=0.5, every=0.1, staircase=True)
    assert not s.is_resolved
    r = s.resolve(total=30)
    assert r == exponential(rate=0.5, every=3, staircase=True)
    assert r(5) == 0.5
    with pytest.raises(ValueError, match="is a fraction of the run"):
        s(1)


# -- length mode -------------------------------------------------------------------------------


def test_geometric_boundaries_and_hold() -> None:
    s = exponential(start=2.0, end=0.02, steps=10)
    assert s(0) == 2.0
    assert s(10) == 0.02
    assert s(11) == 0.02
    assert s(1e9) == 0.02
    assert s.horizon == 10.0
    for t in (1, 2.5, 5, 9):
        assert s(t) == pytest.approx(2.0 * 0.01 ** (t / 10), rel=1e-14)


def test_geometric_growth_is_allowed_over_a_length() -> None:
    s = exponential(start=1e-7, end=10.0, steps=100)  # an LR range test sweep
    assert s(50) == pytest.approx(math.sqrt(1e-7 * 10.0), rel=1e-12)
    assert s(100) == 10.0


def test_length_mode_defaults_start_to_one_and_resolves_the_rest_of_the_run() -> None:
    s = exponential(end=0.1)
    assert s.start == 1.0
    r = s.resolve(total=20)
    assert r == exponential(end=0.1, steps=20)
    assert r(10) == pytest.approx(math.sqrt(0.1), rel=1e-14)
    assert exponential(end=0.1, steps=0.5).resolve(total=20) == exponential(end=0.1, steps=10)


def test_length_mode_staircase() -> None:
    s = exponential(start=1.0, end=0.01, steps=10, every=4, staircase=True)
    expected = [1.0] * 4 + [0.01**0.4] * 4 + [0.01**0.8] * 2 + [0.01, 0.01]
    np.testing.assert_allclose([s(t) for t in range(12)], expected, rtol=1e-14)
    assert s(10) == 0.01


def test_megatron_wsd_exponential_cooldown_anchor() -> None:
    # anchors (c) 53: Megatron WSD exponential cooldown 2 * 0.5 ** r - 1 from max 1 to min .1 over 4
    # steps after 2 warmup steps and 4 stable steps (D = 10).
    decay = exponential(start=1.0, end=0.1, steps=4, base=0.5)
    for k in range(6):
        r = min(k, 4) / 4
        assert decay(k) == pytest.approx(0.1 + 0.9 * (2 * 0.5**r - 1), rel=1e-14, abs=1e-15)
    np.testing.assert_allclose([decay(k) for k in range(1, 5)], [0.71361, 0.47279, 0.27029, 0.1], atol=5e-6)
    wsd = warmup(sequence((constant(1.0), decay), boundaries=(4,)), steps=2).resolve(total=10)
    expected = [0, 0.5, 1, 1, 1, 1, 1, 0.71361, 0.47279, 0.27029, 0.1, 0.1, 0.1]
    np.testing.assert_allclose(wsd(np.arange(13)), expected, atol=5e-6)


@pytest.mark.parametrize("base", [0.01, 0.3, 0.5, 2.0, 50.0])
def test_normalized_family_is_timm_exp_decay(base: float) -> None:
    # anchors (c) 24: timm's WSD exp decay (r ** frac - r) / (1 - r).
    s = exponential(start=0.8, end=0.05, steps=16, base=base)
    assert s(0) == 0.8
    assert s(16) == 0.05
    for t in range(17):
        p = t / 16
        expected = 0.05 + 0.75 * (base**p - base) / (1 - base)
        assert s(t) == pytest.approx(expected, rel=1e-13, abs=1e-16)


def test_normalized_decay_to_zero_keeps_relative_precision_at_the_last_step() -> None:
    getcontext().prec = 40
    T = 1000
    s = exponential(start=1.0, end=0.0, steps=T, base=0.5)
    for t in (T - 1, T - 0.5, T - 1e-3):
        b, p = Decimal("0.5"), Decimal(t) / T
        exact = (b.ln() * p).exp() - b
        exact /= 1 - b
        assert s(t) == pytest.approx(float(exact), rel=1e-14)
        assert s(np.array([t]))[0] == pytest.approx(float(exact), rel=1e-14)


def test_extreme_bases_stay_finite() -> None:
    for base in (1e-300, 1e300):
        s = exponential(start=1.0, end=0.0, steps=10, base=base)
        values = s(np.linspace(0, 10, 101))
        assert np.all(np.isfinite(values))
        assert values[0] == 1.0
        assert values[-1] == 0.0
    assert exponential(rate=0.5, staircase=np.bool_(True)).staircase is True  # type: ignore[arg-type]


def test_absolute_values_resolve_against_the_base() -> None:
    s = exponential(end=absolute(0.001), steps=10).resolve(base=0.1)
    assert 0.1 * s(10) == pytest.approx(0.001, rel=1e-15)
    assert s(0) == 1.0


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"rate": -0.5},
            ValueError,
            r"Argument `rate` of exponential\(\) must be a finite number in \[0, inf\].*rate=-0.5",
        ),
        ({"rate": math.inf}, ValueError, r"Received: rate=inf"),
        ({"rate": math.nan}, ValueError, r"Received: rate=nan"),
        ({"rate": "0.5"}, TypeError, r"Argument `rate`"),
        (
            {"rate": 0.5, "end": 0.1},
            ValueError,
            r"Argument `end` of exponential\(\) must be None when `rate`",
        ),
        ({"rate": 0.5, "steps": 10}, ValueError, r"Argument `steps`.*Received: steps=10"),
        ({"rate": 0.5, "base": 0.5}, ValueError, r"Argument `base`"),
        ({}, TypeError, r"Argument `end` of exponential\(\) must be given"),
        ({"rate": 0.5, "every": 0}, ValueError, r"Argument `every`.*Received: every=0"),
        ({"end": 0.1, "steps": 0}, ValueError, r"Argument `steps`.*Received: steps=0"),
        ({"end": 0.1, "steps": 1.5}, ValueError, r"Argument `steps`.*Received: steps=1.5"),
        ({"end": 0.1, "every": 2}, ValueError, r"Argument `every`.*unless staircase=True"),
        ({"end": 0.0, "steps": 5}, ValueError, r"Argument `end`.*> 0 for a geometric decay"),
        ({"start": 0.0, "end": 0.1}, ValueError, r"Argument `start`.*> 0 for a geometric decay"),
        ({"end": absolute(0.0)}, ValueError, r"Argument `end`.*absolute\(0.0\)"),
        ({"end": -0.1}, ValueError, r"Argument `end`.*Received: end=-0.1"),
        ({"end": 0.1, "base": 1.0}, ValueError, r"Argument `base`.*other than 1"),
        ({"end": 0.1, "staircase": "no"}, TypeError, r"Argument `staircase`"),
        ({"end": 0.1, "base": 0.0}, ValueError, r"Argument `base`.*Received: base=0.0"),
        ({"end": 0.1, "base": 5e-324}, ValueError, r"Argument `base`.*\[1e-300, 1e\+300\]"),
        ({"end": 0.1, "base": 1e301}, ValueError, r"Argument `base`"),
        ({"end": 0.1, "base": math.inf}, ValueError, r"Argument `base`"),
        ({"rate": 0.5, "staircase": 1}, TypeError, r"Argument `staircase`.*True or False"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        exponential(**kwargs)


# -- evaluation paths and round trips ----------------------------------------------------------

CASES = [
    exponential(rate=0.9),
    exponential(rate=0.5, every=3, staircase=True),
    exponential(rate=0.99, every=0.25),
    exponential(end=0.01, steps=50),
    exponential(start=0.5, end=absolute(1e-4), steps=0.5, base=0.5),
    exponential(start=1.0, end=0.0, steps=40, every=3, staircase=True, base=0.1),
]


@pytest.mark.parametrize("s", CASES, ids=repr)
def test_spec_and_config_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert from_config(s.to_config()).to_config() == s.to_config()


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(1e-3, 1.0),
    every=st.integers(1, 20),
    staircase=st.booleans(),
    ts=st.lists(st.floats(0, 1e4), min_size=1, max_size=30),
)
def test_rate_mode_scalar_equals_vector(rate: float, every: int, staircase: bool, ts: list[float]) -> None:
    s = exponential(rate=rate, every=every, staircase=staircase)
    scalar_vs_vector(s, [*ts, *reversed(ts)])  # bit for bit, also when stairs repeat or go back
    assert np.all(s(np.asarray(ts)) >= 0)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(1e-6, 10.0),
    end=st.floats(1e-6, 10.0),
    steps=st.integers(1, 10_000),
    base=st.none() | st.floats(1e-3, 0.999) | st.floats(1.001, 100.0),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_length_mode_scalar_equals_vector(
    start: float, end: float, steps: int, base: float | None, ts: list[float]
) -> None:
    s = exponential(start=start, end=end, steps=steps, base=base)
    # The length mode evaluates numpy's power/expm1 in both paths: bit for bit.
    scalar_vs_vector(s, [*ts, 0.0, steps - 0.5, steps])
    values = s(np.asarray(ts))
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0)
    assert s(0) == start
    assert s(steps) == end
