"""cyclic: torch's CyclicLR in every mode, value for value; boundaries, absolute values, errors."""

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Schedule, absolute, cyclic, from_config, parse
from lrkit.schedules._base import FloatArray


def torch_cyclic(steps: int, base: float = 1.0, **kwargs: Any) -> FloatArray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base, momentum=0.9)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


@pytest.mark.parametrize(("mode", "gamma"), [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.97)])
@pytest.mark.parametrize(("up", "down"), [(2, None), (3, 5), (7, 1)])
def test_matches_torch_cyclic_lr_to_the_last_bits(mode: str, gamma: float, up: int, down: int | None) -> None:
    ref = torch_cyclic(
        200, base_lr=0.1, max_lr=1.0, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma
    )
    s = cyclic(0.1, 1.0, steps_up=up, steps_down=down, mode=mode, gamma=gamma)
    np.testing.assert_allclose([s(t) for t in range(201)], ref, rtol=1e-15, atol=0)
    # numpy's power (exp_range) may differ from the C library's (torch's) in the last bit.
    np.testing.assert_allclose(s(np.arange(201)), ref, rtol=2e-16 if mode == "exp_range" else 0, atol=0)


def test_torch_anchor_item_8() -> None:
    tri2 = cyclic(0.1, 1.0, steps_up=2, mode="triangular2")
    expected = [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125, 0.325]
    np.testing.assert_allclose(tri2(np.arange(11)), expected, atol=1e-6)
    exp = cyclic(0.1, 1.0, steps_up=2, mode="exp_range", gamma=0.9)
    expected = [0.1, 0.505, 0.829, 0.42805, 0.1, 0.365721, 0.578297, 0.315234, 0.1, 0.274339, 0.413811]
    np.testing.assert_allclose(exp(np.arange(11)), expected, atol=1e-6)


def test_absolute_bounds_reproduce_torch_with_any_group_base() -> None:
    ref = torch_cyclic(60, base=0.05, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6)
    s = cyclic(absolute(0.01), absolute(0.1), steps_up=4, steps_down=6).resolve(base=0.05)
    np.testing.assert_allclose(0.05 * s(np.arange(61)), ref, rtol=1e-14)


def test_boundaries_and_independent_formula() -> None:
    s = cyclic(0.2, 0.8, steps_up=3, steps_down=5)
    assert s(0) == 0.2
    assert s(3) == pytest.approx(0.8, rel=1e-15)
    assert s(8) == 0.2
    assert s(11) == pytest.approx(0.8, rel=1e-15)
    for t in (1, 4.5, 7, 9.25):
        k = t % 8
        rise = k / 3 if k <= 3 else 1 - (k - 3) / 5
        assert s(t) == pytest.approx(0.2 + 0.6 * rise, rel=1e-14)
    assert s.horizon is None


def test_triangular2_halves_each_cycle_and_exp_range_decays_per_step() -> None:
    tri2 = cyclic(0.0, 1.0, steps_up=2, mode="triangular2")
    assert [tri2(2 + 4 * k) for k in range(4)] == [1.0, 0.5, 0.25, 0.125]
    far = 2 + 4 * 2000  # the 2001st cycle: 2.0 ** 2000 overflows a float; the amplitude is 0
    assert tri2(far) == 0.0
    assert tri2(np.array([float(far)]))[0] == 0.0
    assert cyclic(0.1, 1.0, steps_up=2, mode="triangular2")(far) == 0.1
    exp = cyclic(0.0, 1.0, steps_up=2, mode="exp_range", gamma=0.5)
    assert exp(2) == 0.25
    assert exp(6) == 0.5**6


def test_steps_down_defaults_to_steps_up_and_fractions_resolve() -> None:
    s = cyclic(0.1, steps_up=0.1)
    assert s.steps_down == 0.1
    assert s.resolve(total=30) == cyclic(0.1, steps_up=3, steps_down=3)
    assert cyclic(0.1, steps_up=4) == cyclic(0.1, 1.0, steps_up=4, steps_down=4)


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        (
            {"low": 0.5, "high": 0.4, "steps_up": 2},
            ValueError,
            r"Argument `low` of cyclic\(\) must be <= high=0.4",
        ),
        (
            {"low": absolute(0.5), "high": absolute(0.4), "steps_up": 2},
            ValueError,
            r"<= high=absolute\(0.4\)",
        ),
        ({"low": -0.1, "steps_up": 2}, ValueError, r"Argument `low`.*Received: low=-0.1"),
        ({"low": 0.1, "steps_up": 0}, ValueError, r"Argument `steps_up`.*Received: steps_up=0"),
        ({"low": 0.1, "steps_up": None}, TypeError, r"Argument `steps_up`"),
        ({"low": 0.1, "steps_up": 2, "steps_down": -1}, ValueError, r"Argument `steps_down`"),
        ({"low": 0.1, "steps_up": 2, "mode": "tri"}, ValueError, r"Argument `mode`.*one of 'triangular'"),
        (
            {"low": 0.1, "steps_up": 2, "mode": "exp_range", "gamma": 0},
            ValueError,
            r"Argument `gamma`.*\(0, 1\]",
        ),
        ({"low": 0.1, "steps_up": 2, "mode": "exp_range", "gamma": 1.1}, ValueError, r"Received: gamma=1.1"),
        (
            {"low": 0.1, "steps_up": 2, "gamma": 0.9},
            ValueError,
            r"Argument `gamma`.*only 'exp_range' uses it",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        cyclic(**kwargs)


def test_low_above_high_is_caught_once_absolute_values_resolve() -> None:
    with pytest.raises(ValueError, match="<= high"):
        cyclic(absolute(0.5), 1.0, steps_up=2).resolve(base=0.25)


def test_steps_up_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        cyclic(0.1, 1.0, 4)  # type: ignore[misc]


@pytest.mark.parametrize(
    "s",
    [
        cyclic(0.1, steps_up=4),
        cyclic(absolute(1e-4), absolute(1e-2), steps_up=0.1, steps_down=0.2, mode="triangular2"),
        cyclic(0.0, 2.0, steps_up=3, mode="exp_range", gamma=0.999),
    ],
    ids=repr,
)
def test_round_trips(s: Schedule) -> None:
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@settings(max_examples=15, deadline=None)
@given(
    base_lr=st.floats(0.0, 0.5),
    span=st.floats(0.0, 2.0),
    up=st.integers(1, 40),
    down=st.none() | st.integers(1, 40),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
)
def test_matches_torch_over_many_configurations(
    base_lr: float, span: float, up: int, down: int | None, mode: str, gamma: float
) -> None:
    gamma = gamma if mode == "exp_range" else 1.0
    max_lr = base_lr + span
    ref = torch_cyclic(
        300, base_lr=base_lr, max_lr=max_lr, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma
    )
    s = cyclic(base_lr, max_lr, steps_up=up, steps_down=down, mode=mode, gamma=gamma)
    np.testing.assert_allclose([s(t) for t in range(301)], ref, rtol=1e-15, atol=1e-300)
    ts = np.concatenate([np.arange(301.0), np.linspace(0, 300, 977)])
    np.testing.assert_array_equal(s(ts), [s(float(t)) for t in ts])
    assert np.all(s(ts) >= 0)
    far = np.array([1e9, 1e12])
    np.testing.assert_array_equal(s(far), [s(float(t)) for t in far])
    assert not math.isnan(s(1e12))
