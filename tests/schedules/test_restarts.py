"""restarts: torch's CosineAnnealingWarmRestarts, timm's cycles, boundaries, O(1) cycles, errors."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import absolute, constant, cosine, from_config, linear, parse, restarts, warmup


def _torch_warm_restarts(base, T_0, T_mult, eta_min, epochs):
    """torch's learning rates: stepped once per epoch for ints, with step(epoch) for floats."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    out = []
    for epoch in epochs:
        if epoch != 0:
            opt.step()
            if isinstance(epoch, float):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # torch deprecates step(epoch) but still honours it
                    sched.step(epoch)
            else:
                sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def _lrkit_warm_restarts(T_0, T_mult, eta_min, base):
    spec = restarts(cosine(steps=T_0, end=absolute(eta_min)), period=T_0, mult=T_mult)
    return spec.resolve(base=base)


@settings(max_examples=30, deadline=None)
@given(
    T_0=st.integers(1, 12),
    T_mult=st.integers(1, 3),
    ratio=st.floats(0.0, 0.5),
    base=st.floats(1e-4, 1.0),
)
def test_matches_torch_at_integer_epochs(T_0, T_mult, ratio, base):
    eta_min = base * ratio
    s = _lrkit_warm_restarts(T_0, T_mult, eta_min, base)
    expected = _torch_warm_restarts(base, T_0, T_mult, eta_min, list(range(300)))
    got = [base * s(t) for t in range(300)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@settings(max_examples=30, deadline=None)
@given(
    T_0=st.integers(1, 12),
    T_mult=st.integers(1, 3),
    ratio=st.floats(0.0, 0.5),
    fractions=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=5),
)
def test_matches_torch_at_fractional_epochs(T_0, T_mult, ratio, fractions):
    base = 0.1
    eta_min = base * ratio
    epochs = [0] + [e + f for e in range(120) for f in fractions]
    s = _lrkit_warm_restarts(T_0, T_mult, eta_min, base)
    expected = _torch_warm_restarts(base, T_0, T_mult, eta_min, epochs)
    got = [base * s(t) for t in epochs]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_anchor_torch_t0_2_tmult_2():
    # anchors (c) item 9: eta_min is never hit at integer steps; restarts at 2, 6, 14.
    s = _lrkit_warm_restarts(2, 2, 0.0, 0.1)
    expected = [0.1, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.1, 0.096194, 0.085355, 0.069134, 0.05]
    np.testing.assert_allclose([0.1 * s(t) for t in range(11)], expected, atol=5e-7)


def _timm_cosine(t, t_initial, lr_min, mul, decay, limit, base=1.0):
    """timm CosineLRScheduler._get_lr (anchors (c) item 19), written from its formula."""
    if mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - mul), mul))
        t_i = mul**i * t_initial
        t_curr = t - (1 - mul**i) / (1 - mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - t_initial * i
    if i >= limit:
        return lr_min
    peak = base * decay**i
    return lr_min + 0.5 * (peak - lr_min) * (1 + math.cos(math.pi * t_curr / t_i))


def test_anchor_timm_cycles():
    # anchors (c) item 19: t_initial=4, cycle_mul=2, cycle_decay=.5, cycle_limit=3.
    s = restarts(cosine(), period=4, mult=2, decay=0.5, limit=3, decay_mode="peak").resolve()
    assert [s(b) for b in (0, 4, 12)] == [1.0, 0.5, 0.25]
    assert s(28) == 0.0
    assert s.horizon == 28.0


@pytest.mark.parametrize(
    ("t_initial", "lr_min", "mul", "decay", "limit"),
    [(4, 0.0, 2.0, 0.5, 3), (10, 0.05, 1.0, 0.7, 4), (6, 0.1, 1.5, 0.8, 5), (5, 0.02, 2.0, 1.0, 2)],
)
def test_timm_cycles_with_a_floor(t_initial, lr_min, mul, decay, limit):
    s = restarts(
        cosine(end=absolute(lr_min)), period=t_initial, mult=mul, decay=decay, limit=limit, decay_mode="peak"
    ).resolve(base=1.0)
    for t in np.arange(0, 200, 0.5):
        expected = _timm_cosine(float(t), t_initial, lr_min, mul, decay, limit)
        assert s(t) == pytest.approx(expected, rel=1e-12, abs=1e-15), t


def test_cycle_boundaries_are_exact_and_floor_reached_in_the_limit():
    s = restarts(cosine(end=0.1), period=3, mult=1.5, decay=0.5).resolve()
    starts = s.cycle_starts(8)
    expected = [3 * (1.5**k - 1) / 0.5 for k in range(8)]
    assert starts == pytest.approx(expected, rel=1e-15)
    for k, b in enumerate(starts):
        assert s.cycle_of(b) == k
        assert s(b) == pytest.approx(0.5**k, rel=1e-15)  # the peak follows decay**k
        if k:
            before = math.nextafter(b, 0)
            assert s.cycle_of(before) == k - 1
            assert s(before) == pytest.approx(0.1 * 0.5 ** (k - 1), rel=1e-9)  # the floor, scaled


def test_peak_mode_reaches_the_same_floor_at_each_cycle_end():
    s = restarts(cosine(end=0.1), period=4, mult=2.0, decay=0.5, decay_mode="peak").resolve()
    for k, b in enumerate(s.cycle_starts(6)[1:], start=1):
        assert s(math.nextafter(b, 0)) == pytest.approx(0.1, rel=1e-9)
        assert s(b) == pytest.approx(0.5**k, rel=1e-15)


def _keras_cosine_decay_restarts(step, first, t_mul, m_mul, alpha):
    """Keras' CosineDecayRestarts.__call__, written from its source (initial rate 1)."""
    fraction = step / first
    if t_mul == 1.0:
        i = math.floor(fraction)
        fraction -= i
    else:
        i = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
        done = (1.0 - t_mul**i) / (1.0 - t_mul)
        fraction = (fraction - done) / t_mul**i
    wave = 0.5 * m_mul**i * (1.0 + math.cos(math.pi * fraction))
    return (1 - alpha) * wave + alpha


@pytest.mark.parametrize(
    ("first", "t_mul", "m_mul", "alpha"), [(4, 2.0, 0.5, 0.1), (5, 1.0, 0.8, 0.2), (3, 1.5, 0.9, 0.0)]
)
def test_amplitude_mode_is_keras_cosine_decay_restarts(first, t_mul, m_mul, alpha):
    child = cosine(1.0, alpha, steps=first)
    s = restarts(child, period=first, mult=t_mul, decay=m_mul, decay_mode="amplitude")
    for t in np.arange(0, 150, 0.5):
        expected = _keras_cosine_decay_restarts(float(t), first, t_mul, m_mul, alpha)
        assert s(t) == pytest.approx(expected, rel=1e-12, abs=1e-15), t


def test_modes_coincide_for_a_child_ending_at_zero():
    curves = [
        restarts(cosine(steps=6), period=6, mult=1.5, decay=0.7, decay_mode=m)(np.arange(0, 80, 0.25))
        for m in ("all", "peak", "amplitude")
    ]
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(curves[0], curves[2], rtol=1e-14, atol=1e-16)


def test_mult_below_one_with_limit():
    s = restarts(linear(1.0, 0.0), period=8, mult=0.5, limit=3).resolve()
    assert s.cycle_starts(4) == [0.0, 8.0, 12.0, 14.0]
    assert [s(t) for t in (0, 4, 8, 10, 12, 13, 14, 100)] == [1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    assert s.horizon == 14.0


def test_limit_holds_the_last_cycles_end():
    s = restarts(cosine(end=0.2), period=5, decay=0.5, limit=2).resolve()
    assert s(10) == pytest.approx(0.2 * 0.5)
    assert s(1e6) == s(10)
    assert s.cycle_of(1e6) == 2


def test_child_is_resolved_with_the_period():
    s = restarts(cosine(end=0.1), period=0.25).resolve(total=40)
    assert s.period == 10
    assert s.schedule.steps == 10
    w = restarts(warmup(cosine(), steps=2), period=20).resolve()
    assert w.schedule.steps == 2
    assert w.schedule.schedule.steps == 18  # the warmup counts inside each cycle
    assert w(20) == 0.0
    assert w(22) == 1.0
    with pytest.raises(ValueError, match="must fit in the run"):
        restarts(warmup(cosine(), steps=0.1), period=20).resolve(total=1000)


def test_huge_steps_are_closed_form():
    s = restarts(cosine(), period=7, mult=1.5, decay=0.9).resolve()
    k = s.cycle_of(1e9)
    b = s.cycle_starts(k + 2)
    assert b[k] <= 1e9 < b[k + 1]
    local = (1e9 - b[k]) / (7 * 1.5**k) * 7
    assert s(1e9) == pytest.approx(0.9**k * (1 + math.cos(math.pi * local / 7)) / 2, rel=1e-9)
    even = restarts(cosine(steps=10), period=10).resolve()
    assert even(1e9 + 5) == pytest.approx(0.5)
    assert even.cycle_of(1e15) == 10**14


@settings(max_examples=60, deadline=None)
@given(
    period=st.integers(1, 20),
    mult=st.sampled_from([0.5, 0.9, 1.0, 1.25, 2.0, 3.0]),
    decay=st.sampled_from([1.0, 0.5, 0.9]),
    decay_mode=st.sampled_from(["all", "peak", "amplitude"]),
    steps=st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=40),
)
def test_vectorized_equals_scalar_exactly(period, mult, decay, decay_mode, steps):
    limit = 6 if mult < 1 else None
    s = restarts(cosine(end=0.05), period=period, mult=mult, decay=decay, limit=limit, decay_mode=decay_mode)
    s = s.resolve()
    starts = s.cycle_starts(8)
    points = np.array(steps + starts + [math.nextafter(b, 0) for b in starts[1:]])
    vec = s(points)
    assert vec.tolist() == [s(t) for t in points]
    assert np.all(vec >= 0)
    assert np.all(np.isfinite(vec))


@pytest.mark.parametrize(
    "s",
    [
        restarts(cosine(end=0.1), period=10),
        restarts(cosine(), period=0.1, mult=2.0, decay=0.5, limit=3, decay_mode="peak"),
        restarts(warmup(cosine(end=absolute(1e-5)), steps=2), period=20, mult=0.5, limit=4),
    ],
)
def test_round_trips(s):
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_errors():
    with pytest.raises(ValueError, match=r"`mult` of restarts\(\) must be a finite number in \(0, inf\]"):
        restarts(cosine(), period=5, mult=0)
    with pytest.raises(ValueError, match=r"`mult` of restarts\(\) must be given with a `limit` when < 1"):
        restarts(cosine(), period=5, mult=0.5)
    with pytest.raises(ValueError, match=r"`decay` of restarts\(\) .* Received: decay=-0.5"):
        restarts(cosine(), period=5, decay=-0.5)
    with pytest.raises(ValueError, match=r"`limit` of restarts\(\) must be an int >= 1. Received: limit=0"):
        restarts(cosine(), period=5, limit=0)
    with pytest.raises(ValueError, match=r"`period` of restarts\(\) must be a positive int"):
        restarts(cosine(), period=0)
    with pytest.raises(TypeError, match=r"`period` of restarts\(\)"):
        restarts(cosine(), period=None)
    with pytest.raises(TypeError, match=r"`schedule` of restarts\(\) must be a schedule"):
        restarts("cosine", period=5)
    with pytest.raises(ValueError, match=r"`decay_mode` of restarts\(\) must be one of 'all', 'peak'"):
        restarts(cosine(), period=5, decay_mode="floor")
    with pytest.raises(ValueError, match=r"`decay_mode` of restarts\(\) is 'peak', which needs a schedule"):
        restarts(constant(0.5), period=5, decay=0.5, decay_mode="peak")
    with pytest.raises(ValueError, match=r"`decay_mode` of restarts\(\) is 'peak', which needs a schedule"):
        restarts(cosine(0.5, 0.5), period=5, decay=0.5, decay_mode="peak").resolve()
    rising = warmup(cosine(end=0.1), steps=2, start=0.5)
    with pytest.raises(ValueError, match=r"stays between its end and its start"):
        restarts(rising, period=10, decay=0.5, decay_mode="peak").resolve()
    with pytest.raises(ValueError, match=r"stays above its end \(decay > 1\)"):
        restarts(linear(0.0, 1.0), period=10, decay=2.0, decay_mode="amplitude").resolve()


# -- decay_law="power": peaks (k + 1) ** -decay -------------------------------------------------


@pytest.mark.parametrize("mode", ["all", "amplitude", "peak"])
def test_power_law_peaks_follow_the_formula(mode):
    p, start, end, period = 1.5, 1.0, 0.2, 4
    s = restarts(linear(start, end, steps=period), period=period, decay=p, decay_mode=mode, decay_law="power")
    for t in [x / 2 for x in range(60)]:
        k, u = int(t // period), t % period
        v = start + (end - start) * u / period
        g = (k + 1) ** -p
        want = {
            "all": g * v,
            "amplitude": end + g * (v - end),
            "peak": end + (v - end) * (g * start - end) / (start - end),
        }[mode]
        assert s(t) == pytest.approx(want, rel=1e-13, abs=1e-15)


@given(
    st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=40),
    st.floats(0.1, 4.0),
    st.sampled_from([1.0, 2.0]),
)
def test_power_law_vectorized_equals_scalar(steps, p, mult):
    s = restarts(cosine(end=0.1), period=3, mult=mult, decay=p, decay_law="power", decay_mode="amplitude")
    s = s.resolve()
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_power_law_with_decay_one_is_not_the_identity_and_round_trips():
    s = restarts(cosine(steps=4), period=4, decay=1.0, decay_law="power")
    assert s(4) == 0.5
    assert s(8) == pytest.approx(1 / 3)
    assert "decay_law='power'" in repr(s)
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    with pytest.raises(ValueError, match=r"Argument `decay_law` of restarts\(\) must be"):
        restarts(cosine(steps=4), period=4, decay_law="harmonic")
