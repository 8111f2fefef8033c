"""polynomial: torch's PolynomialLR, transformers' and timm's polynomial curves, boundaries, errors."""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, from_config, parse, polynomial, warmup
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


@pytest.mark.parametrize(("total_iters", "power"), [(4, 2.0), (10, 1.0), (37, 0.5), (100, 3.3)])
def test_matches_torch_polynomial_lr(total_iters: int, power: float) -> None:
    ref = torch_lrs(
        lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=total_iters, power=power),
        total_iters + 20,
        base=0.1,
    )
    s = polynomial(power=power, steps=total_iters)
    np.testing.assert_allclose(0.1 * s(np.arange(total_iters + 21)), ref, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose([0.1 * s(t) for t in range(total_iters + 21)], ref, rtol=1e-12, atol=1e-18)


def test_torch_anchor_item_4() -> None:
    s = polynomial(power=2.0, steps=4)
    np.testing.assert_allclose(0.1 * s(np.arange(6)), [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0], atol=1e-15)


def test_transformers_polynomial_anchor_item_31() -> None:
    # HF polynomial(power=2, lr_end=.1), W=2, T=10: ((1 - .1) * (1 - (t - W) / (T - W)) ** 2 + .1).
    s = warmup(polynomial(end=0.1, power=2.0), steps=2).resolve(total=10)
    expected = [0, 0.5, 1] + [0.9 * (1 - min(t - 2, 8) / 8) ** 2 + 0.1 for t in range(3, 12)]
    np.testing.assert_allclose(s(np.arange(12)), expected, rtol=1e-14)
    np.testing.assert_allclose(
        s(np.arange(12)),
        [0, 0.5, 1, 0.78906, 0.60625, 0.45156, 0.325, 0.22656, 0.15625, 0.11406, 0.1, 0.1],
        atol=5e-6,
    )


def test_timm_poly_anchor_item_22() -> None:
    s = polynomial(power=0.5, steps=8)
    expected = [1.0, 0.93541, 0.86603, 0.79057, 0.70711, 0.61237, 0.5, 0.35355, 0.0]
    np.testing.assert_allclose(s(np.arange(9)), expected, atol=5e-6)


def test_boundaries_and_hold() -> None:
    s = polynomial(start=0.9, end=0.2, power=1.7, steps=12)
    assert s(0) == 0.9
    assert s(12) == 0.2
    assert s(13) == 0.2
    assert s(1e12) == 0.2
    assert s.horizon == 12.0
    assert s(6) == pytest.approx(0.2 + 0.7 * 0.5**1.7, rel=1e-15)


def test_growth_and_absolute_values() -> None:
    s = polynomial(start=0.0, end=1.0, power=2.0, steps=4)
    assert [s(t) for t in range(5)] == pytest.approx([1 - (1 - t / 4) ** 2 for t in range(5)], rel=1e-15)
    r = polynomial(end=absolute(1e-4), steps=10).resolve(base=1e-2)
    assert r(10) == pytest.approx(1e-2, rel=1e-14)


def test_rise_from_near_zero_keeps_relative_precision_near_the_start() -> None:
    s = polynomial(start=1e-6, end=10.0, power=2.0, steps=1000)
    p = 1e-3 / 1000
    exact = 1e-6 * (1 - p) ** 2 + 10.0 * (2 * p - p * p)  # 1 - (1 - p) ** 2 written out, no cancellation
    assert s(1e-3) == pytest.approx(exact, rel=1e-13)
    assert s(np.array([1e-3]))[0] == pytest.approx(exact, rel=1e-13)
    assert s(0) == 1e-6
    assert s(1000) == 10.0


def test_decay_to_zero_keeps_relative_precision_near_the_end() -> None:
    s = polynomial(power=3.0, steps=10_000)
    assert s(9999.5) == pytest.approx((0.5 / 10_000) ** 3, rel=1e-12)


def test_lengths_resolve() -> None:
    assert polynomial(steps=0.25).resolve(total=10) == polynomial(steps=3)
    assert polynomial().resolve(total=7) == polynomial(steps=7)
    with pytest.raises(ValueError, match="needs the run's length"):
        polynomial().resolve()


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"power": 0},
            ValueError,
            r"Argument `power` of polynomial\(\) must be a finite number in \(0, inf\]",
        ),
        ({"power": -1.0}, ValueError, r"Received: power=-1.0"),
        ({"power": math.inf}, ValueError, r"Received: power=inf"),
        ({"steps": 0}, ValueError, r"Argument `steps`.*Received: steps=0"),
        ({"steps": -3}, ValueError, r"Received: steps=-3"),
        ({"steps": 1.01}, ValueError, r"Received: steps=1.01"),
        ({"steps": "10"}, TypeError, r"Argument `steps`"),
        ({"start": math.nan}, ValueError, r"Argument `start`.*Received: start=nan"),
        ({"end": math.nan}, ValueError, r"Argument `end`.*Received: end=nan"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        polynomial(**kwargs)


@pytest.mark.parametrize(
    "s",
    [polynomial(), polynomial(power=2.0, steps=5), polynomial(0.5, absolute(0.001), 0.3, 0.5)],
    ids=repr,
)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


def test_numpy_scalars_are_normalized() -> None:
    s = polynomial(np.float32(0.5), np.float64(0.0), np.int64(2), np.int64(8))  # type: ignore[arg-type]
    assert s == polynomial(0.5, 0.0, 2.0, 8)
    assert type(s.steps) is int
    assert type(s.power) is float


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 10),
    end=st.floats(0, 10),
    power=st.floats(0.05, 8),
    steps=st.integers(1, 10_000),
    ts=st.lists(st.floats(0, 2e4), min_size=1, max_size=30),
)
def test_scalar_equals_vector(start: float, end: float, power: float, steps: int, ts: list[float]) -> None:
    s = polynomial(start, end, power, steps)
    grid = np.asarray([*ts, 0.0, steps - 0.5, float(steps)])
    # Both paths evaluate numpy's transcendental functions: bit for bit.
    np.testing.assert_array_equal(s(grid), [s(float(t)) for t in grid])
    assert np.all(s(grid) >= 0)
    assert s(0) == start
    assert s(steps) == end


@pytest.mark.parametrize("shape", [(), (0,), (3, 2)])
def test_arrays_of_any_shape(shape: tuple[int, ...]) -> None:
    for s in (polynomial(steps=10), polynomial(0.5, 0.2, steps=10)):
        grid = np.linspace(0.0, 12.0, int(np.prod(shape))).reshape(shape) if shape else np.array(3.0)
        values = s(grid)
        assert values.shape == grid.shape
        np.testing.assert_array_equal(values, np.vectorize(lambda v, s=s: s(float(v)), otypes=[float])(grid))
