"""docs/guarantees.md names, for each promise, tests that exist."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_test_named_in_the_guarantees_exists():
    text = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text))
    assert len(named) >= 40
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not re.search(rf"^\s*def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, f"docs/guarantees.md names tests that do not exist: {missing}"


def test_the_readme_links_the_guarantees():
    assert "(docs/guarantees.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
