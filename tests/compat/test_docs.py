"""The code in docs/compat.md runs and prints what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "compat.md"


def test_every_python_block_prints_what_the_page_shows():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    runnable = [b for b in blocks if "print(" in b]
    assert runnable, "the page has no runnable example"
    for block in runnable:
        shown = [line.split("# ", 1)[1] for line in block.splitlines() if line.startswith("print(")]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(PAGE), "exec"), {})
        assert out.getvalue().splitlines() == shown


def test_the_migration_table_lists_every_class():
    import lrkit.compat

    text = PAGE.read_text()
    for name in lrkit.compat.__all__:
        if name in ("CompatScheduler", "LRScheduler"):
            continue
        assert f"from lrkit.compat import {name}`" in text, name
