"""Race schedules side by side on real data: the same model, the same batches, one run per schedule and seed.

`compare(specs, task="digits", epochs=..., seeds=..., out=...)` trains a fresh copy of the task's
model once per schedule and per seed with `lrkit.Scheduler`, and returns a `Comparison`: every
curve (the rate each update used, each update's training loss, the validation loss and accuracy
after each epoch) and, per schedule, the final and best validation accuracy and loss (mean and
spread over seeds), the epoch at which a target accuracy is first reached, and the wall time.

With `out`, ``results.json`` and ``results.csv`` are rewritten after every run (so what finished
is kept if a later run fails), and ``report.png`` and ``report.html`` are written at the end.
``lrkit compare`` is the command line for it. Importing this module does not import torch (the
training functions are loaded on first use).
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrkit._validate import check_int, check_number, fail
from lrkit.compare._length import _fit, length_check
from lrkit.compare._report import figure_png, report_html, write_report
from lrkit.compare._results import Comparison, Entry, RunResult, Stat
from lrkit.schedules import Schedule

__all__ = [
    "DEFAULT_EPOCHS",
    "DEFAULT_SEEDS",
    "DEFAULT_SPECS",
    "DEFAULT_TARGET",
    "DEFAULT_TASK",
    "DIGITS_SPECS",
    "MAX_JOBS",
    "MAX_SEEDS",
    "MAX_THREADS",
    "Comparison",
    "Entry",
    "RunResult",
    "Stat",
    "compare",
    "evaluate",
    "figure_png",
    "has_plateau",
    "length_check",
    "parse_specs",
    "report_html",
    "run_one",
    "set_base_lr",
    "train_run",
    "validation_size",
    "write_report",
]

#: The default race's task: the character-level transformer language model (`lrkit.tasks.charlm`).
DEFAULT_TASK = "charlm"
#: Epochs per run when the task suggests none (`lrkit.tasks.Task.epochs`).
DEFAULT_EPOCHS = 20
#: Seeds per schedule of the default race (seeds 0 to 4).
DEFAULT_SEEDS = 5
#: The validation accuracy whose first epoch the digits races used to report (give it as `target`).
DEFAULT_TARGET = 0.97
#: Upper bounds of the race's size arguments (a larger value is refused, not clamped).
MAX_SEEDS = 10_000
MAX_JOBS = 1024
MAX_THREADS = 1024

#: The default race, label -> spec: warmup, decay to zero and the decay's shape, each on its own.
DEFAULT_SPECS: dict[str, str] = {
    "constant": "constant()",
    "warmup": "warmup(constant(), steps=0.1)",
    "cosine": "warmup(cosine(), steps=0.05)",
    "WSD": "wsd(warmup=0.05, decay=0.2)",
    "one-cycle": "one_cycle()",
}

#: The race the digits task used to default to (``lrkit compare --task digits`` with these specs).
DIGITS_SPECS: dict[str, str] = {
    "constant": "constant()",
    "step decay": "step_decay(every=0.3, gamma=0.1)",
    "cosine": "cosine()",
    "warmup+cosine": "warmup(cosine(), steps=0.1)",
    "one-cycle": "one_cycle()",
    "plateau after warmup": "warmup(plateau(factor=0.5, patience=2), steps=0.1)",
}

#: Names imported on first use, so that importing `lrkit.compare` (``lrkit --help``) needs no torch.
_LAZY = {
    "evaluate": "lrkit.compare._train",
    "has_plateau": "lrkit.compare._train",
    "set_base_lr": "lrkit.compare._train",
    "train_run": "lrkit.compare._train",
    "validation_size": "lrkit.compare._train",
    "run_one": "lrkit.compare._runner",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lrkit.compare' has no attribute {name!r}")


_LABEL = re.compile(r"^\s*([A-Za-z_][\w.+\- ]*?)\s*=(?!=)\s*(.+)$", re.DOTALL)


def parse_specs(specs: Sequence[str | Schedule] | Mapping[str, str | Schedule] | None) -> dict[str, Schedule]:
    """Label -> schedule for a race: `DEFAULT_SPECS` for None, a spec's text as its label otherwise.

    A string ``"label=spec"`` (a plain label before the first ``=``, no parenthesis) names its
    schedule; a mapping gives labels explicitly.

    Raises:
        ValueError: a spec that does not parse (`lrkit.SpecError`), two schedules with one label,
            an empty list.
        TypeError: an item that is neither a spec string nor a schedule.

    Example:
        >>> specs = parse_specs(["fast=cosine(end=0.1)", "step_decay(every=2)"])
        >>> list(specs), specs["fast"]
        (['fast', 'step_decay(every=2)'], cosine(end=0.1))
    """
    return {label: schedule for label, _, schedule in _race(specs)}


def _race(
    specs: Sequence[str | Schedule] | Mapping[str, str | Schedule] | None,
) -> list[tuple[str, str, Schedule]]:
    """``(label, spec text as given, schedule)`` for each schedule of the race (see `parse_specs`)."""
    from lrkit.spec import parse

    if specs is None:
        specs = DEFAULT_SPECS
    if isinstance(specs, Mapping):
        items = [(str(label), value) for label, value in specs.items()]
    elif isinstance(specs, (str, Schedule)) or not isinstance(specs, Sequence):
        raise fail("compare", "specs", specs, "a list of spec strings or schedules", kind=TypeError)
    else:
        items = []
        for value in specs:
            if isinstance(value, str):
                match = _LABEL.match(value)
                items.append((match.group(1), match.group(2)) if match else (value.strip(), value))
            else:
                items.append((repr(value), value))
    if not items:
        raise fail("compare", "specs", list(specs), "at least one schedule")
    race: list[tuple[str, str, Schedule]] = []
    for label, value in items:
        if isinstance(value, str):
            schedule, text = parse(value), value.strip()
        elif isinstance(value, Schedule):
            schedule, text = value, repr(value)
        else:
            raise fail("compare", "specs", value, "a spec string or a schedule", kind=TypeError)
        if any(label == seen for seen, _, _ in race):
            raise fail("compare", "specs", label, "schedules with distinct labels (this one appears twice)")
        race.append((label, text, schedule))
    return race


def compare(
    specs: Sequence[str | Schedule] | Mapping[str, str | Schedule] | None = None,
    *,
    task: str = DEFAULT_TASK,
    epochs: int | None = None,
    seeds: int = DEFAULT_SEEDS,
    target: float | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    threads: int | None = 1,
    lr: float | str | None = None,
    jobs: int = 1,
    backend: str = "local",
    address: str | None = None,
    fit: bool = False,
    notice: Callable[[str], None] | None = None,
) -> Comparison:
    """Train the task once per schedule and per seed; return every curve and the statistics.

    For seed ``s`` (``0 .. seeds - 1``) every schedule starts from the same weights and sees the
    same batches: the task is loaded fresh with `lrkit.tasks.load_task(task, seed=s)` for each run,
    in whichever process runs it, so the per-run results do not depend on `jobs` or `backend`.
    The scheduler counts updates, with ``total = epochs * updates_per_epoch``; a plateau phase
    observes the validation loss after each epoch.

    Every spec is parsed and resolved against the run (for each group's base rate) before any
    training, so a bad spec fails at once; its own length is checked against the run
    (`length_check`): a mismatch is reported through `notice` and marked in the table and report,
    or, with `fit`, the schedule is stretched to the run.

    Args:
        specs: spec strings (``"label=spec"`` names one), schedules, or a mapping label -> spec.
            None races `DEFAULT_SPECS`.
        task: a bundled task name or ``"module:function"`` (see `lrkit.tasks`). Default
            `DEFAULT_TASK`.
        epochs: epochs per run, an int >= 1; None takes the task's (`lrkit.tasks.Task.epochs`),
            or `DEFAULT_EPOCHS`.
        seeds: runs per schedule, an int >= 1.
        target: a validation accuracy in (0, 1] whose first epoch is reported; None reports none.
        out: a folder for ``results.json``, ``results.csv`` (after every run), ``report.png`` and
            ``report.html`` (at the end); None writes nothing.
        progress: show a tqdm progress bar on stderr.
        threads: torch's intra-op threads per run (restored afterwards), an int >= 1. Default 1:
            the fastest for small models, and the same numbers whichever backend runs the race
            (another thread count sums in another order). None leaves torch's setting.
        lr: the base rate of the optimizer's first group, a finite float > 0 (other groups keep
            their ratio to it); ``"find"`` takes the rate `lrkit.find_lr` suggests on the task
            (seed 0, default sweep; reported through `notice` with its interval); None keeps the
            task's rates.
        jobs: local worker processes, an int >= 1 (1 runs in this process).
        backend: ``"local"`` or ``"ray"`` (each run a Ray task; needs the ``lrkit[ray]`` extra).
        address: the Ray cluster's address (``ray://host:10001``, ``auto``); None starts a local
            Ray instance for the race.
        fit: stretch every schedule whose own length differs from the run's to the run.
        notice: called with each one-line notice (length warnings, the rate found, a worker
            rerun); None prints them on stderr.

    Raises:
        ValueError: a bad spec, a spec that does not fit the run, an argument out of range, a
            range test that suggests no rate.
        lrkit.tasks.TaskError: an unknown task, or a task whose code fails (files written so far
            are kept, with ``status: "failed"`` and the error in ``results.json``).

    Example:
        >>> from lrkit.compare import compare
        >>> result = compare(["cosine()"], task="digits", epochs=1, seeds=1)
        >>> [entry.label for entry in result.entries], len(result.entries[0].runs[0].lr)
        (['cosine()'], 45)
    """
    import torch

    from lrkit import __version__
    from lrkit.compare._runner import RunSpec, WorkerLostError, run_all
    from lrkit.compare._train import evaluate, set_base_lr, validation_size
    from lrkit.config import to_config
    from lrkit.tasks import TaskError, load_task, updates_per_epoch
    from lrkit.tasks._task import guard

    say = notice or (lambda text: print(text, file=sys.stderr))
    if epochs is not None:
        epochs = check_int("compare", "epochs", epochs, low=1)
    seeds = check_int("compare", "seeds", seeds, low=1)
    if seeds > MAX_SEEDS:
        raise fail("compare", "seeds", seeds, f"an int in [1, {MAX_SEEDS}]")
    if target is not None:
        target = check_number("compare", "target", target, low=0.0, high=1.0, low_open=True)
    if threads is not None:
        threads = check_int("compare", "threads", threads, low=1)
        if threads > MAX_THREADS:
            raise fail("compare", "threads", threads, f"an int in [1, {MAX_THREADS}]")
    jobs = check_int("compare", "jobs", jobs, low=1)
    if jobs > MAX_JOBS:
        raise fail("compare", "jobs", jobs, f"an int in [1, {MAX_JOBS}]")
    if backend not in ("local", "ray"):
        raise fail("compare", "backend", backend, "'local' or 'ray'")
    if lr is not None and lr != "find":
        lr = check_number("compare", "lr", lr, low=0.0, low_open=True)
    race = _race(specs)
    first = load_task(task, seed=0)
    if epochs is None:
        epochs = first.epochs if first.epochs is not None else DEFAULT_EPOCHS
    with guard(f"task {task!r} while counting its batches"):
        spe = updates_per_epoch(first)
    optimizer = first.make_optimizer()
    range_test: dict[str, Any] | None = None
    if lr == "find":
        lr, range_test = _range_test(task, threads)
        low, high = range_test["interval"] or (None, None)
        shown = f"[{low:.3g}, {high:.3g}]" if low is not None and high is not None else "none"
        say(f"range test ({range_test['method']}): lr = {lr:.4g}, interval {shown}")
    if lr is not None:
        set_base_lr(optimizer, float(lr))
    base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
    total = epochs * spe
    lengths: dict[str, str] = {}
    fitted: list[tuple[str, str, Schedule]] = []
    for label, text, schedule in race:
        for base in base_lrs:
            schedule.resolve(total, base=base)
        note = length_check(schedule, total, base=base_lrs[0])
        if note is not None and fit:
            schedule = _fit(schedule, total, base_lrs[0])
            text = repr(schedule)
            say(f"{label}: {note.split(' (--fit')[0]}; stretched to the run: {text}")
        elif note is not None:
            lengths[label] = note
            say(f"warning: {label}: {note}")
        fitted.append((label, text, schedule))
    race = fitted
    with guard(f"task {task!r} while evaluating the untrained model"):
        _, accuracy = evaluate(first)
        size = validation_size(first)

    comparison = Comparison(
        task=task,
        epochs=epochs,
        seeds=list(range(seeds)),
        target=target,
        steps_per_epoch=spe,
        base_lrs=base_lrs,
        lr_source="task" if lr is None else "given" if range_test is None else "range test",
        range_test=range_test,
        versions={
            "lrkit": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        val_size=size,
        accuracy_resolution=None if accuracy is None else 1.0 / size,
        lengths=lengths,
        jobs=jobs,
        backend=backend,
    )
    comparison.entries = [Entry(label=label, spec=text) for label, text, _ in race]
    runs = [
        RunSpec(
            index=index,
            label=label,
            schedule=to_config(schedule),
            task=task,
            seed=seed,
            epochs=epochs,
            steps_per_epoch=spe,
            lr=None if lr is None else float(lr),
            threads=threads,
        )
        for index, (label, _, schedule) in enumerate(race)
        for seed in range(seeds)
    ]
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    in_order = jobs == 1 and backend == "local"  # one tick per epoch; otherwise one per finished run
    bar = _progress(progress, len(runs) * (epochs if in_order else 1), "epoch" if in_order else "run")
    start = time.perf_counter()

    def done(spec: RunSpec, result: RunResult) -> None:
        entry = comparison.entries[spec.index]
        entry.runs.append(result)
        entry.runs.sort(key=lambda run: run.seed)
        comparison.seconds = time.perf_counter() - start
        if bar is not None:
            bar.set_description(f"{spec.label} (seed {spec.seed}) done")
            if not in_order:
                bar.update()
        if out is not None:
            comparison.write(out)

    try:
        run_all(
            runs,
            done,
            jobs=jobs,
            backend=backend,
            address=address,
            notice=say,
            on_epoch=None if bar is None else bar.update,
        )
    except (TaskError, ValueError, TypeError, WorkerLostError, KeyboardInterrupt) as error:
        comparison.status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        comparison.error = str(error).splitlines()[0] if str(error) else type(error).__name__
        comparison.seconds = time.perf_counter() - start
        if out is not None:
            comparison.write(out)
            if any(entry.runs for entry in comparison.entries):
                write_report(comparison, out)
        raise
    finally:
        if bar is not None:
            bar.close()
        torch.set_num_threads(previous_threads)
    comparison.status = "complete"
    comparison.seconds = time.perf_counter() - start
    if out is not None:
        comparison.write(out)
        write_report(comparison, out)
    return comparison


def _range_test(task: str, threads: int | None) -> tuple[float, dict[str, Any]]:
    """The rate `lrkit.find_lr` suggests on a fresh copy of the task (seed 0), and its details."""
    import torch

    from lrkit.finder import find_lr
    from lrkit.tasks import load_task

    fresh = load_task(task, seed=0)
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        result = find_lr(fresh.model, fresh.make_optimizer(), fresh.loss, fresh.train, progress=False)
    finally:
        torch.set_num_threads(previous)
    suggestion = result.suggestion
    if suggestion.lr is None:
        raise ValueError(f"the range test on task {task!r} suggests no rate: {suggestion.reason}")
    return float(suggestion.lr), {
        "lr": suggestion.lr,
        "method": suggestion.method,
        "interval": result.interval,
    }


def _progress(enabled: bool, total: int, unit: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, dynamic_ncols=True)
