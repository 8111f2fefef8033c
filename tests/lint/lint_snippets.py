"""Helpers for the rule tests: a small training-script header and the codes a snippet yields."""

import textwrap

from lrkit.lint import lint_source

HEADER = """
import torch
from torch.optim import lr_scheduler
model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""


def codes(source: str, **options: object) -> list[str]:
    """The codes of the findings in `source` (dedented), in order."""
    return [f.code for f in lint_source(textwrap.dedent(source), "t.py", **options)]  # type: ignore[arg-type]


def script(body: str) -> str:
    """`HEADER` (a model, an SGD optimizer, `lr_scheduler` imported) followed by `body`."""
    return HEADER + textwrap.dedent(body)
