"""optax.<name> presets against optax's own schedules.

Two oracles. Stored: ``reference/optax.json``, written by
``reference/generate.py`` with optax 0.2.8 on jax 0.10.2 (CPU, ``jax_enable_x64`` so that optax
computes in float64; the versions are in the file). Values must agree to 1e-12 relative (1e-15
absolute near 0). Live: random configurations against optax itself (the ``test`` extra installs
optax with jax's CPU build, so CI runs them).
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import assert_matches, assert_round_trips, build, cases, curve, load, replay_plateau
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lrkit import from_config, parse
from lrkit.presets import optax as O  # noqa: N812
from lrkit.schedules import REGISTRY

LIBRARY = "optax"

#: The stored fallback cases warn as optax logs (tested once below).
pytestmark = [
    pytest.mark.filterwarnings("ignore:An exponential schedule was set:UserWarning"),
    pytest.mark.filterwarnings("ignore:A polynomial schedule was set:UserWarning"),
]


def make(case):
    """The preset for a case; join_schedules' children are stored as [name, kwargs] pairs."""
    if case["name"] == "join_schedules":
        kwargs = dict(case["kwargs"])
        kwargs["schedules"] = [REGISTRY[f"optax.{n}"](**kw) for n, kw in kwargs["schedules"]]
        return O.join_schedules(**kwargs)
    return build(LIBRARY, case)


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert (data["library"], data["version"]) == ("optax", "0.2.8")


@pytest.mark.parametrize("case", cases(LIBRARY))
def test_matches_stored_curve(case):
    assert_matches(curve(make(case), case), case["values"])


@pytest.mark.parametrize("case", [c for c in cases(LIBRARY) if c.values[0]["name"] != "join_schedules"])
def test_round_trips(case):
    if case["name"] == "sgdr_schedule":
        schedule = build(LIBRARY, case)
        assert parse(repr(schedule)) == schedule
        lists = [[kw[k] for k in O._SGDR_KEYS if k in kw] for kw in case["kwargs"]["cosine_kwargs"]]
        assert parse(f"optax.sgdr_schedule({lists!r})") == schedule
        return
    assert_round_trips(build(LIBRARY, case), LIBRARY, case)


def test_join_round_trips_through_a_spec_of_optax_calls():
    spec = (
        "optax.join_schedules([optax.linear_schedule(0.0, 1.0, 3), "
        "optax.cosine_decay_schedule(1.0, 6, alpha=0.1), optax.constant_schedule(0.05)], [3, 9])"
    )
    schedule = parse(spec)
    case = next(c.values[0] for c in cases(LIBRARY, "join_schedules"))
    assert_matches(curve(schedule, case), case["values"])
    assert from_config(schedule.to_config()) == schedule
    assert parse(repr(schedule)) == schedule


def test_boundaries_as_pairs_in_a_spec():
    s = parse("optax.piecewise_constant_schedule(1.0, [[3, 0.1], [6, 0.1]])")
    assert s == O.piecewise_constant_schedule(1.0, {6: 0.1, 3: 0.1})


@pytest.mark.parametrize("case", cases(LIBRARY, plateau=True))
def test_plateau_matches_stored_scales(case):
    got = replay_plateau(build(LIBRARY, case), case["metrics"], 1.0)
    assert_matches(np.array(got), case["values"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: O.linear_schedule(1.0, float("nan"), transition_steps=3),
            "Argument `end_value` of optax.linear_schedule()",
        ),
        (
            lambda: O.exponential_decay(1.0, 2, decay_rate=-0.5),
            "Argument `decay_rate` of optax.exponential_decay()",
        ),
        (lambda: O.piecewise_constant_schedule(1.0, {3: -0.1}), "Argument `boundaries_and_scales`"),
        (lambda: O.piecewise_interpolate_schedule("cubic", 1.0), "Argument `interpolate_type`"),
        (lambda: O.warmup_cosine_decay_schedule(0.0, 1.0, 5, 5), "Argument `decay_steps`"),
        (lambda: O.cosine_decay_schedule(1.0, 0), "Argument `decay_steps` of optax.cosine_decay_schedule()"),
        (lambda: O.reduce_on_plateau(rtol=0.1, atol=0.1), "Argument `atol` of optax.reduce_on_plateau()"),
        (lambda: O.reduce_on_plateau(accumulation_size=4), "Argument `accumulation_size`"),
        (lambda: O.linear_onecycle_schedule(2, 1.0), "Argument `transition_steps`"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match="Argument `") as info:
        call()
    assert message in str(info.value)


def _optax():
    """optax with jax in float64 (both in the ``test`` extra)."""
    why = "optax/jax are not installed (pip install -e '.[test]'): the live comparison did not run"
    jax = pytest.importorskip("jax", reason=why)
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("optax", reason=why)


@settings(max_examples=15, deadline=None)
@given(
    init=st.floats(0.0, 1.0),
    peak=st.floats(0.01, 2.0),
    w=st.integers(0, 10),
    d=st.integers(1, 30),
    end=st.floats(0.0, 0.5),
    exponent=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_warmup_cosine_matches_live_optax(init, peak, w, d, end, exponent):
    optax = _optax()
    kwargs = {
        "init_value": init,
        "peak_value": peak,
        "warmup_steps": w,
        "decay_steps": w + d,
        "end_value": end,
        "exponent": exponent,
    }
    fn = optax.warmup_cosine_decay_schedule(**kwargs)
    expected = [float(fn(t)) for t in range(w + d + 3)]
    case = {"name": "warmup_cosine_decay_schedule", "kwargs": kwargs, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


@settings(max_examples=15, deadline=None)
@given(
    init=st.floats(0.01, 1.0),
    steps=st.integers(1, 6),
    rate=st.floats(0.05, 1.0),
    begin=st.integers(0, 5),
    staircase=st.booleans(),
    end=st.one_of(st.none(), st.floats(0.0, 0.5)),
)
def test_exponential_decay_matches_live_optax(init, steps, rate, begin, staircase, end):
    optax = _optax()
    kwargs = {
        "init_value": init,
        "transition_steps": steps,
        "decay_rate": rate,
        "transition_begin": begin,
        "staircase": staircase,
        "end_value": end,
    }
    fn = optax.exponential_decay(**kwargs)
    expected = [float(fn(t)) for t in range(25)]
    case = {"name": "exponential_decay", "kwargs": kwargs, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


@pytest.mark.parametrize(
    ("kwargs", "sentence"),
    [
        ({"transition_steps": 0}, "non-positive `transition_steps` value; this will result in a constant"),
        ({"transition_steps": -3}, "non-positive `transition_steps`"),
        ({"decay_rate": 0.0}, "zero `decay_rate` value; this will result in a constant"),
        ({"transition_begin": -2}, "negative `transition_begin` value; this will result in"),
    ],
)
def test_exponential_decay_fallbacks_warn_with_optaxs_sentence(kwargs, sentence):
    """optax logs these and falls back (constant, or transition_begin=0); lrkit warns and does the same."""
    call = {"init_value": 1.0, "transition_steps": 2, "decay_rate": 0.5, **kwargs}
    with pytest.warns(UserWarning, match=sentence):
        schedule = O.exponential_decay(**call)
    optax = _optax()
    expected = [float(optax.exponential_decay(**call)(t)) for t in range(8)]
    assert_matches(np.array([schedule(t) for t in range(8)]), expected)


@settings(max_examples=30, deadline=None)
@given(
    init=st.floats(0.0, 2.0),
    steps=st.integers(1, 5),
    rate=st.floats(1.0, 4.0),
    begin=st.integers(0, 4),
    staircase=st.booleans(),
    end=st.none() | st.floats(0.0, 10.0),
)
@example(init=5e-324, steps=1, rate=2.0, begin=0, staircase=False, end=1.0)  # end / init overflows
@example(init=1.0, steps=3, rate=1.0000000000000002, begin=0, staircase=False, end=2.0)  # ceiling past 2**53
def test_growth_matches_live_optax(init, steps, rate, begin, staircase, end):
    """decay_rate >= 1: optax's end_value is a ceiling (its clip_fn is jnp.minimum)."""
    optax = _optax()
    call = {
        "init_value": init,
        "transition_steps": steps,
        "decay_rate": rate,
        "transition_begin": begin,
        "staircase": staircase,
        "end_value": end,
    }
    fn = optax.exponential_decay(**call)
    expected = [float(fn(t)) for t in range(40)]
    got = O.exponential_decay(**call)
    assert_matches(np.array([got(t) for t in range(40)]), expected)
    assert_matches(got(np.arange(40.0)), expected)
