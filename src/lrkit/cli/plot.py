"""``lrkit plot``: the curve of a schedule, in the terminal or written to a PNG, SVG or PDF file.

    lrkit plot SPEC [--lr LR[,LR...]] --steps N [--total T] [-o FILE] [--width W] [--height H]

Without ``-o`` the curve is drawn in the terminal with Unicode (no matplotlib, no torch); with
``-o`` matplotlib (the ``lrkit[plot]`` extra) writes the file its extension names.

Example:
    >>> from lrkit.cli import main
    >>> main(["plot", "linear(steps=3)", "--steps", "4", "--width", "8", "--height", "2"])
    linear(steps=3)  (base lr 1.0, 4 steps)
     1 ┤⠉⠉⠧⠤⡄
     0 ┤    ⠓⠒⣆⣀
       └────────
        0      3
    0
"""

from __future__ import annotations

import argparse
from typing import Any

from lrkit.cli import UsageError, check_plot_file
from lrkit.cli.table import add_preview_arguments, preview_rows, write

__all__ = ["MAX_HEIGHT", "MAX_WIDTH", "add_parser", "run"]

#: The largest terminal plot: wider or taller than any terminal (a huge --width filled memory).
MAX_WIDTH = 1000
MAX_HEIGHT = 500


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit plot`` with the `lrkit` command's subparsers (see `lrkit.cli`)."""
    parser = subparsers.add_parser(
        "plot",
        help="plot the learning rate against the step",
        description="Plot the learning rate at each step 0..N-1: in the terminal, or into a "
        "PNG, SVG or PDF file with -o (needs matplotlib: pip install 'lrkit[plot]').",
    )
    add_preview_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write a .png, .svg or .pdf file")
    parser.add_argument(
        "--width", type=int, default=64, help="terminal plot width in characters (default 64)"
    )
    parser.add_argument("--height", type=int, default=16, help="terminal plot height in lines (default 16)")
    parser.set_defaults(run=run)


def _title(args: argparse.Namespace, groups: int) -> str:
    lrs = "base lr " + args.lr if groups == 1 else "base lrs " + args.lr
    return f"{args.spec.strip()}  ({lrs}, {args.steps} steps)"


def run(args: argparse.Namespace) -> int:
    """Draw the plot in the terminal, or write it to ``--output``; return the exit status.

    Raises:
        UsageError: a bad --output, --width or --height, matplotlib missing for a file, a file
            that cannot be written; `lrkit.cli.main` prints one line and exits with status 2.
        ValueError: a bad spec or number (likewise).
    """
    check_plot_file(args.output)
    if not 8 <= args.width <= MAX_WIDTH:
        raise UsageError(f"argument --width: must be an int in [8, {MAX_WIDTH}]. Received: {args.width}")
    if not 2 <= args.height <= MAX_HEIGHT:
        raise UsageError(f"argument --height: must be an int in [2, {MAX_HEIGHT}]. Received: {args.height}")
    values = preview_rows(args)
    groups = values.shape[1]
    if args.output is None:
        from lrkit.preview.terminal import render

        return write(render(values, width=args.width, height=args.height, title=_title(args, groups)))
    from lrkit.preview.plot import save

    labels = [f"lr={rate}" for rate in args.lr.split(",")] if groups > 1 else None
    try:
        save(values, args.output, title=args.spec.strip(), labels=labels)
    except ImportError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write {args.output!r}: {error.strerror or error}") from None
    return 0
