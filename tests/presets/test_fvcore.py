"""fvcore.<Class> presets against fvcore's param schedulers (and detectron2's warmup).

fvcore is light (pure Python): when it is importable the presets are compared with it live, at
``where = t / total`` for many totals; the stored curves in ``reference/fvcore.json`` (fvcore
0.1.5.post20221221, written by ``reference/generate.py``) are checked always. detectron2 is not on
the package index: its WarmupParamScheduler is the generator's transcription of detectron2's class
on fvcore's schedulers. Values must agree to 1e-12 relative (1e-15 absolute near 0).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _reference import assert_matches, assert_round_trips, cases, curve, load
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import parse
from lrkit.presets import fvcore as F  # noqa: N812
from lrkit.schedules import REGISTRY

LIBRARY = "fvcore"


def make(name, kwargs):
    """A preset from a stored call; nested schedulers are stored as [name, kwargs] pairs."""
    kwargs = dict(kwargs)
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [make(n, kw) for n, kw in kwargs["schedulers"]]
    if "scheduler" in kwargs:
        kwargs["scheduler"] = make(*kwargs["scheduler"])
    return REGISTRY[f"fvcore.{name}"](**kwargs)


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert (data["library"], data["version"]) == ("fvcore", "0.1.5.post20221221")


@pytest.mark.parametrize("case", cases(LIBRARY))
def test_matches_stored_curve(case):
    assert_matches(curve(make(case["name"], case["kwargs"]), case), case["values"])


@pytest.mark.parametrize("case", cases(LIBRARY))
def test_round_trips(case):
    schedule = make(case["name"], case["kwargs"])
    assert parse(repr(schedule)) == schedule
    if not any(isinstance(v, list) and v and isinstance(v[0], (list, str)) for v in case["kwargs"].values()):
        assert_round_trips(schedule, LIBRARY, case)


def test_nested_spec_and_detectron2_name():
    spec = "detectron2.WarmupParamScheduler(fvcore.CosineParamScheduler(1.0, 0.0), 0.001, 0.1)"
    s = parse(spec)
    assert s == F.WarmupParamScheduler(F.CosineParamScheduler(1.0, 0.0), 0.001, 0.1)
    assert parse(spec.replace("detectron2.", "fvcore.", 1)) == s


def _fvcore():
    return pytest.importorskip("fvcore.common.param_scheduler")


@settings(max_examples=30, deadline=None)
@given(
    total=st.sampled_from([10, 20, 40, 100, 1000]),
    start=st.floats(0.0, 2.0),
    end=st.floats(0.0, 2.0),
    kind=st.sampled_from(["CosineParamScheduler", "LinearParamScheduler"]),
)
def test_matches_live_fvcore_shapes(total, start, end, kind):
    fv = getattr(_fvcore(), kind)(start, end)
    expected = [fv(t / total) for t in range(total)]
    s = REGISTRY[f"fvcore.{kind}"](start, end)
    assert_matches(curve(s, {"values": expected, "total": total}), expected)


@settings(max_examples=30, deadline=None)
@given(
    total=st.sampled_from([20, 40, 100, 1000]),  # every boundary on a whole step (see the module)
    lengths=st.sampled_from([[0.1, 0.9], [0.25, 0.75], [0.5, 0.5], [0.1, 0.5, 0.4], [0.2, 0.3, 0.5]]),
    data=st.data(),
)
def test_composite_matches_live_fvcore(total, lengths, data):
    ps = _fvcore()
    scalings = [data.draw(st.sampled_from(["rescaled", "fixed"])) for _ in lengths]
    shapes = [
        ("LinearParamScheduler", (0.0, 1.0)),
        ("CosineParamScheduler", (1.0, 0.1)),
        ("ConstantParamScheduler", (0.5,)),
        ("PolynomialDecayParamScheduler", (1.0, 2.0)),
    ]
    picked = [data.draw(st.sampled_from(shapes)) for _ in lengths]
    fv = ps.CompositeParamScheduler([getattr(ps, n)(*a) for n, a in picked], list(lengths), scalings)
    expected = [fv(t / total) for t in range(total)]
    s = F.CompositeParamScheduler([REGISTRY[f"fvcore.{n}"](*a) for n, a in picked], lengths, scalings)
    assert_matches(curve(s, {"values": expected, "total": total}), expected)


@pytest.mark.parametrize("total", [9, 90, 180, 900])
def test_multistep_matches_live_fvcore(total):
    ps = _fvcore()
    fv = ps.MultiStepParamScheduler(values=[1.0, 0.1, 0.01], num_updates=90, milestones=[30, 60])
    expected = [fv(t / total) for t in range(total)]
    s = F.MultiStepParamScheduler([1.0, 0.1, 0.01], num_updates=90, milestones=[30, 60])
    assert_matches(curve(s, {"values": expected, "total": total}), expected)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (
            lambda: F.CompositeParamScheduler([F.ConstantParamScheduler(1.0)] * 2, [0.5, 0.4], ["fixed"] * 2),
            "lengths",
        ),
        (
            lambda: F.CompositeParamScheduler(
                [F.ConstantParamScheduler(1.0)] * 2, [0.5, 0.5], ["fixed", "x"]
            ),
            "interval_scaling",
        ),
        (lambda: F.MultiStepParamScheduler([1.0, 0.1], num_updates=10, milestones=[12]), "milestones"),
        (lambda: F.MultiStepParamScheduler([1.0, 0.1, 0.01], num_updates=2), "num_updates"),
        (lambda: F.ExponentialParamScheduler(1.0, 0.0), "decay"),
        (lambda: F.WarmupParamScheduler(F.ConstantParamScheduler(1.0), 0.1, 1.0), "warmup_length"),
        (lambda: F.WarmupParamScheduler(F.ConstantParamScheduler(1.0), 0.1, 0.1, "exp"), "warmup_method"),
    ],
)
def test_bad_arguments_raise(call, name):
    with pytest.raises(ValueError, match=f"Argument `{name}` of "):
        call()


def test_multistep_without_either_is_a_type_error():
    with pytest.raises(TypeError, match="num_updates"):
        F.MultiStepParamScheduler([1.0, 0.1])


def test_composite_with_a_step_child_matches_live_fvcore():
    """A rescaled step child divides its own window; values landing on one step: the last one wins."""
    ps = pytest.importorskip("fvcore.common.param_scheduler")
    rng = np.random.default_rng(0)
    for _ in range(400):
        total = int(rng.integers(2, 41))
        values = [round(float(v), 3) for v in rng.uniform(0.01, 1.0, size=int(rng.integers(1, 9)))]
        first = float(rng.choice([0.1, 0.2, 0.25, 0.3, 0.5, 0.6]))
        scalings = [str(rng.choice(["rescaled", "fixed"])) for _ in range(2)]
        theirs = ps.CompositeParamScheduler(
            [ps.ConstantParamScheduler(0.1), ps.StepParamScheduler(4, values)], [first, 1 - first], scalings
        )
        ours = F.CompositeParamScheduler(
            [F.ConstantParamScheduler(0.1), F.StepParamScheduler(4, values)], [first, 1 - first], scalings
        ).resolve(total=total)
        expected = [theirs(t / total) for t in range(total)]
        assert_matches(ours(np.arange(float(total))), expected)
        alone = F.StepParamScheduler(4, values).resolve(total=total)
        assert [alone(t) for t in range(total)] == [
            ps.StepParamScheduler(4, values)(t / total) for t in range(total)
        ]


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(1, 120),
    cuts=st.lists(st.integers(1, 99), min_size=1, max_size=3, unique=True).map(sorted),
    data=st.data(),
)
def test_composite_windows_between_steps_match_live_fvcore(total, cuts, data):
    """Lengths such as 0.25 of 37 steps: a rescaled child sees (where - start) / length, unrounded."""
    ps = _fvcore()
    edges = [0, *cuts, 100]
    lengths = [(b - a) / 100 for a, b in itertools.pairwise(edges)]
    scalings = [data.draw(st.sampled_from(["rescaled", "fixed"])) for _ in lengths]
    shapes = [
        ("LinearParamScheduler", (0.01, 1.0)),
        ("CosineParamScheduler", (1.0, 0.1)),
        ("ConstantParamScheduler", (0.5,)),
        ("PolynomialDecayParamScheduler", (1.0, 2.0)),
        ("ExponentialParamScheduler", (1.0, 0.3)),
        ("StepParamScheduler", (3, [1.0, 0.5, 0.2])),
        ("MultiStepParamScheduler", ([1.0, 0.3, 0.1], 10, [4, 7])),
    ]
    picked = [data.draw(st.sampled_from(shapes)) for _ in lengths]
    fv = ps.CompositeParamScheduler([getattr(ps, n)(*a) for n, a in picked], list(lengths), scalings)
    expected = [fv(t / total) for t in range(total)]
    s = F.CompositeParamScheduler([REGISTRY[f"fvcore.{n}"](*a) for n, a in picked], lengths, scalings)
    assert_matches(curve(s, {"values": expected, "total": total}), expected)
    assert parse(repr(s)) == s


@pytest.mark.parametrize("total", [37, 41, 99])
def test_the_documented_example_of_a_quarter_of_37_steps(total):
    ps = _fvcore()
    fv = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(0.01, 1.0), ps.CosineParamScheduler(1.0, 0.0)],
        [0.25, 0.75],
        ["rescaled"] * 2,
    )
    s = parse(
        "fvcore.CompositeParamScheduler([fvcore.LinearParamScheduler(0.01, 1.0), "
        "fvcore.CosineParamScheduler(1.0, 0.0)], [0.25, 0.75], ['rescaled', 'rescaled'])"
    )
    expected = [fv(t / total) for t in range(total)]
    assert_matches(curve(s, {"values": expected, "total": total}), expected)
