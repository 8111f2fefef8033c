"""docs/migrate/*.md and docs/conventions.md: the specs they show parse, and what they claim holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lrkit

DOCS = Path(__file__).resolve().parents[2] / "docs"
LIBRARIES = ["transformers", "timm", "optax", "keras", "fvcore", "megatron"]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("library", LIBRARIES)
def test_page_spec_builds_the_native_expression_it_shows(library):
    page = (DOCS / "migrate" / f"{library}.md").read_text(encoding="utf-8")
    text = blocks(page, "text")
    spec, native = text[0].strip(), text[1].strip()
    assert spec.split("(")[0].split(".")[0] in {library, "detectron2"}
    schedule = lrkit.parse(spec)
    assert repr(schedule) == native
    assert lrkit.parse(native) == schedule
    assert f"](../img/migrate-{library}.svg)" in page
    assert (DOCS / "img" / f"migrate-{library}.svg").is_file()
    assert f"lrkit plot '{spec}'" in page


def test_conventions_same_curve_in_five_apis():
    page = (DOCS / "conventions.md").read_text(encoding="utf-8")
    block = next(b for b in blocks(page, "text") if "transformers.cosine_with_min_lr" in b)
    expected = [0.0, 0.5, 1.0, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1]
    specs = [
        line.split("#")[0].strip() for line in block.splitlines() if line and not line.startswith("lrkit:")
    ]
    assert len(specs) == 5
    for spec in specs:
        s = lrkit.parse(spec).resolve(10, base=1.0)
        assert [round(s(t), 5) for t in range(11)] == expected, spec
    native = lrkit.parse("warmup(cosine(end=0.1), steps=2)").resolve(10)
    assert [round(native(t), 5) for t in range(11)] == expected


def test_conventions_links_every_migration_page():
    page = (DOCS / "conventions.md").read_text(encoding="utf-8")
    for library in LIBRARIES:
        assert f"(migrate/{library}.md)" in page
        assert (DOCS / "migrate" / f"{library}.md").is_file()
