"""Linting a source text, a file, or files and directories: parse, model, run the checks, filter."""

from __future__ import annotations

import ast
import gc
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lrkit.lint import (
    checks_branches,
    checks_cadence,
    checks_calls,
    checks_groups,
    checks_order,
    checks_resume,
    checks_sizing,
)
from lrkit.lint._cadence import Cadence
from lrkit.lint._model import Model
from lrkit.lint._project import Project
from lrkit.lint._rules import RULES, Finding
from lrkit.lint._select import selected_codes, silenced

__all__ = [
    "CHECKS",
    "MAX_BYTES",
    "UnreadableError",
    "iter_python_files",
    "lint_file",
    "lint_paths",
    "lint_source",
    "read_source",
]

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
    checks_resume.check_resume,
    checks_groups.check_empty_groups,
    checks_order.check_uncomposed,
    checks_sizing.check_accumulation_sizing,
    checks_sizing.check_process_sizing,
    checks_sizing.check_prepared_per_epoch,
    checks_branches.check_never_stepped,
    checks_branches.check_rank_guard,
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
    parsed = _parse(source, path, codes)
    if isinstance(parsed, list):
        return parsed
    Project([parsed])
    return _run_checks(parsed, source, path, codes)


def _parse(source: str | bytes, path: str, codes: frozenset[str]) -> Model | list[Finding]:
    """The model of a file, or its findings when it cannot be read (LR000)."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:
        if "LR000" not in codes:
            return []
        line = getattr(error, "lineno", None) or 1
        column = getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return [Finding(path, line, column, "LR000", f"syntax error: {message}", RULES["LR000"])]
    except (RecursionError, MemoryError):
        if "LR000" not in codes:
            return []
        return [Finding(path, 1, 1, "LR000", "syntax error: too deeply nested to parse", RULES["LR000"])]
    try:
        return Model(tree)
    except (RecursionError, MemoryError):
        return _too_deep(path, codes)


def _too_deep(path: str, codes: frozenset[str]) -> list[Finding]:
    # NOTE: parsed, but nested too deeply for the model's recursive walk: one finding, no crash.
    if "LR000" not in codes:
        return []
    return [Finding(path, 1, 1, "LR000", "too deeply nested to analyse", RULES["LR000"])]


def _run_checks(model: Model, source: str | bytes, path: str, codes: frozenset[str]) -> list[Finding]:
    try:
        return _check(model, source, path, codes)
    except (RecursionError, MemoryError):
        return _too_deep(path, codes)


def _check(model: Model, source: str | bytes, path: str, codes: frozenset[str]) -> list[Finding]:
    cadence = Cadence(model)
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    # NOTE: the parser's line breaks only (str.splitlines also breaks at form feeds and other
    # separators, which would shift the lines where noqa comments are looked up).
    lines = _LINE_BREAK.split(text)
    # One report per rule and line (a logging line that calls get_lr() twice is one mistake).
    found: dict[tuple[int, str], Finding] = {}
    for check in CHECKS:
        for finding in check(model, cadence, path):
            if finding.code not in codes:
                continue
            line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
            if silenced(line, finding.code):
                continue
            found.setdefault((finding.line, finding.code), finding)
    return sorted(found.values(), key=lambda f: (f.line, f.column, f.code))


#: Files larger than this are not read (no training script is near it; /dev/zero-like input is).
MAX_BYTES = 16 * 1024 * 1024


class UnreadableError(OSError):
    """A path that cannot be linted: not a regular file, unreadable, too large, a broken link."""


def read_source(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file of at most `MAX_BYTES`, never blocking on a FIFO or a device.

    Raises:
        UnreadableError: the path is not a regular file (FIFO, device, directory), a dangling link,
            unreadable, or larger than `MAX_BYTES`; the message says which.

    Example:
        >>> read_source("/dev/null")
        Traceback (most recent call last):
        ...
        lrkit.lint._engine.UnreadableError: /dev/null: not a regular file (a device, FIFO or socket)
    """
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except OSError as error:
        reason = "a dangling symbolic link" if os.path.islink(name) else (error.strerror or str(error))
        raise UnreadableError(f"{name}: {reason}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableError(f"{name}: is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableError(f"{name}: not a regular file (a device, FIFO or socket)")
    if info.st_size > MAX_BYTES:
        raise UnreadableError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not read")
    try:
        # NOTE: O_NONBLOCK so that a file swapped for a FIFO between stat and open cannot hang us.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise UnreadableError(f"{name}: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise UnreadableError(f"{name}: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise UnreadableError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not read")
    return data


def lint_file(
    path: str | os.PathLike[str], *, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[Finding]:
    """Lint one file (read as bytes, never imported); see `lint_source` for the arguments.

    Raises:
        UnreadableError: (an `OSError`) the file cannot be read: see `read_source`.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.py"
        >>> _ = path.write_text("sched.step(epoch)\\n")
        >>> [f.code for f in lint_file(path)]
        ['LR006']
    """
    return lint_source(read_source(path), os.fspath(path), select=select, ignore=ignore)


def iter_python_files(
    paths: Iterable[str | os.PathLike[str]], on_error: Callable[[UnreadableError], None] | None = None
) -> Iterator[Path]:
    """The files to lint: files as given, directories searched for ``*.py`` (sorted, hidden skipped).

    A file reached twice (listed, and inside a listed directory) is given once. A subdirectory
    that cannot be listed is passed to `on_error` as `UnreadableError` (raised if `on_error` is None).

    Raises:
        FileNotFoundError: a path given does not exist.

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
        try:
            key = path.resolve()
        except (OSError, RuntimeError):
            key = path.absolute()
        if key in seen:
            return False
        seen.add(key)
        return True

    def walk_error(error: OSError) -> None:
        problem = UnreadableError(f"{error.filename}: {error.strerror or error}")
        if on_error is None:
            raise problem
        on_error(problem)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=walk_error):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                for name in sorted(files):
                    if name.endswith(".py") and once(Path(root) / name):
                        yield Path(root) / name
        elif path.exists() or path.is_symlink():
            if once(path):
                yield path
        else:
            raise FileNotFoundError(f"no such file or directory: {os.fspath(raw)}")


def lint_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    on_error: Callable[[UnreadableError], None] | None = None,
) -> list[Finding]:
    """Lint files and directories (recursing into ``*.py``); findings in file order.

    Args:
        paths: files (linted whatever their suffix) and directories.
        select: rule codes or prefixes to report (default: all).
        ignore: rule codes or prefixes not to report.
        on_error: called with an `UnreadableError` for each file or subdirectory that cannot be read
            (a FIFO, a device, a dangling link, no permission), and the run goes on with the
            others; if None, the first one is raised.

    Raises:
        FileNotFoundError: a path given does not exist.
        UnreadableError: a file or subdirectory cannot be read and `on_error` is None.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "ok.py").write_text("print('no scheduler here')\\n")
        >>> _ = (root / "bad.py").write_text("sched.step(epoch)\\n")
        >>> [(pathlib.Path(f.path).name, f.code) for f in lint_paths([root])]
        [('bad.py', 'LR006')]
        >>> lint_paths([root], ignore=["LR006"])
        []
    """
    # Every file's syntax tree stays alive until the rules ran (they see across files): millions of
    # objects that the cyclic garbage collector would scan again and again while later files are
    # parsed (parsing 1,000 files took 3x longer). Syntax trees hold no cycles, so it waits.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_paths(paths, select, ignore, on_error)
    finally:
        if enabled:
            gc.enable()


def _lint_paths(
    paths: Iterable[str | os.PathLike[str]],
    select: Iterable[str] | None,
    ignore: Iterable[str] | None,
    on_error: Callable[[UnreadableError], None] | None,
) -> list[Finding]:
    select = None if select is None else tuple(select)
    ignore = None if ignore is None else tuple(ignore)
    files = list(iter_python_files(paths, on_error))
    codes = selected_codes(select, ignore)
    parsed: list[tuple[str, bytes, Model | list[Finding]]] = []
    for file in files:
        try:
            source = read_source(file)
        except UnreadableError as problem:
            if on_error is None:
                raise
            on_error(problem)
            continue
        model = _parse(source, os.fspath(file), codes)
        if isinstance(model, Model):
            model.module_name = os.path.splitext(os.path.basename(os.fspath(file)))[0]
        parsed.append((os.fspath(file), source, model))
    # The whole tree first, so that rules see across files (what a factory returns, who calls whom).
    Project(model for _, _, model in parsed if isinstance(model, Model))
    findings: list[Finding] = []
    for name, source, model in parsed:
        findings.extend(model if isinstance(model, list) else _run_checks(model, source, name, codes))
    return findings
