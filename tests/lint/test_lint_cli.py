"""``lrkit lint`` from the command line, run in-process: output formats, exit statuses, paths."""

import json
import subprocess
import sys
import textwrap

import pytest

from lrkit.cli import main

FAULTY = textwrap.dedent("""
    import torch
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    for epoch in range(10):
        opt.step()
        sched.step()
""")
CLEAN = FAULTY.replace("T_max=5", "T_max=10")


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "faulty.py").write_text(FAULTY)
    (tmp_path / "pkg" / "sub" / "clean.py").write_text(CLEAN)
    (tmp_path / "pkg" / "notes.txt").write_text(FAULTY)
    (tmp_path / "pkg" / ".hidden").mkdir()
    (tmp_path / "pkg" / ".hidden" / "faulty.py").write_text(FAULTY)
    return tmp_path


def test_text_output_and_exit_status_one(tree, capsys):
    assert main(["lint", str(tree / "pkg")]) == 1
    out = capsys.readouterr().out.splitlines()
    path = str(tree / "pkg" / "faulty.py")
    assert out[0].startswith(f"{path}:7:5: LR004 CosineAnnealingLR(T_max=5) is stepped 10 times")
    assert out[1].strip().startswith("The schedule is shorter than the loop")
    assert out[2].strip().startswith("Fix: ")
    assert out[2].endswith("docs/lint.md#lr004")
    assert out[-1] == "Found 1 problem."


def test_clean_files_exit_zero_silently(tree, capsys):
    assert main(["lint", str(tree / "pkg" / "sub")]) == 0
    assert capsys.readouterr().out == ""


def test_json_output(tree, capsys):
    assert main(["lint", str(tree / "pkg"), "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["code"] == "LR004"
    assert (finding["line"], finding["column"]) == (7, 5)
    assert finding["path"] == str(tree / "pkg" / "faulty.py")
    assert finding["url"].endswith("docs/lint.md#lr004")
    assert set(finding) == {"path", "line", "column", "code", "name", "message", "consequence", "fix", "url"}


def test_json_output_when_clean_is_an_empty_list(tree, capsys):
    assert main(["lint", str(tree / "pkg" / "sub"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_explicit_files_are_linted_whatever_their_suffix(tree, capsys):
    assert main(["lint", str(tree / "pkg" / "notes.txt"), "--quiet"]) == 1
    assert capsys.readouterr().out.count("LR004") == 1


def test_select_and_ignore_options(tree, capsys):
    assert main(["lint", str(tree / "pkg"), "--ignore", "LR004"]) == 0
    assert main(["lint", str(tree / "pkg"), "--select", "LR001,LR002"]) == 0
    assert main(["lint", str(tree / "pkg"), "--select", "LR0"]) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lint"], "the following arguments are required: PATH"),
        (["lint", "does-not-exist.py"], "no such file or directory: does-not-exist.py"),
        (["lint", ".", "--select", "E501"], "Argument `select` of lrkit lint must be rule codes"),
        (["lint", ".", "--format", "xml"], "argument --format: invalid choice"),
    ],
)
def test_usage_errors_exit_two_with_one_line(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("lrkit: error: ")
    assert message in err


def test_a_syntax_error_is_a_finding_not_a_crash(tmp_path, capsys):
    (tmp_path / "broken.py").write_text("def f(:\n")
    assert main(["lint", str(tmp_path), "--quiet"]) == 1
    assert "broken.py:1:7: LR000 syntax error" in capsys.readouterr().out


def test_the_linted_file_is_never_run(tmp_path, capsys):
    marker = tmp_path / "ran"
    (tmp_path / "script.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    assert main(["lint", str(tmp_path)]) == 0
    assert not marker.exists()


def test_lint_does_not_import_torch(tree):
    code = (
        "import sys\nfrom lrkit.cli import main\n"
        f"status = main(['lint', {str(tree / 'pkg')!r}, '--quiet'])\n"
        "print(status, 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "1 False"
