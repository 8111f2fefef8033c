"""The `lrkit` command: a thin `main(argv) -> int` over one module per subcommand.

Each subcommand module (`lrkit.cli.<name>`) defines ``add_parser(subparsers)`` and
``run(args) -> int`` and imports nothing heavy at module level (torch, matplotlib and scikit-learn
are imported inside ``run``), so ``lrkit table`` answers without importing torch.

Bad input prints one line, ``lrkit: error: ...``, and exits with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "UsageError", "check_plot_file", "main"]

#: Subcommand modules, in the order `lrkit --help` lists them.
COMMANDS = ("table", "plot", "compare", "find", "lint", "predict", "design")


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def check_plot_file(path: str | None) -> None:
    """Refuse an ``-o/--output`` plot file whose extension is not one `lrkit.preview.plot` writes.

    The one list of file types is `lrkit.preview.plot.FILE_TYPES` (used by ``plot`` and ``find``).

    Raises:
        UsageError: the extension is not .png, .svg or .pdf.
    """
    if path is None:
        return
    import os

    from lrkit.preview.plot import FILE_TYPES

    if os.path.splitext(path)[1].lower().lstrip(".") not in FILE_TYPES:
        endings = ", ".join(f".{kind}" for kind in FILE_TYPES)
        raise UsageError(f"argument -o/--output: the file name must end in {endings}. Received: {path!r}")


def _build_parser() -> argparse.ArgumentParser:
    from lrkit import __version__

    parser = _Parser(prog="lrkit", description="Learning-rate schedules: preview, compare, lint.")
    parser.add_argument("--version", action="version", version=f"lrkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"lrkit.cli.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"lrkit.cli.{name}":
                continue  # a subcommand not built yet
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lrkit` command with `argv` (default: `sys.argv[1:]`); return the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        status: int = args.run(args)
        return status
    except UsageError as error:
        print(f"lrkit: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"lrkit: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lrkit: interrupted", file=sys.stderr)
        return 130
