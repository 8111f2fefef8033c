"""`lrkit predict` and `lrkit design` in-process on a synthetic race written from a known law."""

import json

import numpy as np
import pytest

from lrkit.cli import main
from lrkit.predict import rates_of
from lrkit.predict._laws import AnnealingLaw

TOTAL, PER_EPOCH = 400, 20
THETA = [2.0, 1.0, 0.5, 0.002]
SPECS = {
    "constant": "constant()",
    "cosine": "cosine()",
    "wsd20": "wsd(warmup=0, decay=0.2)",
    "step": "step_decay(every=0.3, gamma=0.1)",
}


@pytest.fixture
def race(tmp_path):
    rng = np.random.default_rng(0)
    steps = np.arange(PER_EPOCH, TOTAL + 1, PER_EPOCH)
    schedules = []
    for label, spec in SPECS.items():
        rates = rates_of(spec, TOTAL, 0.1)
        clean = AnnealingLaw(0.99).loss(THETA, rates / 0.1, steps)
        runs = [
            {
                "seed": s,
                "lr": [[r] for r in rates.tolist()],
                "val_loss": (clean + rng.normal(0, 1e-3, clean.size)).tolist(),
            }
            for s in range(2)
        ]
        schedules.append({"label": label, "spec": spec, "runs": runs})
    (tmp_path / "results.json").write_text(
        json.dumps({"steps_per_epoch": PER_EPOCH, "base_lrs": [0.1], "schedules": schedules})
    )
    return tmp_path


def test_predict_reports_held_out_schedules(race, capsys, tmp_path):
    out = tmp_path / "p.json"
    status = main(
        [
            "predict",
            str(race),
            "--fit-on",
            "constant",
            "cosine",
            "--decay",
            "0.99",
            "--resamples",
            "20",
            "--spec",
            "late=wsd(warmup=0, decay=0.1)",
            "--json",
            str(out),
        ]
    )
    assert status == 0
    text = capsys.readouterr().out
    assert "held out" in text
    assert "pairs ranked right: 1/1" in text
    payload = json.loads(out.read_text())
    rows = {row["label"]: row for row in payload["predictions"]}
    assert rows["wsd20"]["role"] == "held out"
    assert abs(rows["wsd20"]["error"]) < 0.005
    assert rows["late"]["measured"] is None
    truth = AnnealingLaw(0.99).loss(THETA, rates_of("wsd(warmup=0, decay=0.1)", TOTAL), np.array([TOTAL]))[0]
    assert rows["late"]["predicted"] == pytest.approx(truth, rel=0.005)


def test_design_prints_the_best_spec_last(race, capsys):
    status = main(
        [
            "design",
            str(race),
            "--decay",
            "0.99",
            "--resamples",
            "20",
            "--warmup",
            "0",
            "--floor",
            "0",
            "--shape",
            "linear",
            "--reference",
            "cosine()",
            "--top",
            "3",
        ]
    )
    assert status == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("best: wsd(warmup=0, decay=")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "missing.json"], "no such log"),
        (["predict", "{race}", "--fit-on", "nope"], "no runs labelled 'nope'"),
        (["predict", "{race}", "--decay", "x"], "--decay must be a number"),
        (["predict", "{race}", "--law", "cubic"], "Argument `law` of fit()"),
        (["predict", "{race}", "--spec", "cosine("], "invalid syntax"),
        (["design", "{race}", "--shape", "zigzag", "--resamples", "10"], "decay_shape"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(race, capsys, argv, message):
    status = main([a.replace("{race}", str(race)) for a in argv])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err
