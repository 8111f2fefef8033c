"""``lrkit predict``: fit a loss law on recorded runs and predict other schedules' loss curves.

    lrkit predict LOG... [--fit-on LABEL ...] [--law annealing|multi-power] [--decay X|fit]
                  [--curve val_loss|train_loss] [--loss KEY] [--skip F|auto] [--spec [LABEL=]SPEC ...]
                  [--total N] [--base LR] [--resamples N] [--json FILE]

LOG is ``lrkit compare``'s ``results.json`` (or its folder), a CSV or JSON-lines log, or a
TensorBoard log (see `lrkit.predict.read_log`). The law is fitted on the runs whose labels are
given with ``--fit-on`` (default: all); every other schedule in the logs is predicted from the
rates it used and shown next to its measured final loss (a held-out check), and each ``--spec``
is predicted for the budget. Needs scipy (``pip install 'lrkit[predict]'``).

Bad input (an unreadable log, an unknown label, a bad spec) prints one line and exits with status 2.

Example:
    >>> from lrkit.cli import main
    >>> main(["predict", "no-such-results.json"])
    2
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from lrkit.cli import UsageError

__all__ = [
    "add_compare_arguments",
    "add_fit_arguments",
    "add_parser",
    "check_compare",
    "compare_predictions",
    "fitted",
    "run",
]


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments `lrkit predict` and `lrkit design` share: the logs and how to fit them."""
    parser.add_argument(
        "logs",
        nargs="+",
        metavar="LOG",
        help="results.json (or its folder), .csv, .jsonl, or a TensorBoard log",
    )
    parser.add_argument(
        "--fit-on", nargs="+", metavar="LABEL", help="fit only on these schedules (default: all)"
    )
    parser.add_argument(
        "--law",
        default="annealing",
        help="annealing (default; Tissue et al. 2024) or multi-power (Luo et al. 2025)",
    )
    parser.add_argument(
        "--decay",
        default="fit",
        metavar="X|fit",
        help="the annealing law's momentum factor in (0, 1), or 'fit' (default)",
    )
    parser.add_argument(
        "--curve", default="val_loss", help="for results.json: val_loss (default) or train_loss"
    )
    parser.add_argument(
        "--loss",
        metavar="KEY",
        help="for CSV/JSON-lines/TensorBoard: the loss key (default: val_loss, loss, ...)",
    )
    parser.add_argument(
        "--skip",
        default="0",
        metavar="F|auto",
        help="leave out the first F of each run (default 0); auto: chosen by forecasting the "
        "fitted runs' last 20 %% from the rest (lrkit.predict.choose_skip)",
    )
    parser.add_argument(
        "--resamples", type=int, default=100, metavar="N", help="bootstrap refits (default 100)"
    )


def fitted(args: argparse.Namespace) -> tuple[Any, list[Any], dict[str, str], list[Any]]:
    """(the fit, every curve, label -> spec, the curves fitted on) from the shared arguments."""
    from lrkit.predict import fit, load_runs

    for log in args.logs:
        if not Path(log).exists():
            raise UsageError(f"no such log: {log}")
    curves, specs = load_runs(args.logs, curve=args.curve, loss=args.loss)
    labels = list(dict.fromkeys(curve.label for curve in curves))
    if args.fit_on:
        unknown = [label for label in args.fit_on if label not in labels]
        if unknown:
            raise UsageError(
                f"--fit-on: no runs labelled {', '.join(map(repr, unknown))}; the logs hold {labels}"
            )
        train = [curve for curve in curves if curve.label in args.fit_on]
    else:
        train = curves
    if args.decay == "fit":
        decay = None
    else:
        try:
            decay = float(args.decay)
        except ValueError:
            raise UsageError(
                f"--decay must be a number in (0, 1) or 'fit'. Received: {args.decay!r}"
            ) from None
    if args.skip == "auto":
        skip: float | str = "auto"
    else:
        try:
            skip = float(args.skip)
        except ValueError:
            raise UsageError(
                f"--skip must be a fraction in [0, 1) or 'auto'. Received: {args.skip!r}"
            ) from None
    result = fit(train, law=args.law, decay=decay, skip=skip, resamples=args.resamples)
    return result, curves, specs, train


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit predict``."""
    parser = subparsers.add_parser(
        "predict",
        help="fit a loss law on recorded runs; predict other schedules' loss curves",
        description="Fit the annealing law (Tissue et al. 2024) or the multi-power law (Luo et al. 2025) "
        "on recorded runs, then predict the final loss of the other schedules in the logs (next to their "
        "measured loss) and of any --spec, with 95%% intervals. Needs: pip install 'lrkit[predict]'.",
    )
    add_fit_arguments(parser)
    parser.add_argument("--spec", nargs="+", default=[], metavar="[LABEL=]SPEC", help="schedules to predict")
    parser.add_argument(
        "--total", type=int, metavar="N", help="updates of the predicted runs (default: the logs')"
    )
    parser.add_argument("--base", type=float, metavar="LR", help="peak rate of --spec (default: the logs')")
    parser.add_argument("--json", metavar="FILE", help="write the fit and the predictions as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fit, predict, print the table; return the exit status."""
    import numpy as np

    from lrkit.compare import parse_specs

    result, curves, _, train = fitted(args)
    given = parse_specs(args.spec) if args.spec else {}
    print(result.summary())
    fitted_labels = {curve.label for curve in train}
    rows: list[dict[str, Any]] = []
    for label in dict.fromkeys(curve.label for curve in curves):
        runs = [curve for curve in curves if curve.label == label]
        first = runs[0]
        prediction = result.predict(first.rates, steps=[first.steps[-1]], label=label)
        finals = [curve.loss[-1] for curve in runs if curve.steps[-1] == first.steps[-1]]
        measured = float(np.mean(finals))
        rows.append(_row(label, prediction, measured, "fitted" if label in fitted_labels else "held out"))
    for label, schedule in given.items():
        prediction = result.predict(schedule, args.total, base=args.base, label=label)
        rows.append(_row(label, prediction, None, "spec"))
    print()
    print(_table(rows))
    held = [row for row in rows if row["role"] == "held out"]
    agreement = _agreement(held)
    if held:
        errors = [abs(row["error"]) for row in held]
        print(
            f"\nheld out: mean |error| {100 * float(np.mean(errors)):.2f}%, max {100 * max(errors):.2f}%; "
            + (
                f"pairs ranked right: {agreement[0]}/{agreement[1]}"
                if agreement[1]
                else "one schedule: no pairs"
            )
        )
    for row in rows:
        if row["warning"]:
            print(f"! {row['label']}: {row['warning']}")
    if args.json:
        payload = {"fit": result.to_dict(), "predictions": rows, "pairs_ranked_right": list(agreement)}
        try:
            Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {args.json}: {error.strerror}") from None
    return 0


def _row(label: str, prediction: Any, measured: float | None, role: str) -> dict[str, Any]:
    interval = prediction.final_interval
    return {
        "label": label,
        "role": role,
        "total": prediction.total,
        "predicted": prediction.final,
        "interval": list(interval) if interval is not None else None,
        "measured": measured,
        "error": None if measured is None else (prediction.final - measured) / measured,
        "warning": prediction.warning,
    }


def _agreement(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Pairs of schedules whose predicted order matches the measured order (ties in either: not right)."""
    right = total = 0
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            total += 1
            predicted = math.copysign(1.0, a["predicted"] - b["predicted"])
            measured = math.copysign(1.0, a["measured"] - b["measured"])
            right += predicted == measured and a["measured"] != b["measured"]
    return right, total


def _table(rows: list[dict[str, Any]]) -> str:
    header = ["schedule", "role", "predicted final", "95% interval", "measured", "error"]
    lines = [header]
    for row in rows:
        interval = row["interval"]
        lines.append(
            [
                row["label"],
                row["role"],
                f"{row['predicted']:.4f}",
                "-" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]",
                "-" if row["measured"] is None else f"{row['measured']:.4f}",
                "-" if row["error"] is None else f"{100 * row['error']:+.2f}%",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
                + [c.rjust(w) for c, w in zip(line[2:], widths[2:], strict=True)]
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """``lrkit compare``'s ``--predict``, ``--fit-on`` and ``--law``."""
    parser.add_argument(
        "--predict",
        nargs="*",
        default=None,
        metavar="[LABEL=]SPEC",
        help="after the race, fit a loss law on the --fit-on schedules and predict the final validation "
        "loss of the other raced schedules (next to the measured one) and of these specs (not run); "
        "in the table, report and results.json. Put it after the SPECs. Needs scipy",
    )
    parser.add_argument(
        "--fit-on",
        nargs="+",
        metavar="LABEL",
        help="with --predict: the raced schedules to fit the law on (default: all of them)",
    )
    parser.add_argument(
        "--law",
        default=None,
        choices=("annealing", "multi-power"),
        help="with --predict: annealing (default; Tissue et al. 2024) or multi-power (Luo et al. 2025)",
    )


def check_compare(args: argparse.Namespace) -> None:
    """Refuse a bad ``--predict``/``--fit-on``/``--law`` before any training (one line, exit 2)."""
    if args.predict is None:
        for name, value in (("--fit-on", args.fit_on), ("--law", args.law)):
            if value is not None:
                raise UsageError(f"argument {name}: only with --predict")
        return
    try:
        import scipy  # noqa: F401
    except ModuleNotFoundError:
        raise UsageError("lrkit compare --predict needs scipy: pip install 'lrkit[predict]'") from None
    from lrkit.compare import parse_specs

    raced = list(parse_specs(args.specs or None))
    extra = parse_specs(args.predict) if args.predict else {}
    clash = [label for label in extra if label in raced]
    if clash:
        raise UsageError(
            f"argument --predict: {clash[0]!r} is also a raced schedule; name it: 'other={extra[clash[0]]!r}'"
        )
    for label, schedule in extra.items():
        if any(node.name == "plateau" for _, node in schedule.walk()):
            raise UsageError(
                f"argument --predict: {label!r} has a plateau phase: its rates depend on the losses, "
                "so they cannot be known before the run"
            )
    fit_on = list(args.fit_on) if args.fit_on else raced
    unknown = [label for label in fit_on if label not in raced]
    if unknown:
        raise UsageError(f"argument --fit-on: {unknown[0]!r} is not a raced schedule; the race has {raced}")
    if not extra and all(label in fit_on for label in raced):
        raise UsageError(
            "argument --predict: nothing to predict: give specs to --predict, or --fit-on some of the "
            f"raced schedules {raced} (the others are predicted)"
        )
    args.fit_on = fit_on


def compare_predictions(args: argparse.Namespace, comparison: Any) -> str:
    """Fit on the race, attach the predictions to it, rewrite its files; return the table to print."""
    from lrkit.compare import parse_specs, write_report
    from lrkit.predict import predict_race

    extra = parse_specs(args.predict) if args.predict else {}
    try:
        result = predict_race(comparison, args.fit_on, specs=extra, law=args.law or "annealing")
    except ValueError as error:
        raise UsageError(
            f"--predict: {str(error).splitlines()[0]} (the race's results are in {args.out})"
        ) from None
    comparison.predictions = result.to_dict()
    comparison.write(args.out)
    write_report(comparison, args.out)
    law = result.law
    return (
        f"predicted by the {law.law} law fitted on {', '.join(dict.fromkeys(law.labels))} "
        f"(rmse {law.rmse:.4g}, 95% intervals: {law.uncertainty})\n{result.table()}"
    )
