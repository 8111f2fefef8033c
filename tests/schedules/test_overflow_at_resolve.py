"""Issue 14 item 2: an overflow known when a schedule is built or resolved is refused then.

`restarts` with a geometric ``decay > 1``: its peaks ``decay**k`` pass the largest float at a cycle
known from the arguments. Resolved for a run that reaches it, it is an error naming the schedule
and the first step whose value is not finite; a run that stops before still builds. A `product`
(or sum) of constants whose value is not finite is refused when built.
"""

import math
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit import constant, cosine, linear, product, restarts

LOG_MAX = math.log(sys.float_info.max)


def _first_not_finite(schedule, steps):
    """Brute force: evaluate every whole step in [0, steps) in float, the first value not finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.asarray(schedule(np.arange(float(steps))))
    bad = ~np.isfinite(values)
    return int(np.argmax(bad)) if bad.any() else None


@settings(max_examples=60, deadline=None)
@given(
    decay=st.floats(1.5, 8.0),
    period=st.integers(1, 5),
    mult=st.one_of(st.just(1.0), st.floats(1.0, 1.003)),
    shape=st.sampled_from(["cosine", "cosine-floor-peak", "cosine-floor-amplitude", "warmup"]),
)
def test_the_predicted_first_overflow_equals_brute_force(decay, period, mult, shape):
    child, mode = {
        "cosine": (cosine(), "all"),
        "cosine-floor-peak": (cosine(end=0.1), "peak"),
        "cosine-floor-amplitude": (cosine(end=0.1), "amplitude"),
        "warmup": (linear(0.25, 3.0), "all"),  # largest at the cycle end, never reached: a scan
    }[shape]
    s = restarts(child, period=period, mult=mult, decay=decay, decay_mode=mode)
    span = 400_000
    first = _first_not_finite(s.resolve(), span)
    assume(first is not None)
    named = rf"^restarts\(.* first at step {first} \(resolved for {first + 1} steps\)"
    with pytest.raises(ValueError, match=named):
        s.resolve(total=first + 1)
    s.resolve(total=first)  # a run that stops before the overflow builds


@settings(max_examples=60, deadline=None)
@given(decay=st.floats(1.01, 4.0), period=st.integers(1, 20))
def test_the_first_overflow_is_the_start_of_the_cycle_given_by_logarithms(decay, period):
    """Independent of lrkit: cycle k peaks at decay**k, finite while k * log(decay) < log(max float)."""
    ratio = LOG_MAX / math.log(decay)
    assume(abs(ratio - round(ratio)) > 1e-6)  # far from a tie that rounding could settle either way
    expected = (math.floor(ratio) + 1) * period  # cycle k* = floor(ratio) + 1 starts at k* * period
    s = restarts(cosine(), period=period, decay=decay)
    with pytest.raises(ValueError, match=rf"first at step {expected} \("):
        s.resolve(total=expected + 1)
    s.resolve(total=expected)


def test_the_issues_example_names_restarts_and_the_step():
    s = restarts(cosine(), period=10, decay=1.1)
    with pytest.raises(ValueError, match="grows past the largest float") as info:
        s.resolve(total=100_000)
    assert str(info.value).startswith(
        "restarts(cosine(steps=10), period=10, decay=1.1) grows past the largest float (1.8e308) "
        "first at step 74480 (resolved for 100000 steps)"
    )


def test_runs_that_never_reach_the_overflow_build():
    restarts(cosine(), period=10, decay=1.1, limit=7000).resolve(total=10**9)  # the cycles end first
    restarts(cosine(), period=10, decay=0.9).resolve(total=10**9)
    restarts(cosine(), period=10, decay=3.0, decay_law="power").resolve(total=10**9)
    inner = lrkit.sequence([restarts(cosine(), period=10, decay=1.1), constant(1.0)], [74_480])
    inner.resolve(total=10**6)  # the restarts' window ends where it would overflow


def test_inside_a_sequence_the_step_is_the_restarts_own():
    phase = restarts(cosine(), period=10, decay=1.1)
    s = lrkit.sequence([constant(1.0), phase], [100])
    with pytest.raises(ValueError, match=r"first at step 74480 \(resolved for 99900 steps\)"):
        s.resolve(total=100_000)


@pytest.mark.parametrize(
    "spec",
    ["constant(1e308) * constant(1e308)", "constant(1e200) * constant(1e200) * constant(1e-300)"],
)
def test_a_product_of_constants_that_is_not_finite_is_refused_when_built(spec):
    assert math.isinf(1e308 * 1e308)
    assert math.isinf(1e200 * 1e200 * 1e-300)  # left to right, in float
    named = r"^product\(\[constant.* grows past the largest float .* from step 0 on \(as built\)"
    with pytest.raises(ValueError, match=named):
        lrkit.parse(spec)


def test_a_sum_of_constants_that_is_not_finite_is_refused_when_built():
    with pytest.raises(ValueError, match=r"^add\(\[constant.* from step 0 on \(as built\)"):
        lrkit.add([constant(1e308), constant(1e308)])


def test_finite_products_and_products_of_absolute_values_build():
    assert product([constant(1e300), constant(1e8)])(0) == 1e308
    s = product([constant(lrkit.absolute(1e300)), constant(1e300)])  # known once resolved with a base
    with pytest.raises(ValueError, match=r"as built"):
        s.resolve(base=1.0)
    assert s.resolve(base=1e300)(0) == 1e300
