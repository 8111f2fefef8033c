"""find_lr with parameter groups at different rates: the second sweep and the "groups" suggestion.

The rule (`lrkit.finder._groups`) is checked against its formula written out here; the sweeps
against what the optimizer actually ran; the restore against a copy taken before.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from test_finder_run import assert_same, batches, fingerprint, make_data, make_model

from lrkit.finder import RangeTestResult, Suggestion, find_lr
from lrkit.finder._groups import differ, grouped, spread_of


class Spy(torch.optim.SGD):
    """SGD that records every group's rate at each update."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([float(g["lr"]) for g in self.param_groups])
        return super().step(closure)


def three_groups(model, rates):
    parts = [list(model[0].parameters()), list(model[1].parameters()), list(model[4].parameters())]
    return [{"params": p, "lr": r} for p, r in zip(parts, rates, strict=True)]


def run(rates, **kwargs):
    model = make_model()
    optimizer = Spy(three_groups(model, rates), momentum=0.9)
    x, y = make_data()
    before = fingerprint(model, optimizer)
    result = find_lr(
        model, optimizer, F.cross_entropy, batches(x, y), steps=12, diverge=None, progress=False, **kwargs
    )
    assert_same(before, fingerprint(model, optimizer))
    return model, optimizer, result


def test_spread_is_the_parameter_weighted_geometric_mean_of_the_trainable_ratios():
    assert spread_of((0.1, 1.0), (900, 100)) == pytest.approx(10 ** ((900 * -1 + 100 * 0) / 1000), rel=1e-12)
    assert spread_of((0.0, 0.5, 1.0), (10**6, 30, 10)) == pytest.approx(0.5 ** (30 / 40), rel=1e-12)
    assert spread_of((1.0, 1.0), (3, 4)) == 1.0
    assert spread_of((0.0,), (5,)) == 1.0


def test_differ_ignores_frozen_groups():
    assert differ((0.1, 1.0))
    assert not differ((1.0, 1.0, 1.0))
    assert not differ((0.0, 1.0))
    assert differ((0.0, 0.3, 1.0))


def _suggestions(minimum, steepest, valley=0.01):
    return {
        "minimum": Suggestion("minimum", minimum, minimum / 2, minimum * 2, ""),
        "steepest": Suggestion("steepest", steepest, steepest / 2, steepest * 2, ""),
        "valley": Suggestion("valley", valley, valley / 2, valley * 2, ""),
    }


def test_grouped_is_the_geometric_mean_of_the_ratio_minimum_and_the_moved_one_rate_suggestion():
    ratios = _suggestions(minimum=0.04, steepest=0.001)  # the ratio sweep's steepest is not used
    together = _suggestions(minimum=0.002, steepest=0.008)
    s = grouped(ratios, together, spread=0.2)
    one_rate = math.sqrt(0.002 * 0.008)
    assert s.method == "groups"
    assert s.lr == pytest.approx(math.sqrt(0.04 * one_rate / 0.2), rel=1e-12)
    assert (s.low, s.high) == pytest.approx(tuple(sorted((0.04, one_rate / 0.2))), rel=1e-12)


def test_grouped_falls_back_when_a_reading_abstains():
    none = Suggestion("minimum", None, None, None, "no usable descent")
    ratios = {**_suggestions(0.04, 0.001), "minimum": none}
    together = _suggestions(0.002, 0.008)
    s = grouped(ratios, together, spread=0.5)
    assert s.lr == pytest.approx(math.sqrt(0.002 * 0.008) / 0.5, rel=1e-12)
    silent = {m: Suggestion(m, None, None, None, "flat") for m in ("minimum", "steepest", "valley")}
    assert grouped(_suggestions(0.04, 0.001), silent, spread=0.5).lr == pytest.approx(math.sqrt(0.04 * 0.001))


def test_different_rates_run_a_second_sweep_at_one_rate_and_restore_everything():
    _model, optimizer, result = run((0.001, 0.003, 0.01))
    first = len(result.lrs)
    ((lrs, _losses),) = result.together_curves
    assert len(optimizer.seen) == first + len(lrs)
    for rates, lr in zip(optimizer.seen[:first], result.lrs, strict=True):
        assert rates == pytest.approx([0.1 * lr, 0.3 * lr, lr], rel=1e-12)
    for rates, lr in zip(optimizer.seen[first:], lrs, strict=True):
        assert rates == [lr, lr, lr]
    sizes = [sum(p.numel() for p in g["params"]) for g in optimizer.param_groups]
    logs = [n * math.log(r) for n, r in zip(sizes, (0.1, 0.3, 1.0), strict=True)]
    expected = math.exp(sum(logs) / sum(sizes))
    assert result.spread == pytest.approx(expected, rel=1e-12)
    assert result.together is not None
    chosen = grouped(result.suggestions, result.together, result.spread)
    assert result.suggestion == chosen
    if chosen.lr is not None:
        low, high = result.interval
        assert low <= min(chosen.low, chosen.lr)
        assert high >= max(chosen.high, chosen.lr)
    assert [g["lr"] for g in optimizer.param_groups] == [0.001, 0.003, 0.01]


def test_a_frozen_group_stays_frozen_in_both_sweeps():
    _model, optimizer, result = run((0.0, 0.001, 0.01))
    assert all(rates[0] == 0.0 for rates in optimizer.seen)
    assert result.together is not None
    assert len(optimizer.seen) == len(result.lrs) + len(result.together_curves[0][0])


@pytest.mark.parametrize("rates", [(0.01, 0.01, 0.01), (0.0, 0.01, 0.01)])
def test_equal_rates_run_one_sweep_and_keep_the_preferred_rule(rates):
    _model, optimizer, result = run(rates)
    assert result.together is None
    assert result.together_curves == ()
    assert result.spread == 1.0
    assert len(optimizer.seen) == len(result.lrs)
    assert result.suggestion.method != "groups"


def test_repeats_apply_to_both_sweeps():
    _model, _optimizer, result = run((0.001, 0.003, 0.01), repeats=2)
    assert len(result.curves) == 2
    assert len(result.together_curves) == 2


def test_a_result_read_from_a_curve_has_no_second_sweep():
    r = RangeTestResult.from_curve(np.geomspace(1e-5, 1, 60), np.linspace(2, 1, 60))
    assert r.together is None
    assert r.spread == 1.0
