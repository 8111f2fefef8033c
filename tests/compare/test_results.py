"""Summaries over seeds, the terminal table, results.json and results.csv (no training here)."""

import csv
import io
import json
import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.compare import RunResult, Stat

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=8))
def test_stat_is_mean_sample_std_min_max(values):
    stat = Stat.of(values)
    assert stat.n == len(values)
    assert stat.mean == pytest.approx(statistics.fmean(values), abs=1e-6)
    expected_std = statistics.stdev(values) if len(values) > 1 else 0.0
    assert stat.std == pytest.approx(expected_std, rel=1e-6, abs=1e-6)
    assert (stat.min, stat.max) == (min(values), max(values))


def test_stat_skips_missing_and_nonfinite_values():
    assert Stat.of([None, math.nan, 2.0, math.inf, 4.0]) == Stat(3.0, math.sqrt(2.0), 2.0, 4.0, 2)
    empty = Stat.of([None, math.nan])
    assert (empty.mean, empty.n) == (None, 0)
    assert empty.text() == "-"
    assert Stat.of([0.5, 0.7]).text(percent=True) == "60.00 ± 14.14"


def test_epoch_to_target_is_the_first_epoch_at_or_above_it():
    run = RunResult(seed=0, val_accuracy=[0.5, None, 0.9, 0.95, 0.89])
    assert run.epoch_to_target(0.9) == 3
    assert run.epoch_to_target(0.95) == 4
    assert run.epoch_to_target(0.99) is None


def test_summary_matches_the_runs(race):
    for entry in race.entries:
        summary = entry.summary(race.target)
        finals = [run.val_accuracy[-1] for run in entry.runs]
        bests = [max(run.val_loss) for run in entry.runs]
        assert summary["final_val_accuracy"].mean == pytest.approx(statistics.fmean(finals))
        assert summary["final_val_accuracy"].std == pytest.approx(statistics.stdev(finals))
        assert summary["best_val_loss"].mean == pytest.approx(
            statistics.fmean(min(r.val_loss) for r in entry.runs)
        )
        assert summary["best_val_loss"].mean != pytest.approx(statistics.fmean(bests))
        reached = [run.epoch_to_target(race.target) for run in entry.runs]
        assert summary["reached_target"] == sum(r is not None for r in reached)
        assert summary["seconds"].mean == pytest.approx(statistics.fmean(r.seconds for r in entry.runs))


def test_json_holds_settings_summaries_and_every_curve(race):
    data = json.loads(race.to_json())
    assert data["status"] == "complete"
    assert data["total_updates"] == race.epochs * race.steps_per_epoch
    assert [s["label"] for s in data["schedules"]] == ["fast", "slow"]
    for saved, entry in zip(data["schedules"], race.entries, strict=True):
        assert saved["spec"] == entry.spec
        assert set(saved["summary"]["final_val_accuracy"]) == {"mean", "std", "min", "max", "n"}
        for saved_run, run in zip(saved["runs"], entry.runs, strict=True):
            assert saved_run["lr"] == run.lr
            assert saved_run["train_loss"] == run.train_loss
            assert saved_run["val_accuracy"] == run.val_accuracy
            assert saved_run["epoch_to_target"] == run.epoch_to_target(race.target)


def test_json_writes_nonfinite_losses_as_null(race):
    race.entries[0].runs[0].train_loss[-1] = math.nan
    race.entries[0].runs[0].diverged = True
    run = json.loads(race.to_json())["schedules"][0]["runs"][0]
    assert run["train_loss"][-1] is None
    assert run["diverged"] is True


def test_csv_has_one_row_per_point_with_the_json_values(race):
    rows = list(csv.DictReader(io.StringIO(race.to_csv())))
    assert list(rows[0]) == ["schedule", "seed", "curve", "group", "x", "value"]
    points = sum(
        len(r.lr) + len(r.train_loss) + len(r.val_loss) + len(r.val_accuracy)
        for e in race.entries
        for r in e.runs
    )
    assert len(rows) == points
    run = race.entries[1].runs[1]
    lr = [float(r["value"]) for r in rows if (r["schedule"], r["seed"], r["curve"]) == ("slow", "1", "lr")]
    assert lr == [groups[0] for groups in run.lr]
    acc = [
        (int(r["x"]), float(r["value"]))
        for r in rows
        if (r["schedule"], r["seed"], r["curve"]) == ("slow", "1", "val_accuracy")
    ]
    assert acc == list(enumerate(run.val_accuracy, start=1))


def test_write_creates_the_folder_and_both_files(race, tmp_path):
    race.write(tmp_path / "a" / "b")
    assert json.loads((tmp_path / "a" / "b" / "results.json").read_text())["task"] == "synthetic"
    assert (tmp_path / "a" / "b" / "results.csv").read_text().startswith("schedule,seed,curve")
    assert not list((tmp_path / "a" / "b").glob("*.tmp"))


def test_table_has_a_row_per_schedule_with_mean_and_interval(race):
    from lrkit.compare._stats import interval

    lines = race.table().splitlines()
    assert lines[0].split()[:3] == ["rank", "schedule", "final"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[1] for line in lines[2:4]] == ["fast", "slow"]
    finals = [run.val_loss[-1] for run in race.entries[0].runs]
    assert interval(finals).text(4) in lines[2]
    accuracy = interval([run.val_accuracy[-1] for run in race.entries[0].runs])
    assert accuracy.text(2, scale=100.0) in lines[2]
