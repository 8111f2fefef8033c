"""constant, linear and cosine against independent formulas and torch."""

import math

import numpy as np
import pytest
import torch

from lrkit import absolute, constant, cosine, linear
from lrkit.schedules.extrapolate import extrapolate


def test_constant():
    s = constant(0.25)
    assert s(0) == 0.25
    assert s(1e9) == 0.25
    np.testing.assert_array_equal(s(np.arange(4)), [0.25] * 4)
    assert s.horizon == 0.0


def test_linear_boundaries():
    s = linear(0.2, 1.0, steps=4)
    expected = [0.2 + 0.8 * min(t, 4) / 4 for t in range(8)]
    assert [s(t) for t in range(8)] == pytest.approx(expected, rel=0, abs=1e-15)
    assert s(0) == 0.2
    assert s(4) == 1.0
    assert s(100) == 1.0
    assert s.horizon == 4.0


def _torch_lrs(make, steps, base=0.1):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs)


def test_linear_matches_torch_linear_lr():
    ref = _torch_lrs(lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.25, 1.0, total_iters=4), 10)
    ours = 0.1 * linear(0.25, 1.0, steps=4)(np.arange(11))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_cosine_formula_and_floor():
    s = cosine(end=0.1, steps=8)
    for t in range(12):
        p = min(t, 8) / 8
        assert s(t) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * p)) / 2, rel=1e-15)
    assert s(8) == 0.1
    assert s(9) == 0.1


def test_cosine_exponent_matches_optax_formula():
    # optax cosine_decay_schedule(1, 8, alpha=.1, exponent=2), anchors (c) item 38.
    s = cosine(end=0.1, steps=8, exponent=2.0)
    expected = [1.0, 0.9328, 0.7557, 0.53016, 0.325, 0.18574, 0.1193, 0.1013, 0.1, 0.1]
    np.testing.assert_allclose(s(np.arange(10)), expected, atol=5e-5)


def test_cosine_matches_torch_and_rises_after_t_max_when_extrapolated():
    ref = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 35)
    held = cosine(steps=10, end=absolute(0.001)).resolve(base=0.1)
    continued = extrapolate(held)
    np.testing.assert_allclose(0.1 * continued(np.arange(36)), ref, rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(0.1 * held(np.arange(11)), ref[:11], rtol=1e-12)
    assert 0.1 * held(20) == pytest.approx(0.001)
    assert ref[20] == pytest.approx(0.1)


def test_cosine_warmup_is_increasing_when_start_below_end():
    s = cosine(start=0.0, end=1.0, steps=4)
    values = s(np.arange(5))
    assert np.all(np.diff(values) > 0)
    assert values[0] == 0.0
    assert values[-1] == 1.0
