"""report.html in a real headless browser (Debian's chromium): the embedded figure decodes and shows.

Uses scripts/check_report_browser.sh, which prints what the browser made of the <img> and writes a
screenshot. Skipped when no chromium is installed (CI installs it on a best-effort basis).
"""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lrkit.compare import write_report

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_report_browser.sh"
BROWSER = next(
    (name for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="chromium is not installed (apt-get install chromium): browser check skipped"
)


def check(report, screenshot):
    completed = subprocess.run(
        ["bash", str(SCRIPT), str(report), str(screenshot)], capture_output=True, text=True, timeout=120
    )
    found = re.search(
        r"figure: complete=(\w+) natural=(\d+)x(\d+) box=(\d+),(\d+),(\d+),(\d+)", completed.stdout
    )
    return completed.returncode, found


def test_the_figure_decodes_and_is_visible_in_the_page(race, tmp_path):
    import matplotlib.image

    png_path, html_path = write_report(race, tmp_path)
    status, found = check(html_path, tmp_path / "shot.png")
    assert status == 0
    assert found is not None
    png = matplotlib.image.imread(png_path)
    assert found.group(1) == "true"
    assert (int(found.group(2)), int(found.group(3))) == (png.shape[1], png.shape[0])
    x, y, width, height = (int(found.group(i)) for i in range(4, 8))
    assert width > 600
    assert height > 150
    shot = matplotlib.image.imread(tmp_path / "shot.png")[..., :3]
    region = shot[y : y + height, x : x + width]
    # The figure's lines are there: tab10's blue (the first schedule) and orange (the second).
    for color in ((0.122, 0.467, 0.706), (1.0, 0.498, 0.055)):
        close = (np.abs(region - np.array(color)) < 0.06).all(axis=-1)
        assert close.sum() > 50, color
    assert (region < 0.9).any(axis=-1).mean() > 0.02
    # ... and only there: the page outside the figure has no tab10 blue.
    outside = shot.copy()
    outside[y : y + height, x : x + width] = 1.0
    assert (np.abs(outside - np.array((0.122, 0.467, 0.706))) < 0.06).all(axis=-1).sum() < 5


def test_a_broken_image_is_reported(race, tmp_path):
    _, html_path = write_report(race, tmp_path)
    text = html_path.read_text()
    html_path.write_text(re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,bm90IGEgcG5n", text))
    status, found = check(html_path, tmp_path / "shot.png")
    assert status == 1
    assert found is not None
    assert found.group(2) == "0"
