"""Read recorded runs as `Curve`: `lrkit compare` results, CSV, JSON lines, TensorBoard event files.

A log holds rows (or scalars) indexed by the update: the rate each update used (the ``lr`` or
``lr/<group>`` key that lrkit's loggers write, `lrkit.integrations.loggers`) and a loss at some
updates. The rate is needed for every update from 0 to the last loss's, or a schedule is given
instead (``schedule=``, ``base=``), as for a log written without the rates.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrkit._validate import check_choice, fail
from lrkit.predict._curves import Curve, rates_of
from lrkit.schedules import Schedule

__all__ = ["from_comparison", "load_runs", "read_log"]

_STEP_KEYS = ("step", "update", "global_step", "iteration", "iter")
_LOSS_KEYS = ("val_loss", "validation_loss", "eval_loss", "loss", "train_loss")


def from_comparison(
    results: str | os.PathLike[str] | Mapping[str, Any] | Any,
    *,
    curve: str = "val_loss",
    labels: Sequence[str] | None = None,
    every: int | None = None,
) -> list[Curve]:
    """One `Curve` per run of a race (`lrkit compare`'s ``results.json``, its folder, or a `Comparison`).

    Args:
        results: the path of ``results.json`` or of the folder holding it, its parsed data, or a
            `lrkit.compare.Comparison`.
        curve: ``"val_loss"`` (measured after each epoch: the point after epoch ``e`` sits at
            ``e * steps_per_epoch`` updates) or ``"train_loss"`` (each update's batch loss,
            averaged over windows of `every` updates, placed at the window's mean update count).
        labels: keep only these schedules (by label); None keeps all. An unknown label raises.
        every: the window of ``"train_loss"``; default the updates per epoch.

    Raises:
        ValueError: a file that is not a race's results, an unknown label or curve, a run whose
            first group's rates are missing.

    Example:
        >>> from lrkit.predict import from_comparison
        >>> data = {"steps_per_epoch": 2, "schedules": [{"label": "flat", "runs": [
        ...     {"lr": [[0.1], [0.1], [0.1], [0.1]], "val_loss": [0.9, 0.7], "train_loss": [1, 1, 1, 1]}]}]}
        >>> from_comparison(data)
        [Curve(label='flat', updates=4, points=2, final_loss=0.7)]
    """
    curve = check_choice("from_comparison", "curve", curve, ("val_loss", "train_loss"))
    data = _results_data(results)
    try:
        per_epoch = int(data["steps_per_epoch"])
        schedules = list(data["schedules"])
    except (KeyError, TypeError, ValueError):
        raise fail(
            "from_comparison", "results", _name(results), "lrkit compare results (steps_per_epoch, schedules)"
        ) from None
    known = [str(entry.get("label")) for entry in schedules]
    if labels is not None:
        missing = [label for label in labels if label not in known]
        if missing:
            raise fail("from_comparison", "labels", list(labels), f"labels among {known}")
    window = per_epoch if every is None else int(every)
    if window < 1:
        raise fail("from_comparison", "every", every, "an int >= 1")
    curves = []
    for entry in schedules:
        label = str(entry.get("label"))
        if labels is not None and label not in labels:
            continue
        for run in entry.get("runs", []):
            lr = run.get("lr") or []
            rates = np.array([float(groups[0]) for groups in lr], dtype=np.float64)
            if rates.size == 0:
                raise fail(
                    "from_comparison",
                    "results",
                    _name(results),
                    f"runs with their rates (schedule {label!r})",
                )
            base = _base(data)
            if curve == "val_loss":
                pairs = [
                    ((e + 1) * per_epoch, v)
                    for e, v in enumerate(run.get("val_loss", []))
                    if v is not None and math.isfinite(v) and (e + 1) * per_epoch <= rates.size
                ]
            else:
                pairs = _windows(run.get("train_loss", []), window, rates.size)
            if not pairs:
                continue
            steps, loss = zip(*pairs, strict=True)
            curves.append(Curve(rates, np.array(steps), np.array(loss), label=label, base=base))
    if not curves:
        raise fail("from_comparison", "results", _name(results), "at least one run with a finite loss")
    return curves


def _windows(values: Sequence[float | None], window: int, updates: int) -> list[tuple[int, float]]:
    """Means of the batch losses over consecutive windows; update i's loss is measured after i updates."""
    pairs = []
    for start in range(0, min(len(values), updates), window):
        chunk = [
            (i, v)
            for i, v in enumerate(values[start : start + window], start=start)
            if v is not None and math.isfinite(v)
        ]
        if len(chunk) == window:
            pairs.append(
                (round(float(np.mean([i for i, _ in chunk]))), float(np.mean([v for _, v in chunk])))
            )
    return [(step, value) for step, value in pairs if step >= 1]


def _base(data: Mapping[str, Any]) -> float | None:
    bases = data.get("base_lrs")
    if isinstance(bases, list) and bases and isinstance(bases[0], (int, float)) and bases[0] > 0:
        return float(bases[0])
    return None


def _results_data(results: Any) -> Mapping[str, Any]:
    if isinstance(results, Mapping):
        return results
    if hasattr(results, "to_dict") and hasattr(results, "entries"):
        data: Mapping[str, Any] = results.to_dict()
        return data
    if not isinstance(results, (str, os.PathLike)):
        raise fail(
            "from_comparison",
            "results",
            results,
            "a results.json path, its data, or a Comparison",
            kind=TypeError,
        )
    path = Path(results)
    if path.is_dir():
        path = path / "results.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(
            "from_comparison", "results", str(results), f"a readable results.json ({error.strerror})"
        ) from None
    except json.JSONDecodeError as error:
        raise fail(
            "from_comparison", "results", str(results), f"valid JSON ({error.msg} at line {error.lineno})"
        ) from None
    if not isinstance(loaded, dict):
        raise fail("from_comparison", "results", str(results), "a JSON object")
    return loaded


def _name(results: Any) -> str:
    return str(results) if isinstance(results, (str, os.PathLike)) else type(results).__name__


def read_log(
    path: str | os.PathLike[str],
    *,
    loss: str | None = None,
    lr: str | None = None,
    rates_log: str | os.PathLike[str] | None = None,
    schedule: str | Schedule | None = None,
    base: float | None = None,
    total: int | None = None,
    label: str | None = None,
) -> Curve:
    """A `Curve` from a log: CSV, JSON lines (``.jsonl``), or TensorBoard event files.

    CSV and JSON lines hold one row per update (or per measurement) with a step key (``step``,
    ``update``, ``global_step``...), the rate (``lr`` or ``lr/<group>``, as lrkit's loggers write;
    the first such key) and the loss (`loss`; default the first of ``val_loss``, ``loss``,
    ``train_loss``...). Rows without a loss give only a rate, and rows may be split between
    files of the same format (read each, or merge them first). For TensorBoard (a directory or an
    ``events.out.tfevents.*`` file) the same names are scalar tags, the step is the global step.

    The row of update ``i`` (0-based) holds the rate update ``i`` used, and a loss there counts as
    measured after ``i`` updates (a training batch's loss, computed before its update); lrkit's
    loggers index rows this way. A loss at step 0 is left out (no update has been made).

    Args:
        path: the file (or TensorBoard directory).
        loss: the loss key or tag; default the first of the usual names present.
        lr: the rate key or tag; default ``lr``, else the first ``lr/<group>``.
        rates_log: another log (any of the formats) holding the rates, when `path` has only the
            losses: what `lrkit.integrations.loggers.log_csv` / ``log_jsonl`` write next to your own.
        schedule: the schedule the run used (a spec or a `Schedule`), when the log has no rates;
            with `base` (the base rate) and `total` (default: the last step + 1).
        base: the base rate for `schedule`; default 1 (rates in factors).
        total: the run's updates for `schedule`.
        label: the curve's label; default the file's name.

    Raises:
        ValueError: an unreadable file, no step or loss column, rates missing for some update
            before the last loss (name the schedule instead), a bad value.

    Example:
        >>> import os, tempfile
        >>> from lrkit.predict import read_log
        >>> path = os.path.join(tempfile.mkdtemp(), "run.csv")
        >>> with open(path, "w") as f:
        ...     _ = f.write("update,lr/group0,loss\\n0,0.1,\\n1,0.1,2.5\\n2,0.05,2.1\\n")
        >>> curve = read_log(path)
        >>> curve.rates.tolist(), curve.steps.tolist(), curve.loss.tolist()
        ([0.1, 0.1, 0.05], [1, 2], [2.5, 2.1])
    """
    series = _read_any(path, "path")
    source = Path(path)
    if rates_log is not None:
        for key, logged in _read_any(rates_log, "rates_log").items():
            series.setdefault(key, logged)
    loss_key = loss if loss is not None else next((k for k in _LOSS_KEYS if k in series), None)
    if loss_key is None or loss_key not in series:
        raise fail("read_log", "loss", loss, f"a key of the log: {sorted(series)}")
    losses = {s: v for s, v in series[loss_key].items() if s >= 1}
    if not losses:
        raise fail("read_log", "loss", loss_key, "a key with values after update 0")
    steps = np.array(sorted(losses))
    values = np.array([losses[s] for s in steps])
    name = label if label is not None else source.stem
    if schedule is not None:
        run_total = total if total is not None else int(steps[-1]) + 1
        rates = rates_of(schedule, run_total, 1.0 if base is None else base)
        return Curve(rates, steps, values, label=name, base=base)
    lr_key = (
        lr
        if lr is not None
        else ("lr" if "lr" in series else next((k for k in sorted(series) if k.startswith("lr/")), None))
    )
    if lr_key is None or lr_key not in series:
        raise fail("read_log", "lr", lr, f"a rate key of the log (or give schedule=): {sorted(series)}")
    rate_by_step = series[lr_key]
    needed = int(steps[-1])
    missing = [i for i in range(needed) if i not in rate_by_step]
    if missing:
        raise fail(
            "read_log",
            "path",
            str(path),
            f"the rate of every update before the last loss (missing at {len(missing)} updates, "
            f"first {missing[0]}); "
            "or give the schedule with schedule=",
        )
    count = needed
    while count in rate_by_step:  # every contiguous rate from update 0, past the last loss too
        count += 1
    rates = np.array([rate_by_step[i] for i in range(count)])
    return Curve(rates, steps, values, label=name, base=base)


_Series = dict[str, dict[int, float]]


def _read_any(path: Any, name: str) -> _Series:
    if not isinstance(path, (str, os.PathLike)):
        raise fail("read_log", name, path, "a file path", kind=TypeError)
    source = Path(path)
    if not source.exists():
        raise fail("read_log", name, str(path), "an existing file or TensorBoard directory")
    if source.is_dir() or source.name.startswith("events.out.tfevents"):
        return _read_tensorboard(source)
    if source.suffix in (".jsonl", ".ndjson"):
        return _rows_to_series(_read_jsonl(source), str(path))
    if source.suffix == ".csv":
        return _rows_to_series(_read_csv(source), str(path))
    raise fail("read_log", name, str(path), "a .csv or .jsonl file, or a TensorBoard event file or directory")


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _rows_to_series(rows: list[dict[str, Any]], where: str) -> _Series:
    series: _Series = {}
    for index, row in enumerate(rows):
        key = next((k for k in _STEP_KEYS if k in row and _number(row[k]) is not None), None)
        if key is None:
            raise fail(
                "read_log",
                "path",
                where,
                f"rows with a step key ({', '.join(_STEP_KEYS)}); row {index + 1} has none",
            )
        raw = _number(row[key])
        assert raw is not None
        if raw != int(raw) or raw < 0:
            raise fail("read_log", "path", where, f"whole steps >= 0 (row {index + 1}: {key}={row[key]!r})")
        step = int(raw)
        for name, value in row.items():
            if name in _STEP_KEYS:
                continue
            number = _number(value)
            if number is not None:
                series.setdefault(name, {})[step] = number
    return series


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            return list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise fail("read_log", "path", str(path), f"a readable CSV file ({error})") from None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise fail("read_log", "path", str(path), f"a readable JSON-lines file ({error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise fail(
                "read_log", "path", str(path), f"one JSON object per line (line {number}: {error.msg})"
            ) from None
        if not isinstance(row, dict):
            raise fail("read_log", "path", str(path), f"one JSON object per line (line {number})")
        rows.append(row)
    return rows


def _read_tensorboard(path: Path) -> _Series:
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as error:
        raise ImportError(
            "read_log() reads TensorBoard event files with the `tensorboard` package: pip install tensorboard"
        ) from error
    accumulator = EventAccumulator(str(path), size_guidance={"scalars": 0})
    try:
        accumulator.Reload()
    except Exception as error:
        raise fail(
            "read_log", "path", str(path), f"a readable TensorBoard log ({type(error).__name__})"
        ) from None
    tags = accumulator.Tags().get("scalars", [])
    if not tags:
        raise fail("read_log", "path", str(path), "a TensorBoard log with scalars")
    series: _Series = {}
    for tag in tags:
        values = series.setdefault(tag, {})
        for event in accumulator.Scalars(tag):
            values[int(event.step)] = float(event.value)
    # NOTE: lrkit's logger writes "lr/<group>" (with a prefix if asked); a prefixed tag is also
    # found under its unprefixed name, so "train/lr/group0" answers to "lr/group0".
    for tag in list(series):
        for marker in ("lr/", "lr"):
            if "/" in tag and tag.split("/", 1)[1].startswith(marker):
                series.setdefault(tag.split("/", 1)[1], series[tag])
    return series


def load_runs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    curve: str = "val_loss",
    loss: str | None = None,
) -> tuple[list[Curve], dict[str, str]]:
    """Every run in `paths` as curves, and the spec of each label when the log names it.

    A ``results.json`` (or a folder holding one) is read with `from_comparison` (its specs are
    returned); any other file or folder with `read_log` (label: the file's name).

    Example:
        >>> import json, os, tempfile
        >>> from lrkit.predict import load_runs
        >>> folder = tempfile.mkdtemp()
        >>> with open(os.path.join(folder, "results.json"), "w") as f:
        ...     json.dump({"steps_per_epoch": 1, "schedules": [{"label": "c", "spec": "constant()",
        ...                "runs": [{"lr": [[0.1], [0.1]], "val_loss": [1.0, 0.9]}]}]}, f)
        >>> load_runs([folder])
        ([Curve(label='c', updates=2, points=2, final_loss=0.9)], {'c': 'constant()'})
    """
    curves: list[Curve] = []
    specs: dict[str, str] = {}
    for path in paths:
        source = Path(path)
        results = source / "results.json" if source.is_dir() else source
        if results.name == "results.json" and results.is_file():
            data = _results_data(results)
            curves.extend(from_comparison(data, curve=curve))
            for entry in data.get("schedules", []):
                if isinstance(entry, dict) and isinstance(entry.get("spec"), str):
                    specs[str(entry.get("label"))] = entry["spec"]
        else:
            curves.append(read_log(path, loss=loss))
    return curves, specs
