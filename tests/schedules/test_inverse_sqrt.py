"""inverse_sqrt: the formula, transformers' and Megatron-LM's inverse square root, errors."""

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, from_config, inverse_sqrt, parse, warmup


def test_formula_and_open_end() -> None:
    s = inverse_sqrt(timescale=4)
    assert s(0) == 1.0
    assert s(4) == 1 / math.sqrt(2)
    assert s(12) == 0.5
    assert s(1e12) == pytest.approx(math.sqrt(4 / 1e12), rel=1e-6)
    assert s.horizon is None
    assert s.resolve(total=10) == s


def test_transformers_inverse_sqrt_anchor_item_32() -> None:
    # transformers inverse_sqrt, W=2, timescale=W: 1 / sqrt((t + timescale - W) / timescale) after W.
    W = 2
    s = warmup(inverse_sqrt(timescale=W), steps=W)
    expected = [t / W if t < W else 1 / math.sqrt((t + W - W) / W) for t in range(12)]
    np.testing.assert_allclose(s(np.arange(12)), expected, rtol=1e-15)
    anchor = [0, 0.5, 1, 0.8165, 0.70711, 0.63246, 0.57735, 0.53452, 0.5, 0.4714, 0.44721, 0.4264]
    np.testing.assert_allclose(s(np.arange(12)), anchor, atol=5e-6)


def test_megatron_inverse_square_root_anchor_item_52() -> None:
    # Megatron: max_lr * sqrt(W) / sqrt(t) after W steps (before its cut to min_lr at the decay end).
    W = 2
    s = warmup(inverse_sqrt(timescale=W), steps=W)
    for t in range(W, 11):
        assert s(t) == pytest.approx(math.sqrt(W) / math.sqrt(t), rel=1e-15)


@pytest.mark.parametrize(
    ("timescale", "kind"), [(0, ValueError), (-1.0, ValueError), (math.inf, ValueError), (None, TypeError)]
)
def test_bad_timescale(timescale: Any, kind: type[Exception]) -> None:
    with pytest.raises(
        kind, match=r"Argument `timescale` of inverse_sqrt\(\) must be a finite number in \(0, inf\]"
    ):
        inverse_sqrt(timescale=timescale)


@pytest.mark.parametrize("s", [inverse_sqrt(), inverse_sqrt(timescale=1000.0)], ids=repr)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert inverse_sqrt(timescale=3) == inverse_sqrt(timescale=3.0)


@settings(max_examples=60, deadline=None)
@given(timescale=st.floats(1e-3, 1e6), ts=st.lists(st.floats(0, 1e9), min_size=1, max_size=40))
def test_scalar_equals_vector_exactly(timescale: float, ts: list[float]) -> None:
    s = inverse_sqrt(timescale=timescale)
    grid = np.asarray(ts)
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
    assert np.all((s(grid) > 0) & (s(grid) <= 1))
