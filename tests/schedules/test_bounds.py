"""floor, ceiling and scale: formulas, absolute values, round trips and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit import absolute, ceiling, cosine, floor, from_config, linear, parse, scale, warmup


def test_floor_is_max_of_schedule_and_value():
    s = floor(cosine(steps=10), 0.2)
    for t in range(13):
        c = (1 + math.cos(math.pi * min(t, 10) / 10)) / 2
        assert s(t) == max(c, 0.2)
    assert s(10) == 0.2


def test_ceiling_is_min_of_schedule_and_value():
    s = ceiling(linear(0.0, 2.0, steps=8), 1.5)
    assert [s(t) for t in range(10)] == [min(2.0 * min(t, 8) / 8, 1.5) for t in range(10)]


def test_scale_multiplies():
    s = scale(cosine(end=0.1, steps=4), 0.5)
    for t in range(6):
        assert s(t) == 0.5 * (0.1 + 0.9 * (1 + math.cos(math.pi * min(t, 4) / 4)) / 2)


def test_absolute_values_resolve_against_the_base():
    s = floor(cosine(steps=10), absolute(0.01)).resolve(base=0.1)
    assert s.value == pytest.approx(0.1)
    peak = scale(cosine(steps=4), absolute(0.5)).resolve(base=0.1)
    assert 0.1 * peak(0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="needs the base value"):
        floor(cosine(steps=10), absolute(0.01))(3)


def test_children_get_the_whole_window():
    s = floor(warmup(cosine(), steps=0.1), 0.05).resolve(total=50)
    assert s.schedule.schedule.steps == 45
    assert scale(cosine(), 2.0).resolve(total=9).schedule.steps == 9


def test_horizon_passes_through():
    assert floor(cosine(steps=10), 0.1).horizon == 10.0
    assert scale(cosine(), 0.5).horizon is None


@given(st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=20))
def test_vectorized_equals_scalar(steps):
    for s in (floor(cosine(steps=12), 0.3), ceiling(cosine(steps=12), 0.3), scale(cosine(steps=12), 0.3)):
        assert s(np.array(steps)).tolist() == [s(t) for t in steps]


@pytest.mark.parametrize(
    "s",
    [floor(cosine(steps=10), 0.1), ceiling(linear(steps=4), absolute(0.01)), scale(cosine(end=0.1), 0.5)],
)
def test_spec_and_config_round_trips(s):
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_spec_multiplication_by_a_number_is_scale():
    assert parse("0.5 * cosine(steps=4)") == scale(cosine(steps=4), 0.5)
    assert parse("cosine(steps=4) * 2") == scale(cosine(steps=4), 2)


@pytest.mark.parametrize("build", [floor, ceiling])
def test_value_errors(build):
    name = build.name
    with pytest.raises(ValueError, match=rf"`value` of {name}\(\) must be a finite number"):
        build(cosine(), math.inf)
    with pytest.raises(ValueError, match="Received: value=nan"):
        build(cosine(), float("nan"))
    with pytest.raises(TypeError, match=rf"Argument `schedule` of {name}\(\) must be a schedule"):
        build(0.1, cosine())


def test_scale_errors():
    with pytest.raises(ValueError, match=r"Argument `factor` of scale\(\) must be .* Received: factor=-inf"):
        scale(cosine(), -math.inf)
    with pytest.raises(ValueError, match="factor=inf"):
        scale(cosine(), math.inf)
    with pytest.raises(TypeError, match="Received: factor='x'"):
        scale(cosine(), "x")
