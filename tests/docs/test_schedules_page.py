"""docs/schedules.md: every registered schedule is documented with a plot; its examples run."""

import importlib.util
import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.preview import rows
from lrkit.schedules import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_schedules", DOCS / "gen_schedules.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = load_generator()
PAGE = (DOCS / "schedules.md").read_text(encoding="utf-8")
CORE = sorted(name for name, fn in REGISTRY.items() if fn.__module__.startswith("lrkit.schedules"))


@pytest.mark.parametrize("name", CORE)
def test_every_registered_name_has_a_section_a_plot_and_an_example(name):
    assert f"### `{name}`" in PAGE, (
        f"{name} is registered but not in docs/schedules.md: run docs/gen_schedules.py"
    )
    assert f"](img/{name}.svg)" in PAGE
    assert (DOCS / "img" / f"{name}.svg").is_file()
    assert name in GEN.EXAMPLES


def test_the_generator_lists_the_same_names():
    assert GEN.core_names() == CORE


def test_the_generator_fails_loudly_for_a_name_without_example():
    with pytest.raises(SystemExit, match="no example for the registered name"):
        GEN.check([*CORE, "brand_new_shape"])


@pytest.mark.parametrize("name", sorted(GEN.EXAMPLES))
def test_every_example_uses_its_name_and_evaluates(name):
    example = GEN.EXAMPLES[name]
    assert re.search(rf"\b{name}\(", example.spec), f"the example for {name} does not use it"
    values = rows(example.spec, steps=example.steps, lrs=[float(x) for x in example.lr.split(",")])
    assert np.isfinite(values).all()
    assert (values >= 0).all()


def test_every_plot_command_on_the_page_runs(tmp_path, capsys):
    from lrkit.cli import main

    commands = re.findall(r"^    (lrkit plot .+)$", PAGE, flags=re.MULTILINE)
    assert len(commands) == len(CORE)
    for command in commands[:3]:  # three are enough to catch a quoting mistake; the rest use the same code
        argv = shlex.split(command)[1:]
        argv[argv.index("-o") + 1] = str(tmp_path / "plot.svg")
        assert main(argv) == 0, command
    capsys.readouterr()


def test_the_cross_library_curve_on_the_page():
    # The curve: peak 1, floor 0.1, 2 warmup steps from 0, 10 total steps.
    match = re.search(r'lrkit table "([^"]+)" --steps 11 --total 10', PAGE)
    assert match, "the page lost the spec of the cross-library curve"
    got = rows(lrkit.parse(match.group(1)), steps=11, total=10)[:, 0]
    formula = [0.0, 0.5] + [0.1 + 0.9 * (1 + math.cos(math.pi * (t - 2) / 8)) / 2 for t in range(2, 11)]
    np.testing.assert_allclose(got, formula, rtol=0, atol=1e-15)
    listed = [0, 0.5, 1, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1]
    assert "[" + ", ".join(f"{v:g}" for v in listed) + "]" in PAGE
    np.testing.assert_allclose(got, listed, atol=5e-6)
