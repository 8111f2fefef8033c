"""``lrkit table``: the learning rate in effect at each step, for each parameter group's base rate.

    lrkit table SPEC [--lr LR[,LR...]] --steps N [--total T] [--format text|csv|json]

Row 0 is the rate before the first scheduler step (torch's rate right after the scheduler is
built); one column per base rate, and a ``momentum`` column when the spec is a torch
``OneCycleLR``/``CyclicLR`` that cycles it (``cycle_momentum=True``, torch's default; JSON:
``"momentum"``). Imports the schedule core and numpy only, never torch.

Example:
    >>> from lrkit.cli import main
    >>> main(["table", "linear(steps=2)", "--lr", "0.1", "--steps", "3"])
    step  lr
       0  0.1
       1  0.05
       2  0
    0
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from lrkit.cli import UsageError

__all__ = ["add_parser", "add_preview_arguments", "preview_rows", "run", "write"]

_FORMATS = ("text", "csv", "json")


def add_preview_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments `table` and `plot` share to `parser`: SPEC, --lr, --steps, --total.

    Args:
        parser: the subcommand's parser.
    """
    parser.add_argument("spec", metavar="SPEC", help='a schedule, e.g. "warmup(cosine(end=0.1), steps=0.05)"')
    parser.add_argument(
        "--lr",
        default="1.0",
        metavar="LR[,LR...]",
        help="base learning rate of each parameter group, comma-separated (default: 1.0, so a "
        "spec with absolute rates shows its own values)",
    )
    parser.add_argument("--steps", type=int, required=True, metavar="N", help="steps to show: 0 .. N-1")
    parser.add_argument(
        "--total",
        type=int,
        metavar="T",
        help="the run's length that fractions of the run resolve against (default: --steps)",
    )


def _parse_lrs(text: str) -> list[float]:
    rates = []
    for item in text.split(","):
        try:
            rate = float(item)
        except ValueError:
            raise UsageError(
                f"argument --lr: expected base rates separated by commas, e.g. 0.1,0.01. Received: {text!r}"
            ) from None
        if not (math.isfinite(rate) and rate >= 0.0):
            raise UsageError(
                f"argument --lr: each base rate must be a finite number >= 0. Received: {item!r}"
            )
        rates.append(rate)
    return rates


def preview_rows(args: argparse.Namespace) -> Any:
    """Check the shared arguments and compute the rates, a (steps, groups) array (`preview.rows`).

    Args:
        args: the parsed arguments: ``spec``, ``lr`` (comma-separated rates >= 0), ``steps`` (an
            int in [1, 10_000_000]) and ``total`` (None or an int >= 1).

    Raises:
        UsageError: a bad --lr, --steps or --total (printed as one line, exit status 2).
        ValueError: a spec that does not parse or does not fit in the run (likewise).
    """
    import numpy as np

    from lrkit.config import build
    from lrkit.preview.table import MAX_STEPS, rows
    from lrkit.spec import group_calls, parse

    if not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"argument --steps: must be an int in [1, {MAX_STEPS}]. Received: {args.steps}")
    if args.total is not None and args.total < 1:
        raise UsageError(f"argument --total: must be an int >= 1. Received: {args.total}")
    lrs = _parse_lrs(args.lr)
    # torch's per-group lists (max_lr=[0.1, 0.01]): one schedule, and one column, per group.
    calls = group_calls(args.spec, groups=len(lrs) if len(lrs) > 1 else None)
    if calls is None:
        return rows(parse(args.spec), steps=args.steps, lrs=lrs, total=args.total)
    bases = lrs * len(calls) if len(lrs) == 1 else lrs
    columns = [
        rows(build(name, call_args, kwargs), steps=args.steps, lrs=[base], total=args.total)[:, 0]
        for (name, call_args, kwargs), base in zip(calls, bases, strict=True)
    ]
    return np.stack(columns, axis=1)


def write(text: str) -> int:
    """Print `text` to stdout and return 0; a closed pipe (``lrkit table ... | head``) returns 1 quietly.

    Args:
        text: what to print (a newline is added).
    """
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except UnicodeEncodeError:
        raise UsageError(
            f"the output cannot be written in this terminal's encoding ({sys.stdout.encoding}): "
            "set PYTHONIOENCODING=utf-8, or write a file with -o"
        ) from None
    except BrokenPipeError:
        # Python's recommended handling: point stdout at devnull so the exit flush does not fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit table`` with the `lrkit` command's subparsers (see `lrkit.cli`)."""
    parser = subparsers.add_parser(
        "table",
        help="print the learning rate at each step",
        description="Print the learning rate in effect at each step 0..N-1 (step 0 is the rate "
        "before the first scheduler step), one column per base rate, and the momentum when a "
        "torch OneCycleLR/CyclicLR cycles it.",
    )
    add_preview_arguments(parser)
    parser.add_argument("--format", choices=_FORMATS, default="text", help="output format (default: text)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the table in the chosen format; return the exit status (0, or 1 on a closed pipe).

    Raises:
        UsageError, ValueError: bad input, turned by `lrkit.cli.main` into one line and status 2.
    """
    from lrkit.preview.table import format_rows
    from lrkit.spec import cycled_momentum

    values = preview_rows(args)
    cycled = cycled_momentum(args.spec)  # torch's OneCycleLR/CyclicLR cycle the momentum too
    momentum: list[list[float]] | None
    if isinstance(cycled, list):
        momentum = [c.values(args.steps, total=args.total or args.steps) for c in cycled]
    else:
        momentum = None if cycled is None else [cycled.values(args.steps, total=args.total or args.steps)]
    return write(format_rows(values, args.format, spec=args.spec, momentum=momentum))
