"""predict_race: fit on some schedules of a race, predict the others side by side (table, JSON, figure)."""

import json

import numpy as np
import pytest

from lrkit.predict import Curve, predict_race, rates_of
from lrkit.predict._laws import AnnealingLaw

THETA = [2.0, 1.0, 0.5, 0.01]
SPECS = {
    "flat": "constant()",
    "cos": "cosine()",
    "wsd": "wsd(warmup=0, decay=0.2)",
    "step": "step_decay(every=0.5)",
}


def race():
    rng = np.random.default_rng(0)
    schedules = []
    for label, spec in SPECS.items():
        rates = rates_of(spec, 200, 0.1)
        clean = AnnealingLaw(0.9).loss(THETA, rates / 0.1, np.arange(10, 201, 10))
        runs = [
            {
                "seed": s,
                "lr": [[r] for r in rates.tolist()],
                "val_loss": (clean + rng.normal(0, 1e-3, 20)).tolist(),
            }
            for s in range(3)
        ]
        schedules.append({"label": label, "spec": spec, "runs": runs})
    return {"steps_per_epoch": 10, "base_lrs": [0.1], "schedules": schedules}


def test_held_out_and_spec_rows_side_by_side(tmp_path):
    result = predict_race(race(), ["flat", "cos"], specs={"late": "wsd(warmup=0, decay=0.1)"}, resamples=20)
    roles = {row["label"]: row["role"] for row in result.rows}
    assert roles == {"flat": "fitted", "cos": "fitted", "wsd": "held out", "step": "held out", "late": "spec"}
    for row in result.rows:
        if row["role"] == "held out":
            assert row["prediction"].final == pytest.approx(row["measured"], rel=0.005)
    assert result.pairs_ranked_right() == (1, 1)
    text = result.table()
    assert "held out: mean |error|" in text
    assert "late" in text
    json.dumps(result.to_dict())
    result.figure(tmp_path / "predict.png")
    assert (tmp_path / "predict.png").stat().st_size > 10_000


def test_errors():
    with pytest.raises(ValueError, match="Argument `fit_on` of predict_race"):
        predict_race(race(), ["nope"])
    with pytest.raises(ValueError, match="the others are predicted"):
        predict_race(race(), list(SPECS))
    with pytest.raises(ValueError, match="Argument `fit_on` of predict_race"):
        predict_race(race(), "flat")


def test_a_warmup_no_fitted_run_had_is_flagged():
    specs = {"wc": "warmup(cosine(), steps=0.1)", "oc": "one_cycle()", "late": "wsd(warmup=0, decay=0.1)"}
    result = predict_race(race(), ["flat", "cos"], specs=specs, resamples=10)
    warnings = {row["label"]: row["prediction"].warning for row in result.rows}
    # The fitted runs start at their peak (warmup 0 %); a 10 % warmup over 200 updates peaks at
    # update 20, one_cycle's default pct_start 0.3 at update 60 (torch's OneCycleLR).
    assert warnings["wc"] is not None
    assert "warmup over 10% of the run, the fitted runs' over 0%" in warnings["wc"]
    assert warnings["oc"] is not None
    assert "warmup over 30% of the run" in warnings["oc"]
    assert {label for label, warning in warnings.items() if warning} == {"wc", "oc"}
    table = result.table().splitlines()
    assert [line.split(":")[0] for line in table if line.startswith("!")] == ["! wc", "! oc"]
    assert result.to_dict()["schedules"][-3]["prediction"]["warning"] == warnings["wc"]


def test_a_fit_on_warmed_up_runs_accepts_that_warmup():
    from lrkit.predict import fit

    steps = np.arange(10, 201, 10)
    curves = []
    for spec in ("warmup(constant(), steps=0.05)", "warmup(cosine(), steps=0.05)"):
        rates = rates_of(spec, 200, 0.1)
        curves.append(Curve(rates, steps, AnnealingLaw(0.9).loss(THETA, rates / 0.1, steps), label=spec))
    law = fit(curves, decay=0.9, uncertainty="none")
    assert law.warmups == (0.05,)
    assert law.predict("wsd(warmup=0.05, decay=0.2)").warning is None
    assert "warmup over 0% of the run, the fitted runs' over 5%" in law.predict("cosine()").warning
