"""Specs: schedules written as text, parsed with a restricted grammar (never `eval`).

The grammar is a subset of Python expressions:

* calls of registered names, with positional and keyword arguments:
  ``warmup(cosine(end=0.1), steps=0.05)``, ``StepLR(step_size=2, gamma=0.5)``;
  dotted names for other libraries' schedules (``transformers.cosine(...)``);
* calls as they appear in training code (`lrkit._spec_names`): a module path before the name
  (``torch.optim.lr_scheduler.StepLR``, ``optax.schedules.cosine_decay_schedule``,
  ``keras.optimizers.schedules.CosineDecay``), the optimizer as the first positional argument of a
  torch, timm or transformers entry point (any bare name or attribute chain, or ``optimizer=``;
  ignored), and every argument of the library's own signature;
* literals: numbers, strings, ``True``, ``False``, ``None``, lists, tuples and dicts with string keys;
* ``a * b`` multiplies two schedules (`product`) or scales a schedule by a number (`scale`).

Anything else (attribute access on values, subscripts, lambdas, comprehensions, names that are not
registered, a keyword given twice) is rejected with the column where it starts. A Python function
argument (``lr_lambda``, ``scale_fn``) is refused with what to write instead: a spec never runs code.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any

from lrkit._spec_names import _module_prefix, optimizer_position, resolve
from lrkit.config import build
from lrkit.schedules import REGISTRY, Schedule

__all__ = ["SpecError", "cycled_momentum", "group_calls", "group_schedules", "parse"]

MAX_LENGTH = 20_000


class SpecError(ValueError):
    """A spec that cannot be parsed or built; `column` is where the problem starts (1-based)."""

    def __init__(self, message: str, spec: str, column: int | None = None) -> None:
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{message}{where} in spec {spec!r}")
        self.spec = spec
        self.column = column


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return None if parent is None else f"{parent}.{node.attr}"
    return None


#: torch classes that are a Python function of the step: nothing a spec could hold.
_FUNCTION_CLASSES = {
    "LambdaLR": "LambdaLR(optimizer, lr_lambda) runs the Python function `lr_lambda`",
    "MultiplicativeLR": "MultiplicativeLR(optimizer, lr_lambda) runs the Python function `lr_lambda`",
}

#: Arguments that hold a Python function, and what to write in a spec instead.
_FUNCTION_ARGUMENTS = {
    "lr_lambda": "write the function's shape as an lrkit schedule (e.g. warmup(cosine(), steps=100) "
    "or exponential(rate=0.95)); lrkit.compat.LambdaLR takes the function itself in Python",
    "scale_fn": "leave scale_fn=None and choose mode='triangular', 'triangular2' or 'exp_range' "
    "(with gamma), or write cyclic(...) times a schedule; lrkit.compat.CyclicLR takes the function "
    "itself in Python",
}


class _Builder:
    def __init__(self, spec: str) -> None:
        self.spec = spec

    def error(self, message: str, node: ast.AST | None) -> SpecError:
        column = getattr(node, "col_offset", None)
        return SpecError(message, self.spec, None if column is None else column + 1)

    def unknown(self, name: str, node: ast.AST) -> SpecError:
        module = name.rpartition(".")[0]
        known = sorted(set(REGISTRY) | {key.rpartition(".")[2] for key in REGISTRY})
        close = (
            []
            if module and _module_prefix(module) is None
            # `cfg.step`: a name of the code
            else (difflib.get_close_matches(name.rpartition(".")[2], known, n=6, cutoff=0.6))
        )
        full = [c for c in sorted(REGISTRY) if c.rpartition(".")[2] in close]
        if full:
            return self.error(f"unknown schedule {name!r}; did you mean {', '.join(full[:3])}?", node)
        return self.error(
            f"unknown schedule {name!r} (a spec reads no names or calls from your code: write the value "
            "it holds, e.g. T_max=90, not T_max=args.epochs)",
            node,
        )

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (bool, int, float, str)):
                return node.value
            raise self.error(f"unsupported literal {node.value!r}", node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.Dict):
            return self.mapping(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.value(node.operand)
            if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                raise self.error("a sign can only stand before a number", node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.multiply(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Lambda):
            raise self.error("a lambda is Python code, which a spec never runs", node)
        name = _dotted(node)
        if name is not None:
            if resolve(name, REGISTRY) is not None:
                raise self.error(f"{name!r} is a schedule: call it, e.g. {name}(...)", node)
            raise self.unknown(name, node)
        raise self.error(f"unsupported syntax ({type(node).__name__})", node)

    def mapping(self, node: ast.Dict) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise self.error("a dict in a spec has string keys ('**' is not supported)", key or item)
            if key.value in out:
                raise self.error(f"the key {key.value!r} is given twice", key)
            out[key.value] = self.value(item)
        return out

    def multiply(self, node: ast.BinOp) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        try:
            if isinstance(left, Schedule) and isinstance(right, Schedule):
                return build("product", [[left, right]], {})
            if isinstance(left, Schedule):
                left, right = right, left
            if isinstance(right, Schedule) and isinstance(left, (int, float)) and not isinstance(left, bool):
                return build("scale", [right, left], {})
        except ValueError as error:
            raise self.error(str(error), node) from None
        raise self.error("'*' multiplies two schedules, or a number and a schedule", node)

    def is_optimizer(self, node: ast.expr, keyword: bool) -> bool:
        """A bare name or attribute chain that names no schedule (an optimizer, in code).

        ``optimizer=None`` too, as a keyword: torch's ChainedScheduler has that default.
        """
        if keyword and isinstance(node, ast.Constant) and node.value is None:
            return True
        name = _dotted(node)
        return name is not None and resolve(name, REGISTRY) is None

    def call(self, node: ast.Call) -> Any:
        name, args, kwargs = self.arguments(node)
        try:
            return build(name, args, kwargs)
        except (ValueError, TypeError) as error:
            raise self.error(str(error), node) from None

    def arguments(self, node: ast.Call) -> tuple[str, list[Any], dict[str, Any]]:
        """The registry name a call names and its argument values (the optimizer left out)."""
        dotted = _dotted(node.func)
        if dotted is None:
            raise self.error("only registered schedule names can be called", node)
        name = resolve(dotted, REGISTRY)
        if name is None:
            bare = dotted.rpartition(".")[2]
            if bare in _FUNCTION_CLASSES and resolve(dotted.replace(bare, "StepLR"), REGISTRY):
                why = _FUNCTION_CLASSES[bare]
                raise self.error(f"{why}, which a spec never runs; {_FUNCTION_ARGUMENTS['lr_lambda']}", node)
            raise self.unknown(dotted, node.func)
        position = optimizer_position(name)
        positional = list(node.args)
        if (
            position is not None
            and len(positional) > position
            and self.is_optimizer(positional[position], False)
        ):
            del positional[position]  # the optimizer, as the code passes it: not part of the schedule
        args: list[Any] = []
        for arg in positional:
            if isinstance(arg, ast.Starred):
                raise self.error("'*' arguments are not supported", arg)
            if name == "transformers.get_scheduler" and not args and _dotted(arg) is not None:
                args.append(self.scheduler_type(arg))  # get_scheduler(SchedulerType.COSINE, ...)
                continue
            args.append(self.value(arg))
        kwargs: dict[str, Any] = {}
        seen: set[str] = set()
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error("'**' arguments are not supported", keyword)
            if keyword.arg in seen:
                raise self.error(f"keyword argument {keyword.arg!r} is given twice", keyword)
            if keyword.arg in _FUNCTION_ARGUMENTS and (
                isinstance(keyword.value, ast.Lambda) or _dotted(keyword.value) is not None
            ):
                raise self.error(
                    f"`{keyword.arg}` holds a Python function, which a spec never runs; "
                    f"{_FUNCTION_ARGUMENTS[keyword.arg]}",
                    keyword.value,
                )
            seen.add(keyword.arg)
            if keyword.arg == "optimizer" and position is not None and self.is_optimizer(keyword.value, True):
                continue  # optimizer=optimizer, as the code passes it
            kwargs[keyword.arg] = self.value(keyword.value)
        return name, args, kwargs

    def scheduler_type(self, node: ast.expr) -> str:
        """transformers' ``SchedulerType.COSINE`` (any module path before it) as its value, "cosine"."""
        dotted = _dotted(node) or ""
        owner, _, member = dotted.rpartition(".")
        if owner.rpartition(".")[2] != "SchedulerType":
            raise self.error(
                f"{dotted!r} is not a scheduler name: write a string or SchedulerType.NAME", node
            )
        return member.lower()


def parse(spec: str) -> Schedule:
    """Build the schedule a spec string describes.

    Args:
        spec: an expression such as ``"warmup(cosine(end=0.1), steps=2)"`` or
            ``"CosineAnnealingLR(T_max=10, eta_min=0.001)"``.

    Raises:
        SpecError: (a ValueError) the spec does not parse, names an unknown schedule or argument,
            or has a bad argument value; the message gives the column and the closest known names.

    Example:
        >>> from lrkit import parse
        >>> parse("warmup(cosine(end=0.1), steps=2)")
        warmup(cosine(end=0.1), steps=2)
        >>> parse("__import__('os')")
        Traceback (most recent call last):
        ...
        lrkit.spec.SpecError: unknown schedule '__import__' (...) at column 1 in spec "__import__('os')"
    """
    if not isinstance(spec, str):
        raise TypeError(f"a spec is a string. Received: {spec!r}")
    if len(spec) > MAX_LENGTH:
        raise SpecError(f"a spec is at most {MAX_LENGTH} characters long", spec[:40] + "...")
    try:
        spec.encode("utf-8")
    except UnicodeEncodeError as error:
        character = spec[error.start]
        raise SpecError(
            f"the spec holds {character!r} (U+{ord(character):04X}), which is not valid text "
            "(a lone surrogate, as left by a bad decoding)",
            spec,
            error.start + 1,
        ) from None
    try:
        tree = ast.parse(spec.strip(), mode="eval")
    except SyntaxError as error:
        raise SpecError(f"invalid syntax ({error.msg})", spec, error.offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise SpecError("the spec is too deeply nested", spec) from None
    if group_calls(spec) is not None:
        raise SpecError(
            "per-group lists (one value per parameter group, as torch takes them) describe one "
            "schedule per group: pass the spec to lrkit.Scheduler (it applies one per param group, "
            "as torch does); `lrkit table` shows one column per group; "
            "lrkit.spec.group_schedules(spec, groups) gives each group's schedule",
            spec,
            1,
        )
    try:
        result = _Builder(spec.strip()).value(tree.body)
    except RecursionError:
        raise SpecError("the spec is too deeply nested", spec) from None
    if not isinstance(result, Schedule):
        raise SpecError(f"a spec must describe a schedule, not {result!r}", spec, 1)
    return result


def cycled_momentum(spec: str) -> Any:
    """The momentum a pasted torch ``OneCycleLR``/``CyclicLR`` cycles, or None.

    torch cycles the optimizer's momentum (``betas[0]`` for Adam) against the rate when
    ``cycle_momentum=True`` (its default): from `max_momentum` down to `base_momentum` as the rate
    rises, and back. For a spec whose outermost call is one of these two classes (any module path),
    this is the momentum as a schedule of values (`lrkit.presets.pytorch.momentum`: a `lerp`;
    resolve it with ``base=1.0``), a list of them with per-group lists; for any other spec, or
    ``cycle_momentum=False``, None.

    Raises:
        SpecError: the spec does not parse (as `parse`).

    Example:
        >>> m = cycled_momentum("OneCycleLR(optimizer, max_lr=0.1, total_steps=10)")
        >>> [round(m.resolve(10, base=1.0)(t), 4) for t in range(5)]
        [0.95, 0.9, 0.85, 0.855, 0.8688]
        >>> cycled_momentum("OneCycleLR(optimizer, 0.1, 10, cycle_momentum=False)") is None
        True
    """
    from lrkit.presets.pytorch import momentum

    calls = group_calls(spec)
    if calls is None:
        parse(spec)  # every check (and error) of the spec itself
        node = ast.parse(spec.strip(), mode="eval").body
        if not isinstance(node, ast.Call):
            return None
        calls = [_Builder(spec.strip()).arguments(node)]
    found = [momentum(name, args, kwargs) for name, args, kwargs in calls]
    if found[0] is None:
        return None
    return found[0] if len(found) == 1 else found


def group_schedules(spec: str, groups: int | None) -> tuple[list[Schedule], list[Schedule] | None]:
    """Each of `groups` parameter groups' rate schedule and cycled momentum, for a pasted spec.

    `groups` None: as many as the per-group lists hold (one without lists).

    What `lrkit.Scheduler` applies for a spec string: torch's per-group lists (``max_lr=[0.1,
    0.01]``, `group_calls`) give each group its own schedule; a torch ``OneCycleLR``/``CyclicLR``
    with ``cycle_momentum=True`` gives each group's momentum (`cycled_momentum`; schedules of
    values, for a base of 1.0), None otherwise. Any other spec: `parse`'s schedule for every group.

    Raises:
        SpecError: as `parse`; a list whose length is not `groups` (torch's message).

    Example:
        >>> lr, m = group_schedules("CyclicLR(opt, [0.01, 0.001], 0.1, step_size_up=2)", 2)
        >>> [s.resolve(base=1.0)(2) for s in lr], [s(2) for s in m]
        ([0.1, 0.1], [0.8, 0.8])
    """
    from lrkit.presets.pytorch import momentum

    calls = group_calls(spec, groups=groups)
    if calls is None:
        one, count = parse(spec), groups or 1
        cycled = cycled_momentum(spec)
        return [one] * count, None if cycled is None else [cycled] * count
    rates = []
    for name, args, kwargs in calls:
        try:
            rates.append(build(name, args, kwargs))
        except (ValueError, TypeError) as error:
            raise SpecError(str(error), spec, 1) from None
    found = [momentum(name, args, kwargs) for name, args, kwargs in calls]
    if any(m is None for m in found):
        return rates, None
    return rates, [m for m in found if m is not None]


#: torch arguments that take one value per parameter group (a list), as torch's signatures say.
PER_GROUP = {
    "CyclicLR": ("base_lr", "max_lr", "base_momentum", "max_momentum"),
    "OneCycleLR": ("max_lr", "base_momentum", "max_momentum"),
    "ReduceLROnPlateau": ("min_lr",),
}


def group_calls(spec: str, groups: int | None = None) -> list[tuple[str, list[Any], dict[str, Any]]] | None:
    """One call per parameter group when a torch call gives per-group lists (``max_lr=[0.1, 0.01]``).

    torch's CyclicLR, OneCycleLR and ReduceLROnPlateau take a list of values, one per parameter
    group, for the arguments in `PER_GROUP`. For such a spec (the outermost call), this is the
    call of each group: ``(name, [], kwargs)`` with every list replaced by the group's value; None
    when no list is given. `groups` is the number of parameter groups, when known.

    Raises:
        SpecError: lists of different lengths, or a length other than `groups` (torch's message:
            "max_lr must have the same length as optimizer.param_groups").

    Example:
        >>> calls = group_calls("OneCycleLR(optimizer, max_lr=[0.1, 0.01], total_steps=10)")
        >>> [kwargs["max_lr"] for _, _, kwargs in calls]
        [0.1, 0.01]
    """
    import inspect

    from lrkit.schedules import REGISTRY

    text = spec.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None  # `parse` says what is wrong
    if not isinstance(node, ast.Call):
        return None
    builder = _Builder(text)
    dotted = _dotted(node.func)
    if dotted is None or resolve(dotted, REGISTRY) not in PER_GROUP:
        return None
    name, args, kwargs = builder.arguments(node)
    try:
        bound = inspect.signature(REGISTRY[name]).bind(*args, **kwargs)
    except TypeError:
        return None  # `parse` says what is wrong
    given = {k: v for k, v in bound.arguments.items() if k in PER_GROUP[name] and isinstance(v, list)}
    if not given:
        return None
    lengths = {k: len(v) for k, v in given.items()}
    count = groups if groups is not None else next(iter(lengths.values()))
    for key, length in lengths.items():
        if length != count:
            other = "param_groups" if groups is not None else next(iter(lengths))
            raise builder.error(
                f"{key} must have the same length as optimizer.param_groups (torch's rule). "
                f"{key} has {length} values, {other} has {count}",
                node,
            )
    calls: list[tuple[str, list[Any], dict[str, Any]]] = []
    for g in range(count):
        values = {k: (v[g] if k in given else v) for k, v in bound.arguments.items()}
        calls.append((name, [], values))
    return calls
