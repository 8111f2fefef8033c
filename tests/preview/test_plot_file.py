"""lrkit.preview.plot: curves written to PNG, SVG and PDF files with matplotlib."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from lrkit.preview import rows, save
from lrkit.preview.plot import MISSING_MATPLOTLIB

pytest.importorskip("matplotlib")

CURVE = rows("warmup(cosine(end=0.1), steps=0.1)", steps=200, lrs=[0.1, 0.05])


def test_png(tmp_path):
    path = tmp_path / "curve.png"
    save(CURVE, path, title="warmup + cosine")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 5_000


def test_svg_is_valid_has_the_title_and_is_reproducible(tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    save(CURVE, first, title="warmup + cosine", labels=["fast", "slow"])
    save(CURVE, second, title="warmup + cosine", labels=["fast", "slow"])
    text = first.read_text()
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    assert "warmup + cosine" in text
    assert "fast" in text
    assert "slow" in text
    assert len(text) > 5_000
    assert first.read_bytes() == second.read_bytes()


def test_pdf_and_upper_case_extension(tmp_path):
    path = tmp_path / "curve.PDF"
    save(CURVE[:, 0], path)
    assert path.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("values", "path", "kwargs", "match"),
    [
        (CURVE, "curve.jpg", {}, "`path` of save"),
        (CURVE, "curve", {}, "ending in .png"),
        (np.zeros(0), "curve.png", {}, "non-empty"),
        (np.array([0.0, np.nan]), "curve.png", {}, "finite"),
        (CURVE, "curve.png", {"labels": ["one"]}, "one label per group"),
    ],
)
def test_bad_input_raises_and_writes_nothing(tmp_path, values, path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        save(values, tmp_path / path, **kwargs)
    assert not list(tmp_path.iterdir())


def test_missing_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "lrkit\[plot\]"') as caught:
        save(CURVE, tmp_path / "curve.png")
    assert str(caught.value) == MISSING_MATPLOTLIB


def test_importing_previews_imports_neither_matplotlib_nor_torch():
    code = (
        "import sys, lrkit.preview\n"
        "lrkit.preview.render(lrkit.preview.rows('cosine()', steps=100))\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
