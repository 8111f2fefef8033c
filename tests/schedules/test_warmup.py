"""warmup: the documented example, shapes, clocks, boundaries and errors."""

import math

import numpy as np
import pytest

from lrkit import constant, cosine, linear, parse, warmup

# The curve of anchors (c) item 80: HF cosine_with_min_lr(W=2, T=10, min_lr_rate=.1), optax
# warmup_cosine_decay_schedule(0, 1, 2, 10, .1), Megatron cosine(W=2, D=10), Keras CosineDecay.
ANCHOR_80 = [0, 0.5, 1, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1]


def test_documented_warmup_cosine_spec():
    s = parse("warmup(cosine(end=0.1), steps=2)").resolve(total=10)
    np.testing.assert_allclose(s(np.arange(11)), ANCHOR_80, atol=5e-6)
    assert [round(s(t), 5) for t in range(11)] == pytest.approx(ANCHOR_80, abs=1e-12)
    assert s(11) == pytest.approx(0.1)  # holds the floor after the end


def test_independent_formula_for_warmup_cosine():
    W, T, floor = 5, 40, 0.05
    s = warmup(cosine(end=floor), steps=W).resolve(total=T)
    for t in range(T + 5):
        if t < W:
            expected = t / W
        else:
            p = min(t - W, T - W) / (T - W)
            expected = floor + (1 - floor) * (1 + math.cos(math.pi * p)) / 2
        assert s(t) == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("shape", ["linear", "cosine", "exponential"])
def test_shapes_reach_the_target_exactly_and_are_monotone(shape):
    start = 0.01 if shape == "exponential" else 0.0
    s = warmup(constant(0.8), steps=7, start=start, shape=shape)
    values = s(np.arange(0, 7.01, 0.25))
    assert values[0] == pytest.approx(start)
    assert s(7) == 0.8
    assert np.all(np.diff(values) >= 0)


def test_cosine_and_exponential_formulas():
    s = warmup(constant(1.0), steps=4, shape="cosine")
    assert s(1) == pytest.approx((1 - math.cos(math.pi / 4)) / 2)
    g = warmup(constant(1.0), steps=4, start=0.01, shape="exponential")
    assert g(2) == pytest.approx(0.01 * (1 / 0.01) ** 0.5)


def test_global_clock_ramps_into_the_schedule_at_its_own_step():
    inner = linear(1.0, 0.0, steps=10)
    s = warmup(inner, steps=4, clock="global", start=0.1)
    assert s(4) == inner(4)
    assert s(6) == inner(6)
    assert s(2) == pytest.approx(0.1 + (inner(4) - 0.1) * 0.5)


def test_warmup_counts_inside_the_run():
    s = warmup(linear(), steps=0.1).resolve(total=100)
    assert s.steps == 10
    assert s.schedule.steps == 90
    assert s.horizon == 100


def test_vectorized_equals_scalar():
    s = warmup(cosine(end=0.1), steps=13, shape="cosine").resolve(total=97)
    t = np.linspace(0, 120, 1001)
    np.testing.assert_array_max_ulp(s(t), np.array([s(float(x)) for x in t]), maxulp=1)


def test_errors():
    with pytest.raises(ValueError, match="must fit in the run"):
        warmup(cosine(), steps=20).resolve(total=10)
    with pytest.raises(ValueError, match="nothing is left"):
        warmup(cosine(), steps=10).resolve(total=10)
    with pytest.raises(ValueError, match=r"Argument `start` of warmup\(\).*exponential"):
        warmup(cosine(), steps=3, shape="exponential")
    with pytest.raises(ValueError, match=r"Argument `shape` of warmup\(\)"):
        warmup(cosine(), steps=3, shape="quadratic")
    with pytest.raises(TypeError, match=r"Argument `schedule` of warmup\(\)"):
        warmup(0.5, steps=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Argument `steps` of warmup\(\)"):
        warmup(cosine(), steps=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target > 0"):
        warmup(constant(0.0), steps=3, start=0.1, shape="exponential").resolve(total=10)
