"""product: values from the factors' own formulas, spans, horizon, round trips and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import constant, cosine, from_config, linear, parse, product, warmup


def test_product_of_linear_warmup_and_cosine_is_torch_chained_formula():
    # anchors (c) item 11: ChainedScheduler([LinearLR(0.1, 1, 5), CosineAnnealingLR(10)]), base .1.
    s = product([linear(0.1, 1.0, steps=5), cosine(steps=10)])
    for t in range(12):
        lin = 0.1 + 0.9 * min(t, 5) / 5
        cos = (1 + math.cos(math.pi * min(t, 10) / 10)) / 2
        assert s(t) == pytest.approx(lin * cos, rel=1e-14, abs=1e-16)
    assert 0.1 * s(1) == pytest.approx(0.027315, abs=5e-7)
    assert 0.1 * s(4) == pytest.approx(0.05367, abs=5e-6)


def test_every_factor_sees_the_whole_window():
    s = product([cosine(), linear(1.0, 0.5)]).resolve(total=40)
    assert [f.steps for f in s.schedules] == [40, 40]
    inner = warmup(product([cosine(), constant(0.5)]), steps=10).resolve(total=40)
    assert inner.schedule.schedules[0].steps == 30


def test_horizon_is_the_latest_factor():
    assert product([linear(steps=3), cosine(steps=7)]).horizon == 7.0
    assert product([constant(0.5), constant(2.0)]).horizon == 0.0
    assert product([cosine(steps=3), cosine()]).horizon is None


@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=30))
def test_vectorized_equals_scalar(steps):
    s = product([warmup(cosine(end=0.1), steps=3), linear(1.0, 0.2, steps=20), constant(0.7)])
    s = s.resolve(total=40)
    assert s(np.array(steps)).tolist() == [s(t) for t in steps]


def test_spec_and_config_round_trips():
    s = product([cosine(end=0.1, steps=10), linear(0.5, 1.0, steps=4)])
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s
    assert parse("cosine(end=0.1, steps=10) * linear(0.5, 1.0, steps=4)") == s


def test_errors():
    with pytest.raises(ValueError, match=r"`schedules` of product\(\) must be a list of at least one"):
        product([])
    with pytest.raises(TypeError, match=r"Argument `schedules` of product\(\) must be a list of schedules"):
        product(cosine())
    with pytest.raises(TypeError, match=r"Received: schedules=\[0.5"):
        product([0.5, cosine()])
