"""``lrkit design``: the schedule with the lowest final loss a law fitted on your runs predicts.

    lrkit design LOG... [--fit-on LABEL ...] [--law ...] [--decay X|fit] [--total N] [--base LR]
                 [--warmup F ...] [--decay-length F ...] [--shape S ...] [--floor F ...]
                 [--reference SPEC] [--top K]

Fits the law as `lrkit predict` does, then searches the warmup-stable-decay family (warmup
length, decay length and shape, floor; see `lrkit.predict.design`) for the budget and prints the
ranking; the last line is the best spec, ready for ``lrkit compare`` or `lrkit.parse`.
Needs scipy (``pip install 'lrkit[predict]'``).

Example:
    >>> from lrkit.cli import main
    >>> main(["design", "no-such-results.json"])
    2
"""

from __future__ import annotations

import argparse
from typing import Any

from lrkit.cli.predict import add_fit_arguments, fitted

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit design``."""
    from lrkit.predict import DEFAULT_FAMILY

    parser = subparsers.add_parser(
        "design",
        help="search warmup/decay/floor for the lowest predicted final loss under a fitted law",
        description="Fit a loss law on recorded runs, then rank the warmup-stable-decay family "
        "(warmup, decay length and shape, floor) by predicted final loss for the budget and print the "
        "best spec. Needs: pip install 'lrkit[predict]'.",
    )
    add_fit_arguments(parser)
    parser.add_argument("--total", type=int, metavar="N", help="the budget in updates (default: the logs')")
    parser.add_argument("--base", type=float, metavar="LR", help="peak rate (default: the logs')")
    family = DEFAULT_FAMILY
    parser.add_argument(
        "--warmup", type=float, nargs="+", metavar="F", help=f"warmup fractions (default {family['warmup']})"
    )
    parser.add_argument(
        "--decay-length",
        type=float,
        nargs="+",
        metavar="F",
        help=f"decay fractions (default {family['decay']})",
    )
    parser.add_argument(
        "--shape", nargs="+", metavar="S", help=f"decay shapes (default {family['decay_shape']})"
    )
    parser.add_argument(
        "--floor", type=float, nargs="+", metavar="F", help=f"end factors (default {family['end']})"
    )
    parser.add_argument(
        "--reference", metavar="SPEC", help="a spec to compare the best with (e.g. your best schedule)"
    )
    parser.add_argument("--top", type=int, default=10, metavar="K", help="candidates shown (default 10)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fit, search, print the ranking and the best spec; return the exit status."""
    from lrkit.predict import design

    result, _, _, _ = fitted(args)
    family: dict[str, Any] = {}
    for key, value in (
        ("warmup", args.warmup),
        ("decay", args.decay_length),
        ("decay_shape", args.shape),
        ("end", args.floor),
    ):
        if value:
            family[key] = value
    found = design(result, args.total, family=family or None, reference=args.reference, base=args.base)
    print(result.summary())
    print(f"\n{len(found.candidates)} schedules for {found.total} updates, best first:")
    print(found.table(max(args.top, 1)))
    print(f"\nbest: {found.best.spec}")
    return 0
