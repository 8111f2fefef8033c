"""Predictions for a race: fit on some of its schedules, predict the others (and extra specs) side by side.

Used by ``lrkit compare --predict [SPEC ...] --fit-on LABEL ...``: the table puts each
schedule's predicted final validation loss (with its 95 % interval) next to the measured mean,
and the figure draws the measured mean curves (solid) with the predicted ones (dashed, with
their band).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lrkit._validate import fail
from lrkit.predict._fit import Fit, Prediction, fit
from lrkit.predict._load import from_comparison
from lrkit.schedules import Schedule

__all__ = ["RacePrediction", "predict_race"]


@dataclasses.dataclass
class RacePrediction:
    """The fitted law, and per schedule its prediction, measured mean curve and role.

    ``rows`` holds, per schedule: ``label``, ``role`` (``"fitted"``, ``"held out"`` or
    ``"spec"``), ``prediction`` (a `Prediction`), ``measured`` (the mean final validation loss
    over seeds, None for a spec), ``steps``/``curve`` (the measured mean curve, None for a spec).
    """

    law: Fit
    rows: list[dict[str, Any]]

    def pairs_ranked_right(self) -> tuple[int, int]:
        """Pairs of held-out schedules whose predicted order matches the measured order."""
        held = [row for row in self.rows if row["role"] == "held out"]
        right = total = 0
        for i, a in enumerate(held):
            for b in held[i + 1 :]:
                total += 1
                same = (a["prediction"].final < b["prediction"].final) == (a["measured"] < b["measured"])
                right += same and a["measured"] != b["measured"]
        return right, total

    def table(self) -> str:
        """Measured and predicted final validation loss side by side, one schedule per line."""
        lines = [["schedule", "role", "measured", "predicted", "95% interval", "error"]]
        for row in self.rows:
            prediction: Prediction = row["prediction"]
            interval = prediction.final_interval
            measured = row["measured"]
            lines.append(
                [
                    row["label"],
                    row["role"],
                    "-" if measured is None else f"{measured:.4f}",
                    f"{prediction.final:.4f}",
                    "-" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]",
                    "-" if measured is None else f"{100 * (prediction.final - measured) / measured:+.2f}%",
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        out = []
        for index, line in enumerate(lines):
            left = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
            right = [cell.rjust(width) for cell, width in zip(line[2:], widths[2:], strict=True)]
            out.append("  ".join(left + right).rstrip())
            if index == 0:
                out.append("  ".join("-" * w for w in widths))
        held = [row for row in self.rows if row["role"] == "held out"]
        if held:
            errors = [abs(row["prediction"].final - row["measured"]) / row["measured"] for row in held]
            good, pairs = self.pairs_ranked_right()
            ranked = f"; pairs ranked right {good}/{pairs}" if pairs else ""
            mean_error, max_error = 100 * float(np.mean(errors)), 100 * max(errors)
            out.append(f"held out: mean |error| {mean_error:.2f}%, max {max_error:.2f}%{ranked}")
        out += [
            f"! {row['label']}: {row['prediction'].warning}" for row in self.rows if row["prediction"].warning
        ]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: the fit and every row (predicted curve and band included)."""
        return {
            "fit": self.law.to_dict(),
            "pairs_ranked_right": list(self.pairs_ranked_right()),
            "schedules": [
                {
                    "label": row["label"],
                    "role": row["role"],
                    "measured_final": row["measured"],
                    "prediction": row["prediction"].to_dict(),
                }
                for row in self.rows
            ],
        }

    def figure(self, path: str | os.PathLike[str]) -> None:
        """Measured mean validation-loss curves (solid) and predicted ones (dashed, 95 % band)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 5))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for index, row in enumerate(self.rows):
            color = colors[index % len(colors)]
            prediction: Prediction = row["prediction"]
            if row["steps"] is not None:
                ax.plot(row["steps"], row["curve"], color=color, label=f"{row['label']} ({row['role']})")
            ax.plot(prediction.steps, prediction.loss, color=color, linestyle="--")
            if prediction.low is not None and prediction.high is not None:
                ax.fill_between(prediction.steps, prediction.low, prediction.high, color=color, alpha=0.15)
        ax.set_xlabel("updates")
        ax.set_ylabel("validation loss")
        ax.set_title(f"measured (solid) and predicted by the {self.law.law} law (dashed, 95% band)")
        finals = [row["prediction"].final for row in self.rows] + [
            row["measured"] for row in self.rows if row["measured"] is not None
        ]
        low, high = min(finals), max(finals)
        ax.set_ylim(low - 0.5 * (high - low + 1e-3), high + 2.0 * (high - low + 1e-3))
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.fspath(path), dpi=110)
        plt.close(fig)


def predict_race(
    results: str | os.PathLike[str] | Mapping[str, Any] | Any,
    fit_on: Sequence[str],
    *,
    specs: Mapping[str, str | Schedule] | None = None,
    law: str = "annealing",
    decay: float | None = None,
    resamples: int = 100,
) -> RacePrediction:
    """Fit `law` on the schedules `fit_on` of a race; predict the other schedules and `specs`.

    Args:
        results: the race (``results.json``, its folder, its data or a `Comparison`).
        fit_on: labels of the race's schedules to fit on (at least one).
        specs: label -> spec of extra schedules to predict, for the race's length and base rate.
        law: ``"annealing"`` or ``"multi-power"``.
        decay: the annealing law's momentum factor; None fits it.
        resamples: bootstrap refits.

    Raises:
        ValueError: a label of `fit_on` not in the race, no held-out schedule and no spec.

    Example:
        >>> import numpy as np
        >>> from lrkit.predict import predict_race, rates_of
        >>> from lrkit.predict._laws import AnnealingLaw
        >>> def runs(spec):
        ...     rates = rates_of(spec, 200, 0.1)
        ...     loss = AnnealingLaw(0.9).loss([2.0, 1.0, 0.5, 0.01], rates / 0.1, np.arange(10, 201, 10))
        ...     return [{"seed": 0, "lr": [[r] for r in rates.tolist()], "val_loss": loss.tolist()}]
        >>> specs = [("flat", "constant()"), ("cos", "cosine()"), ("wsd", "wsd(warmup=0, decay=0.2)")]
        >>> race = {"steps_per_epoch": 10, "base_lrs": [0.1], "schedules": [
        ...     {"label": label, "spec": spec, "runs": runs(spec)} for label, spec in specs]}
        >>> result = predict_race(race, ["flat", "cos"], decay=0.9)
        >>> [(row["label"], row["role"]) for row in result.rows]
        [('flat', 'fitted'), ('cos', 'fitted'), ('wsd', 'held out')]
        >>> row = result.rows[2]
        >>> bool(abs(row["prediction"].final - row["measured"]) < 1e-6)
        True
    """
    curves = from_comparison(results)
    labels = list(dict.fromkeys(curve.label for curve in curves))
    if isinstance(fit_on, str) or not fit_on:
        raise fail("predict_race", "fit_on", fit_on, "a non-empty list of the race's labels")
    unknown = [label for label in fit_on if label not in labels]
    if unknown:
        raise fail("predict_race", "fit_on", list(fit_on), f"labels of the race: {labels}")
    extra = dict(specs or {})
    if not extra and all(label in fit_on for label in labels):
        raise fail(
            "predict_race", "fit_on", list(fit_on), "some of the race's schedules (the others are predicted)"
        )
    fitted = fit([c for c in curves if c.label in fit_on], law=law, decay=decay, resamples=resamples)
    rows = []
    for label in labels:
        runs = [curve for curve in curves if curve.label == label]
        first = runs[0]
        complete = [
            c for c in runs if c.steps.size == first.steps.size and np.array_equal(c.steps, first.steps)
        ]
        mean_curve = np.mean([c.loss for c in complete], axis=0)
        prediction = fitted.predict(first.rates, label=label)
        rows.append(
            {
                "label": label,
                "role": "fitted" if label in fit_on else "held out",
                "prediction": prediction,
                "measured": float(mean_curve[-1]),
                "steps": first.steps,
                "curve": mean_curve,
            }
        )
    for label, spec in extra.items():
        prediction = fitted.predict(spec, label=label)
        rows.append(
            {
                "label": label,
                "role": "spec",
                "prediction": prediction,
                "measured": None,
                "steps": None,
                "curve": None,
            }
        )
    for row in rows:
        if row["measured"] is not None and not math.isfinite(row["measured"]):
            row["measured"] = None
    return RacePrediction(fitted, rows)
