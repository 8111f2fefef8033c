"""The script model: names through imports and aliases; robustness on any text."""

import ast
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lint_snippets import codes

from lrkit.lint import RULES, lint_source

# -- names, imports, robustness ----------------------------------------------------------------


@pytest.mark.parametrize(
    "imports_and_construct",
    [
        "import torch\nsched = torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import torch.optim as optim\nsched = optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim import lr_scheduler\nsched = lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import OneCycleLR\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import OneCycleLR as OC\nsched = OC(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import *\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from lrkit.compat import OneCycleLR\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import lrkit.compat as compat\nsched = compat.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import torch\ns = torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)\nsched = s",
    ],
)
def test_scheduler_classes_are_tracked_through_imports_and_aliases(imports_and_construct):
    source = imports_and_construct + textwrap.dedent("""
        for epoch in range(10):
            for x in loader:
                opt.step()
            sched.step()
    """)
    assert codes(source) == ["LR002"]


def test_a_class_named_like_a_torch_scheduler_is_not_torchs():
    source = """
        from mylib import OneCycleLR
        sched = OneCycleLR(opt)
        for epoch in range(10):
            for x in loader:
                opt.step()
            sched.step()
    """
    assert codes(source) == []


def test_syntax_error_is_one_finding():
    (finding,) = lint_source("x = (\n", "broken.py")
    assert (finding.code, finding.line, finding.path) == ("LR000", 1, "broken.py")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_findings_or_one_syntax_error_never_a_crash(text):
    try:
        ast.parse(text)
        parses = True
    except (SyntaxError, ValueError):
        parses = False
    found = lint_source(text, "fuzz.py")
    if not parses:
        assert [f.code for f in found] == ["LR000"]
    assert all(f.code in RULES for f in found)


def test_a_star_import_binds_only_the_names_of_its_module():
    source = """
        from torch.optim.lr_scheduler import *
        from project import Tracker
        scheduler = StepLR(optimizer, 10)
        tracker = EMA(optimizer)
        for x in loader:
            optimizer.step()
            tracker.step()
            scheduler.step()
    """
    assert codes(source) == []
    assert codes(source.replace("EMA(optimizer)", "LambdaLR(optimizer, f)")) == ["LR011"]
