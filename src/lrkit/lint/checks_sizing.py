"""Rules on how long a schedule is for the loop that steps it under gradient accumulation: LR014.

A schedule stepped once per optimizer update must be sized in updates. Under gradient
accumulation an update is ``accumulation`` micro-batches: inside ``accelerator.accumulate()``
a scheduler passed through ``accelerator.prepare`` advances only when the gradients are
synchronized (accelerate's ``AcceleratedScheduler.step`` returns early otherwise), and a
hand-written ``if (step + 1) % accumulation == 0:`` block steps it just as often. A length
written in micro-batches (``len(train_dataloader) * epochs`` with no division by the
accumulation), or multiplied by the accumulation, is then ``accumulation`` times too long: the
decay stops at ``1 / accumulation`` of its way and a warmup multiplied the same way lasts
``accumulation`` times longer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lrkit.lint._cadence import Cadence
from lrkit.lint._facts import Binding, Func, Site
from lrkit.lint._model import Model
from lrkit.lint._names import dotted
from lrkit.lint._rules import RULES, Finding

__all__ = ["check_accumulation_sizing", "length_argument", "warmup_argument"]

_ACCUM = re.compile(r"accum|grad_acc", re.IGNORECASE)
_LOADER = re.compile(r"loader|_dl$|^dl$|dataloader|batches|data_iter", re.IGNORECASE)

#: Where each scheduler family takes its length (index, keyword).
_LENGTH = {
    "CosineAnnealingLR": (1, "T_max"),
    "LinearLR": (99, "total_iters"),
    "PolynomialLR": (1, "total_iters"),
    "OneCycleLR": (2, "total_steps"),
}


def length_argument(binding: Binding) -> ast.expr | None:
    """The expression that sizes a scheduler in steps, or None when it has none that can be read."""
    if binding.family == "hf":
        return binding.argument(3 if binding.cls == "get_scheduler" else 2, "num_training_steps")
    if binding.family == "lrkit":
        return binding.argument(99, "total")
    if binding.family in ("torch", "compat") and binding.cls in _LENGTH:
        index, name = _LENGTH[binding.cls]
        return binding.argument(index, name)
    return None


def warmup_argument(binding: Binding) -> ast.expr | None:
    """A transformers schedule's warmup length."""
    if binding.family == "hf":
        return binding.argument(2 if binding.cls == "get_scheduler" else 1, "num_warmup_steps")
    return None


def _accum_name(node: ast.AST) -> bool:
    key = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    return key is not None and bool(_ACCUM.search(key.rpartition(".")[2]))


def _expand(model: Model, func: Func, node: ast.expr, depth: int = 0) -> list[ast.expr]:
    """`node` and, recursively, the values its names are assigned in the function (or the module)."""
    found = [node]
    if depth >= 4:
        return found
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            key = dotted(sub)
            if key is None:
                continue
            values = model.literals.get((id(func), key)) or model.literals.get((id(model.module), key), [])
            for value in values:
                if value is not node:
                    found.extend(_expand(model, func, value, depth + 1))
    return found


def _times_accumulation(node: ast.expr | None) -> bool:
    """True for ``x * accumulation`` at the top of the expression."""
    if node is None:
        return False
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mult)
        and (_accum_name(node.left) or _accum_name(node.right))
    )


def _divides_by_accumulation(parts: list[ast.expr]) -> bool:
    for part in parts:
        for sub in ast.walk(part):
            if (
                isinstance(sub, ast.BinOp)
                and isinstance(sub.op, (ast.Div, ast.FloorDiv))
                and any(_accum_name(n) for n in ast.walk(sub.right))
            ):
                return True
    return False


def _micro_batches(parts: list[ast.expr]) -> bool:
    """True if the length counts the loader's batches (``len(train_dataloader)``, ``.num_batches``)."""
    for part in parts:
        for sub in ast.walk(part):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id == "len"
                and sub.args
            ):
                key = dotted(sub.args[0])
                if key is not None and _LOADER.search(key.rpartition(".")[2]):
                    return True
            if isinstance(sub, ast.Attribute) and sub.attr == "num_batches":
                return True
    return False


def _per_update(model: Model, site: Site, binding: Binding) -> str | None:
    """How the call steps once per update under accumulation, or None if it does not."""
    prepared = model.canonical(binding.key, binding.func) in model.prepared or site.key in model.prepared
    if site.accumulate and prepared:
        return "inside accelerator.accumulate(), where a prepared scheduler steps once per update"
    for test, side in site.guards:
        if side == 0 and any(
            isinstance(sub, ast.BinOp)
            and isinstance(sub.op, ast.Mod)
            and any(_accum_name(n) for n in ast.walk(sub))
            for sub in ast.walk(test)
        ):
            return "under the accumulation test, once per update"
    return None


def check_accumulation_sizing(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR014: a schedule sized in micro-batches (or times the accumulation), stepped per update.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = '''
        ... from transformers import get_linear_schedule_with_warmup
        ... sched = get_linear_schedule_with_warmup(opt, 100, len(train_dataloader) * epochs)
        ... model, opt, train_dataloader, sched = accelerator.prepare(model, opt, train_dataloader, sched)
        ... for epoch in range(epochs):
        ...     for batch in train_dataloader:
        ...         with accelerator.accumulate(model):
        ...             accelerator.backward(model(batch).loss)
        ...             opt.step()
        ...             sched.step()
        ... '''
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(3, 'LR014')]
    """
    rule = RULES["LR014"]
    reported: set[int] = set()
    for site, binding in model.scheduler_sites("step"):
        if binding is None or id(binding) in reported:
            continue
        how = _per_update(model, site, binding)
        if how is None:
            continue
        length = length_argument(binding)
        warmup = warmup_argument(binding)
        problems = []
        if length is not None:
            parts = _expand(binding.owner or model, binding.func, length)
            if _times_accumulation(length):
                problems.append("its length is multiplied by the accumulation")
            elif _micro_batches(parts) and not _divides_by_accumulation(parts):
                problems.append(
                    "its length counts micro-batches (len(loader) without dividing by the accumulation)"
                )
        if _times_accumulation(warmup):
            problems.append("its warmup is multiplied by the accumulation")
        if not problems:
            continue
        reported.add(id(binding))
        yield rule.at(
            path,
            binding.call,
            f"{binding.cls} is stepped at line {site.call.lineno} {how}, but " + " and ".join(problems),
        )
