"""Rules on when and how long a schedule runs: LR002, LR003 (cadence) and LR004 (length)."""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator

from lrkit.lint._cadence import BATCH, EPOCH, Cadence
from lrkit.lint._facts import Binding, Site
from lrkit.lint._lightning import lightning_schedulers
from lrkit.lint._model import Model
from lrkit.lint._names import dotted, tokens
from lrkit.lint._rules import RULES, Finding

__all__ = ["check_cadence", "check_length", "epoch_sized", "per_batch"]

#: Where the length argument of the epoch-sized torch schedulers is.
_SIZE_ARGUMENT = {
    "StepLR": (1, "step_size"),
    "MultiStepLR": (1, "milestones"),
    "CosineAnnealingLR": (1, "T_max"),
    "SequentialLR": (99, "milestones"),
    "LinearLR": (99, "total_iters"),
    "ConstantLR": (99, "total_iters"),
    "PolynomialLR": (1, "total_iters"),
}


def _unit(binding: Binding) -> str | None:
    unit = binding.argument(99, "unit")
    if isinstance(unit, ast.Constant) and isinstance(unit.value, str):
        return unit.value.lower()
    return None


def _sized_in_epochs(node: ast.AST | None) -> bool:
    """True if an expression counts epochs only (``num_epochs``, ``[EPOCHS // 2]``), not steps."""
    if node is None:
        return False
    found = tokens(node)
    epochs = any("epoch" in t and "per_epoch" not in t for t in found)
    steps = any(
        t == "len" or "loader" in t or "batch" in t or "step" in t or "iter" in t or "update" in t
        for t in found
    )
    return epochs and not steps


def _counts_batches(node: ast.AST | None) -> bool:
    """True if a size is written with the loader's length (``len(train_loader)``, ``epochs * len(dl)``)."""
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "len" and sub.args:
            found = tokens(sub.args[0])
            if any("loader" in t or t in ("dl", "train_dl") or t.endswith("_dl") for t in found):
                return True
    return False


def per_batch(binding: Binding, model: Model) -> bool:
    """True for a scheduler whose schedule is declared in updates (stepped once per batch)."""
    model = binding.owner or model
    if binding.family in ("torch", "compat") and binding.cls in _SIZE_ARGUMENT:
        # CosineAnnealingLR(T_max=len(loader)), StepLR(step_size=epochs * len(loader)): sized in batches.
        index, name = _SIZE_ARGUMENT[binding.cls]
        return _counts_batches(binding.argument(index, name))
    if binding.family in ("torch", "compat"):
        if binding.cls == "CyclicLR":
            return True
        if binding.cls == "OneCycleLR":
            if model.names.number(binding.argument(99, "steps_per_epoch")) == 1:
                return False
            return not _sized_in_epochs(binding.argument(2, "total_steps"))
        return False
    if binding.family == "hf":
        sizing = binding.argument(2, "num_training_steps")
        return not _sized_in_epochs(sizing)
    # lrkit.Scheduler counts updates: step() is called once per update whatever its unit (an
    # "epoch" unit divides by steps_per_epoch).
    return binding.family == "lrkit"


def epoch_sized(binding: Binding, model: Model, site: Site | None = None) -> bool:
    """True for StepLR/MultiStepLR/CosineAnnealingLR sized by the epoch count.

    Sized by the epoch count: the size (``step_size``, ``milestones``, ``T_max``) is written with
    an epoch name and no step count (``num_epochs // 3``, ``args.epochs``), or, for a call site
    inside an epoch loop of literal length, every literal size is at most that number of epochs.
    """
    if binding.family not in ("torch", "compat") or binding.cls not in _SIZE_ARGUMENT:
        return False
    names_model = binding.owner or model
    index, name = _SIZE_ARGUMENT[binding.cls]
    size = binding.argument(index, name)
    if size is None:
        return False
    if _sized_in_epochs(size):
        return True
    if site is None:
        return False
    items = size.elts if isinstance(size, (ast.List, ast.Tuple)) else [size]
    values = [names_model.names.number(item) for item in items]
    if not values or any(not isinstance(v, (int, float)) for v in values):
        return False
    largest = max(v for v in values if v is not None)
    counts = [model.loop_count(loop) for loop in site.loops[:-1] if any("epoch" in t for t in loop.header)]
    return any(count is not None and 0 < largest <= count for count in counts)


def check_cadence(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR002 (per-batch schedule stepped per epoch) and LR003 (epoch schedule stepped per batch).

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "import torch\\n"
        ...     "sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10_000)\\n"
        ...     "for epoch in range(10):\\n    for x in loader:\\n        opt.step()\\n    sched.step()\\n"
        ... )
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(6, 'LR002')]
    """
    per_epoch_rule, per_batch_rule = RULES["LR002"], RULES["LR003"]
    for site, binding in model.scheduler_sites("step"):
        if binding is None:
            continue
        how = cadence.of(site)
        if how == EPOCH and per_batch(binding, model):
            yield per_epoch_rule.at(
                path,
                site.call,
                f"{binding.cls} is sized in updates but {site.key}.step() runs once per epoch here",
            )
        elif how == BATCH and epoch_sized(binding, model, site):
            yield per_batch_rule.at(
                path,
                site.call,
                f"{binding.cls} is sized in epochs but {site.key}.step() runs once per batch here",
            )
    for call, func in model.deepspeed_calls:
        # deepspeed.initialize(..., lr_scheduler=X): DeepSpeed steps X after every optimizer update.
        argument = next((k.value for k in call.keywords if k.arg == "lr_scheduler"), None)
        key = dotted(argument) if argument is not None else None
        binding = model.resolve(key, func) if key is not None else None
        if binding is not None and binding.is_scheduler and epoch_sized(binding, model):
            yield per_batch_rule.at(
                path,
                call,
                f"{binding.cls} is sized in epochs but DeepSpeed steps the lr_scheduler it is given after "
                "every update",
            )
    for binding, interval, where in lightning_schedulers(model):
        if interval == "epoch" and per_batch(binding, model):
            yield per_epoch_rule.at(
                path,
                where,
                f"{binding.cls} is sized in updates but Lightning steps it once per epoch "
                "(the default 'interval': 'epoch')",
            )
        elif interval == "step" and epoch_sized(binding, model):
            yield per_batch_rule.at(
                path,
                where,
                f"{binding.cls} is sized in epochs but Lightning steps it per batch ('interval': 'step')",
            )


def _steps(model: Model, site: Site, binding: Binding) -> int | None:
    """A lower bound on how many times a call runs on one scheduler object, from the literal
    counts of the loops around it (loops that also rebuild the scheduler do not count)."""
    loops = tuple(loop for loop in site.loops if loop not in binding.loops)
    if site.conditional or not loops or any(loop.exits for loop in loops):
        return None
    counts = [model.loop_count(loop) for loop in loops]
    known = [c for c in counts if c is not None]
    if not known:
        return None
    return math.prod(known)


def _loop_length(loop_args: list[ast.expr] | None) -> ast.expr | None:
    """The count of ``range(n)``, ``range(0, n)`` or ``range(1, n + 1)`` as an expression."""
    if not loop_args:
        return None
    if len(loop_args) == 1:
        return loop_args[0]
    if len(loop_args) != 2 or not isinstance(loop_args[0], ast.Constant):
        return None
    start, stop = loop_args[0].value, loop_args[1]
    if start == 0:
        return stop
    if (
        start == 1
        and isinstance(stop, ast.BinOp)
        and isinstance(stop.op, ast.Add)
        and isinstance(stop.right, ast.Constant)
        and stop.right.value == 1
    ):
        return stop.left
    return None


def _symbolically_shorter(site: Site, binding: Binding) -> str | None:
    """``T_max=epochs - 20`` stepped once per iteration of ``for e in range(epochs)``: the text of T_max."""
    if binding.family not in ("torch", "compat") or binding.cls != "CosineAnnealingLR" or site.conditional:
        return None
    loops = [loop for loop in site.loops if loop not in binding.loops]
    if len(loops) != 1 or loops[0].exits:
        return None
    t_max = binding.argument(1, "T_max")
    count = _loop_length(loops[0].range_args)
    if (
        isinstance(t_max, ast.BinOp)
        and isinstance(t_max.op, ast.Sub)
        and isinstance(t_max.right, ast.Constant)
        and isinstance(t_max.right.value, int)
        and t_max.right.value > 0
        and count is not None
        and ast.dump(t_max.left) == ast.dump(count)
    ):
        return ast.unparse(t_max)
    return None


def _lrkit_length(model: Model, binding: Binding) -> tuple[str, int] | None:
    """('restart' | 'hold', length) for an lrkit scheduler's schedule, when it can be read."""
    schedule = binding.argument(1, "schedule")
    if schedule is None:
        return None
    schedule = model.names.literal_node(schedule)
    total = model.names.number(binding.argument(99, "total"))
    if isinstance(schedule, ast.Call) and dotted(schedule.func) is not None:
        text = _spec_text(model, schedule)
    elif isinstance(schedule, ast.Constant) and isinstance(schedule.value, str):
        text = schedule.value
    else:
        return None
    if text is None:
        return None
    from lrkit.spec import parse

    try:
        parsed = parse(text)
        resolved = parsed.resolve(int(total)) if isinstance(total, int) and total >= 1 else parsed.resolve()
    except (ValueError, TypeError, RecursionError):
        return None
    if resolved.name == "extrapolate":
        # A curve continued past its end (torch's CosineAnnealingLR preset): it rises again.
        for child in resolved.children():
            steps = getattr(child, "steps", None)
            if child.name == "cosine" and isinstance(steps, int):
                return ("restart", steps)
        return None
    horizon = resolved.horizon
    if horizon is None or not math.isfinite(horizon):
        return None
    return ("hold", math.ceil(horizon))


def _spec_text(model: Model, node: ast.Call) -> str | None:
    """An lrkit call written in the script (``lrkit.cosine(steps=EPOCHS)``) as a spec string."""

    class Rewrite(ast.NodeTransformer):
        ok = True

        def visit_Call(self, call: ast.Call) -> ast.AST:
            self.generic_visit(call)
            qualname = model.names.qualify(call.func) or ""
            if not qualname.startswith("lrkit."):
                self.ok = False
                return call
            call.func = ast.Name(id=qualname.rpartition(".")[2], ctx=ast.Load())
            return call

        def visit_Name(self, name: ast.Name) -> ast.AST:
            value = model.names.number(name)
            return name if value is None else ast.Constant(value)

    import copy

    rewrite = Rewrite()
    tree = rewrite.visit(copy.deepcopy(node))
    return ast.unparse(tree) if rewrite.ok else None


def check_length(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR004: a cosine (or finite lrkit schedule) shorter than the loop that steps it.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "import torch\\n"
        ...     "sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)\\n"
        ...     "for step in range(100):\\n    opt.step()\\n    sched.step()\\n"
        ... )
        >>> print(lint_source(code)[0].message)
        CosineAnnealingLR(T_max=50) is stepped 100 times here: after 50 steps the rate climbs back up;
        use T_max=100
    """
    rule = RULES["LR004"]
    for site, binding in model.scheduler_sites("step"):
        if binding is None:
            continue
        steps = _steps(model, site, binding)
        if steps is None:
            shorter = _symbolically_shorter(site, binding)
            # Another scheduler stepped in the same loop (a warmup before the cosine) is LR011's case.
            others = [
                s
                for s in (site.loops[-1].sites if site.loops else [])
                if s.method == "step" and s.key != site.key
            ]
            if shorter is not None and not any(model.kind(s.key, s.func) == "scheduler" for s in others):
                yield rule.at(
                    path,
                    site.call,
                    f"CosineAnnealingLR(T_max={shorter}) is stepped once per iteration of a loop that runs "
                    "longer: the rate climbs back up at the end of the run",
                )
            continue
        if binding.family in ("torch", "compat") and binding.cls == "CosineAnnealingLR":
            t_max = (binding.owner or model).names.number(binding.argument(1, "T_max"))
            if isinstance(t_max, int) and 0 < t_max < steps:
                yield rule.at(
                    path,
                    site.call,
                    f"CosineAnnealingLR(T_max={t_max}) is stepped {steps} times here: after {t_max} steps "
                    f"the rate climbs back up; use T_max={steps}",
                )
        elif binding.family == "lrkit" and _unit(binding) in (None, "update"):
            found = _lrkit_length(model, binding)
            if found is None:
                continue
            how, length = found
            if 0 < length < steps:
                what = (
                    f"climbs back up after T_max={length}"
                    if how == "restart"
                    else f"ends after {length} steps and holds its end value for the last {steps - length}"
                )
                yield rule.at(path, site.call, f"the schedule is stepped {steps} times here but {what}")
