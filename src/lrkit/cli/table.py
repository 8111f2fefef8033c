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
from collections.abc import Callable
from typing import Any, TextIO

from lrkit.cli import UsageError

__all__ = ["add_parser", "add_preview_arguments", "preview_columns", "preview_rows", "run", "stream", "write"]

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
            int in [1, 10_000_000]) and ``total`` (None or an int in [1, 2**53]).

    Raises:
        UsageError: a bad --lr, --steps or --total (printed as one line, exit status 2).
        ValueError: a spec that does not parse or does not fit in the run (likewise).
    """
    from lrkit.preview.table import _block

    return _block(preview_columns(args), 0, args.steps)


def preview_columns(args: argparse.Namespace) -> list[tuple[float, Any]]:
    """Check the shared arguments; each rate column's base rate and resolved schedule.

    torch's per-group lists (``max_lr=[0.1, 0.01]``) give one schedule, and one column, per group.

    Raises:
        UsageError, ValueError: as `preview_rows`.
    """
    from lrkit._validate import MAX_STEPS as MAX_TOTAL
    from lrkit._validate import _short
    from lrkit.preview.table import MAX_STEPS
    from lrkit.spec import group_schedules

    if not 1 <= args.steps <= MAX_STEPS:
        steps = _short(args.steps)
        raise UsageError(f"argument --steps: must be an int in [1, {MAX_STEPS}]. Received: {steps}")
    if args.total is not None and not 1 <= args.total <= MAX_TOTAL:
        total = _short(args.total)
        raise UsageError(f"argument --total: must be an int in [1, 2**53]. Received: {total}")
    lrs = _parse_lrs(args.lr)
    total = args.total or args.steps
    rates, _ = group_schedules(args.spec, groups=len(lrs) if len(lrs) > 1 else None)
    bases = lrs * len(rates) if len(lrs) == 1 else lrs
    if len(rates) == 1:  # one schedule for every --lr rate
        return [(base, rates[0].resolve(total, base=base)) for base in lrs]
    return [(base, schedule.resolve(total, base=base)) for schedule, base in zip(rates, bases, strict=True)]


def write(text: str) -> int:
    """Print `text` to stdout and return 0; a closed pipe (``lrkit table ... | head``) returns 1 quietly.

    Args:
        text: what to print (a newline is added).
    """
    return stream(lambda out: out.write(text + "\n"))


def stream(produce: Callable[[TextIO], object]) -> int:
    """Run `produce(sys.stdout)` and return 0; a closed pipe returns 1 quietly (see `write`)."""
    try:
        produce(sys.stdout)
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
    import numpy as np

    from lrkit.preview.table import stream_rows
    from lrkit.spec import cycled_momentum

    columns = preview_columns(args)
    cycled = cycled_momentum(args.spec)  # torch's OneCycleLR/CyclicLR cycle the momentum too
    groups = cycled if isinstance(cycled, list) else [] if cycled is None else [cycled]
    total = args.total or args.steps
    momenta = [m.resolve(total, base=1.0) for m in groups]  # values, not factors of a base

    def momentum(start: int, stop: int) -> list[list[float]]:
        """The momentum of steps ``start .. stop - 1`` (in blocks)."""
        t = np.arange(start, stop, dtype=np.float64)
        return [[float(v) for v in m(t)] for m in momenta]

    # NOTE: streamed block by block: --steps 10000000 with 8 rates held 14.9 GiB as one string
    # (issue 14 item 7). A rate that is not finite is an error before the first line.
    return stream(
        lambda out: stream_rows(
            out,
            columns,
            steps=args.steps,
            fmt=args.format,
            spec=args.spec,
            momentum=momentum if momenta else None,
        )
    )
