"""extrapolate: torch's CosineAnnealingLR past T_max, accepted shapes, round trips and errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import absolute, constant, cosine, extrapolate, from_config, linear, parse, warmup


def _torch_cosine_annealing(base, T_max, eta_min, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@settings(max_examples=25, deadline=None)
@given(
    base=st.floats(1e-4, 1.0),
    T_max=st.integers(1, 30),
    ratio=st.floats(0.0, 0.9),
)
def test_matches_torch_cosine_annealing_past_t_max(base, T_max, ratio):
    eta_min = base * ratio
    s = extrapolate(cosine(steps=T_max, end=absolute(eta_min))).resolve(base=base)
    expected = _torch_cosine_annealing(base, T_max, eta_min, 4 * T_max + 3)
    got = [base * s(t) for t in range(len(expected))]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_anchor_periodic_values():
    # anchors (c) item 1: base .1, T_max 4, eta_min .01.
    s = extrapolate(cosine(steps=4, end=0.1))
    np.testing.assert_allclose(
        [0.1 * s(t) for t in range(10)],
        [0.1, 0.08682, 0.055, 0.02318, 0.01, 0.02318, 0.055, 0.08682, 0.1, 0.08682],
        atol=5e-6,
    )
    assert s(8) == pytest.approx(1.0)


def test_inner_resolution_and_horizon():
    s = extrapolate(cosine(end=0.1)).resolve(total=20)
    assert s.schedule.steps == 20
    assert s.horizon is None
    assert s(40) == pytest.approx(1.0)


@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=20))
def test_vectorized_close_to_scalar(steps):
    s = extrapolate(cosine(end=0.05, steps=13))
    vec = s(np.array(steps))
    sca = np.array([s(t) for t in steps])
    assert np.all(np.abs(vec - sca) <= np.spacing(np.maximum(vec, sca)))
    assert np.all(vec >= 0)


def test_round_trips():
    s = extrapolate(cosine(end=0.1, steps=10))
    assert parse(repr(s)) == s
    assert from_config(s.to_config()) == s


@pytest.mark.parametrize("inner", [linear(steps=5), constant(0.5), warmup(cosine(), steps=2)])
def test_rejects_shapes_without_a_continuation(inner):
    with pytest.raises(ValueError, match=r"`schedule` of extrapolate\(\) must be a shape whose") as e:
        extrapolate(inner)
    assert "cosine()" in str(e.value)
    assert f"Received: schedule={inner!r}" in str(e.value)


def test_rejects_non_schedules():
    with pytest.raises(TypeError, match=r"extrapolate\(\) must be a schedule"):
        extrapolate("cosine")
