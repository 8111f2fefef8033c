"""`lrkit plot`: a terminal curve without matplotlib or torch, PNG/SVG/PDF files with matplotlib."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from lrkit.cli import main

SPEC = "warmup(cosine(end=0.1), steps=0.05)"


def run(capsys, *argv):
    status = main(["plot", *argv])
    out, err = capsys.readouterr()
    return status, out, err


class TestTerminal:
    def test_shape(self, capsys):
        status, out, err = run(
            capsys, SPEC, "--lr", "0.1", "--steps", "1000", "--width", "50", "--height", "12"
        )
        assert status == 0
        assert err == ""
        lines = out.splitlines()
        assert len(lines) == 1 + 12 + 2  # title, canvas, axis, step labels
        assert lines[0].startswith(SPEC)
        assert "1000 steps" in lines[0]
        canvas = lines[1:13]
        assert len({len(line) for line in canvas}) == 1
        assert all(len(line.split("┤" if "┤" in line else "│", 1)[1]) == 50 for line in canvas)
        assert canvas[0].split()[0] == "0.1"  # the peak labels the top row
        assert canvas[-1].split()[0] == "0"
        assert lines[-1].split() == ["0", "999"]
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in "".join(canvas))

    def test_default_size(self, capsys):
        status, out, _ = run(capsys, "cosine()", "--steps", "100")
        assert status == 0
        lines = out.splitlines()
        assert len(lines) == 1 + 16 + 2
        assert lines[1].split("┤", 1)[1].__len__() == 64

    def test_several_groups(self, capsys):
        status, out, _ = run(capsys, "cosine()", "--lr", "1,0.5", "--steps", "100")
        assert status == 0
        assert "base lrs 1,0.5" in out.splitlines()[0]

    def test_terminal_plot_does_not_import_torch_or_matplotlib(self):
        code = (
            "import sys\n"
            "from lrkit.cli import main\n"
            f"assert main(['plot', {SPEC!r}, '--steps', '1000']) == 0\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


class TestFiles:
    @pytest.fixture(autouse=True)
    def _needs_matplotlib(self):
        pytest.importorskip("matplotlib")

    def test_png(self, capsys, tmp_path):
        path = tmp_path / "curve.png"
        status, out, err = run(capsys, SPEC, "--lr", "0.1", "--steps", "500", "-o", str(path))
        assert (status, out, err) == (0, "", "")
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 5_000

    def test_svg(self, capsys, tmp_path):
        path = tmp_path / "curve.svg"
        status, _, _ = run(capsys, SPEC, "--lr", "0.1,0.01", "--steps", "500", "--output", str(path))
        assert status == 0
        text = path.read_text()
        assert ET.fromstring(text).tag.endswith("svg")
        assert SPEC in text  # the title
        assert "lr=0.1" in text and "lr=0.01" in text  # the legend  # noqa: PT018
        assert len(text) > 5_000

    def test_missing_matplotlib_is_one_line_with_the_install_hint(self, capsys, tmp_path, monkeypatch):
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
        status, _, err = run(capsys, "cosine()", "--steps", "10", "-o", str(tmp_path / "x.png"))
        assert status == 2
        assert err == 'lrkit: error: plotting to a file needs matplotlib: pip install "lrkit[plot]"\n'
        assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["cosin()", "--steps", "10"], "unknown schedule 'cosin'"),
        (["cosine()", "--steps", "0"], "argument --steps"),
        (["cosine()", "--steps", "10", "--lr", "x"], "argument --lr"),
        (["cosine()", "--steps", "10", "-o", "curve.jpg"], "the file name must end in .png, .svg, .pdf"),
        (["cosine()", "--steps", "10", "--width", "3"], "argument --width"),
        (["cosine()", "--steps", "10", "--height", "0"], "argument --height"),
        # issue 14 item 7: a huge plot filled memory for minutes
        (["cosine()", "--steps", "10", "--width", "10000000000"], "--width: must be an int in [8, 1000]"),
        (["cosine()", "--steps", "10", "--height", str(10**30)], "--height: must be an int in [2, 500]"),
        (["cosine()", "--steps", "10", "-o", "/nonexistent-dir/curve.png"], "cannot write"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv, match):
    if "-o" in argv and argv[-1].endswith(".png"):
        pytest.importorskip("matplotlib")
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("lrkit: error: ")
    assert err.count("\n") == 1
    assert match in err


def test_a_terminal_without_unicode_gets_one_line_with_a_hint():
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "lrkit", "plot", "cosine()", "--steps", "10"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("lrkit: error: the output cannot be written")
    assert "PYTHONIOENCODING=utf-8" in result.stderr
    assert result.stderr.count("\n") == 1


def test_error_in_a_real_process_is_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "lrkit", "plot", "cosine(steps=0)", "--steps", "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("lrkit: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
