"""Linting a source text, a file, or files and directories: parse, model, run the checks, filter."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lrkit.lint import checks_cadence, checks_calls, checks_groups, checks_order, checks_resume
from lrkit.lint._cadence import Cadence
from lrkit.lint._model import Model
from lrkit.lint._rules import RULES, Finding
from lrkit.lint._select import selected_codes, silenced

__all__ = ["CHECKS", "iter_python_files", "lint_file", "lint_paths", "lint_source"]

Check = Callable[[Model, Cadence, str], Iterable[Finding]]

#: Every check, each yielding findings of its own rules.
CHECKS: tuple[Check, ...] = (
    checks_order.check_step_order,
    checks_cadence.check_cadence,
    checks_cadence.check_length,
    checks_calls.check_plateau_metric,
    checks_calls.check_step_epoch,
    checks_calls.check_get_lr,
    checks_calls.check_removed_verbose,
    checks_resume.check_created_after_load,
    checks_resume.check_checkpoint,
    checks_groups.check_empty_groups,
    checks_order.check_uncomposed,
)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


def lint_source(
    source: str | bytes,
    path: str = "<string>",
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Lint the text of one Python file without running it; findings sorted by position.

    Args:
        source: the file's text (str, or bytes honouring an encoding cookie).
        path: the name reported in findings.
        select: rule codes or prefixes to report (default: all).
        ignore: rule codes or prefixes not to report.

    Raises:
        Nothing for bad code: a file that does not parse gives one LR000 finding.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = '''
        ... import torch
        ... opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        ... sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2)
        ... for epoch in range(5):
        ...     sched.step()
        ...     opt.step()
        ... '''
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(6, 'LR001')]
    """
    codes = selected_codes(select, ignore)
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:
        if "LR000" not in codes:
            return []
        line = getattr(error, "lineno", None) or 1
        column = getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return [Finding(path, line, column, "LR000", f"syntax error: {message}", RULES["LR000"])]
    except RecursionError:
        return [Finding(path, 1, 1, "LR000", "syntax error: too deeply nested to parse", RULES["LR000"])]
    model = Model(tree)
    cadence = Cadence(model)
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    # NOTE: the parser's line breaks only (str.splitlines also breaks at form feeds and other
    # separators, which would shift the lines where noqa comments are looked up).
    lines = _LINE_BREAK.split(text)
    found: dict[tuple[int, int, str], Finding] = {}
    for check in CHECKS:
        for finding in check(model, cadence, path):
            if finding.code not in codes:
                continue
            line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
            if silenced(line, finding.code):
                continue
            found.setdefault((finding.line, finding.column, finding.code), finding)
    return [found[key] for key in sorted(found)]


def lint_file(
    path: str | os.PathLike[str], *, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[Finding]:
    """Lint one file (read as bytes, never imported); see `lint_source` for the arguments.

    Raises:
        OSError: the file cannot be read.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.py"
        >>> _ = path.write_text("sched.step(epoch)\\n")
        >>> [f.code for f in lint_file(path)]
        ['LR006']
    """
    return lint_source(Path(path).read_bytes(), os.fspath(path), select=select, ignore=ignore)


def iter_python_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files to lint: files as given, directories searched for ``*.py`` (sorted, hidden skipped).

    A file reached twice (listed, and inside a listed directory) is given once.

    Raises:
        FileNotFoundError: a path does not exist.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("b.py", "a.py", "notes.txt", ".git/x.py"):
        ...     (root / name).parent.mkdir(exist_ok=True)
        ...     _ = (root / name).write_text("")
        >>> [p.name for p in iter_python_files([root, root / "a.py"])]
        ['a.py', 'b.py']
    """
    seen: set[Path] = set()

    def once(path: Path) -> bool:
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                for name in sorted(files):
                    if name.endswith(".py") and once(Path(root) / name):
                        yield Path(root) / name
        elif path.exists():
            if once(path):
                yield path
        else:
            raise FileNotFoundError(f"no such file or directory: {os.fspath(raw)}")


def lint_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Lint files and directories (recursing into ``*.py``); findings in file order.

    Args:
        paths: files (linted whatever their suffix) and directories.
        select: rule codes or prefixes to report (default: all).
        ignore: rule codes or prefixes not to report.

    Raises:
        FileNotFoundError: a path does not exist.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "ok.py").write_text("print('no scheduler here')\\n")
        >>> _ = (root / "bad.py").write_text("print(sched.get_lr())\\n")
        >>> [(pathlib.Path(f.path).name, f.code) for f in lint_paths([root])]
        [('bad.py', 'LR007')]
        >>> lint_paths([root], ignore=["LR007"])
        []
    """
    select = None if select is None else tuple(select)
    ignore = None if ignore is None else tuple(ignore)
    findings: list[Finding] = []
    for file in iter_python_files(paths):
        findings.extend(lint_file(file, select=select, ignore=ignore))
    return findings
