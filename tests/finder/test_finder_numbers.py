"""A Suggestion reads as a number (float, round, format); suggest() refuses a beta outside [0, 1)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.finder import RangeTestResult, Suggestion, suggest, suggestion_curve

LRS = np.geomspace(1e-6, 1.0, 100)
LOSSES = 2.3 - 1.6 * (1 + np.tanh(1.5 * (np.log10(LRS) + 3))) / 2 + 0.5 * np.exp(3 * (np.log10(LRS) + 0.8))


@given(st.floats(min_value=1e-12, max_value=1e3), st.integers(min_value=0, max_value=12))
def test_a_suggestion_is_its_rate_where_a_number_is_expected(lr, ndigits):
    s = Suggestion("steepest", lr, lr / 2, lr * 2, "")
    assert float(s) == lr
    assert round(s, ndigits) == round(lr, ndigits)
    assert round(s) == round(lr)
    assert f"{s:.3e}" == f"{lr:.3e}"
    assert format(s, "g") == format(lr, "g")
    assert f"{s}" == repr(s)  # no spec: the readable repr, as str() gives


def test_the_result_suggestion_reads_as_a_number():
    result = RangeTestResult.from_curve(LRS, LOSSES)
    chosen = result.suggestion
    assert chosen.method == "between"  # the name the docs give the preferred suggestion
    assert float(chosen) == result.lr
    assert math.isclose(float(result.suggestions["minimum"]), result.suggestions["minimum"].lr)


def test_an_abstention_refuses_to_be_a_number():
    s = Suggestion("valley", None, None, None, "no usable descent")
    for use in (float, round, lambda v: round(v, 6), lambda v: f"{v:.2e}"):
        with pytest.raises(ValueError, match=r"suggests no rate \(valley\): no usable descent"):
            use(s)
    assert f"{s}" == "Suggestion('valley', None: no usable descent)"


@pytest.mark.parametrize("beta", [-3, -0.01, 1.0, 1.5, math.nan, math.inf])
def test_suggest_refuses_a_beta_outside_the_unit_interval(beta):
    message = f"Argument `beta` of suggest() must be a finite number in [0, 1). Received: beta={beta!r}"
    with pytest.raises(ValueError, match="beta") as info:
        suggest(LRS, LOSSES, beta=beta)
    assert str(info.value) == message
    with pytest.raises(ValueError, match=r"Argument `beta` of suggestion_curve\(\)"):
        suggestion_curve(LOSSES, beta=beta)
    with pytest.raises(ValueError, match=r"Argument `beta` of suggest\(\)"):
        RangeTestResult.from_curve(LRS, LOSSES, beta=beta)


def test_suggest_refuses_other_bad_arguments():
    with pytest.raises(TypeError, match=r"Argument `beta` of suggest\(\) must be a finite number"):
        suggest(LRS, LOSSES, beta="0.9")
    with pytest.raises(ValueError, match=r"`skip_start` of suggestion_curve\(\) must be an int >= 0"):
        suggestion_curve(LOSSES, skip_start=-1)
    with pytest.raises(ValueError, match=r"`skip_end` of suggestion_curve\(\) must be an int >= 0"):
        suggestion_curve(LOSSES, skip_end=-2)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.98, 0.999])
def test_valid_betas_are_accepted(beta):
    found = suggest(LRS, LOSSES, beta=beta)
    assert set(found) == {"valley", "steepest", "minimum"}
