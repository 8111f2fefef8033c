"""Every schedule evaluates in bounded time at any step it accepts (issue 14 item 8).

Budgets are generous (the machine is shared): a loop over cycles, a table over all cycles or a
sequence of 10**8 phases took seconds to minutes, gigabytes, or never ended; a closed form takes
microseconds. Values are checked against formulas evaluated independently (mpmath at 50 digits,
torch's CosineAnnealingWarmRestarts).
"""

from __future__ import annotations

import math
import time
import tracemalloc
import warnings

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit import constant, cosine, linear, restarts, sequence
from lrkit.presets import transformers as hf

BUDGET = 1.0  # seconds, for what takes microseconds when bounded
TOP = 2.0**53
NEAR_ONE = 1.0000000000000002  # the float after 1


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


CASES = {
    "period=1": restarts(cosine(), period=1),
    "period=3, decay": restarts(cosine(), period=3, decay=0.5),
    "mult after 1": restarts(cosine(), period=1, mult=NEAR_ONE),
    "mult after 1, decay": restarts(cosine(end=0.1), period=2, mult=NEAR_ONE, decay=0.9, decay_mode="peak"),
    "mult before 1": restarts(cosine(), period=5, mult=0.9999999999999999, limit=10**15),
    "mult 2": restarts(cosine(), period=1, mult=2.0, decay=0.5),
    "mult 1e300": restarts(cosine(), period=1, mult=1e300),
    "power law": restarts(cosine(), period=1, decay_law="power", decay=1.0),
    "power law, mult": restarts(cosine(), period=2, mult=1.5, decay_law="power", decay=0.5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_restarts_at_the_last_step_in_bounded_time(name):
    s = CASES[name].resolve()
    steps = np.array([0.0, 1.0, 2.5, 1e6, 1e12, 2.0**52 + 1, TOP - 1, TOP])
    vector, seconds = _timed(lambda: s(steps))
    assert seconds < BUDGET
    scalar, seconds = _timed(lambda: [s(float(t)) for t in steps])
    assert seconds < BUDGET
    assert vector.tolist() == scalar
    assert np.all(np.isfinite(vector))
    assert np.all(vector >= 0.0)


def test_a_vector_over_every_cycle_does_not_build_a_table_of_cycles():
    # A table over the 2**53 cycles between the two steps was a MemoryError (decay's g_k) or hung.
    for s in (CASES["power law"], CASES["period=3, decay"]):
        tracemalloc.start()
        values, seconds = _timed(lambda s=s: s.resolve()(np.array([0.0, TOP])))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert seconds < BUDGET
        assert peak < 10**6
        assert values[0] == 1.0


def _exact(t, period, mult, digits=50):
    """cosine restarts at step t from the definition, at `digits` digits (mpmath)."""
    with mpmath.workdps(digits):
        t, p, m = mpmath.mpf(t), mpmath.mpf(period), mpmath.mpf(mult)
        k = int(mpmath.floor(mpmath.log(1 + t / p * (m - 1)) / mpmath.log(m)))
        start = p * (m**k - 1) / (m - 1)
        while start > t:  # the floor of a logarithm can land one cycle late at 50 digits too
            k -= 1
            start = p * (m**k - 1) / (m - 1)
        while p * (m ** (k + 1) - 1) / (m - 1) <= t:
            k += 1
            start = p * (m**k - 1) / (m - 1)
        local = (t - start) / (p * m**k) * p
        return float((1 + mpmath.cos(mpmath.pi * local / p)) / 2)


@pytest.mark.parametrize("mult", [NEAR_ONE, 1.0 + 2**-40, 1.0001, 1.5, 2.0])
@pytest.mark.parametrize("t", [10.5, 1e3 + 0.25, 123456.75, 1e9 + 0.5])
def test_growing_cycles_follow_the_definition_near_mult_1(mult, t):
    # mult**k by squaring mult kept no digit of mult - 1 at k ~ 1e9: the cycle index was off by
    # 10**5 cycles at t = 1e12 and the loop that corrected it took seconds.
    s = restarts(cosine(steps=7), period=7, mult=mult).resolve()
    assert s(t) == pytest.approx(_exact(t, 7, mult), abs=1e-6)


def _torch_rates(T_0, T_mult, epochs):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult)
    out = []
    for epoch in epochs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # step(epoch) is deprecated, still honoured
            sched.step(epoch)
        out.append(opt.param_groups[0]["lr"])
    return out


@pytest.mark.parametrize(("T_0", "T_mult"), [(1, 1), (3, 1), (1, 2), (5, 3)])
def test_huge_epochs_match_torch(T_0, T_mult):
    epochs = [2.0**40 + 0.5, 1e12 + 0.25, 3.0**30 + 7.5, 2.0**50 + 3.0]
    s = restarts(cosine(steps=T_0), period=T_0, mult=float(T_mult)).resolve()
    ours, seconds = _timed(lambda: [s(e) for e in epochs])
    assert seconds < BUDGET
    assert ours == pytest.approx(_torch_rates(T_0, T_mult, epochs), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    period=st.integers(1, 50),
    mult=st.sampled_from([NEAR_ONE, 1.0 + 2**-30, 1.1, 2.0, 0.5, 0.9999999]),
    decay=st.sampled_from([1.0, 0.5, 0.999]),
    law=st.sampled_from(["geometric", "power"]),
    steps=st.lists(st.floats(0.0, TOP), min_size=1, max_size=30),
)
def test_vectorized_equals_scalar_at_any_step(period, mult, decay, law, steps):
    limit = 10**6 if mult < 1 else None
    s = restarts(cosine(end=0.05), period=period, mult=mult, decay=decay, limit=limit, decay_law=law)
    s = s.resolve()
    points = np.array(steps)
    vector, seconds = _timed(lambda: s(points))
    assert seconds < BUDGET
    assert vector.tolist() == [s(float(t)) for t in points]


def test_transformers_cosine_with_restarts_is_constant_time_in_num_cycles():
    # It was a sequence of num_cycles cosines: num_cycles=10**8 took minutes and 5 GB.
    grid = np.array([0.0, 1.0, 5e8 + 3.0, 1e9 + 3.0, 2e9])
    tracemalloc.start()
    values, seconds = _timed(
        lambda: hf.cosine_with_restarts(3, 10**9 + 3, num_cycles=10**8).resolve(10**9 + 3)(grid)
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < BUDGET
    assert peak < 10**6
    # transformers' formula: 0.5 * (1 + cos(pi * ((n * p) % 1))), p = (t - W) / (T - W); 0 from p = 1
    n, p = 10**8, 5e8 / 1e9
    middle = 0.5 * (1 + math.cos(math.pi * ((n * p) % 1)))
    assert values.tolist() == pytest.approx([0.0, 1 / 3, middle, 0.0, 0.0])
    spec = "transformers.cosine_with_restarts(0, 2000000000, num_cycles=999999999)"
    _, seconds = _timed(lambda: lrkit.parse(spec))
    assert seconds < BUDGET


def test_a_vector_over_a_long_sequence_evaluates_only_the_phases_it_meets():
    count = 10**5
    phases = [linear(1.0, 0.0, steps=2)] * count + [constant(0.5)]
    s = sequence(phases, tuple(2 * (i + 1) for i in range(count)))
    grid = np.array([0.0, 1.0, 3.0, 2e5 - 1, 2e5, 1e9])
    s(0.0)  # once: checks that every phase is resolved (a walk over the 10**5 phases), cached
    values, seconds = _timed(lambda: s(grid))
    assert seconds < BUDGET
    assert values.tolist() == [1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert values.tolist() == [s(float(t)) for t in grid]


@pytest.mark.parametrize("step", [TOP * 2, 1e300, 10**400, -1.0, math.inf, math.nan])
def test_steps_past_2_53_are_refused_with_the_range(step):
    s = cosine(steps=10)
    with pytest.raises(ValueError, match=r"steps in \[0, 2\*\*53\]"):
        s(step)
    with pytest.raises(ValueError, match=r"steps in \[0, 2\*\*53\]"):
        s(np.array([0.0, float(step) if not isinstance(step, int) else math.inf]))


def test_cycle_starts_is_bounded():
    s = restarts(cosine(), period=2)
    assert s.cycle_of(TOP) == 2**52
    with pytest.raises(ValueError, match=r"`count` of cycle_starts\(\) must be an int in \[0, 1000000\]"):
        s.cycle_starts(2**53)


def test_a_stretch_past_the_float_range_holds_or_says_so():
    """A factor near the float range at 2**53 steps gave the child an infinite step (OverflowError)."""
    held = lrkit.stretch(lrkit.staircase(cosine(steps=10), every=3), 1e308).resolve()
    assert held(TOP) == 0.0  # the child holds its end from step 10 on, here too
    assert held(np.array([0.0, TOP])).tolist() == [1.0, 0.0]
    endless = lrkit.stretch(lrkit.extrapolate(cosine(steps=10)), 1e300).resolve()
    for evaluate in (lambda: endless(TOP), lambda: endless(np.array([0.0, TOP]))):
        with pytest.raises(ValueError, match=r"1e\+300 \* 9007199254740992\.0, is past the largest float"):
            evaluate()
