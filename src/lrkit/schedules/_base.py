"""The schedule base class: closed-form evaluation, lengths resolved against a run, configs.

A schedule maps a position in training (a step >= 0) to a dimensionless factor >= 0. It is a frozen
dataclass: immutable, comparable, printable as the spec that builds it, and convertible to plain
data with `to_config()`.

Lengths inside a schedule may be given before the run's length is known:

* an ``int`` is a number of steps;
* a ``float`` in (0, 1] is a fraction of the run's total, rounded up to whole steps;
* ``None`` is "the rest of the window this schedule sits in" (the whole run at the top level).

`Schedule.resolve(total)` replaces them with whole steps. Values (``start``, ``end``, ``peak``,
...) are factors; `absolute(v)` gives a value in the units of the scheduled hyperparameter instead
(an lr of 1e-3), turned into a factor by `Schedule.resolve(base=...)`.

(Over 400 lines for one job, the base class every schedule shares: registration, lengths,
resolving, configs and the tree operations depend on each other's private helpers.)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, ClassVar, TypeVar, dataclass_transform, overload

import numpy as np
import numpy.typing as npt

from lrkit._validate import MAX_STEPS, _short, check_int, check_number, fail

__all__ = [
    "REGISTRY",
    "Absolute",
    "FloatArray",
    "Path",
    "Run",
    "Schedule",
    "check_schedules",
    "check_value",
    "latest_horizon",
    "register",
    "scalar_power",
    "scalar_ufunc",
    "schedule_class",
]

FloatArray = npt.NDArray[np.float64]

#: Where a node sits in a schedule tree: field names, and (field, index) for tuple fields.
Path = tuple[str | tuple[str, int], ...]

#: The last step a schedule is evaluated at: 2**53, the last integer a float holds exactly and
#: the cap on every count (`lrkit._validate.MAX_STEPS`). Past it, ``t + 1 == t`` and a schedule's
#: arithmetic on steps (``pi * t / steps``, ``floor(t / every) * every``) can overflow.
_MAX_STEP = float(MAX_STEPS)

#: Arrays longer than this are evaluated block by block (see `Schedule.__call__`).
_CHUNK = 1 << 16

#: Every name the spec language and `from_config` know, mapped to the callable that builds it.
REGISTRY: dict[str, Callable[..., Any]] = {}

_C = TypeVar("_C", bound=type)
_F = TypeVar("_F", bound=Callable[..., Any])


def register(name: str) -> Callable[[_F], _F]:
    """Make `fn` known to the spec language and to `from_config` under `name`."""

    def decorate(fn: _F) -> _F:
        if name in REGISTRY:
            raise RuntimeError(f"the schedule name {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn

    return decorate


@dataclass_transform(frozen_default=True)
def schedule_class(name: str) -> Callable[[_C], _C]:
    """Turn a class into a frozen schedule dataclass registered under `name`."""

    def decorate(cls: _C) -> _C:
        # Schedules compare with `Schedule.__eq__`, which tells the int 1 (one step) from the float
        # 1.0 (the whole run); dataclass equality would not.
        typed_eq = hasattr(cls, "_key")
        made: _C = dataclasses.dataclass(frozen=True, repr=False, eq=not typed_eq)(cls)  # type: ignore[assignment]
        made.name = name  # type: ignore[attr-defined]
        register(name)(made)
        return made

    return decorate


@schedule_class("absolute")
class Absolute:
    """A value in the units of the scheduled hyperparameter (an lr of 1e-3), not a factor.

    When a schedule is resolved for a parameter group, ``absolute(v)`` becomes the factor
    ``v / base``, so that ``base * factor == v``. This is how torch's absolute arguments
    (``eta_min``, ``max_lr``, ``base_lr``, ``min_lr``) are written.

    Example:
        >>> from lrkit import cosine, absolute
        >>> s = cosine(steps=10, end=absolute(0.001)).resolve(base=0.1)
        >>> round(0.1 * s(10), 12)
        0.001
    """

    value: float

    name: ClassVar[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_number("absolute", "value", self.value, low=0.0))

    def __repr__(self) -> str:
        return f"absolute({self.value!r})"

    def to_config(self) -> dict[str, Any]:
        return {"type": "absolute", "value": self.value}


@dataclasses.dataclass(frozen=True)
class Run:
    """What is known when a schedule is resolved: the run's total, this node's span, the base."""

    total: int | None
    span: int | None
    base: float | None

    def within(self, span: int | None) -> Run:
        """The same run, seen by a child that has `span` steps available."""
        return Run(self.total, span, self.base)

    def length(self, owner: str, name: str, value: Any) -> Any:
        """Resolve a length (or a tuple of lengths) to whole steps."""
        if isinstance(value, tuple):
            return tuple(self.length(owner, name, item) for item in value)
        if value is None:
            if self.span is None:
                raise ValueError(
                    f"Argument `{name}` of {owner}() is None (the rest of the run), which needs the "
                    f"run's length: give `{name}=<steps>` or resolve with a total, "
                    f"e.g. schedule.resolve(total=1000)"
                )
            if self.span <= 0:
                raise ValueError(
                    f"Argument `{name}` of {owner}() is None (the rest of the run), but nothing is "
                    f"left of the run where it starts: make the run longer or give `{name}` in steps"
                )
            return self.span
        if isinstance(value, float):
            if self.total is None:
                raise ValueError(
                    f"Argument `{name}` of {owner}() is a fraction of the run ({value!r}), which needs "
                    f"the run's length: resolve with a total, e.g. schedule.resolve(total=1000)"
                )
            # Exact decimal arithmetic: 0.1 * 30 is 3 steps, not ceil(3.0000000000000004) = 4.
            return math.ceil(Fraction(repr(value)) * self.total)
        return value

    def value(self, owner: str, name: str, value: Any) -> Any:
        """Resolve an `absolute` value to a factor of the base."""
        if isinstance(value, tuple):
            return tuple(self.value(owner, name, item) for item in value)
        if not isinstance(value, Absolute):
            return value
        if self.base is None:
            raise ValueError(
                f"Argument `{name}` of {owner}() is {value!r}, which needs the base value it is a "
                f"fraction of: resolve with a base, e.g. schedule.resolve(base=0.1)"
            )
        if self.base == 0.0:
            raise ValueError(
                f"Argument `{name}` of {owner}() is {value!r}, which cannot be expressed as a factor "
                f"of a base value of 0: give the group a positive base value"
            )
        return value.value / self.base


def check_value(owner: str, name: str, value: Any, *, signed: bool = False) -> Any:
    """A value field: a finite factor >= 0 (any finite number if `signed`), or an `absolute` value.

    `signed` fields are those of the shapes whose formula holds for any sign (constant, linear,
    cosine, polynomial, piecewise values, scale, floor, ceiling, a linear or cosine warmup's
    start), as optax's schedules take negative values: a schedule is negative only where a
    negative number was given, and `lrkit.Scheduler` refuses to write a negative rate.
    """
    if isinstance(value, Absolute):
        return value
    return check_number(owner, name, value, low=-math.inf if signed else 0.0)


def check_schedules(owner: str, name: str, items: Any) -> tuple[Schedule, ...]:
    """A non-empty list or tuple of schedules, as a tuple, or raise."""
    if isinstance(items, Schedule) or not isinstance(items, (list, tuple)):
        raise fail(owner, name, items, "a list of schedules", kind=TypeError)
    checked = tuple(items)
    if not checked:
        raise fail(owner, name, list(checked), "a list of at least one schedule")
    if not all(isinstance(item, Schedule) for item in checked):
        raise fail(owner, name, list(checked), "a list of schedules", kind=TypeError)
    return checked


def latest_horizon(items: tuple[Schedule, ...]) -> float | None:
    """The latest horizon of schedules that all run at once; None if one of them keeps changing."""
    latest = 0.0
    for item in items:
        h = item.horizon
        if h is None:
            return None
        latest = max(latest, h)
    return latest


def scalar_power(x: float, exponent: float) -> float:
    """``x ** exponent`` for `_at`, bit-identical to numpy's vectorized power used by `_over`.

    NOTE: numpy's SIMD power, exp, log and tanh differ from the C library's (Python's `math`) in
    the last bit for a few percent of inputs, and the arithmetic after them can double that; a
    one-element array takes numpy's own code path, so `_at` and `_over` agree bit for bit.
    """
    return float(np.power(np.array([x]), exponent)[0])


def scalar_ufunc(ufunc: np.ufunc, x: float) -> float:
    """``ufunc(x)`` (np.exp, np.log, np.tanh, ...) for `_at`, bit-identical to `_over`'s results."""
    return float(ufunc(np.array([x]))[0])


def _plain(value: Any) -> Any:
    """Plain JSON data for a field value."""
    if isinstance(value, (Schedule, Absolute)):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def _typed(value: Any) -> Any:
    """A comparison key that keeps the type of numbers: 1 (steps) differs from 1.0 (a fraction)."""
    if isinstance(value, tuple):
        return tuple(_typed(item) for item in value)
    if isinstance(value, (bool, int, float)):
        return (type(value).__name__, value)
    return value


def _literal(value: Any) -> str:
    """A field value written in the spec language."""
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


class Schedule:
    """Base class of every schedule: a pure function from a step to a factor.

    Subclasses are frozen dataclasses (see `schedule_class`) that implement `_at` (one step, with
    `math`) and `_over` (an array of steps, with numpy); both receive steps >= 0 and agree to the
    last bit or within one ulp.
    """

    name: ClassVar[str] = ""
    #: Fields that hold lengths: int steps, float fractions of the run, or None.
    lengths: ClassVar[tuple[str, ...]] = ()
    #: Fields that hold values which may be `absolute`.
    values: ClassVar[tuple[str, ...]] = ()
    #: Leading fields written without their name in the repr.
    positional: ClassVar[tuple[str, ...]] = ()

    # -- evaluation ---------------------------------------------------------------------------

    @overload
    def __call__(self, step: float) -> float: ...

    @overload
    def __call__(self, step: npt.ArrayLike) -> FloatArray: ...

    def __call__(self, step: Any) -> Any:
        """The factor at `step` (a number) or at each step of an array, as a float or an array.

        Steps are in [0, 2**53] (the cap on every count); each evaluation takes a time that does
        not grow with the step.
        """
        if isinstance(step, numbers.Real):
            try:
                t = float(step)
            except OverflowError:  # an int past the float range
                t = math.inf
            if not 0.0 <= t <= _MAX_STEP:
                shown = _short(step)
                raise ValueError(f"A schedule is evaluated at steps in [0, 2**53]. Received: step={shown!r}")
            self._require_resolved()
            return self._at(t)
        steps = np.asarray(step, dtype=np.float64)
        if steps.size and not (steps.min() >= 0.0 and steps.max() <= _MAX_STEP):
            raise ValueError("A schedule is evaluated at steps in [0, 2**53]; the array holds other values")
        self._require_resolved()
        if steps.size <= _CHUNK:
            return self._over(steps)
        # NOTE: evaluated in blocks that fit in the CPU's cache: a composite makes several passes
        # over its input, and over a whole 1,000,000-step curve each pass would go to memory
        # (measured: warmup+cosine 19 ms whole, 11 ms in blocks of 2**16). Every `_over` is
        # elementwise, so the values are the same.
        flat = steps.ravel()
        out = np.empty(flat.shape, dtype=np.float64)
        for start in range(0, flat.size, _CHUNK):
            out[start : start + _CHUNK] = self._over(flat[start : start + _CHUNK])
        return out.reshape(steps.shape)

    def _at(self, t: float) -> float:
        raise NotImplementedError

    def _over(self, t: FloatArray) -> FloatArray:
        raise NotImplementedError

    @property
    def horizon(self) -> float | None:
        """The step after which the value no longer changes; None if it keeps changing."""
        return None

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, total: int | None = None, *, base: float | None = None) -> Schedule:
        """This schedule with fractions and open lengths turned into steps, absolute values into factors.

        Args:
            total: the run's length in steps (in the scheduler's unit), an int >= 1.
            base: the base value of the parameter group, for `absolute` values.

        Raises:
            ValueError: a length needs the total and none is given, a warmup or phase is longer
                than the run, and so on.
        """
        if total is not None:
            total = check_int("resolve", "total", total, low=1)
        if base is not None:
            base = check_number("resolve", "base", base, low=0.0)
        return self._resolve(Run(total, total, base))

    def _resolve(self, run: Run) -> Schedule:
        changes: dict[str, Any] = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            old = getattr(self, field.name)
            if field.name in self.lengths:
                new = run.length(self.name, field.name, old)
            elif field.name in self.values:
                new = run.value(self.name, field.name, old)
            elif isinstance(old, Schedule):
                new = old._resolve(self._child_run(run, field.name))
            elif isinstance(old, tuple) and old and all(isinstance(item, Schedule) for item in old):
                new = tuple(item._resolve(self._child_run(run, field.name)) for item in old)
            else:
                continue
            if new != old or type(new) is not type(old):
                changes[field.name] = new
        return dataclasses.replace(self, **changes) if changes else self  # type: ignore[type-var]

    def _child_run(self, run: Run, field: str) -> Run:
        """The run a child schedule in `field` sees (combinators narrow the span)."""
        return run

    @property
    def is_resolved(self) -> bool:
        """True when every length is in steps and every value is a factor."""
        cached = self.__dict__.get("_unresolved")
        if cached is None:
            cached = self._unresolved_reason() or ""
            object.__setattr__(self, "_unresolved", cached)
        return cached == ""

    def _unresolved_reason(self) -> str | None:
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if field.name in self.lengths and (item is None or isinstance(item, float)):
                    what = "the rest of the run" if item is None else "a fraction of the run"
                    return f"`{field.name}` of {self.name}() is {what}"
                if isinstance(item, Absolute):
                    return f"`{field.name}` of {self.name}() is {item!r}, which needs the base value"
                if isinstance(item, Schedule):
                    reason = item._unresolved_reason()
                    if reason:
                        return reason
        return None

    def _require_resolved(self) -> None:
        if not self.is_resolved:
            raise ValueError(
                f"{self!r} cannot be evaluated yet: {self._unresolved_reason()}. "
                f"Resolve it first, e.g. schedule.resolve(total=1000, base=0.1)"
            )

    # -- structure ------------------------------------------------------------------------------

    def children(self) -> Iterator[Schedule]:
        """The schedules this one is built from, in field order."""
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, Schedule):
                yield value
            elif isinstance(value, tuple):
                yield from (item for item in value if isinstance(item, Schedule))

    def walk(self, path: Path = ()) -> Iterator[tuple[Path, Schedule]]:
        """Every node of the tree with its path (field names, and indices into tuple fields)."""
        yield path, self
        for key, child in self._child_items():
            yield from child.walk((*path, key))

    def _child_items(self) -> Iterator[tuple[str | tuple[str, int], Schedule]]:
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, Schedule):
                yield field.name, value
            elif isinstance(value, tuple):
                for i, item in enumerate(value):
                    if isinstance(item, Schedule):
                        yield (field.name, i), item

    def active(self, t: float, path: Path = ()) -> Iterator[tuple[Path, Schedule]]:
        """The nodes whose value matters at step `t` (the phase in effect, not the others)."""
        yield path, self
        for key, child, child_t in self._active_children(t):
            yield from child.active(child_t, (*path, key))

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        """Children in effect at `t`, with the step each of them sees; combinators override."""
        for key, child in self._child_items():
            yield key, child, t

    def replace_at(self, path: Path, node: Schedule) -> Schedule:
        """A copy of this tree with the node at `path` replaced by `node`."""
        if not path:
            return node
        key, rest = path[0], path[1:]
        if isinstance(key, tuple):
            name, index = key
            items = list(getattr(self, name))
            items[index] = items[index].replace_at(rest, node)
            return dataclasses.replace(self, **{name: tuple(items)})  # type: ignore[type-var]
        child = getattr(self, key)
        return dataclasses.replace(self, **{key: child.replace_at(rest, node)})  # type: ignore[type-var]

    def _key(self) -> tuple[Any, ...]:
        return tuple(_typed(getattr(self, f.name)) for f in dataclasses.fields(self))  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def to_config(self) -> dict[str, Any]:
        """Plain JSON data (dicts, lists, numbers, strings) that `lrkit.from_config` rebuilds."""
        config: dict[str, Any] = {"type": self.name}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            config[field.name] = _plain(getattr(self, field.name))
        return config

    def __repr__(self) -> str:
        parts: list[str] = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if field.name in self.positional:
                parts.append(_literal(value))
                continue
            if field.default is not dataclasses.MISSING:
                default = field.default
                if value == default and type(value) is type(default):
                    continue
            parts.append(f"{field.name}={_literal(value)}")
        return f"{self.name}({', '.join(parts)})"
