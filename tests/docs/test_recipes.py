"""docs/recipes.md: every snippet runs after the page's set-up (and its own asserts hold)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "recipes.md").read_text(encoding="utf-8")
RECIPES = [
    "The plain loop",
    "Gradient accumulation",
    "Mixed precision with a GradScaler",
    "Schedules in epochs",
    "Samples and tokens",
    "Resume",
    "Extending a run, or cooling down now",
    "Tensor learning rates and `torch.compile`",
]


def sections(text: str) -> dict[str, list[str]]:
    """The ```python blocks under each ``## `` heading (the set-up is under the title, "")."""
    found: dict[str, list[str]] = {}
    heading = ""
    for part in re.split(r"^(## .*)$", text, flags=re.M):
        if part.startswith("## "):
            heading = part[3:].strip()
        else:
            found.setdefault(heading, []).extend(re.findall(r"```python\n(.*?)```", part, flags=re.S))
    return found


BLOCKS = sections(PAGE)
SETUP = BLOCKS[""]


def test_the_page_has_one_setup_and_a_snippet_per_recipe():
    assert len(SETUP) == 1
    assert [h for h, blocks in BLOCKS.items() if h and blocks] == RECIPES
    for heading in RECIPES:
        assert len(BLOCKS[heading]) == 1, heading
        assert re.search(r"^assert ", BLOCKS[heading][0], flags=re.M), f"{heading}: no check"


@pytest.mark.parametrize(
    "heading",
    [pytest.param(h, marks=pytest.mark.slow) if "torch.compile" in h else h for h in RECIPES],  # ~5 s compile
)
def test_recipe_runs(heading, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the resume recipe writes checkpoint.pt
    namespace: dict[str, object] = {"__name__": "recipe"}
    exec(compile(SETUP[0], "recipes.md: set-up", "exec"), namespace)
    exec(compile(BLOCKS[heading][0], f"recipes.md: {heading}", "exec"), namespace)


def test_a_failing_check_in_a_snippet_fails_the_run():
    # The runner really executes the asserts: a snippet whose check is false raises.
    broken = BLOCKS["The plain loop"][0].replace("sched.updates == 30", "sched.updates == 31")
    namespace: dict[str, object] = {}
    exec(compile(SETUP[0], "set-up", "exec"), namespace)
    with pytest.raises(AssertionError):
        exec(compile(broken, "broken", "exec"), namespace)
