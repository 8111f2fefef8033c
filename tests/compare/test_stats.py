"""The statistics of a race checked against scipy on fixed numbers (scipy is the reference)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.compare import Comparison, Entry, RunResult
from lrkit.compare._stats import interval, paired, t_cdf, t_quantile

stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 6, 9, 10, 29, 30, 99])
@pytest.mark.parametrize("p", [0.5, 0.6, 0.9, 0.975, 0.995, 0.025])
def test_t_quantile_matches_scipy(df, p):
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 8, 20])
@pytest.mark.parametrize("t", [-5.0, -1.3, 0.0, 0.4, 2.0, 12.0])
def test_t_cdf_matches_scipy(df, t):
    assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-10, abs=1e-13)


LOSSES = [2.4145, 2.3740, 2.4021, 2.3899, 2.4306]


def test_interval_matches_scipy_t_interval():
    values = LOSSES
    result = interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=sum(values) / 5, scale=stats.sem(values))
    assert result.mean == pytest.approx(sum(values) / 5, rel=1e-15)
    assert (result.low, result.high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    assert result.n == 5


def test_paired_matches_scipy_ttest_rel():
    a = [2.5174, 2.5642, 2.5301, 2.5480, 2.5219]
    b = LOSSES
    result = paired(a, b)
    reference = stats.ttest_rel(a, b)
    ci = reference.confidence_interval(0.95)
    assert result.difference.mean == pytest.approx(
        sum(x - y for x, y in zip(a, b, strict=True)) / 5, rel=1e-12
    )
    assert result.difference.low == pytest.approx(ci.low, rel=1e-10)
    assert result.difference.high == pytest.approx(ci.high, rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-8)
    assert not result.tied


def test_a_difference_whose_interval_holds_zero_is_a_tie():
    a = [1.00, 1.02, 0.99, 1.01]
    b = [1.01, 1.00, 1.00, 1.00]
    result = paired(a, b)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert ci.low < 0 < ci.high
    assert result.tied


def test_a_difference_below_the_resolution_is_a_tie_even_with_no_spread():
    # digits: every seed one example (1/360) apart, a zero-width interval away from 0
    a = [351 / 360] * 3
    b = [352 / 360] * 3
    assert not paired(a, b).tied
    assert paired(a, b, resolution=2 / 360).tied


def test_identical_values_are_tied_with_p_one():
    result = paired([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    assert result.tied
    assert result.p_value == 1.0


def test_one_seed_has_no_interval_and_ties():
    assert interval([3.0]).low is None
    assert paired([1.0], [2.0]).tied


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-10, 10, allow_nan=False), st.floats(-10, 10, allow_nan=False)),
        min_size=2,
        max_size=12,
    )
)
def test_paired_interval_matches_scipy_on_any_numbers(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    differences = [x - y for x, y in pairs]
    spread = max(differences) - min(differences)
    if spread < 1e-6:
        return  # scipy's own answer degenerates (nan) when every difference is the same
    result = paired(a, b)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert result.difference.low == pytest.approx(ci.low, rel=1e-7, abs=1e-9)
    assert result.difference.high == pytest.approx(ci.high, rel=1e-7, abs=1e-9)
    assert result.tied == (ci.low <= 0 <= ci.high)


def _race(finals):
    """A Comparison whose schedules end at the given final validation losses (one per seed)."""
    race = Comparison(
        "toy",
        epochs=1,
        seeds=list(range(len(next(iter(finals.values()))))),
        target=None,
        steps_per_epoch=1,
        base_lrs=[0.1],
    )
    for label, values in finals.items():
        entry = Entry(label, "constant()")
        for seed, value in enumerate(values):
            entry.runs.append(RunResult(seed, [[0.1]], [1.0], [value], [None]))
        race.entries.append(entry)
    return race


def test_race_statistics_rank_the_best_and_mark_ties():
    race = _race(
        {
            "a": [2.40, 2.41, 2.39, 2.42, 2.40],
            "b": [2.41, 2.40, 2.40, 2.41, 2.41],  # within noise of a
            "c": [2.60, 2.63, 2.58, 2.62, 2.61],  # clearly worse
        }
    )
    s = race.statistics()
    assert s["a"]["rank"] == "1"
    assert s["a"]["vs_best"] is None
    assert s["b"]["rank"] == "=1"
    assert s["b"]["vs_best"].tied
    assert s["c"]["rank"] == "3"
    assert not s["c"]["vs_best"].tied
    reference = stats.ttest_rel([2.60, 2.63, 2.58, 2.62, 2.61], [2.40, 2.41, 2.39, 2.42, 2.40])
    assert s["c"]["vs_best"].p_value == pytest.approx(reference.pvalue, rel=1e-8)
    table = race.table()
    assert "tied" in table
    assert "=1" in table
    data = race.to_dict()
    saved = {e["label"]: e["statistics"] for e in data["schedules"]}
    assert saved["b"]["vs_best"]["tied"] is True
    assert saved["b"]["rank"] == "=1"
    assert saved["c"]["vs_best"]["difference"]["low"] == pytest.approx(reference.confidence_interval().low)
    assert data["confidence_level"] == 0.95


def test_pairs_are_matched_by_seed_and_diverged_runs_are_left_out():
    race = _race({"a": [1.0, 1.1, 1.2], "b": [1.5, 1.7, 1.9]})
    race.entries[1].runs[2].val_loss = []  # diverged before the end
    race.entries[1].runs[2].diverged = True
    s = race.statistics()
    assert s["b"]["vs_best"].difference.n == 2
    assert s["b"]["vs_best"].difference.mean == pytest.approx(((1.5 - 1.0) + (1.7 - 1.1)) / 2)
    assert math.isclose(s["b"]["loss"].mean, 1.6)
