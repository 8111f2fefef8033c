"""`lrkit compare --predict`: fit on some raced schedules, predict the others and extra specs side by side."""

import json

import numpy as np
import pytest

from lrkit.cli import main

pytest.importorskip("scipy")


def run(capsys, *argv):
    status = main(["compare", *argv])
    out, err = capsys.readouterr()
    return status, out, err


RACE = ("flat=constant()", "cos=cosine()", "wsd=wsd(warmup=0, decay=0.2)")
TINY = ("--task", "digits", "--epochs", "3", "--seeds", "2", "--jobs", "1", "--no-progress")


def test_held_out_and_spec_predicted_next_to_the_measured_loss(capsys, tmp_path):
    out_dir = tmp_path / "race"
    status, out, err = run(
        capsys, *RACE, *TINY, "--out", str(out_dir),
        "--fit-on", "flat", "cos", "--predict", "late=wsd(warmup=0, decay=0.1)",
    )  # fmt: skip
    assert status == 0, err
    data = json.loads((out_dir / "results.json").read_text())
    predictions = data["predictions"]
    roles = {row["label"]: row["role"] for row in predictions["schedules"]}
    assert roles == {"flat": "fitted", "cos": "fitted", "wsd": "held out", "late": "spec"}
    assert predictions["fit"]["schedules"] == ["cos", "flat"]

    # The measured value next to each prediction is the mean final validation loss over the seeds,
    # recomputed here from the runs themselves.
    runs = {entry["label"]: entry["runs"] for entry in data["schedules"]}
    for row in predictions["schedules"]:
        if row["role"] == "spec":
            assert row["measured_final"] is None
            continue
        mean = np.mean([r["val_loss"][-1] for r in runs[row["label"]]])
        assert row["measured_final"] == pytest.approx(mean, rel=1e-12)

    # The held-out prediction is the law fitted on flat + cos (from the written results) applied
    # to the rates the wsd runs used; the spec's is the same law on the spec's rates.
    from lrkit.predict import fit, from_comparison, rates_of

    curves = from_comparison(out_dir)
    law = fit([c for c in curves if c.label in ("flat", "cos")], decay=None, uncertainty="none")
    by_label = {row["label"]: row["prediction"] for row in predictions["schedules"]}
    wsd_rates = next(c.rates for c in curves if c.label == "wsd")
    assert by_label["wsd"]["final"] == pytest.approx(law.predict(wsd_rates).final, rel=1e-6)
    total = data["total_updates"]
    late_rates = rates_of("wsd(warmup=0, decay=0.1)", total, data["base_lrs"][0])
    assert by_label["late"]["final"] == pytest.approx(law.predict(late_rates).final, rel=1e-6)
    low, high = by_label["wsd"]["final_interval"]
    assert low <= high

    # The terminal: the race's table, then the predictions side by side.
    table = out[out.index("predicted by the annealing law") :]
    header, _, *rows = table.splitlines()[1:]
    assert header.split()[:4] == ["schedule", "role", "measured", "predicted"]
    assert [row.split()[0] for row in rows[:4]] == ["flat", "cos", "wsd", "late"]
    assert rows[3].split()[2] == "-"  # a spec has no measured loss
    assert "held out: mean |error|" in table
    page = (out_dir / "report.html").read_text()
    assert "Predicted vs measured" in page
    assert page.count("<tr>") >= 1 + 3 + 1 + 4  # race table + predictions table rows


def test_default_fit_on_is_every_raced_schedule(capsys, tmp_path):
    status, _, err = run(
        capsys, "flat=constant()", "cos=cosine()", *TINY, "--out", str(tmp_path),
        "--predict", "w=wsd(warmup=0.05, decay=0.2)",
    )  # fmt: skip
    assert status == 0, err
    data = json.loads((tmp_path / "results.json").read_text())
    assert [row["role"] for row in data["predictions"]["schedules"]] == ["fitted", "fitted", "spec"]


def test_without_predict_results_have_no_predictions(capsys, tmp_path):
    argv = ["constant()", "--task", "digits", "--epochs", "1", "--seeds", "1", "--jobs", "1"]
    status, _, err = run(capsys, *argv, "--no-progress", "--out", str(tmp_path))
    assert status == 0, err
    assert "predictions" not in json.loads((tmp_path / "results.json").read_text())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fit-on", "flat"], "argument --fit-on: only with --predict"),
        (["--law", "multi-power"], "argument --law: only with --predict"),
        (["--predict"], "argument --predict: nothing to predict"),
        (["--fit-on", "flat", "nope", "--predict"], "argument --fit-on: 'nope' is not a raced schedule"),
        (["--predict", "cos=cosine(end=0.1)"], "argument --predict: 'cos' is also a raced schedule"),
        (["--predict", "p=plateau()"], "argument --predict: 'p' has a plateau phase"),
        (["--predict", "cosine("], "cosine("),
    ],
)
def test_bad_predict_arguments_are_refused_before_training(capsys, tmp_path, argv, message):
    out_dir = tmp_path / "never"
    status, _, err = run(capsys, "flat=constant()", "cos=cosine()", "--out", str(out_dir), *argv)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out_dir.exists()  # refused before the race


def test_a_fit_that_cannot_be_made_is_one_line_and_keeps_the_race(capsys, tmp_path):
    # One epoch of one seed: 1 point per fitted run, fewer than the law's parameters.
    status, _, err = run(
        capsys, "flat=constant()", "cos=cosine()", "--task", "digits", "--epochs", "1", "--seeds", "1",
        "--jobs", "1", "--no-progress", "--out", str(tmp_path), "--fit-on", "flat", "--predict",
    )  # fmt: skip
    assert status == 2
    assert "--predict: " in err
    assert "more points than" in err
    assert str(tmp_path) in err
    assert err.count("\n") == 1
    assert (tmp_path / "results.json").exists()


def test_report_draws_predicted_curves_and_lists_them():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from lrkit.compare import Comparison, Entry, RunResult, figure_png, report_html
    from lrkit.compare._report import _draw_predictions

    race = Comparison("toy", epochs=2, seeds=[0], target=None, steps_per_epoch=2, base_lrs=[0.1])
    curves = {"train_loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [0.6, 0.5], "val_accuracy": [0.5, 0.6]}
    run_result = RunResult(0, lr=[[0.1]] * 4, **curves)
    race.entries.append(Entry("flat", "constant()", [run_result]))
    prediction = {"final": 0.45, "final_interval": [0.4, 0.5], "steps": [2, 4], "loss": [0.55, 0.45]}
    race.predictions = {
        "fit": {"law": "annealing", "schedules": ["flat"], "rmse": 0.01, "uncertainty": "jacobian"},
        "pairs_ranked_right": [0, 0],
        "schedules": [
            {"label": "flat", "role": "fitted", "measured_final": 0.5,
             "prediction": {**prediction, "low": [0.5, 0.4], "high": [0.6, 0.5]}},
            {"label": "new", "role": "spec", "measured_final": None,
             "prediction": {**prediction, "low": None, "high": None}},
        ],
    }  # fmt: skip
    axis = Figure().subplots()
    values, extra = _draw_predictions(axis, race, ["C0"])
    dashed = [line for line in axis.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_xdata().tolist() for line in dashed] == [[1.0, 2.0], [1.0, 2.0]]  # updates / 2
    assert dashed[0].get_color() == "C0"  # the raced schedule's color
    assert [label for _, label in extra] == ["new (predicted, not run)"]
    assert values == [0.55, 0.45, 0.55, 0.45]
    assert figure_png(race, dpi=20)[:4] == b"\x89PNG"
    page = report_html(race, b"png")
    section = page[page.index("Predicted vs measured") :]
    assert "<td>new</td><td>spec</td><td>-</td><td>0.4500</td><td>[0.4000, 0.5000]</td><td>-</td>" in section
    assert "<td>flat</td><td>fitted</td><td>0.5000</td><td>0.4500</td>" in section
    assert "<td>-10.00%</td>" in section
