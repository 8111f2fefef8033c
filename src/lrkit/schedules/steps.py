"""Step-shaped schedules: step decay, multi-step decay and piecewise constant values.

Convention (torch's and optax's): a milestone or boundary ``b`` acts *at* ``t = b``: the value
at step ``b`` is already the new one. (timm's MultiStepLRScheduler acts one step earlier, Keras'
PiecewiseConstantDecay one step later; their presets shift the positions.)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence as Seq
from typing import Any, ClassVar

import numpy as np

from lrkit._validate import check_length, check_lengths, check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, check_value, schedule_class
from lrkit.schedules._growth import first_overflow, overflow_error

__all__ = [
    "MultiStep",
    "PiecewiseConstant",
    "StepDecay",
    "multi_step",
    "piecewise_constant",
    "step_decay",
]


@schedule_class("step_decay")
class StepDecay(Schedule):
    """Multiply by `gamma` every `every` steps, forever.

    ``f(t) = gamma ** floor(t / every)`` (torch's StepLR, fvcore's StepWithFixedGammaParamScheduler).

    Open-ended: it needs no total unless `every` is a fraction of the run. The first decay acts at
    ``t = every`` (the value at step ``every`` is already ``gamma``).

    A `gamma` above 1 grows, as torch's StepLR does with it. The value then passes the largest
    float at a step known from `gamma` and `every` (``every * 1024`` for ``gamma=2``): resolving
    for a window that reaches it, or evaluating there, raises `ValueError` naming that
    step; no value is ever ``inf``.

    Args:
        every: the interval: int steps (>= 1) or a float fraction of the run in (0, 1].
        gamma: the factor applied at each interval, a finite number >= 0 (0 drops to 0 at the
            first interval, as in torch; above 1 the value grows). Default 0.1.

    Raises:
        ValueError: `every` not a positive length, `gamma` negative or not finite; a growth that
            overflows within the window it is resolved for, or at the step it is evaluated at.

    Example:
        >>> from lrkit import step_decay
        >>> s = step_decay(2, gamma=0.5)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
        >>> [step_decay(2, gamma=2.0)(t) for t in range(6)]
        [1.0, 1.0, 2.0, 2.0, 4.0, 4.0]
        >>> step_decay(1, gamma=2.0).resolve(total=2000)
        Traceback (most recent call last):
        ...
        ValueError: step_decay(1, gamma=2.0) grows past the largest float (1.8e308) from step 1024 on ...
    """

    every: int | float
    gamma: float = 0.1

    lengths = ("every",)
    positional = ("every",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "every", check_length("step_decay", "every", self.every, allow_none=False))
        gamma = check_number("step_decay", "gamma", self.gamma, low=0.0)
        object.__setattr__(self, "gamma", gamma)

    def _overflow(self) -> float:
        """The first step whose value is not finite (`inf` unless `gamma` > 1), computed once."""
        cached = self.__dict__.get("_cached_overflow")
        if cached is None:
            cached = first_overflow(self.gamma, float(self.every), whole=True)
            object.__setattr__(self, "_cached_overflow", cached)
        return float(cached)

    def _resolve(self, run: Run) -> Schedule:
        resolved = super()._resolve(run)
        if self.gamma > 1.0 and run.span is not None:
            at = resolved._overflow()  # type: ignore[attr-defined]
            if at < run.span:
                raise overflow_error(resolved, at, span=run.span)
        return resolved

    # NOTE: numpy's power over a one-element array (~0.6 us) runs the same loop as `_over`, so both
    # paths agree to the last bit (the C library's power differs from numpy's in the last bit for a
    # few percent of inputs). The value of the current interval is kept: most steps cost one
    # comparison.
    def _at(self, t: float) -> float:
        stair = math.floor(t / self.every)
        last = self.__dict__.get("_last_stair")
        if last is not None and last[0] == stair:
            return float(last[1])
        with np.errstate(over="ignore"):
            value = float(np.power(self.gamma, np.array([float(stair)])).item())
        if value == math.inf:
            raise overflow_error(self, self._overflow(), step=t)
        object.__setattr__(self, "_last_stair", (stair, value))
        return value

    def _over(self, t: FloatArray) -> FloatArray:
        with np.errstate(over="ignore"):
            out = np.asarray(np.power(self.gamma, np.floor(t / self.every)), dtype=np.float64)
        if self.gamma > 1.0 and out.size and out.max() == math.inf:
            raise overflow_error(self, self._overflow(), step=float(t.ravel()[np.argmax(out)]))
        return out


def _values(owner: str, values: Any) -> tuple[Any, ...]:
    """A list of value fields (factors or `absolute` values) as a tuple."""
    items = values.tolist() if isinstance(values, np.ndarray) else values
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise fail(owner, "values", items, "a list of factors", kind=TypeError)
    return tuple(check_value(owner, "values", item, signed=True) for item in items)


def _positions(owner: str, name: str, values: Any, *, increasing: bool) -> tuple[int | float, ...]:
    """Positions (milestones, boundaries) as a tuple of lengths: never mutates the caller's list."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    positions = check_lengths(owner, name, values, increasing=increasing)
    if not increasing and any(b < a for a, b in itertools.pairwise(positions)):
        raise fail(owner, name, list(positions), "non-decreasing (repeated milestones compound)")
    return positions


@schedule_class("multi_step")
class MultiStep(Schedule):
    """Multiply by `gamma` at each milestone; repeated milestones compound.

    ``f(t) = gamma ** (number of milestones m with m <= t)`` (torch's MultiStepLR).

    A milestone ``m`` acts at ``t = m``. A milestone listed twice multiplies by ``gamma ** 2``
    there, as in torch. Milestones given as fractions are rounded up to whole steps against the
    run's total; two of them may land on the same step, and then compound too.

    Boundaries: ``f(t) = 1`` for ``t`` before the first milestone; after the last one the value no
    longer changes (the horizon is the last milestone).

    Args:
        milestones: non-decreasing positions: int steps (>= 1) or float fractions of the run in
            (0, 1], not a mix. May be empty (then the value is 1).
        gamma: the factor applied at each milestone, a finite number > 0 (above 1 the value grows
            at each milestone). Default 0.1.

    Raises:
        ValueError: a milestone out of order, zero or negative, a mix of ints and fractions,
            ``gamma <= 0``, or a `gamma` so large that the last value is not finite.

    Example:
        >>> from lrkit import multi_step
        >>> s = multi_step([2, 4, 4], gamma=0.5)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    """

    milestones: Seq[int | float]  # a list is accepted; stored as a tuple
    gamma: float = 0.1

    lengths = ("milestones",)
    positional = ("milestones",)

    def __post_init__(self) -> None:
        milestones = _positions("multi_step", "milestones", self.milestones, increasing=False)
        object.__setattr__(self, "milestones", milestones)
        gamma = check_number("multi_step", "gamma", self.gamma, low=0.0, low_open=True)
        try:
            last = gamma ** len(milestones)
        except OverflowError:
            last = math.inf
        if not math.isfinite(last):
            raise fail(
                "multi_step", "gamma", self.gamma, f"small enough that gamma ** {len(milestones)} is finite"
            )
        object.__setattr__(self, "gamma", gamma)
        # The value after k milestones, for each k: `_at` is one bisect and one index.
        object.__setattr__(self, "_levels", tuple(gamma**k for k in range(len(milestones) + 1)))

    @property
    def horizon(self) -> float | None:
        if not all(isinstance(m, int) for m in self.milestones):
            return None
        return float(self.milestones[-1]) if self.milestones else 0.0

    _levels: ClassVar[tuple[float, ...]]  # set per instance in __post_init__ (not a field)

    def _at(self, t: float) -> float:
        return self._levels[bisect.bisect_right(self.milestones, t)]

    def _over(self, t: FloatArray) -> FloatArray:
        table = np.asarray(self._levels, dtype=np.float64)
        milestones = np.asarray(self.milestones, dtype=np.float64)
        return table[np.searchsorted(milestones, t, side="right")]


@schedule_class("piecewise_constant")
class PiecewiseConstant(Schedule):
    """Constant pieces: ``values[i]`` on ``[boundaries[i-1], boundaries[i])``.

    ``f(t) = values[number of boundaries b with b <= t]`` (optax's piecewise_constant_schedule with
    the products written out, fvcore's MultiStepParamScheduler, torch's ConstantLR).

    A boundary ``b`` acts at ``t = b``: the value at step ``b`` is already the next one.

    Boundaries: ``f(0) = values[0]`` (boundaries are >= 1); ``values[-1]`` from the last boundary
    on (the horizon).

    Args:
        boundaries: strictly increasing positions: int steps (>= 1) or float fractions of the run in
            (0, 1], not a mix.
        values: ``len(boundaries) + 1`` finite factors (each may be `absolute(v)`).

    Raises:
        ValueError: boundaries out of order or equal, a wrong number of values, a value that is
            not finite.
            Fractions that round to the same step act there together (the value between them
            holds for no step).

    Example:
        >>> from lrkit import piecewise_constant
        >>> s = piecewise_constant([3, 6], [1.0, 0.1, 0.01])
        >>> [s(t) for t in range(8)]
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01]
    """

    boundaries: Seq[int | float]  # a list is accepted; stored as a tuple
    # NOTE: this field shadows the `Schedule.values` class variable (the names of value fields), so
    # the class resolves its `absolute` values itself in `_resolve`.
    values: Seq[Any]  # type: ignore[misc, assignment]

    lengths = ("boundaries",)
    positional = ("boundaries", "values")

    def __post_init__(self) -> None:
        boundaries = _positions("piecewise_constant", "boundaries", self.boundaries, increasing=True)
        checked = _values("piecewise_constant", self.values)
        if len(checked) != len(boundaries) + 1:
            raise fail(
                "piecewise_constant",
                "values",
                list(checked),
                f"one more value than boundaries ({len(boundaries) + 1} for {len(boundaries)} boundaries)",
            )
        object.__setattr__(self, "boundaries", boundaries)
        object.__setattr__(self, "values", checked)

    def _resolve(self, run: Run) -> Schedule:
        bounds = run.length("piecewise_constant", "boundaries", self.boundaries)
        values = list(run.value("piecewise_constant", "values", self.values))
        # NOTE: fractions that round to the same step act there together: the value between them
        # holds for no step and is dropped (fvcore's StepParamScheduler with more values than steps).
        merged: list[int] = []
        kept = [values[0]]
        for b, value in zip(bounds, values[1:], strict=True):
            if merged and merged[-1] == b:
                kept[-1] = value
            else:
                merged.append(b)
                kept.append(value)
        bounds, values = tuple(merged), kept
        return PiecewiseConstant(bounds, tuple(values))

    @property
    def horizon(self) -> float | None:
        if not all(isinstance(b, int) for b in self.boundaries):
            return None
        return float(self.boundaries[-1]) if self.boundaries else 0.0

    def _arrays(self) -> tuple[FloatArray, FloatArray]:
        cached = self.__dict__.get("_cached_arrays")
        if cached is None:
            cached = (
                np.asarray(self.values, dtype=np.float64),
                np.asarray(self.boundaries, dtype=np.float64),
            )
            object.__setattr__(self, "_cached_arrays", cached)
        return cached  # type: ignore[no-any-return]

    def _at(self, t: float) -> float:
        return float(self.values[bisect.bisect_right(self.boundaries, t)])

    def _over(self, t: FloatArray) -> FloatArray:
        values, boundaries = self._arrays()
        return values[np.searchsorted(boundaries, t, side="right")]


step_decay = StepDecay
multi_step = MultiStep
piecewise_constant = PiecewiseConstant
