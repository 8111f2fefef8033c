"""Rules on how a scheduler's methods are called: LR005, LR006 and LR007."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lrkit.lint._cadence import Cadence
from lrkit.lint._facts import Site, classify
from lrkit.lint._model import Model
from lrkit.lint._names import dotted
from lrkit.lint._rules import RULES, Finding

__all__ = [
    "GET_LR_DIFFERS",
    "check_get_lr",
    "check_plateau_metric",
    "check_removed_verbose",
    "check_step_epoch",
]

#: torch classes whose get_lr(), called outside step(), differs from the rate applied (the chainable
#: formula applied once more); the closed-form ones (LambdaLR, OneCycleLR, CyclicLR,
#: CosineAnnealingWarmRestarts) return the applied rate. Checked against torch in the tests.
GET_LR_DIFFERS = frozenset(
    {
        "MultiplicativeLR",
        "StepLR",
        "MultiStepLR",
        "ConstantLR",
        "LinearLR",
        "ExponentialLR",
        "PolynomialLR",
        "CosineAnnealingLR",
    }
)

_EPOCH_NAME = re.compile(r"(^|_)epoch(s|_?(idx|id|num|index|no))?$", re.IGNORECASE)


def _is_plateau(cls: str) -> bool:
    return cls == "ReduceLROnPlateau"


def check_plateau_metric(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR005: ``ReduceLROnPlateau.step()`` called without the metric it monitors.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = "import torch\\nsched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)\\nsched.step()\\n"
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(3, 'LR005')]
    """
    rule = RULES["LR005"]
    for site, binding in model.scheduler_sites("step"):
        if binding is None or binding.family not in ("torch", "compat") or not _is_plateau(binding.cls):
            continue
        has_metric = bool(site.call.args) or any(k.arg in ("metrics", None) for k in site.call.keywords)
        if not has_metric:
            yield rule.at(path, site.call, f"{site.key}.step() is ReduceLROnPlateau's and gets no metric")


def _mentions_epoch(node: ast.expr) -> bool:
    for sub in ast.walk(node):
        key = dotted(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else None
        if key is not None and _EPOCH_NAME.search(key.rpartition(".")[2]):
            return True
    return False


def _own_scheduler(model: Model, site: Site) -> bool:
    """True if the stepped object may be one of the tree's own scheduler classes (written around
    ``step(epoch)``): the tree defines some, and the call is not a project scheduler stepping the
    scheduler it wraps (``self.after_scheduler.step(epoch)`` in a warmup wrapper)."""
    if not model.defines_schedulers():
        return False
    wrapped = site.key.startswith("self.") and site.func.cls is not None
    return not (wrapped and site.func.cls in model.class_bases and model.defines_schedulers(site.func.cls))


def check_step_epoch(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR006: the deprecated ``scheduler.step(epoch)``.

    For torch (and lrkit.compat) schedulers of a known class, any positional argument (the second
    one for ReduceLROnPlateau, whose first is the metric) or an ``epoch=`` keyword. For a scheduler
    whose class is not known, only an argument named like an epoch (``epoch``, ``epoch_idx``), and
    never in a file that imports timm, nor in a tree that defines its own scheduler classes (such
    schedulers take the epoch on purpose).

    Example:
        >>> from lrkit.lint import lint_source
        >>> [(f.line, f.code) for f in lint_source("scheduler.step(epoch)\\n")]
        [(1, 'LR006')]
    """
    rule = RULES["LR006"]
    for site, binding in model.scheduler_sites("step"):
        call = site.call
        keyword = any(k.arg == "epoch" for k in call.keywords)
        if binding is not None and binding.family in ("torch", "compat"):
            if binding.cls == "CosineAnnealingWarmRestarts":
                continue  # its documented per-batch use is step(epoch + i / iters)
            positional = len(call.args) > (1 if _is_plateau(binding.cls) else 0)
            if not (keyword or positional):
                continue
        elif binding is not None and binding.family == "lrkit":
            if not (keyword or call.args):
                continue  # lrkit.Scheduler.step takes no epoch (it raises TypeError)
        elif binding is None and not model.names.imports_timm and not _own_scheduler(model, site):
            if not (keyword or (len(call.args) == 1 and _mentions_epoch(call.args[0]))):
                continue
        else:
            continue
        yield rule.at(path, call, f"{site.key}.step() is given the epoch; that form is deprecated")


def check_get_lr(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR007: ``scheduler.get_lr()`` used to read the current rate.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = "import torch\\nsched = torch.optim.lr_scheduler.StepLR(opt, 2)\\nprint(sched.get_lr())\\n"
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(3, 'LR007')]
    """
    rule = RULES["LR007"]
    for site, binding in model.scheduler_sites("get_lr"):
        if site.key == "self" or site.call.args or site.call.keywords:
            continue  # torch's get_lr() takes no argument; get_lr(group) is another library's API
        if binding is None or binding.family not in ("torch", "compat") or binding.cls not in GET_LR_DIFFERS:
            continue  # closed-form classes (LambdaLR, OneCycleLR, ...) return the applied rate
        yield rule.at(
            path,
            site.call,
            f"{binding.cls}.get_lr() is its chainable formula, not the current rate; use get_last_lr()",
        )


def check_removed_verbose(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR012: ``verbose=`` given to a torch (or lrkit.compat) scheduler, which no longer takes it.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = "from torch.optim import lr_scheduler\\nlr_scheduler.StepLR(opt, 10, verbose=True)\\n"
        >>> [(f.line, f.column, f.code) for f in lint_source(code)]
        [(2, 30, 'LR012')]
    """
    rule = RULES["LR012"]
    for call in model.verbose_calls:
        found = classify(model.names.qualify(call.func))
        if found is None or found[0] not in ("torch", "compat"):
            continue
        keyword = next(k for k in call.keywords if k.arg == "verbose")
        yield rule.at(path, keyword, f"{found[1]}() takes no `verbose` argument in torch >= 2.7")
