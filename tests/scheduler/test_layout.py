"""The scheduler package's structure (docs/design.md): small modules, and no import of the layers above."""

import ast
import pathlib

import lrkit.scheduler

PACKAGE = pathlib.Path(lrkit.scheduler.__file__).parent
ABOVE = (
    "lrkit.distributed",
    "lrkit.compat",
    "lrkit.groups",
    "lrkit.finder",
    "lrkit.integrations",
    "lrkit.cli",
)


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_scheduler_never_imports_the_layers_above_it():
    for path in sorted(PACKAGE.glob("*.py")):
        bad = [m for m in _imports(path) if m.startswith(ABOVE)]
        assert not bad, f"{path.name} imports {bad}"


def test_the_collective_helper_sits_below_both():
    path = PACKAGE.parent / "_collective.py"
    assert not [m for m in _imports(path) if m.startswith(("lrkit.scheduler", "lrkit.distributed"))]


def test_no_module_over_about_400_lines_without_a_reason():
    for path in sorted(PACKAGE.glob("*.py")):
        lines = path.read_text().count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert lines <= 420 or "lines" in doc, f"{path.name}: {lines} lines and no reason in its docstring"


def test_the_per_update_bookkeeping_exists_once():
    source = (PACKAGE / "_scheduler.py").read_text()
    assert source.count("self._step_count += 1") == 1
    assert source.count("self.last_epoch = u") == 1
