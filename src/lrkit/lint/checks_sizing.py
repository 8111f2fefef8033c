"""Rules on how long a schedule is for the loop that steps it: LR014 (gradient accumulation),
LR017 (the data split over processes) and LR018 (a prepared scheduler stepped per epoch).

(Over 400 lines for one job, a schedule's length against the loop that steps it: the three rules
share the loop analysis that decides how many optimizer updates one step call stands for.)


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

from lrkit.lint._cadence import BATCH, EPOCH, Cadence
from lrkit.lint._facts import Binding, Func, Loop, Site
from lrkit.lint._model import Model
from lrkit.lint._names import dotted
from lrkit.lint._rules import RULES, Finding, Rule

__all__ = [
    "check_accumulation_sizing",
    "check_prepared_per_epoch",
    "check_process_sizing",
    "length_argument",
    "warmup_argument",
]

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
            yield from _divided_but_per_batch(model, cadence, path, site, binding, reported)
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
        yield _finding(rule, model, path, site, binding, f"{{at}} {how}", " and ".join(problems))


def _finding(
    rule: Rule, model: Model, path: str, site: Site, binding: Binding, stepped: str, why: str
) -> Finding:
    """The finding for the scheduler built by `binding` and stepped at `site`: at the call that built
    it when that call is in this file, else (built in another file of the tree) at the step call,
    naming the file and line that built it. `stepped` says how it is stepped, with ``{at}`` where
    the place goes ("at line N", or "here" at the step call); `why` says what is wrong."""
    owner = binding.owner or model
    if owner is model:
        node, name, at = binding.call, binding.cls, f"at line {site.call.lineno}"
    else:
        where = f"{owner.module_name or 'another file'}.py line {binding.call.lineno}"
        node, name, at = site.call, f"{binding.cls} (built in {where})", "here"
    return rule.at(path, node, f"{name} is stepped {stepped.replace('{at}', at)}, but {why}")


def _accumulates(loop: Loop) -> bool:
    """True if the loop implements gradient accumulation in a way the linter may not follow: a test
    or a call that mentions the accumulation (``if (step + 1) % accumulation:``, ``continue``
    under it, ``accelerator.accumulate()``, ``engine.step()`` of DeepSpeed, a micro-batch loop)."""
    for node in ast.walk(loop.node):
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.comprehension, ast.For)):
            test = node.iter if isinstance(node, (ast.For, ast.comprehension)) else node.test
            if any(_accum_name(n) for n in ast.walk(test)):
                return True
            if isinstance(node, ast.If) and _gates_update(node):
                return True  # ``if (step + 1) % ga == 0: optimizer.step()`` under another name
        if isinstance(node, ast.Attribute) and (
            node.attr in ("accumulate", "no_sync")
            or (node.attr == "backward" and _ENGINE.search(dotted(node.value) or ""))
        ):
            return True
    return False


def _gates_update(node: ast.If) -> bool:
    """True for an ``if`` on a remainder whose body updates (``.step()``) or skips (``continue``)."""
    if not any(isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Mod) for sub in ast.walk(node.test)):
        return False
    for statement in node.body:
        for sub in ast.walk(statement):
            if isinstance(sub, ast.Continue):
                return True
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "step":
                return True
    return False


_ENGINE = re.compile(r"engine|accelerator|deepspeed|fabric", re.IGNORECASE)


def _divided_but_per_batch(
    model: Model, cadence: Cadence, path: str, site: Site, binding: Binding, reported: set[int]
) -> Iterator[Finding]:
    """LR014's other side: a length divided by the accumulation, stepped at every batch of a loop
    that does not accumulate (the accumulation is an unused option, or commented out): the
    schedule ends ``accumulation`` times too early and the rest of the run sits at its end."""
    if site.accumulate or not site.loops or cadence.of(site) != BATCH:
        return
    if _accumulates(site.loops[-1]):
        return
    for test, _ in site.guards:
        if any(isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Mod) for sub in ast.walk(test)):
            return  # stepped every N batches: a cadence this rule does not read
    length = length_argument(binding)
    if length is None:
        return
    owner = binding.owner or model
    if not _divides_by_accumulation(_expand(owner, binding.func, length)):
        return
    reported.add(id(binding))
    why = (
        "its length is divided by the accumulation while this loop updates at every batch "
        "(no accumulation): the schedule ends that many times too early"
    )
    yield _finding(RULES["LR014"], model, path, site, binding, "{at} once per batch", why)


_WORLD = re.compile(r"world|num_processes|num_replicas|nproc|n_gpu|ngpu|num_gpus|gpus", re.IGNORECASE)
_SAMPLER = re.compile(r"DistributedSampler$")


def _len_calls(parts: list[ast.expr]) -> list[tuple[ast.Call, ast.expr]]:
    """The ``len(x)`` calls in the parts of a length, with their argument."""
    found = []
    for part in parts:
        for sub in ast.walk(part):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id == "len"
                and sub.args
            ):
                found.append((sub, sub.args[0]))
    return found


def _names(node: ast.AST) -> list[str]:
    return [
        key.rpartition(".")[2]
        for sub in ast.walk(node)
        if isinstance(sub, (ast.Name, ast.Attribute))
        for key in (dotted(sub),)
        if key is not None
    ]


def _divided_by_world(parts: list[ast.expr], call: ast.Call) -> bool:
    """True if the ``len(...)`` call is divided by a world size somewhere in the length."""
    for part in parts:
        for sub in ast.walk(part):
            if (
                isinstance(sub, ast.BinOp)
                and isinstance(sub.op, (ast.Div, ast.FloorDiv))
                and any(node is call for node in ast.walk(sub.left))
                and any(_WORLD.search(name) for name in _names(sub.right))
            ):
                return True
    return False


def _distributed_loaders(model: Model) -> tuple[set[str], set[str]]:
    """(loaders, data sets) of the ``DataLoader(dataset, sampler=DistributedSampler(...))`` calls
    whose batch size is not divided by the world size (each process then gets 1/N of the batches)."""
    found: tuple[set[str], set[str]] | None = model.derived.get("distributed_loaders")
    if found is None:
        found = model.derived["distributed_loaders"] = _find_distributed_loaders(model)
    return found


def _find_distributed_loaders(model: Model) -> tuple[set[str], set[str]]:
    samplers = {
        key
        for (_, key), values in model.literals.items()
        for value in values
        if isinstance(value, ast.Call) and _SAMPLER.search(dotted(value.func) or "")
    }
    loaders: set[str] = set()
    datasets: set[str] = set()
    for node in model.assignments():
        if not isinstance(node.value, ast.Call):
            continue
        call = node.value
        if not (dotted(call.func) or "").endswith("DataLoader"):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        sampler = keywords.get("sampler")
        if sampler is None or not (
            (isinstance(sampler, ast.Call) and _SAMPLER.search(dotted(sampler.func) or ""))
            or (dotted(sampler) or "") in samplers
        ):
            continue
        batch = keywords.get("batch_size", call.args[1] if len(call.args) > 1 else None)
        if batch is not None and any(_WORLD.search(name) for name in _names(batch)):
            continue
        dataset = keywords.get("dataset", call.args[0] if call.args else None)
        if dataset is not None and (key := dotted(dataset)) is not None:
            datasets.add(key)
        for target in node.targets:
            if (key := dotted(target)) is not None:
                loaders.add(key)
    return loaders, datasets


def _whole_data(model: Model, binding: Binding, parts: list[ast.expr]) -> str | None:
    """How the length counts the batches of every process, or None."""
    owner = binding.owner or model
    loaders, datasets = _distributed_loaders(owner)
    prepared = {key for key in model.prepared if _LOADER.search(key.rpartition(".")[2])}
    same_file = binding.owner is None or binding.owner is model
    for call, arg in _len_calls(parts):
        if same_file and call.lineno > (binding.call.end_lineno or binding.call.lineno):
            continue  # computed after the scheduler was built: not what sized it
        if _divided_by_world(parts, call):
            continue
        key = dotted(arg)
        if key is None:
            continue
        if key in datasets or (
            isinstance(arg, ast.Attribute) and arg.attr == "dataset" and dotted(arg.value) in loaders
        ):
            return f"len({key}) counts the whole data set, and its loader has a DistributedSampler"
        if (
            key in prepared
            and (not same_file or call.lineno < model.prepared_at.get(key, 0))
            and not _keyword_is(model, "split_batches", True)  # then each process has every batch
        ):
            return (
                f"len({key}) is taken before accelerator.prepare() splits the loader over the "
                "processes, and the scheduler itself is not prepared"
            )
    return None


def _lengths(binding: Binding) -> list[ast.expr]:
    found = [length_argument(binding)]
    if binding.family in ("torch", "compat") and binding.cls == "OneCycleLR":
        found.append(binding.argument(4, "steps_per_epoch"))
    return [node for node in found if node is not None]


def check_process_sizing(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR017: a schedule sized by the whole data set's batches, stepped per batch of one process.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = '''
        ... import torch
        ... from torch.utils.data import DataLoader, DistributedSampler
        ... loader = DataLoader(train_set, batch_size=64, sampler=DistributedSampler(train_set))
        ... sched = torch.optim.lr_scheduler.OneCycleLR(
        ...     opt, max_lr=0.1, epochs=10, steps_per_epoch=len(train_set) // 64)
        ... for epoch in range(10):
        ...     for x, y in loader:
        ...         opt.step()
        ...         sched.step()
        ... '''
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(5, 'LR017')]
    """
    rule = RULES["LR017"]
    reported: set[int] = set()
    for site, found in model.scheduler_sites("step"):
        if cadence.of(site) != BATCH:
            continue
        key = model.canonical(site.key, site.func)
        # Bound to different classes on different branches: each of them.
        candidates = (
            [found] if found is not None else [b for b in model.bindings if b.is_scheduler and b.key == key]
        )
        for binding in candidates:
            if id(binding) in reported:
                continue
            if {site.key, key, binding.key, model.canonical(binding.key, binding.func)} & model.prepared:
                continue  # a prepared scheduler steps once per process per update: sized for all is right
            owner = binding.owner or model
            for length in _lengths(binding):
                why = _whole_data(model, binding, _expand(owner, binding.func, length))
                if why is None:
                    continue
                reported.add(id(binding))
                yield _finding(rule, model, path, site, binding, "per batch {at}", why)
                break


def _keyword_is(model: Model, name: str, value: bool) -> bool:
    """True if some call of the file is given ``name=value`` (``split_batches=True``)."""
    return any(
        isinstance(node, ast.keyword)
        and node.arg == name
        and isinstance(node.value, ast.Constant)
        and node.value.value is value
        for node in ast.walk(model.tree)
    )


def _steps_once_per_call(model: Model) -> bool:
    """True if the file builds its Accelerator so that a prepared scheduler steps once per call
    (``step_scheduler_with_optimizer=False`` or ``split_batches=True``)."""
    return _keyword_is(model, "step_scheduler_with_optimizer", False) or _keyword_is(
        model, "split_batches", True
    )


def check_prepared_per_epoch(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR018: a scheduler passed to ``accelerator.prepare`` but stepped once per epoch.

    accelerate's ``AcceleratedScheduler.step`` expects one call per optimizer update and steps the
    wrapped scheduler ``num_processes`` times per call (each process's batches stand for
    ``num_processes`` batches of one process); called once per epoch, the schedule advances ``N``
    epochs per epoch.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = '''
        ... import torch
        ... sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30)
        ... model, opt, loader, sched = accelerator.prepare(model, opt, loader, sched)
        ... for epoch in range(90):
        ...     for batch in loader:
        ...         accelerator.backward(model(batch).loss)
        ...         opt.step()
        ...     sched.step()
        ... '''
        >>> [(f.line, f.code) for f in lint_source(code)]
        [(9, 'LR018')]
    """
    rule = RULES["LR018"]
    if not model.prepared or _steps_once_per_call(model):
        return
    for site, binding in model.scheduler_sites("step"):
        keys = {site.key, model.canonical(site.key, site.func)}
        if binding is not None:
            keys |= {binding.key, model.canonical(binding.key, binding.func)}
        if not keys & model.prepared or cadence.of(site) != EPOCH:
            continue
        name = binding.cls if binding is not None else site.key
        effect = (
            "its patience is divided by the number of processes"
            if binding is not None and binding.cls == "ReduceLROnPlateau"
            else "under N processes it advances N steps per epoch"
        )
        yield rule.at(
            path,
            site.call,
            f"{name} is prepared by accelerate, which steps it num_processes times per call, "
            f"and it is stepped once per epoch: {effect}",
        )
