"""What a race produces: per-run curves, per-schedule summaries over seeds, JSON, CSV and a table.

(Over 400 lines for one job, the results' data model: the dataclasses and their JSON, CSV and
table forms change together whenever a field is added.)
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrkit.compare._stats import LEVEL, Interval, Paired, interval, paired

__all__ = ["Comparison", "Entry", "RunResult", "Stat", "summarize"]


@dataclasses.dataclass
class RunResult:
    """One training run: one schedule, one seed, every curve.

    ``lr[i]`` holds the rate of each parameter group used by update ``i`` (read from the optimizer's
    ``param_groups`` right before ``optimizer.step()``); ``train_loss[i]`` is that update's batch
    loss; ``val_loss[e]`` and ``val_accuracy[e]`` are measured after epoch ``e + 1`` (accuracy
    None when the task is not a classifier). A run that diverged (a non-finite loss) stops there:
    its curves are shorter and `diverged` is True.

    Example:
        >>> from lrkit.compare import RunResult
        >>> RunResult(seed=0, val_accuracy=[0.91, 0.96, 0.98]).epoch_to_target(0.95)
        2
    """

    seed: int
    lr: list[list[float]] = dataclasses.field(default_factory=list)
    train_loss: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_accuracy: list[float | None] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    diverged: bool = False

    def epoch_to_target(self, target: float | None) -> int | None:
        """The first epoch (1-based) whose validation accuracy is >= `target`; None if never or no target."""
        if target is None:
            return None
        for epoch, accuracy in enumerate(self.val_accuracy, start=1):
            if accuracy is not None and accuracy >= target:
                return epoch
        return None

    def records(self, steps_per_epoch: int) -> list[dict[str, Any]]:
        """One record per update ``i`` (0-based): ``update``, ``lr`` (the first group's rate it
        used), ``train_loss`` (its batch's loss, measured before it) and ``val_loss`` (measured
        right after it at the end of each epoch, i.e. when ``(i + 1) % steps_per_epoch == 0``,
        else None).

        Example:
            >>> run = RunResult(0, lr=[[0.1], [0.05]], train_loss=[2.0, 1.5], val_loss=[1.4])
            >>> run.records(2)[1]
            {'update': 1, 'lr': 0.05, 'train_loss': 1.5, 'val_loss': 1.4}
        """
        out = []
        for i, (rates, loss) in enumerate(zip(self.lr, self.train_loss, strict=False)):
            epoch, end = divmod(i + 1, steps_per_epoch)
            val = self.val_loss[epoch - 1] if end == 0 and 0 < epoch <= len(self.val_loss) else None
            out.append({"update": i, "lr": rates[0], "train_loss": loss, "val_loss": val})
        return out

    def to_dict(self, target: float | None) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seconds": self.seconds,
            "diverged": self.diverged,
            "epoch_to_target": self.epoch_to_target(target),
            "lr": self.lr,
            "train_loss": [_finite(v) for v in self.train_loss],
            "val_loss": [_finite(v) for v in self.val_loss],
            "val_accuracy": self.val_accuracy,
        }


@dataclasses.dataclass(frozen=True)
class Stat:
    """Mean, sample standard deviation (0 for one value), minimum and maximum over seeds.

    ``std = sqrt(sum((x - mean) ** 2) / (n - 1))``; `n` counts the finite values used.

    Example:
        >>> from lrkit.compare import Stat
        >>> Stat.of([0.9, 1.0, None])
        Stat(mean=0.95, std=0.07071067811865474, min=0.9, max=1.0, n=2)
    """

    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    n: int

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Stat:
        """The statistics of the finite values among `values` (None when there are none)."""
        finite = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not finite:
            return cls(None, None, None, None, 0)
        array = np.asarray(finite)
        std = float(array.std(ddof=1)) if len(finite) > 1 else 0.0
        return cls(float(array.mean()), std, float(array.min()), float(array.max()), len(finite))

    def text(self, digits: int = 4, *, percent: bool = False) -> str:
        """``mean ± std`` (as percentages with `percent`), ``-`` without values."""
        if self.mean is None or self.std is None:
            return "-"
        scale, places = (100.0, 2) if percent else (1.0, digits)
        return f"{self.mean * scale:.{places}f} ± {self.std * scale:.{places}f}"


@dataclasses.dataclass
class Entry:
    """One schedule of the race: its label, its spec as given, and its runs (one per seed).

    Example:
        >>> from lrkit.compare import Entry, RunResult
        >>> runs = [RunResult(0, val_loss=[0.3], val_accuracy=[0.94]),
        ...         RunResult(1, val_loss=[0.2], val_accuracy=[0.96])]
        >>> summary = Entry("cos", "cosine()", runs).summary(target=0.95)
        >>> round(summary["final_val_accuracy"].mean, 12), summary["reached_target"]
        (0.95, 1)
    """

    label: str
    spec: str
    runs: list[RunResult] = dataclasses.field(default_factory=list)

    def summary(self, target: float | None) -> dict[str, Any]:
        """Final and best validation accuracy and loss, epoch to `target`, seconds, over seeds."""
        runs = [run for run in self.runs if run.val_loss]
        reached = [run.epoch_to_target(target) for run in self.runs]
        return {
            "final_val_accuracy": Stat.of([run.val_accuracy[-1] for run in runs]),
            "best_val_accuracy": Stat.of([_best(run.val_accuracy, max) for run in runs]),
            "final_val_loss": Stat.of([run.val_loss[-1] for run in runs]),
            "best_val_loss": Stat.of([_best(run.val_loss, min) for run in runs]),
            "epoch_to_target": Stat.of([float(e) if e is not None else None for e in reached]),
            "reached_target": sum(e is not None for e in reached),
            "seconds": Stat.of([run.seconds for run in self.runs]),
            "runs": len(self.runs),
            "diverged": sum(run.diverged for run in self.runs),
        }


@dataclasses.dataclass
class Comparison:
    """The result of `lrkit.compare.compare`: the race's settings and one `Entry` per schedule.

    `to_json()`, `to_csv()` and `table()` give the files and the terminal table; `write(out)`
    writes ``results.json`` and ``results.csv`` into a folder (atomically, after every run).

    Example:
        >>> from lrkit.compare import Comparison, Entry, RunResult
        >>> race = Comparison("toy", epochs=1, seeds=[0], target=0.9, steps_per_epoch=1, base_lrs=[0.1])
        >>> race.entries.append(Entry("flat", "constant()", [RunResult(0, [[0.1]], [0.7], [0.5], [0.92])]))
        >>> print(race.to_csv(), end="")
        schedule,seed,curve,group,x,value
        flat,0,lr,0,0,0.1
        flat,0,train_loss,,0,0.7
        flat,0,val_loss,,1,0.5
        flat,0,val_accuracy,,1,0.92
    """

    task: str
    epochs: int
    seeds: list[int]
    target: float | None
    steps_per_epoch: int
    base_lrs: list[float]
    entries: list[Entry] = dataclasses.field(default_factory=list)
    lr_source: str = "task"
    range_test: dict[str, Any] | None = None
    status: str = "running"
    error: str | None = None
    seconds: float = 0.0
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    val_size: int | None = None
    accuracy_resolution: float | None = None
    lengths: dict[str, str] = dataclasses.field(default_factory=dict)
    jobs: int = 1
    backend: str = "local"
    #: Predicted vs measured final losses from ``lrkit compare --predict`` (plain data, the
    #: `lrkit.predict.RacePrediction.to_dict` form), written to results.json and drawn in the
    #: report when set; None otherwise.
    predictions: dict[str, Any] | None = None

    def finals(self, entry: Entry, metric: str = "val_loss") -> dict[int, float]:
        """Seed -> the final value of `metric` (``val_loss`` or ``val_accuracy``), finite values only."""
        values: dict[int, float] = {}
        for run in entry.runs:
            curve = getattr(run, metric)
            if curve and len(curve) == self.epochs and curve[-1] is not None and math.isfinite(curve[-1]):
                values[run.seed] = float(curve[-1])
        return values

    def statistics(self) -> dict[str, dict[str, Any]]:
        """Per schedule: intervals over seeds and the paired comparison with the best schedule.

        The ranking metric is the final validation loss (lower is better). For each schedule:
        ``loss`` and ``accuracy`` (`Interval` of the final values over seeds), ``vs_best``
        (`Paired`: this schedule's loss minus the best's on the seeds both finished; None for the
        best itself), ``rank`` (``"1"`` for the best, ``"=1"`` for a schedule tied with it within
        noise, otherwise its place by mean loss) and ``length`` (the length check's note, or None).
        A diverged run has no final value and is left out of its schedule's numbers.
        """
        losses = {entry.label: self.finals(entry) for entry in self.entries}
        means = {label: float(np.mean(list(v.values()))) for label, v in losses.items() if v}
        best = min(means, key=lambda label: means[label]) if means else None
        order = sorted(means, key=lambda label: means[label])
        result: dict[str, dict[str, Any]] = {}
        for entry in self.entries:
            label = entry.label
            accuracy = self.finals(entry, "val_accuracy")
            vs_best: Paired | None = None
            rank = "-"
            if best is not None and label in means:
                if label == best:
                    rank = "1"
                else:
                    common = sorted(set(losses[label]) & set(losses[best]))
                    vs_best = paired(
                        [losses[label][seed] for seed in common], [losses[best][seed] for seed in common]
                    )
                    rank = "=1" if vs_best.tied else str(order.index(label) + 1)
            result[label] = {
                "loss": interval(list(losses[label].values())),
                "accuracy": interval(list(accuracy.values())),
                "vs_best": vs_best,
                "rank": rank,
                "best": best,
                "length": self.lengths.get(label),
            }
        return result

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: settings, and per schedule its summary and every run's curves."""
        stats = self.statistics()
        data: dict[str, Any] = {
            "status": self.status,
            "error": self.error,
            "task": self.task,
            "epochs": self.epochs,
            "seeds": self.seeds,
            "target_accuracy": self.target,
            "steps_per_epoch": self.steps_per_epoch,
            "total_updates": self.epochs * self.steps_per_epoch,
            "base_lrs": self.base_lrs,
            "lr_source": self.lr_source,
            "range_test": self.range_test,
            "seconds": self.seconds,
            "versions": self.versions,
            "jobs": self.jobs,
            "backend": self.backend,
            "validation_size": self.val_size,
            "accuracy_resolution": self.accuracy_resolution,
            "confidence_level": LEVEL,
            "ranked_by": "final validation loss (lower is better)",
            "schedules": [
                {
                    "label": entry.label,
                    "spec": entry.spec,
                    "statistics": _stats_dict(stats[entry.label]),
                    "summary": {
                        key: dataclasses.asdict(value) if isinstance(value, Stat) else value
                        for key, value in entry.summary(self.target).items()
                    },
                    "runs": [run.to_dict(self.target) for run in entry.runs],
                }
                for entry in self.entries
            ],
        }
        if self.predictions is not None:
            data["predictions"] = self.predictions
        return data

    def to_json(self) -> str:
        """`to_dict` as JSON (non-finite numbers written as null)."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def to_csv(self) -> str:
        """Every curve in long form: ``schedule,seed,curve,group,x,value``.

        ``curve`` is ``lr`` (x = update, one row per group), ``train_loss`` (x = update),
        ``val_loss`` or ``val_accuracy`` (x = epoch, 1-based, group empty).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["schedule", "seed", "curve", "group", "x", "value"])
        for entry in self.entries:
            for run in entry.runs:
                for update, groups in enumerate(run.lr):
                    for group, value in enumerate(groups):
                        writer.writerow([entry.label, run.seed, "lr", group, update, repr(value)])
                for update, value in enumerate(run.train_loss):
                    writer.writerow([entry.label, run.seed, "train_loss", "", update, repr(value)])
                for epoch, value in enumerate(run.val_loss, start=1):
                    writer.writerow([entry.label, run.seed, "val_loss", "", epoch, repr(value)])
                for epoch, accuracy in enumerate(run.val_accuracy, start=1):
                    shown = "" if accuracy is None else repr(accuracy)
                    writer.writerow([entry.label, run.seed, "val_accuracy", "", epoch, shown])
        return buffer.getvalue()

    def write(self, out: str | os.PathLike[str]) -> None:
        """Write ``results.json`` and ``results.csv`` into the folder `out` (created if needed)."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / "results.json", self.to_json())
        _write_atomic(folder / "results.csv", self.to_csv())

    def rows(self) -> list[list[str]]:
        """The table's header and one row of text per schedule (see `statistics`).

        Columns: the rank (``=1``: tied with the best within noise, not ranked), the final
        validation loss's mean and 95 % interval over seeds, the paired difference with the best
        and its interval, the final accuracy (when the task is a classifier), the epoch at which
        the target accuracy is first reached (when a target is given), the time per run, and a
        ``!`` on a schedule whose own length differs from the run's.
        """
        stats = self.statistics()
        classifier = any(stats[e.label]["accuracy"].mean is not None for e in self.entries)
        header = ["rank", "schedule", "final val loss [95% CI]", "vs best [95% CI]"]
        if classifier:
            header.append("final acc % [95% CI]")
        if self.target is not None:
            header.append(f"epoch to {self.target * 100:g}%")
        header.append("time/run s")
        rows = [header]
        for entry in self.entries:
            st = stats[entry.label]
            s = entry.summary(self.target)
            vs: Paired | None = st["vs_best"]
            if vs is None:
                versus = "best" if st["rank"] == "1" else "-"
            else:
                versus = vs.difference.text(4)
                if vs.difference.low is not None and vs.difference.mean is not None and vs.difference.low > 0:
                    versus = "+" + versus
                if vs.tied:
                    versus += " tied"
            label = entry.label + (" !" if st["length"] else "")
            row = [st["rank"], label, st["loss"].text(4), versus]
            if classifier:
                row.append(st["accuracy"].text(2, scale=100.0))
            if self.target is not None:
                to_target = s["epoch_to_target"]
                reached = f"{to_target.mean:.1f}" if to_target.mean is not None else "never"
                if s["reached_target"] < s["runs"] and to_target.mean is not None:
                    reached += f" ({s['reached_target']}/{s['runs']})"
                row.append(reached)
            row.append(f"{s['seconds'].mean:.1f}" if s["seconds"].mean is not None else "-")
            rows.append(row)
        return rows

    def notes(self) -> list[str]:
        """The lines printed under the table: the validation set, the resolution, ties, lengths."""
        lines = []
        if self.val_size is not None:
            text = f"validation: {self.val_size} predicted values"
            if self.accuracy_resolution is not None:
                text += (
                    f"; accuracy resolution {self.accuracy_resolution * 100:.3g} pp "
                    f"(one value in {self.val_size})"
                )
            text += "; loss printed to 4 decimals"
            lines.append(text)
        n = len(self.seeds)
        lines.append(
            f"{n} seed{'s' if n != 1 else ''} per schedule; intervals are {LEVEL:.0%} Student-t over seeds; "
            "'vs best' is the paired difference of the final validation loss with the best schedule "
            "(same seeds, same batches); 'tied' (=1): the interval contains 0 or the difference is "
            "below the resolution, so it is not ranked"
            + ("" if n > 1 else " (one seed: nothing can be told apart, use --seeds 3 or more)")
        )
        for label, note in self.lengths.items():
            lines.append(f"! {label}: {note}")
        return lines

    def table(self) -> str:
        """The terminal table (one line per schedule, see `rows`) and its `notes`."""
        rows = self.rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = []
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])] + [
                cell.rjust(w) for cell, w in zip(row[2:], widths[2:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join([*lines, "", *self.notes()])


def _interval_dict(value: Interval) -> dict[str, Any]:
    return dataclasses.asdict(value)


def _stats_dict(st: dict[str, Any]) -> dict[str, Any]:
    vs: Paired | None = st["vs_best"]
    return {
        "rank": st["rank"],
        "final_val_loss": _interval_dict(st["loss"]),
        "final_val_accuracy": _interval_dict(st["accuracy"]),
        "vs_best": None
        if vs is None
        else {
            "best": st["best"],
            "difference": _interval_dict(vs.difference),
            "p_value": vs.p_value,
            "tied": vs.tied,
        },
        "length": st["length"],
    }


def summarize(comparison: Comparison) -> dict[str, dict[str, Any]]:
    """Each schedule's summary (see `Entry.summary`), keyed by label."""
    return {entry.label: entry.summary(comparison.target) for entry in comparison.entries}


def _best(values: Sequence[float | None], pick: Any) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(pick(finite)) if finite else None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
