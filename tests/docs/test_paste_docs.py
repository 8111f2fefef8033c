"""The "Paste from your code" sections (README, every docs/migrate page): each command runs."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import pytest

from lrkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "migrate").glob("*.md"))]


def commands(page: Path) -> list[list[str]]:
    text = page.read_text(encoding="utf-8")
    section = text.split("## Paste from your code", 1)[1].split("\n## ", 1)[0]
    lines = re.findall(r"^\$ (lrkit table .*)$", section, flags=re.M)
    return [shlex.split(line)[1:] for line in lines]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_pasted_call_runs(page, capsys):
    found = commands(page)
    assert found, f"{page.name} has no `lrkit table` command under 'Paste from your code'"
    for argv in found:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optax's fallback, as a warning
            status = main(argv)
        out, err = capsys.readouterr()
        assert (status, err) == (0, ""), argv
        assert out.splitlines()[0].startswith("step")
