"""``lrkit compare``: race schedules side by side on real data, with a table and a report.

    lrkit compare [SPEC ...] [--task digits] [--epochs N] [--seeds K] [--out DIR] [--target ACC]
                  [--lr LR|find] [--threads T] [--progress | --no-progress]

Each SPEC is a schedule spec (``"warmup(cosine(), steps=0.1)"``), optionally named
(``"wc=warmup(cosine(), steps=0.1)"``); without SPEC the default race runs (constant, step decay,
cosine, warmup+cosine, one-cycle, plateau after warmup). The task is a bundled one (``digits``,
``digits-cnn``) or ``module:function`` (see `lrkit.tasks`). It prints the table and writes
``results.json``, ``results.csv`` (after every run), ``report.png`` and ``report.html`` into DIR.
Needs the ``lrkit[compare]`` extra (scikit-learn, matplotlib, tqdm).

Bad input (an unknown spec or task, a failing task, ``--epochs 0``) prints one line and exits
with status 2; the runs that finished before an error stay in DIR.

Example:
    >>> from lrkit.cli import main
    >>> main(["compare", "cosine(", "--no-progress"])
    2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from lrkit.cli import UsageError

__all__ = ["add_parser", "run"]

_EXTRAS = ("sklearn", "matplotlib", "tqdm")


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit compare``."""
    from lrkit.compare import DEFAULT_EPOCHS, DEFAULT_SEEDS, DEFAULT_TARGET

    parser = subparsers.add_parser(
        "compare",
        help="race schedules side by side on a real task, with a report",
        description="Train the same model on the same data once per schedule and per seed, then "
        "print a table and write results.json, results.csv, report.png and report.html. "
        "Without SPEC: constant, step decay, cosine, warmup+cosine, one-cycle, plateau after "
        "warmup. Needs: pip install 'lrkit[compare]'.",
    )
    parser.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help="a schedule spec, optionally named: 'label=spec' (default: the standard race)",
    )
    parser.add_argument(
        "--task",
        default="digits",
        help="'digits' (MLP, the default), 'digits-cnn', or module:function / file.py:function",
    )
    parser.add_argument(
        "--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs per run (default {DEFAULT_EPOCHS})"
    )
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help=f"runs per schedule (default {DEFAULT_SEEDS})"
    )
    parser.add_argument(
        "--target",
        type=float,
        default=DEFAULT_TARGET,
        metavar="ACC",
        help=f"validation accuracy in (0, 1] whose first epoch is reported (default {DEFAULT_TARGET})",
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
        "--threads", type=int, default=1, help="torch threads (default 1: fastest for small models)"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    if args.epochs < 1:
        raise UsageError(f"argument --epochs: must be an int >= 1. Received: {args.epochs}")
    if args.seeds < 1:
        raise UsageError(f"argument --seeds: must be an int >= 1. Received: {args.seeds}")
    if not 0.0 < args.target <= 1.0:
        raise UsageError(f"argument --target: must be an accuracy in (0, 1]. Received: {args.target}")
    if args.threads < 1:
        raise UsageError(f"argument --threads: must be an int >= 1. Received: {args.threads}")
    if args.lr is not None and args.lr != "find":
        try:
            rate = float(args.lr)
        except ValueError:
            rate = float("nan")
        if not 0.0 < rate < float("inf"):
            raise UsageError(f"argument --lr: must be a rate > 0 or 'find'. Received: {args.lr!r}")
        args.lr = rate


def run(args: argparse.Namespace) -> int:
    """Run the race, print the table and where the files are; return the exit status."""
    _check(args)
    try:
        from lrkit.compare import compare
        from lrkit.tasks import TaskError

        progress = sys.stderr.isatty() if args.progress is None else args.progress
        started = time.time()
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
            )
        except TaskError as error:
            results = Path(args.out, "results.json")
            if results.exists() and results.stat().st_mtime >= started - 1.0:
                raise UsageError(f"{error} (the runs that finished are in {results})") from None
            raise UsageError(str(error)) from None
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.split(".")[0] in _EXTRAS:
            raise UsageError(
                f"lrkit compare needs {error.name.split('.')[0]}: pip install 'lrkit[compare]'"
            ) from None
        raise
    except OSError as error:
        raise UsageError(f"cannot write to {args.out!r}: {error.strerror or error}") from None
    print(result.table())
    print(f"\n{len(result.entries)} schedules x {len(result.seeds)} seeds in {result.seconds:.1f} s")
    for name in ("report.html", "report.png", "results.json", "results.csv"):
        print(f"  {args.out}/{name}")
    return 0
