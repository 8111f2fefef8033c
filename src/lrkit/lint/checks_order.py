"""Rules on the order and number of schedulers stepped in a loop: LR001 and LR011."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lrkit.lint._cadence import BATCH, Cadence
from lrkit.lint._facts import Binding, Site, exclusive
from lrkit.lint._lightning import lightning_schedulers
from lrkit.lint._model import Model
from lrkit.lint._names import dotted, is_scheduler_name
from lrkit.lint._rules import RULES, Finding

__all__ = ["CLOSED_FORM", "check_step_order", "check_uncomposed", "closed_form", "fast_forward"]


def _name(site: Site) -> str:
    return f"{site.key}.step()"


def _scheduler_step(statement: ast.stmt) -> bool:
    """True for ``scheduler.step()`` (or ``self.schedulers[i].step()``) as a statement."""
    if not (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr == "step"
    ):
        return False
    receiver = statement.value.func.value
    while isinstance(receiver, ast.Subscript):  # a list of schedulers, one per optimizer
        receiver = receiver.value
    return is_scheduler_name(dotted(receiver) or "")


def fast_forward(body: list[ast.stmt]) -> bool:
    """True for a loop made only of ``scheduler.step()`` calls (moving a schedule to a resume point),
    with at most the loop's own counter moved (``while epoch < start_epoch: epoch += 1``)."""
    steps = [statement for statement in body if _scheduler_step(statement)]
    return bool(steps) and all(
        statement in steps
        or (isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name))
        for statement in body
    )


def _updating_call_after(model: Model, site: Site) -> str | None:
    """The name of a function of the linted tree, called later in the same loop body, that updates
    the optimizer (``scheduler.step()`` then ``train(...)``), when every such call comes later."""
    loop = site.loops[-1]
    project = model.project
    if project is None:
        return None
    updating = [
        (name, call, branches)
        for name, call, branches in loop.call_sites
        if not exclusive(site.branches, branches) and project.updates_optimizer(name)
    ]
    if not updating:
        return None
    if all((call.lineno, call.col_offset) > site.position for _, call, _ in updating):
        return updating[0][0]
    return None


def check_step_order(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR001: ``scheduler.step()`` before ``optimizer.step()`` in one loop body, or with none.

    Within the innermost loop around ``scheduler.step()`` (or the per-batch hook it is in, such as
    Lightning's ``training_step``), every update of its optimizer comes later in the body (the
    schedule advances first), or, for a torch scheduler of known class, the loop never updates the
    optimizer and calls nothing that could (torch warns in both cases). ReduceLROnPlateau, which
    is stepped on a metric, is left out.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = "for x in loader:\\n    scheduler.step()\\n    optimizer.step()\\n"
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(2, 'LR001')]
    """
    rule = RULES["LR001"]
    updates = model.optimizer_steps()
    stepped_keys = {key for _, key in updates}
    for site, binding in model.scheduler_sites("step"):
        if binding is not None and binding.cls == "ReduceLROnPlateau":
            continue  # stepped on a metric, whenever the metric is known (torch does not warn)
        if (site.call.args or site.call.keywords) and (binding is None or binding.cls == "get_scheduler"):
            # A scheduler that may be a plateau (transformers' get_scheduler) given a metric, or
            # one of unknown class told its position (``step(epoch=...)``): the order says nothing.
            continue
        wanted = binding.optimizer if binding is not None else None
        matching = [
            update for update, key in updates if wanted is None or wanted not in stepped_keys or key == wanted
        ]
        if not site.loops:
            # A per-batch hook (Lightning's training_step with manual optimization) is a loop body.
            if cadence.of_function(site.func) != BATCH:
                continue
            inside = [update for update in matching if update.func is site.func and not update.loops]
            if inside and all(update.position > site.position for update in inside):
                yield rule.at(
                    path, site.call, f"{_name(site)} is called before {inside[0].key}.step() in the same step"
                )
            continue
        loop = site.loops[-1]
        inside = [update for update in matching if loop in update.loops]
        if inside:
            if all(update.position > site.position for update in inside) and not all(
                exclusive(site.branches, update.branches) for update in inside
            ):
                optimizer = inside[0].key if inside[0].method == "step" else "optimizer"
                yield rule.at(
                    path,
                    site.call,
                    f"{_name(site)} is called before {optimizer}.step() in the same loop body",
                )
        elif (caller := _updating_call_after(model, site)) is not None:
            yield rule.at(
                path,
                site.call,
                f"{_name(site)} is called before {caller}(), which calls optimizer.step(), in one loop body",
            )
        elif (
            binding is not None
            and binding.family in ("torch", "compat", "hf")
            and not loop.opaque
            and not cadence.updates_directly(loop)
            and not fast_forward(loop.node.body)
        ):
            yield rule.at(
                path,
                site.call,
                f"{_name(site)} is called in a loop that never calls optimizer.step(): the schedule "
                "advances without any update",
            )


def check_uncomposed(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR011: two schedulers stepped on one optimizer, neither inside SequentialLR/ChainedScheduler.

    Stepped: by ``step()`` calls in the file, or by Lightning, which steps every scheduler that
    ``configure_optimizers`` returns.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "from torch.optim.lr_scheduler import LambdaLR, StepLR\\n"
        ...     "a = LambdaLR(opt, f)\\nb = StepLR(opt, 5)\\n"
        ...     "for x in loader:\\n    opt.step()\\n    a.step()\\n    b.step()\\n"
        ... )
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(7, 'LR011')]
    """
    rule = RULES["LR011"]
    # The same optimizer: the same name in the same function (or ``self.x`` in the same class).
    by_optimizer: dict[tuple[object, str], dict[int, tuple[Binding, list[Site]]]] = {}
    for site, binding in model.scheduler_sites("step"):
        if binding is None or binding.optimizer is None:
            continue
        if model.canonical(binding.key, binding.func) in model.composed:
            continue
        if id(binding.call) in model.composed_calls:
            continue
        owner: object = binding.func.cls if binding.optimizer.startswith("self.") else id(binding.func)
        group = by_optimizer.setdefault((owner, binding.optimizer), {})
        entry = group.setdefault(id(binding), (binding, []))
        entry[1].append(site)
    for (_, optimizer), entries in by_optimizer.items():
        ordered = sorted(entries.values(), key=lambda item: (item[0].call.lineno, item[0].call.col_offset))
        for index, (later, later_sites) in enumerate(ordered):
            for earlier, earlier_sites in ordered[:index]:
                if exclusive(earlier.branches, later.branches):
                    continue
                if not (closed_form(earlier) or closed_form(later)):
                    continue  # chainable schedulers stepped side by side compose (their factors multiply)
                if all(exclusive(a.branches, b.branches) for a in earlier_sites for b in later_sites):
                    continue
                first = min(later_sites, key=lambda s: s.position)
                yield rule.at(
                    path,
                    first.call,
                    f"`{later.key}` (line {later.call.lineno}) and `{earlier.key}` (line "
                    f"{earlier.call.lineno}) both step the optimizer `{optimizer}` without being composed",
                )
                break
    yield from _lightning_uncomposed(model, path)


#: torch classes whose step() writes base_lr * f(t) (closed form) instead of scaling the current
#: rate: stepped next to another scheduler, each step erases what the other one did. The chainable
#: classes (StepLR, MultiStepLR, ExponentialLR, LinearLR, ConstantLR, CosineAnnealingLR,
#: PolynomialLR, MultiplicativeLR, ReduceLROnPlateau) scale the current rate, so two of them
#: stepped side by side compose like ChainedScheduler (checked against torch in the tests).
CLOSED_FORM = frozenset({"LambdaLR", "OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts", "SWALR"})


def closed_form(binding: Binding) -> bool:
    """True for a scheduler that overwrites the rate at each step (see `CLOSED_FORM`)."""
    if binding.family in ("torch", "compat"):
        if binding.cls == "CosineAnnealingLR":
            # With eta_min > 0 its step is affine (eta_min + (lr - eta_min) * ratio), not a factor.
            eta_min = binding.argument(2, "eta_min")
            return eta_min is not None and not (isinstance(eta_min, ast.Constant) and eta_min.value == 0)
        return binding.cls in CLOSED_FORM
    return binding.family in ("hf", "lrkit")


def _lightning_uncomposed(model: Model, path: str) -> Iterator[Finding]:
    rule = RULES["LR011"]
    seen: dict[tuple[int, str], Binding] = {}
    for binding, _, where in lightning_schedulers(model):
        if binding.optimizer is None or model.canonical(binding.key, binding.func) in model.composed:
            continue
        key = (id(binding.func), binding.optimizer)
        earlier = seen.setdefault(key, binding)
        if (
            earlier is not binding
            and earlier.call is not binding.call
            and (closed_form(earlier) or closed_form(binding))
        ):
            yield rule.at(
                path,
                where,
                f"Lightning steps both {earlier.cls} (line {earlier.call.lineno}) and {binding.cls} "
                f"(line {binding.call.lineno}) on the optimizer `{binding.optimizer}` without composing them",
            )
