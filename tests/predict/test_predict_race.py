"""predict_race: fit on some schedules of a race, predict the others side by side (table, JSON, figure)."""

import json

import numpy as np
import pytest

from lrkit.predict import predict_race, rates_of
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
