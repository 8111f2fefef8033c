"""``lrkit lint`` on hostile paths and arguments: one line on stderr and exit 2, never a traceback or a hang.

Each test is one defect of the hardening issue: an unreadable file, a FIFO, a dangling ``*.py``
link inside a directory, ``/dev/zero``, deeply nested code, ``| head`` closing the pipe,
``--select ''``, an unreadable subdirectory.
"""

import os
import subprocess
import sys

import pytest

from lrkit.cli import main
from lrkit.lint import UnreadableError, lint_paths, lint_source

FAULTY = "for epoch in range(3):\n    optimizer.step()\n    scheduler.step(epoch)\n"
ROOT = os.name == "posix" and os.geteuid() == 0
needs_permissions = pytest.mark.skipif(ROOT or os.name != "posix", reason="root reads any file")


def one_error_line(err: str, *parts: str) -> None:
    lines = err.splitlines()
    assert lines, "an error line is printed"
    assert all(line.startswith("lrkit: error: ") for line in lines)
    assert "Traceback" not in err
    for part in parts:
        assert part in err


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "good.py").write_text(FAULTY)
    return tmp_path


@needs_permissions
def test_an_unreadable_file_is_reported_and_the_others_are_linted(folder, capsys):
    secret = folder / "secret.py"
    secret.write_text(FAULTY)
    secret.chmod(0)
    assert main(["lint", str(folder), "--quiet"]) == 2
    captured = capsys.readouterr()
    one_error_line(captured.err, "secret.py", "Permission denied")
    assert "good.py:3:5: LR006" in captured.out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read_and_does_not_hang(folder):
    os.mkfifo(folder / "pipe.py")
    code = f"import sys\nfrom lrkit.cli import main\nsys.exit(main(['lint', {str(folder)!r}, '--quiet']))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    one_error_line(done.stderr, "pipe.py", "not a regular file")
    assert "good.py:3:5: LR006" in done.stdout
    # Named explicitly, too.
    code = code.replace(repr(str(folder)), repr(str(folder / "pipe.py")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    one_error_line(done.stderr, "not a regular file")


def test_a_dangling_symlink_in_a_directory_does_not_abort_the_run(folder, capsys):
    (folder / "gone.py").symlink_to(folder / "missing.py")
    assert main(["lint", str(folder), "--quiet"]) == 2
    captured = capsys.readouterr()
    one_error_line(captured.err, "gone.py", "dangling symbolic link")
    assert "good.py:3:5: LR006" in captured.out


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_not_read(capsys):
    assert main(["lint", "/dev/zero"]) == 2
    one_error_line(capsys.readouterr().err, "/dev/zero", "not a regular file")


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "-" * 200_000 + "1\n",  # MemoryError in the parser
        "x = " + "+".join(["1"] * 100_000) + "\n",  # RecursionError in the parser
        "x = " + "(" * 300 + ")" * 300 + "\n",  # the parser's nesting limit
    ],
    ids=["unary", "binary", "parentheses"],
)
def test_deeply_nested_expressions_give_one_lr000_finding(source):
    (finding,) = lint_source(source, "deep.py")
    assert finding.code == "LR000"


def test_code_too_deep_for_the_model_gives_one_finding_not_a_crash(monkeypatch):
    import lrkit.lint._engine as engine

    def deep(*args):
        raise RecursionError

    monkeypatch.setattr(engine, "Model", deep)
    (finding,) = lint_source("x = 1\n", "deep.py")
    assert (finding.code, finding.message) == ("LR000", "too deeply nested to analyse")
    assert lint_source("x = 1\n", "deep.py", ignore=["LR000"]) == []


def test_a_closed_pipe_ends_quietly(folder):
    for index in range(40):
        (folder / f"f{index}.py").write_text(FAULTY * 20)
    entry = "import sys; from lrkit.cli import main; sys.exit(main(sys.argv[1:]))"
    lint = f"{sys.executable} -c '{entry}' lint {folder}"
    command = f"{lint} --format json | head -n 1; {lint} | head -n 1"
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert done.stdout.splitlines()[0] == "["


@pytest.mark.parametrize(
    "argv", [["--select", ""], ["--select", ","], ["--select", "LR001", "--ignore", "LR0"]]
)
def test_selecting_no_rule_is_a_usage_error(folder, argv, capsys):
    assert main(["lint", str(folder), *argv]) == 2
    one_error_line(capsys.readouterr().err, "no rule left to run")


@needs_permissions
def test_an_unreadable_subdirectory_is_reported(folder, capsys):
    locked = folder / "locked"
    locked.mkdir()
    (locked / "inside.py").write_text(FAULTY)
    locked.chmod(0)
    try:
        assert main(["lint", str(folder), "--quiet"]) == 2
    finally:
        locked.chmod(0o755)
    captured = capsys.readouterr()
    one_error_line(captured.err, "locked", "Permission denied")
    assert "good.py:3:5: LR006" in captured.out


def test_the_library_raises_unreadable_without_a_handler(folder):
    (folder / "gone.py").symlink_to(folder / "missing.py")
    with pytest.raises(UnreadableError, match="dangling"):
        lint_paths([folder])
    seen = []
    assert [f.code for f in lint_paths([folder], on_error=seen.append)] == ["LR006"]
    assert len(seen) == 1


def test_a_huge_file_is_refused(folder, monkeypatch, capsys):
    import lrkit.lint._engine as engine

    monkeypatch.setattr(engine, "MAX_BYTES", 10)
    assert main(["lint", str(folder / "good.py")]) == 2
    one_error_line(capsys.readouterr().err, "larger than")


def test_permission_denied_is_reported_even_when_run_as_root(folder, monkeypatch, capsys):
    # Root reads any file, so the denial is simulated where the linter opens files and lists folders.
    import lrkit.lint._engine as engine

    (folder / "secret.py").write_text(FAULTY)
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.py").write_text(FAULTY)
    real_open, real_scandir = os.open, os.scandir

    def deny_open(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def deny_scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(engine.os, "open", deny_open)
    monkeypatch.setattr(os, "scandir", deny_scandir)
    assert main(["lint", str(folder), "--quiet"]) == 2
    captured = capsys.readouterr()
    one_error_line(captured.err, "secret.py: Permission denied", "locked: Permission denied")
    assert len(captured.err.splitlines()) == 2
    assert "good.py:3:5: LR006" in captured.out
    assert "inside.py" not in captured.out
