"""noise: purity in (seed, step), bounds, distribution, window, bit-identity, round trips, errors."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import constant, cosine, from_config, linear, noise, parse, warmup
from lrkit.schedules.noise import _log, _log_over, noise_at


def _splitmix64_stream(seed, step, count):
    """An independent splitmix64 (Steele et al. 2014), written from the published constants."""
    mask = (1 << 64) - 1

    def mix(z):
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 % (1 << 64)
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB % (1 << 64)
        return z ^ (z >> 31)

    state = mix(mix((seed + 0x9E3779B97F4A7C15) % (1 << 64)) ^ (step & mask))
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) % (1 << 64)
        out.append(mix(state))
    return out


def test_uniform_kind_follows_the_splitmix64_stream():
    # kind="uniform" with a wide clip takes the first draw of the step's stream: n = (2u - 1) * std * sqrt(3).
    std, seed = 0.2, 12345
    for step in (0, 1, 7, 10**6, 2**40 + 3):
        z = _splitmix64_stream(seed, step, 1)[0]
        u = (z >> 11) / 2.0**53
        expected = (2 * u - 1) * std * math.sqrt(3)
        assert noise_at(seed, step, std, 0.99, "uniform") == pytest.approx(expected, rel=1e-15, abs=1e-17)


def test_same_value_whatever_the_order_or_repetition():
    s = noise(cosine(end=0.1, steps=1000), std=0.2, seed=5)
    steps = list(range(0, 1000, 7))
    forward = [s(t) for t in steps]
    shuffled = steps[:]
    random.Random(0).shuffle(shuffled)
    again = {t: s(t) for t in shuffled}
    assert forward == [again[t] for t in steps]
    # a fresh, equal object (a resumed run) gives the same values
    fresh = from_config(s.to_config())
    assert [fresh(t) for t in steps] == forward


def test_constant_within_a_step_and_changes_between_steps():
    s = noise(constant(1.0), std=0.1, seed=1)
    assert s(3.0) == s(3.25) == s(3.999)
    values = s(np.arange(1000.0))
    assert len(set(values.tolist())) > 990


def test_seeds_differ():
    a = noise(constant(1.0), seed=0)(np.arange(100.0))
    b = noise(constant(1.0), seed=1)(np.arange(100.0))
    assert np.mean(a == b) < 0.05


@pytest.mark.parametrize(
    ("kind", "std", "clip"), [("normal", 0.1, 0.67), ("normal", 1.0, 0.3), ("uniform", 0.5, 0.4)]
)
def test_bounds_hold(kind, std, clip):
    s = noise(constant(2.0), std=std, clip=clip, kind=kind, seed=9)
    n = s(np.arange(20000.0)) / 2.0 - 1.0
    assert np.all(np.abs(n) < clip)
    assert np.all(s(np.arange(20000.0)) > 0)


def test_normal_distribution_moments():
    n = noise(constant(1.0), std=0.1, seed=2)(np.arange(100000.0)) - 1.0
    # clip .67 is 6.7 standard deviations: effectively an untruncated N(0, 0.1^2).
    assert abs(n.mean()) < 4 * 0.1 / math.sqrt(n.size)
    assert n.std() == pytest.approx(0.1, rel=0.01)
    assert np.mean(np.abs(n) < 0.1) == pytest.approx(math.erf(1 / math.sqrt(2)), abs=0.01)


def test_truncated_normal_std():
    # N(0, 1) truncated to |n| < 0.5: variance = 1 - 2 a phi(a) / (2 Phi(a) - 1), a = 0.5.
    a = 0.5
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    expected = math.sqrt(1 - 2 * a * phi / mass)
    n = noise(constant(1.0), std=1.0, clip=a, seed=4)(np.arange(100000.0)) - 1.0
    assert n.std() == pytest.approx(expected, rel=0.01)


def test_uniform_distribution_moments():
    n = noise(constant(1.0), std=0.1, kind="uniform", seed=3)(np.arange(100000.0)) - 1.0
    half = 0.1 * math.sqrt(3)
    assert n.min() >= -half
    assert n.max() < half
    assert n.std() == pytest.approx(0.1, rel=0.01)
    assert abs(n.mean()) < 4 * 0.1 / math.sqrt(n.size)


def test_window():
    base = linear(1.0, 0.5, steps=100)
    s = noise(base, std=0.2, start=10, end=20)
    assert [s(t) for t in (0, 9, 9.5, 20, 50)] == [base(t) for t in (0, 9, 9.5, 20, 50)]
    assert all(s(t) != base(t) for t in range(10, 20))
    assert s.horizon == 100.0
    assert noise(base).horizon is None


def test_child_resolution():
    s = noise(warmup(cosine(), steps=0.1)).resolve(total=50)
    assert s.schedule.schedule.steps == 45


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**64 - 1),
    std=st.floats(0.0, 2.0),
    clip=st.floats(0.05, 0.95),
    kind=st.sampled_from(["normal", "uniform"]),
    steps=st.lists(st.floats(0, 1e12, allow_nan=False), min_size=1, max_size=30),
)
def test_vectorized_is_bit_identical_to_scalar(seed, std, clip, kind, steps):
    s = noise(cosine(end=0.1, steps=1000), std=std, clip=clip, kind=kind, seed=seed, start=3)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_log_series_matches_the_logarithm():
    x = np.random.default_rng(0).random(10000) + 1e-300
    np.testing.assert_allclose(_log_over(x), np.log(x), rtol=1e-15)
    assert _log_over(x).tolist() == [_log(v) for v in x]


@pytest.mark.parametrize(
    "s",
    [
        noise(cosine(end=0.1)),
        noise(constant(1.0), std=0.3, seed=2**63, kind="uniform", clip=0.5, start=4, end=9),
    ],
)
def test_round_trips(s):
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_errors():
    with pytest.raises(ValueError, match=r"`clip` of noise\(\) must be a finite number in \(0, 1\)"):
        noise(constant(1.0), clip=1.0)
    with pytest.raises(ValueError, match=r"`std` of noise\(\) must be a finite number in \[0, 67\]"):
        noise(constant(1.0), std=-0.1)
    with pytest.raises(ValueError, match=r"`std` of noise\(\) .* Received: std=100"):
        noise(constant(1.0), std=100, clip=0.5)
    with pytest.raises(ValueError, match=r"`seed` of noise\(\) must be an int in \[0, 2\*\*64\)"):
        noise(constant(1.0), seed=2**64)
    with pytest.raises(TypeError, match=r"`seed` of noise\(\) must be an int"):
        noise(constant(1.0), seed=1.5)
    with pytest.raises(ValueError, match=r"`kind` of noise\(\) must be one of 'normal', 'uniform'"):
        noise(constant(1.0), kind="gauss")
    with pytest.raises(ValueError, match=r"`end` of noise\(\) must be an int > start \(5\) or None"):
        noise(constant(1.0), start=5, end=5)
    with pytest.raises(TypeError, match=r"`schedule` of noise\(\) must be a schedule"):
        noise(1.0)
