"""Rules on where a scheduler is stepped: on a rank only (LR016), never on one branch (LR015)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lrkit.lint._cadence import Cadence
from lrkit.lint._facts import Binding
from lrkit.lint._model import Model
from lrkit.lint._names import dotted, tokens
from lrkit.lint._rules import RULES, Finding

__all__ = ["check_never_stepped", "check_rank_guard", "rank_zero_test"]

_RANK = re.compile(r"(^|_)rank$|^rank")
_MAIN = re.compile(r"is_main|main_process|is_master|master_process|is_primary|is_rank_zero|is_chief")


def rank_zero_test(test: ast.expr) -> bool:
    """True for a test that holds on one process only: ``rank == 0``, ``local_rank in (-1, 0)``,
    ``dist.get_rank() == 0``, ``accelerator.is_main_process``, ``is_master()``, ``not rank``.

    >>> import ast
    >>> [rank_zero_test(ast.parse(t, mode="eval").body) for t in ("args.local_rank in [-1, 0]",
    ...     "accelerator.is_main_process", "rank != -1", "epoch == 0")]
    [True, True, False, False]
    """
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(rank_zero_test(value) for value in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = test.left, test.comparators[0]
        names = tokens(left) | tokens(right)
        if not any(_RANK.search(name) for name in names):
            return False
        if isinstance(test.ops[0], ast.Eq):
            return any(isinstance(side, ast.Constant) and side.value == 0 for side in (left, right))
        if isinstance(test.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            return any(isinstance(item, ast.Constant) and item.value == 0 for item in right.elts)
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, (ast.Name, ast.Attribute, ast.Call)) and any(
            _RANK.search(name) for name in tokens(test.operand)
        )
    if isinstance(test, (ast.Name, ast.Attribute, ast.Call)):
        return any(_MAIN.search(name) for name in tokens(test))
    return False


def check_rank_guard(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR016: ``scheduler.step()`` under a rank test while the optimizer is updated on every rank.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "for batch in loader:\\n    optimizer.step()\\n"
        ...     "    if dist.get_rank() == 0:\\n        scheduler.step()\\n        log(loss)\\n"
        ... )
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(4, 'LR016')]
    """
    rule = RULES["LR016"]
    updates = model.optimizer_steps()
    for site, _ in model.scheduler_sites("step"):
        guard = next((test for test, side in site.guards if side == 0 and rank_zero_test(test)), None)
        if guard is None:
            continue
        free = [
            update
            for update, _ in updates
            if update.func is site.func and not any(test is guard for test, _ in update.guards)
        ]
        if not free:
            continue  # the whole update runs on that rank only (or elsewhere): not this mistake
        yield rule.at(
            path,
            site.call,
            f"{site.key}.step() runs only where `{ast.unparse(guard)}` holds, but {free[0].key}.step() "
            f"(line {free[0].call.lineno}) runs on every process",
        )


def _choices(test: ast.expr) -> tuple[str, frozenset[object]] | None:
    """``args.sched == "cosine"`` -> (the subject's text, {"cosine"}); ``x in ("a", "b")`` too."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    subject, other = test.left, test.comparators[0]
    if isinstance(test.ops[0], ast.Eq):
        if isinstance(subject, ast.Constant):
            subject, other = other, subject
        if isinstance(other, ast.Constant) and isinstance(other.value, str) and dotted(subject):
            return ast.dump(subject), frozenset({other.value})
    if (
        isinstance(test.ops[0], ast.In)
        and isinstance(other, (ast.Tuple, ast.List, ast.Set))
        and dotted(subject)
    ):
        values = [item.value for item in other.elts if isinstance(item, ast.Constant)]
        if len(values) == len(other.elts):
            return ast.dump(subject), frozenset(values)
    return None


def _innermost_choice(guards: tuple[tuple[ast.expr, int], ...]) -> tuple[str, frozenset[object]] | None:
    for test, side in reversed(guards):
        if side == 0:
            found = _choices(test)
            if found is not None:
                return found
    return None


def check_never_stepped(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR015: a scheduler built on one branch of a configuration choice whose steps all sit under
    the other choices of the same test.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = '''
        ... from torch.optim import lr_scheduler
        ... if args.sched == "cosine":
        ...     scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
        ... elif args.sched == "step":
        ...     scheduler = lr_scheduler.StepLR(opt, 30)
        ... for epoch in range(args.epochs):
        ...     train(model, opt)
        ...     if args.sched == "cosine":
        ...         scheduler.step()
        ... '''
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(6, 'LR015')]
    """
    rule = RULES["LR015"]
    steps = model.scheduler_sites("step")
    by_key: dict[str, list[Binding]] = {}
    for binding in model.bindings:
        if binding.is_scheduler:
            by_key.setdefault(model.canonical(binding.key, binding.func), []).append(binding)
    for key, bindings in by_key.items():
        if len(bindings) < 2:
            continue
        sites = [site for site, _ in steps if model.canonical(site.key, site.func) == key]
        if not sites:
            continue
        site_choices = [_innermost_choice(site.guards) for site in sites]
        if any(choice is None for choice in site_choices):
            continue  # stepped whatever the choice
        for binding in bindings:
            guards = _binding_guards(model, binding)
            choice = _innermost_choice(guards)
            if choice is None:
                continue
            subject, values = choice
            related = [c for c in site_choices if c is not None and c[0] == subject]
            if len(related) != len(site_choices):
                continue
            if any(values & stepped for _, stepped in related):
                continue
            chosen = sorted(str(v) for v in values)[0]
            stepped_for = sorted(str(v) for c in related for v in c[1])
            yield rule.at(
                path,
                binding.call,
                f"{binding.cls} is built when {chosen!r} is chosen, but `{key}.step()` runs only for "
                f"{stepped_for}",
            )


def _binding_guards(model: Model, binding: Binding) -> tuple[tuple[ast.expr, int], ...]:
    """The ``if`` tests around a constructor call (from the site recorded for it, if any)."""
    for site in model.sites:
        if site.call is binding.call:
            return site.guards
    return model.binding_guards.get(id(binding.call), ())
