"""fvcore's param schedulers and detectron2's WarmupParamScheduler, as lrkit compositions.

Each function is registered as ``fvcore.<Class>`` in the spec language (detectron2's warmup also
as ``detectron2.WarmupParamScheduler``) and takes the class's arguments with fvcore's names.

fvcore schedules are functions of the progress ``where`` in [0, 1), not of a step. lrkit maps a
step to it the way detectron2's ``LRMultiplier`` does: ``where = t / total``, where ``total`` is
the run's length given when the schedule is resolved (``schedule.resolve(total=max_iter)``,
``lrkit table SPEC --steps max_iter``). The presets' lengths are therefore fractions of the run,
or "the rest of the run": nothing to pass but the total. A milestone or phase boundary acts at
the first whole step at or after it (where fvcore's ``where = t / total`` first reaches it), and a
rescaled phase of ``CompositeParamScheduler`` reads its scheduler at its exact progress (a
`window`), so the values are fvcore's at every step for any ``total``. fvcore fuzzes its
boundaries by ``WHERE_EPSILON = 1e-6``; lrkit does not (a boundary less than ``1e-6`` past a
step's progress, not on it, acts a step later than in fvcore).

fvcore schedules return the value itself: the lrkit factor is that value, so
``lrkit table SPEC --lr 1`` prints fvcore's numbers (detectron2 multiplies it by the base rate, as
lrkit's scheduler does with the base rate as ``--lr``). After the end (``where >= 1``, where fvcore
raises or extrapolates) every preset holds its last value.

No new math lives here: every function returns a composition of the core's primitives.

(Over 400 lines for one job, fvcore's names: one function per fvcore class with its
signature, checks and a docstring with an example, which are half the file.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence as SequenceType
from fractions import Fraction
from typing import Any

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules import (
    PiecewiseConstant,
    Schedule,
    cosine,
    exponential,
    linear,
    piecewise_constant,
    polynomial,
    sequence,
    warmup,
    window,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules._base import register

__all__ = [
    "CompositeParamScheduler",
    "ConstantParamScheduler",
    "CosineParamScheduler",
    "ExponentialParamScheduler",
    "LinearParamScheduler",
    "MultiStepParamScheduler",
    "PolynomialDecayParamScheduler",
    "StepParamScheduler",
    "StepWithFixedGammaParamScheduler",
    "WarmupParamScheduler",
]

#: The run length used to read a schedule's value at progress 0 (any length gives the same value).
_PROBE = 1_000_000


def _at_most(fraction: Fraction) -> float:
    """The float fraction of the run whose decimal value is closest to `fraction` without exceeding it.

    lrkit rounds a fraction ``f`` of a run of ``N`` steps up to ``ceil(f * N)`` with the decimal
    value of ``repr(f)``; ``7 / 12`` is ``0.5833333333333334``, a hair above 7/12, which would put
    milestone 7 of 12 at step 8 of a 12-step run. One float lower keeps it at step 7.
    """
    value = float(fraction)
    if Fraction(repr(value)) > fraction:
        value = math.nextafter(value, 0.0)
    return value


def _value(owner: str, name: str, value: Any) -> float:
    return check_number(owner, name, value, low=0.0)


def _values(owner: str, values: Any) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, SequenceType) or not values:
        raise fail(owner, "values", values, "a non-empty list of values", kind=TypeError)
    return tuple(_value(owner, "values", v) for v in values)


def _steps_of(values: tuple[float, ...], boundaries: list[float]) -> Schedule:
    if not boundaries:
        return _constant(values[0])
    return piecewise_constant(tuple(boundaries), values)


@register("fvcore.ConstantParamScheduler")
def ConstantParamScheduler(value: float) -> Schedule:
    """fvcore's ``ConstantParamScheduler``: `value` everywhere. lrkit: ``constant(value)``.

    Args:
        value: >= 0.

    Raises:
        ValueError: a negative value.

    Example:
        >>> ConstantParamScheduler(0.3)(5)
        0.3
    """
    return _constant(_value("fvcore.ConstantParamScheduler", "value", value))


@register("fvcore.CosineParamScheduler")
def CosineParamScheduler(start_value: float, end_value: float) -> Schedule:
    """fvcore's ``CosineParamScheduler``: ``end + 0.5 * (start - end) * (1 + cos(pi * where))``.

    lrkit: ``cosine(start_value, end_value)`` over the whole run.

    Args:
        start_value: >= 0.
        end_value: >= 0 (may be above `start_value`: a rising half cosine).

    Raises:
        ValueError: a negative value.

    Example:
        >>> s = CosineParamScheduler(1.0, 0.1).resolve(total=10)
        >>> [round(s(t), 5) for t in (0, 5, 10)]
        [1.0, 0.55, 0.1]
    """
    owner = "fvcore.CosineParamScheduler"
    return cosine(_value(owner, "start_value", start_value), _value(owner, "end_value", end_value))


@register("fvcore.ExponentialParamScheduler")
def ExponentialParamScheduler(start_value: float, decay: float) -> Schedule:
    """fvcore's ``ExponentialParamScheduler``: ``start_value * decay ** where``.

    lrkit: ``exponential(start=start_value, end=start_value * decay)`` over the whole run (the
    geometric form ``start * (end / start) ** (t / total)``).

    Args:
        start_value: >= 0.
        decay: the factor reached at the end of the run, > 0.

    Raises:
        ValueError: a negative `start_value`, ``decay <= 0``.

    Example:
        >>> s = ExponentialParamScheduler(2.0, 0.02).resolve(total=10)
        >>> [round(s(t), 5) for t in (0, 5, 10)]
        [2.0, 0.28284, 0.04]
    """
    owner = "fvcore.ExponentialParamScheduler"
    start = _value(owner, "start_value", start_value)
    rate = check_number(owner, "decay", decay, low=0.0, low_open=True)
    if start == 0.0:
        return _constant(0.0)
    return exponential(start=start, end=start * rate)


@register("fvcore.LinearParamScheduler")
def LinearParamScheduler(start_value: float, end_value: float) -> Schedule:
    """fvcore's ``LinearParamScheduler``: ``end * where + start * (1 - where)``.

    lrkit: ``linear(start_value, end_value)`` over the whole run.

    Args:
        start_value: >= 0.
        end_value: >= 0.

    Raises:
        ValueError: a negative value.

    Example:
        >>> s = LinearParamScheduler(0.0, 1.0).resolve(total=4)
        >>> [s(t) for t in range(5)]
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    owner = "fvcore.LinearParamScheduler"
    return linear(_value(owner, "start_value", start_value), _value(owner, "end_value", end_value))


@register("fvcore.MultiStepParamScheduler")
def MultiStepParamScheduler(
    values: SequenceType[float], num_updates: int | None = None, milestones: SequenceType[int] | None = None
) -> Schedule:
    """fvcore's ``MultiStepParamScheduler``: ``values[i]`` from milestone ``i`` on.

    fvcore's value at ``where`` is ``values[bisect_right(milestones, int(where * num_updates))]``
    (milestone ``m`` acts at ``where = m / num_updates``). Without `milestones` they are spaced by
    ``ceil(num_updates / len(values))``; without `num_updates` it is the last milestone. lrkit:
    ``piecewise_constant([m / num_updates, ...], values)`` with the milestones as fractions of
    the run (scale-invariant, like fvcore).

    Args:
        values: the values, >= 0.
        num_updates: the number of epochs the milestones count in, an int >= len(values).
        milestones: strictly increasing ints >= 1 below `num_updates` (``len(values) - 1`` of
            them, or ``len(values)`` when `num_updates` is None).

    Raises:
        ValueError: as fvcore: neither `num_updates` nor `milestones`, a wrong number of
            milestones, milestones out of order or not below `num_updates`.

    Example:
        >>> s = MultiStepParamScheduler([1.0, 0.1, 0.01], num_updates=90, milestones=[30, 60])
        >>> r = s.resolve(total=90)
        >>> [r(29), r(30), r(60)]
        [1.0, 0.1, 0.01]
    """
    owner = "fvcore.MultiStepParamScheduler"
    vals = _values(owner, values)
    if num_updates is None and milestones is None:
        raise fail(owner, "num_updates", num_updates, "an int when `milestones` is None", kind=TypeError)
    if milestones is None:
        updates = check_int(owner, "num_updates", num_updates, low=1)
        width = -(-updates // len(vals))
        marks = [width * (i + 1) for i in range(len(vals) - 1)]
    else:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, SequenceType):
            raise fail(owner, "milestones", milestones, "a list of ints", kind=TypeError)
        marks = [check_int(owner, "milestones", m, low=1) for m in milestones]
        wanted = len(vals) - (num_updates is not None)
        if len(marks) != wanted:
            raise fail(owner, "milestones", list(milestones), f"a list of {wanted} milestones")
        if num_updates is None:
            updates, marks = marks[-1], marks[:-1]
        else:
            updates = check_int(owner, "num_updates", num_updates, low=1)
    if updates < len(vals):
        raise fail(owner, "num_updates", updates, f">= len(values) = {len(vals)}")
    if any(b <= a for a, b in itertools.pairwise(marks)) or (marks and marks[-1] >= updates):
        raise fail(owner, "milestones", marks, f"strictly increasing and < num_updates={updates}")
    return _steps_of(vals, [_at_most(Fraction(m, updates)) for m in marks])


@register("fvcore.PolynomialDecayParamScheduler")
def PolynomialDecayParamScheduler(base_value: float, power: float) -> Schedule:
    """fvcore's ``PolynomialDecayParamScheduler``: ``base_value * (1 - where) ** power``.

    lrkit: ``polynomial(base_value, 0.0, power=power)`` over the whole run.

    Args:
        base_value: >= 0.
        power: > 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = PolynomialDecayParamScheduler(1.0, 2.0).resolve(total=4)
        >>> [s(t) for t in range(5)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0]
    """
    owner = "fvcore.PolynomialDecayParamScheduler"
    exponent = check_number(owner, "power", power, low=0.0, low_open=True)
    return polynomial(_value(owner, "base_value", base_value), 0.0, power=exponent)


@register("fvcore.StepParamScheduler")
def StepParamScheduler(num_updates: int, values: SequenceType[float]) -> Schedule:
    """fvcore's ``StepParamScheduler``: ``values[int(where * len(values))]``, equal parts of the run.

    lrkit: ``piecewise_constant([1/n, 2/n, ...], values)`` with ``n = len(values)``
    (`num_updates` does not change the curve: fvcore only checks it).

    Args:
        num_updates: an int >= 1.
        values: the values, >= 0, at least one.

    Raises:
        ValueError: ``num_updates < 1``, no values.

    Example:
        >>> s = StepParamScheduler(120, [1.0, 0.1]).resolve(total=10)
        >>> [s(t) for t in (0, 4, 5, 9)]
        [1.0, 1.0, 0.1, 0.1]
    """
    owner = "fvcore.StepParamScheduler"
    check_int(owner, "num_updates", num_updates, low=1)
    vals = _values(owner, values)
    return _steps_of(vals, [_at_most(Fraction(i, len(vals))) for i in range(1, len(vals))])


@register("fvcore.StepWithFixedGammaParamScheduler")
def StepWithFixedGammaParamScheduler(
    base_value: float, num_decays: int, gamma: float, num_updates: int
) -> Schedule:
    """fvcore's ``StepWithFixedGammaParamScheduler``: `num_decays` equal decays by `gamma` over the run.

    The values are ``base_value * gamma ** i`` for ``i = 0..num_decays`` (multiplied in turn, as
    fvcore does), each for ``1 / (num_decays + 1)`` of the run. lrkit: `StepParamScheduler` of
    those values, a ``piecewise_constant``.

    Args:
        base_value: > 0.
        num_decays: an int >= 1.
        gamma: > 0.
        num_updates: an int >= 1.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = StepWithFixedGammaParamScheduler(1.0, 3, 0.5, 120).resolve(total=8)
        >>> [s(t) for t in range(0, 8, 2)]
        [1.0, 0.5, 0.25, 0.125]
    """
    owner = "fvcore.StepWithFixedGammaParamScheduler"
    base = check_number(owner, "base_value", base_value, low=0.0, low_open=True)
    g = check_number(owner, "gamma", gamma, low=0.0, low_open=True)
    decays = check_int(owner, "num_decays", num_decays, low=1)
    values = [base]
    for _ in range(decays):
        values.append(values[-1] * g)
    return StepParamScheduler(num_updates, values)


_SCALINGS = ("rescaled", "fixed")


def _rescaled(phase: Schedule, start: Fraction, end: Fraction) -> Schedule:
    """`phase` seeing its own progress in ``[start, end)`` of the run (fvcore's "rescaled").

    A step child's positions (fractions of its window) become fractions of the run; any other
    child is a `window` of the run, fractions kept exact.
    """
    if not isinstance(phase, PiecewiseConstant) or not all(isinstance(b, float) for b in phase.boundaries):
        return window(phase, float(start), float(end))
    length = end - start
    return piecewise_constant(
        tuple(_at_most(start + length * Fraction(repr(b))) for b in phase.boundaries), phase.values
    )


@register("fvcore.CompositeParamScheduler")
def CompositeParamScheduler(
    schedulers: SequenceType[Schedule], lengths: SequenceType[float], interval_scaling: SequenceType[str]
) -> Schedule:
    """fvcore's ``CompositeParamScheduler``: schedulers one after another over fractions of the run.

    Scheduler ``i`` runs on ``[sum(lengths[:i]), sum(lengths[:i + 1]))``. With ``"rescaled"`` it
    sees its own progress in that window (``(where - start) / length``); with ``"fixed"`` it sees
    the global ``where``. lrkit: ``sequence(schedulers, boundaries, clock="global")`` with the
    boundaries as fractions; a rescaled scheduler is ``window(scheduler, start, end)``, which
    reads it at ``(t - start * total) / length`` with the exact fractions, so a window that starts
    or ends between two steps (0.25 of 37 steps) gives fvcore's values; a rescaled step scheduler
    has its positions mapped into the run. A scheduler whose window holds no whole step never
    acts, as in fvcore.

    Args:
        schedulers: lrkit schedules (in a spec: ``fvcore.<Class>(...)`` calls).
        lengths: one fraction per scheduler, each in (0, 1], summing to 1 (within 1e-3, as fvcore
            checks; the last one is then whatever is left).
        interval_scaling: "rescaled" or "fixed", one per scheduler.

    Raises:
        ValueError: lists of different lengths, lengths that do not sum to 1, an unknown scaling.

    Example:
        >>> s = CompositeParamScheduler(
        ...     [ConstantParamScheduler(0.42), CosineParamScheduler(0.42, 1e-4)],
        ...     lengths=[0.3, 0.7], interval_scaling=["rescaled", "rescaled"])
        >>> r = s.resolve(total=10)
        >>> [round(r(t), 5) for t in (0, 2, 3, 10)]
        [0.42, 0.42, 0.42, 0.0001]
    """
    owner = "fvcore.CompositeParamScheduler"
    phases = tuple(schedulers) if isinstance(schedulers, (list, tuple)) else ()
    if not phases:
        raise fail(owner, "schedulers", schedulers, "a non-empty list of schedules", kind=TypeError)
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, SequenceType):
        raise fail(owner, "lengths", lengths, "a list of fractions", kind=TypeError)
    parts = [check_number(owner, "lengths", x, low=0.0, high=1.0, low_open=True) for x in lengths]
    if len(parts) != len(phases):
        raise fail(owner, "lengths", list(lengths), f"one fraction per scheduler ({len(phases)})")
    if abs(sum(parts) - 1.0) >= 1e-3:
        raise fail(owner, "lengths", list(lengths), "fractions summing to 1")
    if isinstance(interval_scaling, (str, bytes)) or not isinstance(interval_scaling, SequenceType):
        raise fail(
            owner, "interval_scaling", interval_scaling, "a list of 'rescaled' or 'fixed'", kind=TypeError
        )
    scalings = [check_choice(owner, "interval_scaling", s, _SCALINGS) for s in interval_scaling]
    if len(scalings) != len(phases):
        raise fail(
            owner, "interval_scaling", list(interval_scaling), f"one scaling per scheduler ({len(phases)})"
        )
    # Exact decimal sums: 0.1 + 0.2 is the boundary 0.3 (fvcore's WHERE_EPSILON hides the float sum).
    exact = list(itertools.accumulate(Fraction(repr(x)) for x in parts[:-1]))
    bounds = [_at_most(b) for b in exact]
    if len(phases) == 1:
        only: Schedule = phases[0]
        return only
    # NOTE: every phase is on the global clock. A rescaled child is a `window` of the run: it sees
    # ``(where - start) / length`` from the exact fractions, not rounded to whole steps (fvcore's
    # `__call__`). A step child (StepParamScheduler, MultiStepParamScheduler: `piecewise_constant`
    # at fractions) has its positions mapped into the run instead, where its steps act.
    edges = [Fraction(0), *exact, Fraction(1)]
    placed = tuple(
        _rescaled(phase, edges[i], edges[i + 1]) if scalings[i] == "rescaled" else phase
        for i, phase in enumerate(phases)
    )
    return sequence(placed, tuple(bounds), clock="global")


_METHODS = ("linear", "constant")


@register("fvcore.WarmupParamScheduler")
@register("detectron2.WarmupParamScheduler")
def WarmupParamScheduler(
    scheduler: Schedule,
    warmup_factor: float,
    warmup_length: float,
    warmup_method: str = "linear",
    rescale_interval: bool = False,
) -> Schedule:
    """detectron2's ``WarmupParamScheduler``: a warmup in front of any scheduler, on the global clock.

    The first `warmup_length` of the run goes from ``warmup_factor * scheduler(0)`` to
    ``scheduler(warmup_length)`` (linearly, or stays at the start with "constant"), then the
    scheduler continues on the global progress (its value at ``warmup_length`` is where the ramp
    ended: no jump). lrkit: ``warmup(scheduler, steps=warmup_length, start=warmup_factor * s0,
    clock="global")``. With ``rescale_interval=True`` the scheduler instead restarts on its own
    progress over the rest of the run (detectron2 still ends the ramp at
    ``scheduler(warmup_length)``).

    Args:
        scheduler: the lrkit schedule warmed up (in a spec: an ``fvcore.<Class>(...)`` call).
        warmup_factor: the start as a fraction of ``scheduler(0)``, >= 0.
        warmup_length: the warmup's fraction of the run, in (0, 1).
        warmup_method: "linear" or "constant".
        rescale_interval: restart the scheduler's progress after the warmup.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = WarmupParamScheduler(CosineParamScheduler(1.0, 0.0), 0.001, 0.1).resolve(total=20)
        >>> [round(s(t), 5) for t in (0, 1, 2, 10)]
        [0.001, 0.48826, 0.97553, 0.5]
    """
    owner = "detectron2.WarmupParamScheduler"
    if not isinstance(scheduler, Schedule):
        raise fail(owner, "scheduler", scheduler, "a schedule", kind=TypeError)
    factor = _value(owner, "warmup_factor", warmup_factor)
    length = check_number(
        owner, "warmup_length", warmup_length, low=0.0, high=1.0, low_open=True, high_open=True
    )
    check_choice(owner, "warmup_method", warmup_method, _METHODS)
    if not isinstance(rescale_interval, bool):
        raise fail(owner, "rescale_interval", rescale_interval, "True or False", kind=TypeError)
    # NOTE: the scheduler's value at progress 0 does not depend on the run's length.
    start = factor * scheduler.resolve(total=_PROBE)(0.0)
    head: Schedule
    if warmup_method == "linear":
        head = warmup(scheduler, steps=length, start=start, clock="global")
    else:
        head = sequence((_constant(start), scheduler), (length,), clock="global")
    if not rescale_interval:
        return head
    return sequence((head, window(scheduler, length, 1.0)), (length,), clock="global")
