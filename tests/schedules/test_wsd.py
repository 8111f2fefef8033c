"""wsd: the anchors of transformers, Megatron-LM and timm, phase lengths, shapes, round trips, errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import absolute, cosine, exponential, from_config, linear, parse, power_decay, warmup, wsd
from lrkit.schedules import Sequence, Warmup


def test_anchor_transformers_cosine():
    # anchors (c) item 35: get_wsd_schedule(W=2, T=10, num_decay_steps=4), decay cosine.
    s = wsd(warmup=2, decay=4, decay_shape="cosine", steps=10)
    expected = [0, 0.5, 1, 1, 1, 1, 1, 0.85355, 0.5, 0.14645, 0, 0]
    np.testing.assert_allclose([s(t) for t in range(12)], expected, atol=5e-6)


def test_anchor_transformers_one_minus_sqrt_with_min_lr_ratio():
    # anchors (c) item 35: decay_type='1-sqrt', min_lr_ratio=.1 (the warmup also starts at .1).
    s = wsd(warmup=2, decay=4, decay_shape="1-sqrt", start=0.1, end=0.1, steps=10)
    expected = [0.1, 0.55, 1, 1, 1, 1, 1, 0.55, 0.3636, 0.22058, 0.1, 0.1]
    np.testing.assert_allclose([s(t) for t in range(12)], expected, atol=5e-6)


def test_anchor_megatron_exponential():
    # anchors (c) item 53: Megatron-LM WSD, W=2, D=10, wsd_decay_steps=4, min .1, 2 * 0.5 ** r - 1.
    s = wsd(warmup=2, decay=4, decay_shape="exponential", end=0.1, steps=10)
    expected = [0, 0.5, 1, 1, 1, 1, 1, 0.71361, 0.47279, 0.27029, 0.1, 0.1, 0.1]
    np.testing.assert_allclose([s(t) for t in range(13)], expected, atol=5e-6)


def test_anchor_timm_one_minus_sqrt():
    # anchors (c) item 24: WSDLRScheduler(t_initial=10, decay_t=4, warmup_t=2): 12 steps in all.
    s = wsd(warmup=2, decay=4, decay_shape="1-sqrt", steps=12)
    expected = [0.0, 0.5, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.29289, 0.13397, 0.0, 0.0]
    np.testing.assert_allclose([s(t) for t in range(14)], expected, atol=5e-6)


def _reference(t, W, D, T, shape, end, start=0.0, base=0.5):
    """Warmup-stable-decay written out from its definition."""
    S = T - W - D
    if t < W:
        return start + (1 - start) * t / W
    if t < W + S:
        return 1.0
    p = min(t - W - S, D) / D
    if shape == "linear":
        w = 1 - p
    elif shape == "cosine":
        w = (1 + math.cos(math.pi * p)) / 2
    elif shape == "1-sqrt":
        w = 1 - math.sqrt(p)
    else:
        w = (base**p - base) / (1 - base)
    return end + (1 - end) * w


@settings(max_examples=60, deadline=None)
@given(
    W=st.integers(0, 20),
    D=st.integers(1, 30),
    S=st.integers(0, 30),
    shape=st.sampled_from(["linear", "cosine", "1-sqrt", "exponential"]),
    end=st.floats(0.0, 0.5),
    start=st.floats(0.0, 0.5),
)
def test_matches_the_definition_everywhere(W, D, S, shape, end, start):
    T = W + D + S
    s = wsd(warmup=W, decay=D, decay_shape=shape, end=end, start=start, steps=T)
    points = np.arange(0, T + 3, 0.5)
    got = s(points)
    ref = [_reference(t, W, D, T, shape, end, start) for t in points]
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    scalar = np.array([s(t) for t in points])
    # vectorized == scalar within 1 ulp; NOTE: the exponential and 1-sqrt shapes' own paths
    # (numpy's SIMD expm1/log/exp against math's) differ by a few ulps, which wsd inherits.
    ulps = 4 if shape in ("exponential", "1-sqrt") else 1
    assert np.all(np.abs(got - scalar) <= ulps * np.spacing(np.maximum(got, scalar)))
    # boundaries: end of warmup and start of the decay exact; the end within 1 ulp (see NOTE)
    assert s(W) == 1.0
    assert s(W + S) == 1.0
    # NOTE: linear's start + (end - start) * 1 can miss `end` by an ulp of 1 (its own formula);
    # the other shapes reach it exactly.
    if shape == "linear":
        assert s(T) == pytest.approx(end, rel=0, abs=2.3e-16)
    else:
        assert s(T) == end
    assert s(T + 10) == s(T)


def test_lengths_resolve_and_the_stable_phase_is_the_rest():
    s = wsd(warmup=0.1, decay=0.2, decay_shape="cosine", end=0.1).resolve(total=100)
    assert isinstance(s, Warmup)
    assert s.steps == 10
    body = s.schedule
    assert isinstance(body, Sequence)
    assert body.boundaries == (70,)
    assert body.phases[1] == cosine(1.0, 0.1, 20)  # the decay shape gets the decay length
    # pain-points 15: WSD(warmup=.1, decay=.2, floor=.1) hits its breakpoints exactly
    assert (s(0), s(10), s(80), s(100)) == (0.0, 1.0, 1.0, 0.1)


def test_composition_of_each_shape():
    def body(shape):
        return wsd(warmup=2, decay=4, decay_shape=shape, end=0.1, steps=10).composition().schedule.phases[1]

    assert body("linear") == linear(1.0, 0.1, steps=4)
    assert body("1-sqrt") == power_decay(1.0, 0.1, power=0.5, steps=4)
    assert body("exponential") == exponential(start=1.0, end=0.1, steps=4, base=0.5)


def test_no_stable_phase_and_no_warmup():
    s = wsd(warmup=2, decay=8, decay_shape="linear", steps=10).composition()
    assert s == warmup(linear(1.0, 0.0, steps=8), steps=2)
    t = wsd(warmup=0, decay=4, steps=10).composition()
    assert isinstance(t, Sequence)
    assert [t(x) for x in (0, 6, 8, 10)] == [1.0, 1.0, 0.5, 0.0]


def test_inside_other_schedules_it_gets_its_window():
    # its length (None) is the window left after the outer warmup; fractions are of the whole run
    s = warmup(wsd(warmup=0, decay=0.5), steps=4).resolve(total=24)
    assert s.schedule == wsd(warmup=0, decay=12, steps=20).composition()


def test_absolute_end_and_open_length():
    s = wsd(warmup=2, decay=4, end=absolute(1e-4))
    with pytest.raises(ValueError, match="cannot be evaluated yet"):
        s(3)
    r = s.resolve(total=10, base=1e-2)
    assert 1e-2 * r(10) == pytest.approx(1e-4)
    assert s.horizon is None
    assert wsd(warmup=2, decay=4, steps=10).horizon == 10.0


@pytest.mark.parametrize(
    "s",
    [
        wsd(warmup=0.1, decay=0.2),
        wsd(warmup=2, decay=4, decay_shape="1-sqrt", end=absolute(1e-5), start=0.1, steps=10),
        wsd(warmup=0, decay=3, decay_shape="exponential", warmup_shape="cosine", decay_base=0.25),
    ],
)
def test_round_trips(s):
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    r = s.resolve(total=40, base=0.1)
    assert parse(repr(r)) == r
    assert from_config(r.to_config()) == r


def test_errors():
    with pytest.raises(ValueError, match=r"`warmup` and `decay` of wsd\(\) must fit .* with 10 steps"):
        wsd(warmup=4, decay=8, steps=10)  # all in steps: checked when built
    with pytest.raises(ValueError, match=r"`warmup` and `decay` of wsd\(\) must fit .* with 10 steps"):
        wsd(warmup=0.4, decay=8).resolve(total=10)
    with pytest.raises(ValueError, match=r"`decay_shape` of wsd\(\) must be one of 'linear', 'cosine'"):
        wsd(warmup=2, decay=4, decay_shape="sqrt")
    with pytest.raises(ValueError, match=r"`decay` of wsd\(\) must be a positive int"):
        wsd(warmup=2, decay=0)
    with pytest.raises(ValueError, match=r"`warmup` of wsd\(\) must be 0, a positive int .* warmup=-1"):
        wsd(warmup=-1, decay=4)
    with pytest.raises(ValueError, match=r"`end` of wsd\(\) .* Received: end=-0.1"):
        wsd(warmup=2, decay=4, end=-0.1)
    with pytest.raises(ValueError, match=r"`warmup_shape` of wsd\(\) must be one of"):
        wsd(warmup=2, decay=4, warmup_shape="1-sqrt")
    with pytest.raises(ValueError, match=r"`decay_base` of wsd\(\) .* Received: decay_base=1"):
        wsd(warmup=2, decay=4, decay_base=1)
    with pytest.raises(ValueError, match=r"`steps` of wsd\(\) is None"):
        wsd(warmup=2, decay=4).resolve()
