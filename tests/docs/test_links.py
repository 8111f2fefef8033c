"""README.md, CHANGELOG.md and docs/: every relative link and image points at a file of the repository,
and every ``#anchor`` at a heading of the page it names (GitHub's heading ids)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img [^>]*src=\"([^\"]+)\"")


def prose(text):
    """The page without its code (fenced blocks, inline code), where links are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def heading_ids(text):
    """The ids GitHub gives the page's headings: lowercased, punctuation other than ``-`` and ``_``
    dropped, spaces turned into ``-``; a repeated id gets ``-1``, ``-2``, ..."""
    ids = set()
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*#*\s*$", FENCE.sub("", text), re.M):
        base = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        slug, n = base, 0
        while slug in ids:
            n += 1
            slug = f"{base}-{n}"
        ids.add(slug)
    return ids


def links(page):
    for match in LINK.finditer(prose(page.read_text(encoding="utf-8"))):
        target = match.group(1) or match.group(2)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # not https:, mailto:, ...
            yield target


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_and_image_exists(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in heading_ids(dest.read_text(encoding="utf-8")):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


def test_the_check_sees_the_readme_figure_and_a_missing_one(tmp_path):
    readme = list(links(ROOT / "README.md"))
    assert "docs/img/compare-charlm.png" in readme
    page = tmp_path / "page.md"
    page.write_text("# A title\n![figure](img/nothing.png) [here](#a-title) `[not](a-link.md)`\n")
    assert list(links(page)) == ["img/nothing.png", "#a-title"]
    assert heading_ids(page.read_text()) == {"a-title"}
