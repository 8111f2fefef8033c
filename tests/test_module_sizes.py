"""Modules stay small (docs/design.md): one over about 400 lines says why in its docstring."""

import ast
from pathlib import Path

import lrkit

PACKAGE = Path(lrkit.__file__).resolve().parent
LIMIT = 420  # "about 400"


def test_no_module_over_about_400_lines_without_a_reason():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        doc = ast.get_docstring(ast.parse(source)) or ""
        if source.count("\n") > LIMIT and "Over 400 lines" not in doc:
            missing.append(f"{path.relative_to(PACKAGE)} ({source.count(chr(10))} lines)")
    assert not missing, "modules over ~400 lines without '(Over 400 lines ...: why)' in the docstring: " + (
        ", ".join(missing)
    )
