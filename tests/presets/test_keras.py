"""keras.<Class> presets against Keras 3's own schedules.

Two oracles. Stored: ``reference/keras.json``, written by ``reference/generate.py`` with Keras
3.15.1 on its numpy backend with ``floatx="float64"`` (the version is in the file). Live: random
configurations against Keras itself, on the same numpy backend (no TensorFlow or JAX needed; Keras
is in the ``test`` extra, so CI runs them). Values must agree to 1e-12 relative (1e-15 absolute
near 0).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from _reference import assert_matches, assert_round_trips, build, cases, curve, load, replay_plateau
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import parse
from lrkit.presets import keras as K  # noqa: N812

LIBRARY = "keras"


SUPPORTED = cases(LIBRARY)  # every stored case, growth (decay_rate > 1) included


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert (data["library"], data["version"]) == ("keras", "3.15.1")


@pytest.mark.parametrize("case", SUPPORTED)
def test_matches_stored_curve(case):
    assert_matches(curve(build(LIBRARY, case), case), case["values"])


@pytest.mark.parametrize("case", SUPPORTED + cases(LIBRARY, plateau=True))
def test_round_trips(case):
    assert_round_trips(build(LIBRARY, case), LIBRARY, case)


@pytest.mark.parametrize("case", cases(LIBRARY, plateau=True))
def test_plateau_callback_matches_stored_rates(case):
    got = replay_plateau(build(LIBRARY, case), case["metrics"], case["lr"])
    assert_matches(np.array(got), case["values"])


def test_piecewise_constant_boundary_acts_one_step_later_than_optax():
    keras = parse("keras.PiecewiseConstantDecay([3], [1.0, 0.1])")
    optax = parse("optax.piecewise_constant_schedule(1.0, [[3, 0.1]])")
    assert [keras(t) for t in (2, 3, 4)] == [1.0, 1.0, 0.1]
    assert [optax(t) for t in (2, 3, 4)] == [1.0, 0.1, 0.1]


def test_cosine_decay_steps_come_after_the_warmup():
    s = K.CosineDecay(0.0, decay_steps=8, alpha=0.1, warmup_target=1.0, warmup_steps=2)
    assert s(2) == 1.0
    assert s(10) == pytest.approx(0.1, rel=1e-15)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: K.ExponentialDecay(1.0, 0, 0.5), "decay_steps"),
        (lambda: K.PiecewiseConstantDecay([2, 4], [1.0, 0.1]), "values"),
        (lambda: K.PiecewiseConstantDecay([4, 2], [1.0, 0.1, 0.01]), "boundaries"),
        (lambda: K.CosineDecay(1.0, 8, alpha=1.5), "alpha"),
        (lambda: K.ReduceLROnPlateau(factor=1.0), "factor"),
        (lambda: K.ReduceLROnPlateau(mode="up"), "mode"),
    ],
)
def test_bad_arguments_raise(call, name):
    with pytest.raises(ValueError, match=f"Argument `{name}` of "):
        call()


def test_inverse_time_staircase_is_kerass_floored_formula():
    s = K.InverseTimeDecay(0.1, decay_steps=3, decay_rate=2.0, staircase=True)
    for t in range(20):
        assert s(t) == pytest.approx(0.1 / (1 + 2.0 * math.floor(t / 3)), rel=1e-14)
    assert s(2) == s(0)
    assert s(3) < s(2)  # a stair acts at its step
    smooth = K.InverseTimeDecay(0.1, decay_steps=3, decay_rate=2.0)
    assert smooth(2) == pytest.approx(0.1 / (1 + 2.0 * 2 / 3), rel=1e-14)


def test_polynomial_cycles_are_kerass_stretched_window():
    """Keras, cycle=True: window D * ceil(t / D) (D at t = 0), E + (I - E) * (1 - t / window) ** p."""
    for d, p, i, e in [(3, 1.0, 1.0, 0.1), (2, 2.0, 1.0, 0.05), (5, 1.5, 0.5, 0.2), (1, 1.0, 1.0, 0.3)]:
        s = K.PolynomialDecay(i, decay_steps=d, end_learning_rate=e, power=p, cycle=True)
        for t in range(8 * d + 1):
            window = d * max(1, math.ceil(t / d))
            assert s(t) == pytest.approx(e + (i - e) * (1 - t / window) ** p, rel=1e-13, abs=1e-15)
        assert s(np.arange(8 * d + 1.0)).tolist() == [s(t) for t in range(8 * d + 1)]
    # The anchor: restarts do not return to the initial rate.
    s = K.PolynomialDecay(1.0, 3, end_learning_rate=0.1, power=1.0, cycle=True)
    assert [s(t) for t in range(10)] == pytest.approx([1, 0.7, 0.4, 0.1, 0.4, 0.25, 0.1, 0.3, 0.2, 0.1])


def test_polynomial_cycle_must_be_a_bool():
    with pytest.raises(TypeError, match=r"Argument `cycle` of keras\.PolynomialDecay"):
        K.PolynomialDecay(1.0, 3, cycle=1)


@pytest.fixture(scope="module")
def keras():
    """Keras 3 on its numpy backend in float64, as the stored curves were written (the test extra).

    Imported once, outside the hypothesis loops (importing Keras raises the recursion limit).
    """
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    keras = pytest.importorskip(
        "keras", reason="keras is not installed (pip install -e '.[test]'): the live comparison did not run"
    )
    keras.config.set_floatx("float64")
    # Outside TensorFlow, Keras' dtype promotion turns float64 into float32; keep float64.
    from keras.src.backend.common import dtypes

    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    return keras


def _check(keras, name, n, **kwargs):
    schedule = getattr(keras.optimizers.schedules, name)(**kwargs)
    values = [float(np.asarray(schedule(np.float64(t)))) for t in range(n + 1)]
    case = {"name": name, "kwargs": kwargs, "values": values}
    assert_matches(curve(build(LIBRARY, case), case), case["values"])


@settings(max_examples=15, deadline=None)
@given(
    init=st.floats(0.0, 1.0),
    d=st.integers(1, 20),
    alpha=st.floats(0.0, 1.0),
    warmup=st.integers(0, 6),
    target=st.floats(0.01, 2.0),
)
def test_cosine_decay_matches_live_keras(keras, init, d, alpha, warmup, target):
    kwargs = {"initial_learning_rate": init, "decay_steps": d, "alpha": alpha}
    if warmup:
        kwargs |= {"warmup_target": target, "warmup_steps": warmup}
    _check(keras, "CosineDecay", d + warmup + 4, **kwargs)


@settings(max_examples=15, deadline=None)
@given(
    first=st.integers(1, 8),
    t_mul=st.sampled_from([1.0, 1.5, 2.0]),
    m_mul=st.sampled_from([1.0, 0.5, 0.9]),
    alpha=st.sampled_from([0.0, 0.1]),
)
def test_cosine_decay_restarts_matches_live_keras(keras, first, t_mul, m_mul, alpha):
    _check(
        keras,
        "CosineDecayRestarts",
        40,
        initial_learning_rate=0.5,
        first_decay_steps=first,
        t_mul=t_mul,
        m_mul=m_mul,
        alpha=alpha,
    )


@settings(max_examples=15, deadline=None)
@given(
    d=st.integers(1, 10),
    end=st.floats(0.0, 0.5),
    power=st.sampled_from([0.5, 1.0, 2.0]),
    cycle=st.booleans(),
    rate=st.floats(0.05, 0.99),
    staircase=st.booleans(),
)
def test_polynomial_exponential_inverse_time_match_live_keras(keras, d, end, power, cycle, rate, staircase):
    _check(
        keras,
        "PolynomialDecay",
        3 * d + 2,
        initial_learning_rate=1.0,
        decay_steps=d,
        end_learning_rate=end,
        power=power,
        cycle=cycle,
    )
    _check(
        keras,
        "ExponentialDecay",
        3 * d,
        initial_learning_rate=0.1,
        decay_steps=d,
        decay_rate=rate,
        staircase=staircase,
    )
    _check(
        keras,
        "InverseTimeDecay",
        3 * d,
        initial_learning_rate=0.1,
        decay_steps=d,
        decay_rate=rate,
        staircase=staircase,
    )
