"""`function`: the callable-backed schedule (torch's LambdaLR and MultiplicativeLR semantics)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.schedules import REGISTRY
from lrkit.schedules.function import Function, function


def test_plain_function_is_called_with_the_step_as_an_int():
    seen = []

    def fn(epoch):
        seen.append(epoch)
        return 0.5**epoch

    s = function(fn)
    assert [s(t) for t in range(4)] == [1.0, 0.5, 0.25, 0.125]
    assert all(type(e) is int for e in seen)
    assert s(2.5) == 0.5**2.5  # a fractional position is passed as it is


def test_cumulative_is_the_running_product_from_step_one():
    factors = {1: 0.9, 2: 0.8, 3: 0.5}
    s = function(lambda e: factors.get(e, 1.0), cumulative=True)
    assert s(0) == 1.0
    assert s(1) == 0.9
    assert s(2) == 0.9 * 0.8
    assert s(3) == 0.9 * 0.8 * 0.5
    assert s(10) == 0.9 * 0.8 * 0.5
    assert s(3.7) == s(3)  # between steps: the product of the whole steps so far


def test_cumulative_calls_the_function_once_per_step():
    calls = []
    s = function(lambda e: calls.append(e) or 0.99, cumulative=True)
    for t in range(50):
        s(t)
    s(20)
    assert calls == list(range(1, 50))


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(0.5, 1.0), cumulative=st.booleans(), n=st.integers(1, 200))
def test_over_agrees_with_at(rate, cumulative, n):
    s = function(lambda e: rate**e if not cumulative else rate, cumulative=cumulative)
    t = np.arange(n, dtype=np.float64)
    assert np.array_equal(s(t), np.array([s(float(x)) for x in t]))


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_a_factor_out_of_range_raises_when_evaluated(bad):
    with pytest.raises(ValueError, match=r"fn\(3\)"):
        function(lambda e: bad if e == 3 else 1.0)(3)


def test_a_result_that_is_not_a_number_raises_type_error():
    with pytest.raises(TypeError, match="real number"):
        function(lambda e: "fast")(0)


def test_arguments_are_checked_when_built():
    with pytest.raises(TypeError, match="`fn` of function"):
        function(0.95)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`cumulative` of function"):
        function(abs, cumulative=1)  # type: ignore[arg-type]


def test_functions_are_not_saved_and_the_name_is_not_registered():
    def warm(epoch):
        return 1.0

    s = function(warm)
    with pytest.raises(TypeError, match="functions are not saved"):
        s.to_config()
    assert "function" not in REGISTRY
    assert repr(s) == "function(test_functions_are_not_saved_and_the_name_is_not_registered.<locals>.warm)"
    assert repr(function(warm, cumulative=True)).endswith(", cumulative=True)")


def test_equality_is_by_function_identity_and_copies_work():
    def f(e):
        return 1.0

    assert function(f) == function(f)
    assert function(f) != function(lambda e: 1.0)
    assert function(f) != function(f, cumulative=True)
    assert hash(function(f)) == hash(function(f))
    assert copy.deepcopy(function(f)).fn is f
    assert isinstance(function(f), Function)
    assert function(f).horizon is None
