"""Growth (gamma / rate above 1) in step_decay and exponential, and where it overflows.

Oracles: torch's StepLR and ExponentialLR (growth is accepted by torch); Python's own ``**`` for
the step where a power leaves the floats (``OverflowError``); exact decimal arithmetic for the
geometric form between far-apart values.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import exponential, parse, sequence, step_decay
from lrkit.schedules._growth import first_overflow


def torch_lrs(make, steps: int, base: float = 0.1) -> np.ndarray:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return np.array(out)


def python_overflow(rate: float, every: int, *, whole: bool, near: int) -> int:
    """The first step whose ``rate ** x`` raises OverflowError in Python, searched around `near`."""
    for t in range(max(0, near - 3 * every - 3), near + 3 * every + 4):
        x = math.floor(t / every) if whole else t / every
        try:
            rate**x
        except OverflowError:
            return t
    raise AssertionError("no overflow near the estimate")


@pytest.mark.parametrize(("step_size", "gamma"), [(3, 2.0), (1, 1.5), (5, 10.0)])
def test_step_decay_growth_equals_torch_step_lr(step_size: int, gamma: float) -> None:
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), 60)
    s = step_decay(step_size, gamma=gamma)
    np.testing.assert_allclose(0.1 * s(np.arange(60.0)), expected, rtol=1e-12)
    np.testing.assert_allclose([0.1 * s(t) for t in range(60)], expected, rtol=1e-12)


@pytest.mark.parametrize("gamma", [1.01, 1.1, 2.0, 0.0])
def test_exponential_growth_and_zero_equal_torch_exponential_lr(gamma: float) -> None:
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma), 200)
    s = exponential(rate=gamma)
    np.testing.assert_allclose(0.1 * s(np.arange(200.0)), expected, rtol=1e-12)
    np.testing.assert_allclose([0.1 * s(t) for t in range(200)], expected, rtol=1e-12)


def test_step_decay_gamma_zero_equals_torch() -> None:
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.0), 10)
    np.testing.assert_array_equal(0.1 * step_decay(3, gamma=0.0)(np.arange(10.0)), expected)


@pytest.mark.parametrize(
    ("rate", "every", "whole"),
    [(2.0, 1, True), (2.0, 3, True), (1.1, 1, False), (1.1, 7, False), (3.7, 2, True), (1.0001, 1, False)],
)
def test_first_overflow_equals_pythons_overflow(rate: float, every: int, whole: bool) -> None:
    near = int(every * math.log(1.7976931348623157e308) / math.log(rate))
    assert first_overflow(rate, every, whole=whole) == python_overflow(rate, every, whole=whole, near=near)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(1.0001, 1e6), every=st.integers(1, 50), whole=st.booleans())
def test_first_overflow_is_the_first_step_whose_value_is_not_finite(rate, every, whole) -> None:
    at = first_overflow(rate, every, whole=whole)
    s = exponential(rate=rate, every=every, staircase=whole)
    assert math.isfinite(s(at - 1))
    with pytest.raises(ValueError, match=f"from step {at:.0f} on"):
        s(at)


def test_growth_that_overflows_within_the_run_is_refused_when_resolved() -> None:
    with pytest.raises(
        ValueError,
        match=r"step_decay\(1, gamma=2.0\) grows past the largest float .* from step 1024 on "
        r"\(resolved for 2000 steps\)",
    ):
        step_decay(1, gamma=2.0).resolve(total=2000)
    with pytest.raises(ValueError, match=r"exponential\(rate=2.0\) grows .* from step 1024 on"):
        parse("torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=2.0)").resolve(total=1500)
    # The run ends before the overflow: accepted, and the last value is finite.
    last = step_decay(1, gamma=2.0).resolve(total=1024)
    assert last(1023) == 2.0**1023
    # A phase of a sequence sees its own window.
    assert sequence([exponential(rate=2.0), exponential(rate=0.5)], [1000]).resolve(total=5000)


def test_growth_evaluated_past_its_overflow_names_the_step() -> None:
    s = exponential(rate=2.0, every=2)
    assert s(2047) == 2.0**1023.5
    with pytest.raises(ValueError, match=r"from step 2048 on \(evaluated at step 3000.0\)"):
        s(3000)
    with pytest.raises(ValueError, match=r"from step 2048 on \(evaluated at step 2500.0\)"):
        s(np.array([0.0, 2500.0, 10.0]))
    with pytest.raises(ValueError, match=r"step_decay\(3, gamma=2.0\) .* from step 3072 on"):
        step_decay(3, gamma=2.0)(np.arange(4000.0))


def test_far_apart_geometric_form_equals_exact_arithmetic() -> None:
    """Issue 14 item 4b: 1e200 to 1e-200 over 10 steps (end / start underflows to 0)."""
    getcontext().prec = 50
    for start, end in [(1e200, 1e-200), (1e-200, 1e200), (1e300, 1e-300), (5e-324, 1.0)]:
        s = exponential(start=start, end=end, steps=10)
        exact = [
            float(Decimal(start) ** (1 - Decimal(t) / 10) * Decimal(end) ** (Decimal(t) / 10))
            for t in range(11)
        ]
        scalar = [s(t) for t in range(11)]
        np.testing.assert_allclose(scalar, exact, rtol=1e-12)
        np.testing.assert_array_equal(s(np.arange(11.0)), scalar)
        assert scalar[0] == start
        assert scalar[10] == end


@pytest.mark.parametrize(
    ("spec", "lr", "step"),
    [
        ("optax.exponential_decay(10.0, 1, 2.0)", "1.0", 1021),  # 10 * 2 ** 1021 > 1.8e308
        ("ExponentialLR(gamma=2.0)", "10", 1021),  # the factor is finite, the rate is not
    ],
)
def test_lrkit_table_never_prints_inf(capsys, spec, lr, step):
    """A rate past the largest float is one line on stderr naming the step (exit 2), never `inf`."""
    from lrkit.cli import main

    assert main(["table", spec, "--lr", lr, "--steps", "1024"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"not finite (inf) at step {step} " in err
