"""``lrkit compare``: race schedules side by side on real data, with a table and a report.

    lrkit compare [SPEC ...] [--task charlm] [--epochs N] [--seeds K] [--out DIR] [--target ACC]
                  [--lr LR|find] [--threads T] [--jobs N] [--backend local|ray] [--address A]
                  [--fit] [--progress | --no-progress] [--predict [SPEC ...] [--fit-on LABEL ...]]

Each SPEC is a schedule spec (``"warmup(cosine(), steps=0.1)"``), optionally named
(``"wc=warmup(cosine(), steps=0.1)"``); without SPEC the default race runs (constant, warmup,
cosine, WSD, one-cycle) on the default task, ``charlm`` (a character-level transformer language
model). The task is a bundled one (``charlm``, ``digits``, ``digits-cnn``) or ``module:function``
(see `lrkit.tasks`). It prints the table (with 95 % intervals over seeds and paired differences
with the best schedule) and writes ``results.json``, ``results.csv`` (after every run),
``report.png`` and ``report.html`` into DIR. With ``--predict``, a loss law is fitted on the
``--fit-on`` schedules after the race and the others (and the specs given to ``--predict``, not
run) are predicted: predicted vs measured in the table, the report and ``results.json``.
Needs the ``lrkit[compare]`` extra (scikit-learn, matplotlib, tqdm); ``--backend ray`` needs
``lrkit[ray]``; ``--predict`` needs scipy (``lrkit[predict]``).

Bad input (an unknown spec or task, a failing task, ``--epochs 0``) prints one line and exits
with status 2; the runs that finished before an error stay in DIR.

Example:
    >>> from lrkit.cli import main
    >>> main(["compare", "cosine(", "--no-progress"])
    2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from lrkit.cli import UsageError

__all__ = ["add_parser", "run"]

_EXTRAS = ("sklearn", "matplotlib", "tqdm")
#: The largest --epochs accepted (a larger number is refused, not clamped).
MAX_EPOCHS = 1_000_000


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit compare``."""
    from lrkit.cli.predict import add_compare_arguments
    from lrkit.compare import DEFAULT_SEEDS, DEFAULT_TASK

    parser = subparsers.add_parser(
        "compare",
        help="race schedules side by side on a real task, with a report",
        description="Train the same model on the same data once per schedule and per seed, then "
        "print a table (95% intervals over seeds, paired differences with the best schedule, "
        "ties marked) and write results.json, results.csv, report.png and report.html. "
        "Without SPEC: constant, warmup, cosine, WSD and one-cycle on the charlm task. "
        "Needs: pip install 'lrkit[compare]'.",
    )
    parser.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help="a schedule spec, optionally named: 'label=spec' (default: the standard race)",
    )
    parser.add_argument(
        "--task",
        default=DEFAULT_TASK,
        help=f"'{DEFAULT_TASK}' (character-level transformer LM, the default), 'digits' (MLP), "
        "'digits-cnn', or module:function / file.py:function",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per run (default: the task's, else 20)"
    )
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help=f"runs per schedule (default {DEFAULT_SEEDS})"
    )
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        metavar="ACC",
        help="validation accuracy in (0, 1] whose first epoch is reported (default: none)",
    )
    parser.add_argument(
        "--out", default="lrkit-compare", metavar="DIR", help="output folder (default ./lrkit-compare)"
    )
    parser.add_argument(
        "--lr",
        metavar="LR|find",
        help="base rate of the optimizer's first group (other groups keep their ratio), or 'find' for "
        "the range test's suggestion (default: the task's rates)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per run (default 1: fastest for small models)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="local worker processes (default: the CPU cores available, at most one per run)",
    )
    parser.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="'local' (this machine, --jobs processes) or 'ray' (a Ray cluster; pip install 'lrkit[ray]')",
    )
    parser.add_argument(
        "--address", default=None, help="the Ray cluster's address (default: start a local Ray instance)"
    )
    parser.add_argument(
        "--fit",
        action="store_true",
        help="stretch every schedule whose own length differs from the run's to the run (default: warn)",
    )
    add_compare_arguments(parser)
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    from lrkit.cli.predict import check_compare
    from lrkit.compare import MAX_JOBS, MAX_SEEDS, MAX_THREADS

    if args.epochs is not None and not 1 <= args.epochs <= MAX_EPOCHS:
        raise UsageError(f"argument --epochs: must be an int in [1, {MAX_EPOCHS}]. Received: {args.epochs}")
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise UsageError(f"argument --seeds: must be an int in [1, {MAX_SEEDS}]. Received: {args.seeds}")
    if args.target is not None and not 0.0 < args.target <= 1.0:
        raise UsageError(f"argument --target: must be an accuracy in (0, 1]. Received: {args.target}")
    if not 1 <= args.threads <= MAX_THREADS:
        raise UsageError(
            f"argument --threads: must be an int in [1, {MAX_THREADS}]. Received: {args.threads}"
        )
    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"argument --jobs: must be an int in [1, {MAX_JOBS}]. Received: {args.jobs}")
    if args.address is not None and args.backend != "ray":
        raise UsageError("argument --address: only with --backend ray")
    check_compare(args)
    if args.lr is not None and args.lr != "find":
        try:
            rate = float(args.lr)
        except ValueError:
            rate = float("nan")
        if not 0.0 < rate < float("inf"):
            raise UsageError(f"argument --lr: must be a rate > 0 or 'find'. Received: {args.lr!r}")
        args.lr = rate


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(args: argparse.Namespace) -> int:
    """Run the race, print the table and where the files are; return the exit status."""
    from lrkit.cli.predict import compare_predictions

    _check(args)
    try:
        from lrkit.compare import compare
        from lrkit.compare._runner import WorkerLostError
        from lrkit.tasks import TaskError

        progress = sys.stderr.isatty() if args.progress is None else args.progress
        started = time.time()
        jobs = args.jobs
        if jobs is None:
            jobs = (
                1
                if args.backend == "ray"
                else max(1, min(_cores() // args.threads, args.seeds * max(1, len(args.specs) or 5)))
            )
        try:
            result = compare(
                args.specs or None,
                task=args.task,
                epochs=args.epochs,
                seeds=args.seeds,
                target=args.target,
                out=args.out,
                progress=progress,
                threads=args.threads,
                lr=args.lr,
                jobs=jobs,
                backend=args.backend,
                address=args.address,
                fit=args.fit,
            )
        except (TaskError, WorkerLostError) as error:
            results = Path(args.out, "results.json")
            if results.exists() and results.stat().st_mtime >= started - 1.0:
                raise UsageError(f"{error} (the runs that finished are in {results})") from None
            raise UsageError(str(error)) from None
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.split(".")[0] == "ray":
            raise UsageError("lrkit compare --backend ray needs ray: pip install 'lrkit[ray]'") from None
        if error.name is not None and error.name.split(".")[0] in _EXTRAS:
            raise UsageError(
                f"lrkit compare needs {error.name.split('.')[0]}: pip install 'lrkit[compare]'"
            ) from None
        raise
    except OSError as error:
        raise UsageError(f"cannot write to {args.out!r}: {error.strerror or error}") from None
    print(result.table())
    if args.predict is not None:
        print("\n" + compare_predictions(args, result))
    where = (
        "in this process"
        if result.jobs == 1 and result.backend == "local"
        else ("on Ray" if result.backend == "ray" else f"in {result.jobs} processes")
    )
    schedules, seeds = len(result.entries), len(result.seeds)
    print(
        f"\n{schedules} schedule{'s' if schedules != 1 else ''} x {seeds} seed{'s' if seeds != 1 else ''} "
        f"in {result.seconds:.1f} s ({where})"
    )
    for name in ("report.html", "report.png", "results.json", "results.csv"):
        print(f"  {args.out}/{name}")
    return 0
