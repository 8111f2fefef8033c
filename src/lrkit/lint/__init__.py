"""`lrkit lint`: find learning-rate scheduler mistakes in training scripts by reading them.

The linter parses each file with `ast` (it never imports or runs it), builds a small model of the
script (imports and aliases, schedulers and the optimizers they drive, loops and what they call,
checkpoints), and runs one check per rule family:

========  ==================================================================
LR000     the file does not parse
LR001     ``scheduler.step()`` before ``optimizer.step()`` (or with none)
LR002     a per-batch schedule (OneCycleLR, CyclicLR, ...) stepped per epoch
LR003     an epoch-sized schedule stepped per batch
LR004     a cosine (or finite lrkit schedule) shorter than the loop
LR005     ``ReduceLROnPlateau.step()`` without the metric
LR006     the deprecated ``step(epoch)``
LR007     ``get_lr()`` used to read the rate
LR008     a scheduler created after ``optimizer.load_state_dict()``
LR009     a checkpoint with the optimizer's state but not the scheduler's
LR010     a parameter group from a module without parameters
LR011     two schedulers stepping one optimizer, not composed
LR012     ``verbose=`` given to a torch scheduler (removed in torch 2.7)
========  ==================================================================

Each rule is documented, with its fix, in ``docs/lint.md``. ``# noqa: LR001`` silences one line.

Example:
    >>> from lrkit.lint import lint_source
    >>> code = '''
    ... import torch
    ... from torch.optim import lr_scheduler
    ... model = torch.nn.Linear(2, 1)
    ... optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ... scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
    ... for epoch in range(10):
    ...     optimizer.step()
    ...     scheduler.step()
    ... '''
    >>> for finding in lint_source(code, "train.py"):
    ...     print(finding.path, finding.line, finding.code)
    train.py 9 LR004
"""

from lrkit.lint._engine import (
    UnreadableError,
    iter_python_files,
    lint_file,
    lint_paths,
    lint_source,
    read_source,
)
from lrkit.lint._rules import RULES, Finding, Rule
from lrkit.lint._select import parse_codes, selected_codes
from lrkit.lint.report import format_json, format_text

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "UnreadableError",
    "format_json",
    "format_text",
    "iter_python_files",
    "lint_file",
    "lint_paths",
    "lint_source",
    "parse_codes",
    "read_source",
    "selected_codes",
]
