"""plateau: the pure node (value, judge) against torch's ReduceLROnPlateau, conventions and errors."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import absolute, from_config, parse, plateau
from lrkit.schedules.plateau import Plateau


def torch_reductions(metrics, **kwargs):
    """Reductions after each metric, counted from torch's ReduceLROnPlateau lr changes."""
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, eps=0.0, **kwargs)
    out, count, last = [], 0, 1.0
    for m in metrics:
        sched.step(m)
        lr = opt.param_groups[0]["lr"]
        if lr != last:
            count += 1
            last = lr
        out.append(count)
    return out


def lrkit_reductions(node, metrics):
    state, out, count = node.start(), [], 0
    for m in metrics:
        state, reduce = node.judge(state, m)
        count += reduce
        out.append(count)
    return out


def test_value_is_factor_to_the_reductions_with_a_floor():
    p = plateau(factor=0.5, min=0.2)
    assert [p.replace_at((), Plateau(factor=0.5, min=0.2, reductions=r))(0) for r in range(4)] == [
        1.0,
        0.5,
        0.25,
        0.2,
    ]
    assert p.reduced().reduced()(123.0) == 0.25
    np.testing.assert_array_equal(p.reduced()(np.arange(5)), np.full(5, 0.5))


def test_absolute_min_resolves_per_base():
    p = plateau(factor=0.1, min=absolute(0.001), reductions=3).resolve(base=0.1)
    assert p(0) == pytest.approx(0.01)  # 0.001 / 0.1 beats 0.1**3
    assert not plateau(min=absolute(0.001)).is_resolved


@settings(max_examples=150, deadline=None)
@given(
    metrics=st.lists(st.integers(0, 4).map(float), min_size=1, max_size=25),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
)
def test_reduction_points_match_torch(metrics, patience, cooldown, mode, threshold_mode):
    threshold = 0.1 if threshold_mode == "rel" else 0.5
    kwargs = {
        "factor": 0.5,
        "patience": patience,
        "cooldown": cooldown,
        "mode": mode,
        "threshold": threshold,
        "threshold_mode": threshold_mode,
    }
    assert lrkit_reductions(plateau(**kwargs), metrics) == torch_reductions(metrics, **kwargs)


def test_worked_patience_table():
    # patience=2, torch convention: a reduction at the 3rd consecutive bad evaluation.
    node = plateau(patience=2)
    assert lrkit_reductions(node, [1.0] * 7) == [0, 0, 0, 1, 1, 1, 2]
    # keras convention: at the 2nd.
    assert lrkit_reductions(plateau(patience=2, convention="keras"), [1.0] * 7) == [0, 0, 1, 1, 2, 2, 3]


def test_cooldown_ignores_bad_evaluations():
    # patience=0: every bad evaluation reduces, except during the 2 evaluations of cooldown.
    node = plateau(patience=0, cooldown=2)
    assert lrkit_reductions(node, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0]) == [0, 1, 1, 1, 2, 2]


def test_nonfinite_metric_raises_or_counts_as_bad():
    node = plateau(patience=0)
    state = node.start()
    with pytest.raises(ValueError, match="non-finite metric"):
        node.judge(state, math.nan)
    bad = plateau(patience=0, nonfinite="bad")
    state, _ = bad.judge(bad.start(), 1.0)
    state, reduce = bad.judge(state, math.inf)
    assert reduce
    with pytest.raises(TypeError, match="real numbers"):
        node.judge(state, "low")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"factor": 1.0}, "factor"),
        ({"factor": 0.0}, "factor"),
        ({"patience": -1}, "patience"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": 1.0}, "threshold"),
        ({"threshold_mode": "relative"}, "threshold_mode"),
        ({"cooldown": -2}, "cooldown"),
        ({"min": -0.1}, "min"),
        ({"mode": "lowest"}, "mode"),
        ({"eps": -1.0}, "eps"),
        ({"convention": "fastai"}, "convention"),
        ({"convention": "keras", "patience": 0}, "patience"),
        ({"nonfinite": "ignore"}, "nonfinite"),
        ({"reductions": -1}, "reductions"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=f"Argument `{name}` of plateau()"):
        plateau(**kwargs)


def test_spec_and_config_round_trip():
    p = plateau(factor=0.5, patience=3, min=absolute(1e-4), reductions=2)
    assert parse(repr(p)) == p
    assert from_config(p.to_config()) == p
    assert repr(plateau()) == "plateau()"


def test_worked_table_of_the_scheduler_docs():
    # docs/scheduler.md: patience=2, cooldown=1, threshold=0.
    node = plateau(patience=2, cooldown=1, threshold=0.0)
    metrics = [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.0]
    state, rows = node.start(), []
    for m in metrics:
        state, reduce = node.judge(state, m)
        rows.append((state.best, state.bad, state.cooldown, reduce))
    assert [r[1] for r in rows] == [0, 0, 1, 2, 0, 0, 1, 2, 0]
    assert [r[2] for r in rows] == [0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert [r[3] for r in rows] == [False] * 4 + [True] + [False] * 4
    assert lrkit_reductions(node, metrics) == torch_reductions(metrics, patience=2, cooldown=1, threshold=0.0)
