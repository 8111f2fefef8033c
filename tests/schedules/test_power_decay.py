"""power_decay: the 1-sqrt cooldown of WSD (timm, Megatron-LM, transformers), boundaries, errors."""

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, constant, from_config, parse, power_decay, sequence, warmup
from lrkit.schedules import PowerDecay


def test_formula_at_boundaries() -> None:
    s = power_decay(start=0.8, end=0.1, power=0.5, steps=9)
    assert s(0) == 0.8
    assert s(9) == 0.1
    assert s(10) == 0.1
    assert s.horizon == 9.0
    for t in (1, 4, 4.5, 8):
        assert s(t) == pytest.approx(0.1 + 0.7 * (1 - math.sqrt(t / 9)), rel=1e-14)


def test_megatron_minus_sqrt_anchor_item_53() -> None:
    # WSD minus_sqrt cooldown over 4 steps from 1 to .1: 1 - sqrt(r) -> [.55, .3636, .22058, .1].
    s = power_decay(end=0.1, steps=4)
    np.testing.assert_allclose([s(t) for t in range(1, 5)], [0.55, 0.3636, 0.22058, 0.1], atol=5e-6)


def test_timm_wsd_1_sqrt_anchor_item_24() -> None:
    # WSDLRScheduler(t_initial=10, decay_t=4, warmup_t=2): warmup 2, stable 6, 1-sqrt decay over 4.
    s = warmup(sequence((constant(1.0), power_decay()), boundaries=(6,)), steps=2).resolve(total=12)
    expected = [0.0, 0.5, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.29289, 0.13397, 0.0, 0.0]
    np.testing.assert_allclose(s(np.arange(14)), expected, atol=5e-6)


def test_transformers_wsd_1_sqrt_anchor_item_35() -> None:
    # warmup_stable_decay(W=2, T=10, num_decay_steps=4, decay_type='1-sqrt', min_lr_ratio=.1):
    # the decay part [.55, .3636, .22058, .1] after 5 steps at 1.
    s = sequence((constant(1.0), power_decay(end=0.1)), boundaries=(5,)).resolve(total=9)
    np.testing.assert_allclose(s(np.arange(5, 10)), [1, 0.55, 0.3636, 0.22058, 0.1], atol=5e-6)


def test_other_powers_and_decay_to_zero_precision() -> None:
    s = power_decay(power=2.0, steps=10)
    assert [s(t) for t in range(11)] == pytest.approx(
        [1 - (t / 10) ** 2 for t in range(11)], rel=1e-14, abs=1e-16
    )
    near_end = power_decay(steps=10_000)
    t = 9999.9
    exact = -math.expm1(0.5 * math.log1p(-0.1 / 10_000))  # 1 - sqrt(1 - 1e-5), no cancellation
    assert near_end(t) == pytest.approx(exact, rel=1e-12)
    assert near_end(np.array([t]))[0] == pytest.approx(exact, rel=1e-12)


def test_absolute_end_and_lengths() -> None:
    s = power_decay(end=absolute(0.001), steps=0.5).resolve(total=10, base=0.01)
    assert isinstance(s, PowerDecay)
    assert s.steps == 5
    assert s(5) == pytest.approx(0.1, rel=1e-14)
    assert power_decay().resolve(total=3) == power_decay(steps=3)


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"power": 0.0},
            ValueError,
            r"Argument `power` of power_decay\(\) must be a finite number in \(0, inf\]",
        ),
        ({"power": -0.5}, ValueError, r"Received: power=-0.5"),
        ({"steps": 0}, ValueError, r"Argument `steps`.*Received: steps=0"),
        ({"steps": 0.0}, ValueError, r"Received: steps=0.0"),
        ({"end": -1}, ValueError, r"Argument `end`.*Received: end=-1"),
        ({"start": None}, TypeError, r"Argument `start`"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        power_decay(**kwargs)


@pytest.mark.parametrize("s", [power_decay(), power_decay(0.5, 0.05, 2.0, 100)], ids=repr)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(0, 10),
    end=st.floats(0, 10),
    steps=st.integers(1, 10_000),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_square_root_paths_agree_to_the_last_bit(
    start: float, end: float, steps: int, ts: list[float]
) -> None:
    s = power_decay(start, end, 0.5, steps)
    grid = np.asarray([*ts, 0.0, steps - 0.5, float(steps)])
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
    assert s(0) == start
    assert s(steps) == end


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 10),
    end=st.floats(0, 10),
    power=st.floats(0.05, 8),
    steps=st.integers(1, 10_000),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_scalar_equals_vector(start: float, end: float, power: float, steps: int, ts: list[float]) -> None:
    s = power_decay(start, end, power, steps)
    grid = np.asarray([*ts, 0.0, steps - 0.5, float(steps)])
    # Both paths evaluate numpy's transcendental functions: bit for bit.
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
    assert np.all(s(grid) >= 0)
    assert s(0) == start
    assert s(steps) == end


@pytest.mark.parametrize("shape", [(), (0,), (3, 2)])
def test_arrays_of_any_shape(shape: tuple[int, ...]) -> None:
    for s in (power_decay(steps=10), power_decay(0.5, 0.2, steps=10)):
        grid = np.linspace(0.0, 12.0, int(np.prod(shape))).reshape(shape) if shape else np.array(3.0)
        values = s(grid)
        assert values.shape == grid.shape
        np.testing.assert_array_equal(values, np.vectorize(lambda v, s=s: s(float(v)), otypes=[float])(grid))
