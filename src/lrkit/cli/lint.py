"""``lrkit lint``: find learning-rate scheduler mistakes in training scripts, without running them.

    lrkit lint PATH... [--format text|json] [--select CODES] [--ignore CODES] [--quiet]

Directories are searched for ``*.py``. Findings are printed as ``path:line:col: CODE message``
(the format of ruff and flake8), each followed by its consequence, its fix and a link to its
section of ``docs/lint.md``. Exit status: 0 when nothing is found, 1 when something is, 2 on a
usage error or when a path could not be read (one line on stderr each: a FIFO, a device, a
dangling link, a file or directory without permission; the other files are still linted).
Imports neither torch nor the linted files.

Example:
    >>> import os, tempfile
    >>> from lrkit.cli import main
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "train.py"), "w") as file:
    ...     _ = file.write("for epoch in range(3):\\n    optimizer.step()\\n    scheduler.step(epoch)\\n")
    >>> main(["lint", folder, "--quiet"])  # doctest: +ELLIPSIS
    /...train.py:3:5: LR006 scheduler.step() is given the epoch; that form is deprecated
    Found 1 problem.
    1
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from lrkit.cli import UsageError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit lint``."""
    parser = subparsers.add_parser(
        "lint",
        help="find scheduler mistakes in training scripts",
        description="Read Python training scripts (never run them) and report learning-rate "
        "scheduler mistakes: step order, per-batch vs per-epoch stepping, cosine restarts, "
        "resume and checkpoint problems, empty parameter groups. Exit status 1 if anything is found.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, or directories searched for *.py")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--select", metavar="CODES", help="only these rules: codes or prefixes, comma-separated"
    )
    parser.add_argument(
        "--ignore", metavar="CODES", help="not these rules: codes or prefixes, comma-separated"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="text format: one line per finding, without the explanation"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Lint the paths and print the findings; return 1 if any, 2 if a path could not be read, else 0."""
    from lrkit.lint import UnreadableError, format_json, format_text, lint_paths, parse_codes, selected_codes

    try:
        select = parse_codes(args.select, "select") if args.select is not None else None
        ignore = parse_codes(args.ignore, "ignore") if args.ignore is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not selected_codes(select, ignore):
        given = " ".join(
            f"--{name} {value!r}"
            for name, value in (("select", args.select), ("ignore", args.ignore))
            if value is not None
        )
        raise UsageError(f"no rule left to run after {given}; give rule codes such as LR001 or LR00")
    problems: list[str] = []

    def skipped(problem: UnreadableError) -> None:
        problems.append(str(problem))
        print(f"lrkit: error: cannot lint {problem}", file=sys.stderr)

    try:
        findings = lint_paths(args.paths, select=select, ignore=ignore, on_error=skipped)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    text = format_json(findings) if args.format == "json" else format_text(findings, explain=not args.quiet)
    try:
        if text:
            print(text, flush=True)
    except BrokenPipeError:
        # NOTE: the reader left (``lrkit lint ... | head``): stop quietly, and keep Python's
        # shutdown flush of stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    if problems:
        return 2
    return 1 if findings else 0
