"""Rules on checkpoints and resuming: LR008 and LR009."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lrkit.lint._cadence import Cadence
from lrkit.lint._facts import Binding, Func, Loop, Site, exclusive
from lrkit.lint._model import Model
from lrkit.lint._names import dotted, tokens
from lrkit.lint._rules import RULES, Finding
from lrkit.lint.checks_order import fast_forward

__all__ = ["check_checkpoint", "check_created_after_load", "check_resume", "has_scheduler"]

#: Scheduler families whose constructor writes the rate into the optimizer.
_WRITES_ON_CONSTRUCTION = ("torch", "hf")
#: Classes whose constructor writes base_lr * f(0) into the optimizer (the chainable ones keep the
#: restored rate at construction and only restart their count).
_CLOSED_FORM = frozenset(
    {"LambdaLR", "MultiplicativeLR", "OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts"}
)


def check_created_after_load(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR008: a torch scheduler built after ``optimizer.load_state_dict(...)`` in the same function.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = "import torch\\nopt.load_state_dict(state)\\n"
        >>> code += "sched = torch.optim.lr_scheduler.StepLR(opt, 10)\\n"
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(3, 'LR008')]
    """
    rule = RULES["LR008"]
    loads = [
        site
        for site in model.sites
        if site.method == "load_state_dict" and model.kind(site.key, site.func) == "optimizer"
    ]
    for binding in model.bindings:
        if (
            not binding.is_scheduler
            or binding.family not in _WRITES_ON_CONSTRUCTION
            or binding.cls == "ReduceLROnPlateau"  # its constructor leaves the rates alone
            or binding.optimizer is None
            or _positioned(model, binding)  # rebuilt at its position: nothing starts over
        ):
            continue
        where = (binding.call.lineno, binding.call.col_offset)
        closed_form = binding.family == "hf" or binding.cls in _CLOSED_FORM
        restored = any(
            site.method == "load_state_dict"
            and site.func is binding.func
            and site.position > where
            and model.canonical(site.key, site.func) == model.canonical(binding.key, binding.func)
            for site in model.sites
        )
        if restored and not closed_form:
            continue  # a chainable scheduler keeps the restored rate and gets its position back
        for load in loads:
            if (
                load.func is binding.func
                and model.canonical(load.key, load.func) == binding.optimizer
                and load.position < where
                and not exclusive(load.branches, binding.branches)
            ):
                what = (
                    "overwrites the restored learning rates"
                    if closed_form
                    else "starts its schedule over (its state is never loaded)"
                )
                yield rule.at(
                    path,
                    binding.call,
                    f"{binding.cls} is created after {load.key}.load_state_dict() (line {load.call.lineno}) "
                    f"and {what}",
                )
                break


def _payload(model: Model, func: Func, node: ast.expr, depth: int = 0) -> list[ast.expr]:
    """The expressions a saved object is made of: the object, and what was assigned into it."""
    found = [node]
    key = dotted(node)
    if key is not None and depth < 3:
        for value in model.literals.get((id(func), key), []):
            found.extend(_payload(model, func, value, depth + 1))
        for site in model.sites:
            if site.func is func and site.key == key and site.method in ("update", "setdefault"):
                for arg in site.call.args:
                    found.extend(_payload(model, func, arg, depth + 1))
    if depth < 3:
        for sub in _held(node):
            for value in model.literals.get((id(func), sub.id), []):
                found.extend(_payload(model, func, value, depth + 1))
    return found


def _held(node: ast.expr) -> Iterator[ast.Name]:
    """The names a saved container holds (``{"state": state}``, ``[a, b]``), not the names in the
    arguments of a call (``torch.save(model)`` saves the model, not what built it)."""
    if isinstance(node, ast.Dict):
        values: list[ast.expr] = [v for v in node.values if v is not None]
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        values = list(node.elts)
    else:
        return
    for value in values:
        if isinstance(value, ast.Name):
            yield value
        else:
            yield from _held(value)


def _contents(model: Model, func: Func, call: ast.Call) -> tuple[ast.AST | None, bool]:
    """(the optimizer's state_dict() call if saved, whether a scheduler is saved) for torch.save."""
    if not call.args:
        return None, False
    optimizer: ast.AST | None = None
    scheduler = False
    for part in _payload(model, func, call.args[0]):
        for sub in ast.walk(part):
            key = dotted(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else None
            if key is None:
                continue
            if model.kind(key, func) == "scheduler":
                scheduler = True
            if isinstance(sub, ast.Attribute) and sub.attr == "state_dict":
                owner = dotted(sub.value)
                if owner is not None and model.kind(owner, func) == "optimizer" and optimizer is None:
                    optimizer = sub
                if owner is not None and model.kind(owner, func) == "scheduler":
                    scheduler = True
    return optimizer, scheduler


def _stateless(model: Model) -> bool:
    """True if every scheduler of the file is put back at its position without its state: rebuilt
    with ``last_epoch=``, given ``sched.last_epoch = ...``, or told its position at every step
    (``sched.step(epoch)``); a closed-form one is then exact, a chainable one continues from the
    restored rate."""
    schedulers = [b for b in model.bindings if b.is_scheduler]
    unbound = [site for site, found in model.scheduler_sites("step") if found is None]
    if not schedulers and not unbound:
        return False
    if any(fast_forward(loop.node.body) for loop in _all_loops(model)):
        return True  # ``for _ in range(start_epoch): scheduler.step()`` moves it to its position
    return all(_positioned(model, b) for b in schedulers) and all(
        _gives_position(site, None) for site in unbound
    )


def _all_loops(model: Model) -> Iterator[Loop]:
    """Every loop of the file, nested ones included."""
    pending = [loop for func in model.funcs for loop in func.loops]
    while pending:
        loop = pending.pop()
        yield loop
        pending.extend(loop.children)


def _not_literal(value: ast.expr) -> bool:
    """True for a position that is computed (``start_epoch - 1``), not the default ``-1``."""
    return not isinstance(value, ast.Constant) and not (
        isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant)
    )


def _positioned(model: Model, binding: Binding) -> bool:
    """True if the scheduler's position is set from the run's own counter, not from its state."""
    value = binding.argument(99, "last_epoch")
    if value is None and binding.family == "hf":
        value = binding.argument(3, "last_epoch")
    if value is not None and _not_literal(value):
        return True
    if binding.key.rpartition(".")[2] in _last_epoch_set(model):
        return True
    if binding.family in ("torch", "compat", "hf", "lrkit"):
        return False  # step(epoch) is deprecated for these (LR006): without it the state is needed
    steps = [site for site, found in model.scheduler_sites("step") if found is binding]
    return bool(steps) and all(_gives_position(site, binding) for site in steps)


def _last_epoch_set(model: Model) -> set[str]:
    """The names whose ``.last_epoch`` the file sets to a computed value (``sched.last_epoch = e``)."""
    if "last_epoch_set" not in model.derived:
        model.derived["last_epoch_set"] = {
            (dotted(target.value) or "").rpartition(".")[2]
            for node in model.assignments()
            if _not_literal(node.value)
            for target in node.targets
            if isinstance(target, ast.Attribute) and target.attr == "last_epoch"
        }
    return model.derived["last_epoch_set"]  # type: ignore[no-any-return]


_POSITION_NAME = re.compile(r"epoch|step|iter|update|^(i|it|n|t)$", re.IGNORECASE)


def _gives_position(site: Site, binding: Binding | None) -> bool:
    """True if ``sched.step(...)`` is told the position (``step(epoch)``), not given a metric."""
    call = site.call
    if any(k.arg == "epoch" for k in call.keywords):
        return True
    if binding is not None and binding.cls == "ReduceLROnPlateau":
        return len(call.args) > 1
    if len(call.args) != 1:
        return False
    if binding is not None and binding.family in ("torch", "compat"):
        return True
    return any(_POSITION_NAME.search(token) for token in tokens(call.args[0]))


def has_scheduler(model: Model) -> bool:
    """True if the file builds or steps a scheduler."""
    return any(b.is_scheduler for b in model.bindings) or bool(model.scheduler_sites("step"))


def check_checkpoint(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR009: a checkpoint with the optimizer's state but not the scheduler's, in one function.

    Saved with ``torch.save`` or a checkpoint helper given the payload (``save_checkpoint({...})``,
    ``utils.save_on_master({...})``). One payload saved to several paths is one report; a file
    whose schedulers are all closed-form and rebuilt at their position (``last_epoch=``) loses
    nothing. In a class, a scheduler held by a subclass elsewhere in the linted tree counts.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "import torch\\nsched = torch.optim.lr_scheduler.StepLR(opt, 10)\\n"
        ...     "torch.save({'optimizer': opt.state_dict()}, 'ckpt.pt')\\n"
        ... )
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(3, 'LR009')]
    """
    rule = RULES["LR009"]
    if _stateless(model):
        return
    by_func: dict[int, list[tuple[ast.Call, ast.AST | None, bool, Func]]] = {}
    for call, func in model.saves:
        optimizer, scheduler = _contents(model, func, call)
        by_func.setdefault(id(func), []).append((call, optimizer, scheduler, func))
    for saves in by_func.values():
        if any(scheduler for _, _, scheduler, _ in saves):
            continue
        func = saves[0][3]
        if not has_scheduler(model) and not model.project_scheduler_attributes(func.cls):
            continue
        payloads: set[str] = set()
        for call, optimizer, _, _ in saves:
            if optimizer is None:
                continue
            payload = ast.dump(call.args[0])
            if payload in payloads:
                continue  # one payload saved to several paths (last, best, epoch N): one report
            payloads.add(payload)
            yield rule.at(
                path, call, "this checkpoint saves the optimizer's state_dict() but not the scheduler's"
            )


_RESUME_WORDS = (
    "resume",
    "load_step",
    "checkpoint",
    "ckpt",
    "continue",
    "restart",
    "start_epoch",
    "load_from",
)


def _resumes(model: Model, func: Func, call: ast.Call) -> bool:
    """True if a ``torch.load`` is a resume: under an ``if`` that speaks of resuming or checkpoints,
    or read for the position the run continues from (``start_epoch = checkpoint["epoch"] + 1``)."""
    root = func.node if func.node is not None else model.tree
    for node in ast.walk(root):
        if (
            isinstance(node, ast.If)
            and node.lineno <= call.lineno <= (node.end_lineno or node.lineno)
            and any(any(word in token for word in _RESUME_WORDS) for token in tokens(node.test))
        ):
            return True
    loaded = {
        target.id
        for node in ast.walk(root)
        if isinstance(node, ast.Assign) and node.value is call
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return any(
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in loaded
        and _position_key(node.slice)
        for node in ast.walk(root)
    )


def _position_key(node: ast.expr) -> bool:
    """True for a checkpoint key that holds the run's position (``"epoch"``, ``"global_step"``)."""
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ("epoch" in node.value or node.value in ("step", "global_step", "iteration"))
    )


def check_resume(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR013: a resume that restarts the schedule: the scheduler's state is saved but never loaded.

    The file saves the scheduler's ``state_dict()`` in its checkpoints and resumes from one (a
    ``torch.load`` under a resume test), but nothing in the linted files calls
    ``load_state_dict`` on a scheduler (nor ``accelerator.load_state``), and its schedulers are
    not stateless ones rebuilt at their position.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "import torch\\n"
        ...     "sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)\\n"
        ...     "if args.resume:\\n"
        ...     "    ckpt = torch.load(args.resume)\\n"
        ...     "    model.load_state_dict(ckpt['model'])\\n"
        ...     "torch.save({'model': model.state_dict(), 'scheduler': sched.state_dict()}, 'last.pt')\\n"
        ... )
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(4, 'LR013')]
    """
    rule = RULES["LR013"]
    if not has_scheduler(model) or _stateless(model):
        return
    if model.state_loads and not model.loads_scheduler_state_here_by_name():
        unregistered = _unregistered(model)
        if unregistered is not None:
            call = model.state_loads[0][0]
            yield rule.at(
                path,
                call,
                f"accelerator.load_state() restores only the objects passed to prepare() (or to "
                f"register_for_checkpointing()); {unregistered.cls} `{unregistered.key}` is neither, "
                "so the resumed run starts its schedule over",
            )
            return
    if model.loads_scheduler_state():
        return
    if not any(_contents(model, func, call)[1] for call, func in model.saves):
        # No scheduler state saved: a resume that reads the position (the epoch) but restores
        # neither the optimizer nor the scheduler starts the schedule over just the same.
        yield from _position_only_resume(model, path)
        return
    for call, func in model.torch_loads:
        if _resumes(model, func, call):
            yield rule.at(
                path,
                call,
                "this resume reads a checkpoint that holds the scheduler's state, but no scheduler is ever "
                "restored with load_state_dict(): the schedule starts over",
            )
            return


def _unregistered(model: Model) -> Binding | None:
    """A stepped scheduler that ``accelerator.save_state``/``load_state`` never see: not passed to
    ``accelerator.prepare`` nor to ``register_for_checkpointing``."""
    for site, binding in model.scheduler_sites("step"):
        if binding is None:  # bound to different classes on different branches: any of them
            key = model.canonical(site.key, site.func)
            binding = next((b for b in model.bindings if b.is_scheduler and b.key == key), None)
        if binding is None or binding.family not in ("torch", "compat", "hf", "lrkit"):
            continue
        keys = {site.key, binding.key, model.canonical(binding.key, binding.func)}
        if keys & (model.prepared | model.registered):
            continue
        return binding
    return None


def _position_only_resume(model: Model, path: str) -> Iterator[Finding]:
    rule = RULES["LR013"]
    stepped = any(
        binding is not None and binding.family in ("torch", "compat", "hf")
        for _, binding in model.scheduler_sites("step")
    )
    if not stepped:
        return
    for call, func in model.torch_loads:
        if not _resumes(model, func, call):
            continue
        root = func.node if func.node is not None else model.tree
        restores_optimizer = any(
            site.method == "load_state_dict"
            and site.func is func
            and model.kind(site.key, func) == "optimizer"
            for site in model.sites
        ) or any(  # handed to a helper: make_optimizer(params, ckpt["optimizer"], load_sd=True)
            isinstance(node, ast.Call)
            and any(
                isinstance(arg, ast.Subscript)
                and isinstance(arg.slice, ast.Constant)
                and "optim" in str(arg.slice.value)
                for arg in [*node.args, *(k.value for k in node.keywords)]
            )
            for node in ast.walk(root)
        )
        reads_position = any(
            isinstance(node, ast.Subscript) and _position_key(node.slice) for node in ast.walk(root)
        )
        if reads_position and not restores_optimizer:
            yield rule.at(
                path,
                call,
                "this resume restores the position (the epoch) but neither the optimizer's nor the "
                "scheduler's state: the schedule starts over",
            )
            return
