"""optax's schedules (``optax.schedules``) by their own names, as lrkit compositions.

Each function is registered as ``optax.<name>`` in the spec language and takes optax's arguments
with optax's names and defaults. optax schedules return the **value itself** (an absolute rate,
not a multiplier): the lrkit schedule's factor is that value, so ``lrkit table SPEC --lr 1`` prints
optax's numbers, and a torch scheduler built on it with a base rate of 1 applies them.

Conventions follow optax: ``count`` starts at 0; a boundary ``b`` acts at ``count = b``;
``join_schedules`` restarts each schedule's clock at its boundary; decays hold their end value.

Where optax logs and falls back (``transition_steps <= 0``, ``decay_rate == 0``, a negative
``transition_begin`` in ``exponential_decay``, ``polynomial_schedule``, ``linear_schedule`` and
``warmup_constant_schedule``), lrkit gives optax's result and warns with optax's sentence.
A ``decay_rate > 1`` (growth) is accepted, as in optax. So are negative values (``init_value``,
``peak_value``, ``end_value``, ``alpha``): optax computes them with the same formulas, and so does
lrkit (``lrkit table`` prints optax's numbers); `lrkit.Scheduler` refuses to write a negative
learning rate, as torch's optimizers do ("Invalid learning rate").

No new math lives here: every function returns a composition of the core's primitives.

(Over 400 lines for one job, optax's names: one function per optax schedule, each with optax's
signature, its argument checks and a docstring with the exact math and a runnable example, which
are most of the file; splitting them would scatter one library's conventions.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from lrkit._validate import MAX_STEPS, check_choice, check_int, check_number, fail
from lrkit.schedules import (
    Schedule,
    ceiling,
    exponential,
    floor,
    piecewise_constant,
    piecewise_linear,
    plateau,
    polynomial,
    scale,
    sequence,
    warmup,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules import cosine as _cosine
from lrkit.schedules import linear as _linear
from lrkit.schedules._base import register

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "reduce_on_plateau",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def _value(owner: str, name: str, value: Any) -> float:
    """A value of the schedule: any finite number (optax takes negative values too)."""
    return check_number(owner, name, value)


def _fallback(sentence: str) -> None:
    """optax's logged fallback, as a warning (optax logs it at INFO level and goes on)."""
    warnings.warn(f"{sentence} (optax logs this and goes on)", UserWarning, stacklevel=3)


def _begin(owner: str, schedule: Schedule, init: float, transition_begin: Any) -> Schedule:
    """`schedule` delayed by `transition_begin` steps, `init` before (optax's ``transition_begin``)."""
    begin = check_int(owner, "transition_begin", transition_begin, low=0)
    if begin == 0:
        return schedule
    return sequence((_constant(init), schedule), (begin,))


def _pairs(owner: str, boundaries_and_scales: Any) -> list[tuple[int, float]]:
    """``{step: scale}`` (or a list of ``[step, scale]`` pairs, for specs) sorted by step."""
    if boundaries_and_scales is None:
        return []
    if isinstance(boundaries_and_scales, Mapping):
        items = list(boundaries_and_scales.items())
    elif isinstance(boundaries_and_scales, (list, tuple)):
        items = []
        for pair in boundaries_and_scales:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise fail(
                    owner,
                    "boundaries_and_scales",
                    boundaries_and_scales,
                    "a dict {step: scale} or a list of [step, scale] pairs",
                    kind=TypeError,
                )
            items.append((pair[0], pair[1]))
    else:
        raise fail(
            owner, "boundaries_and_scales", boundaries_and_scales, "a dict {step: scale}", kind=TypeError
        )
    steps = [check_int(owner, "boundaries_and_scales", step, low=0) for step, _ in items]
    if len(set(steps)) != len(steps):
        raise fail(owner, "boundaries_and_scales", boundaries_and_scales, "distinct steps")
    scales = [check_number(owner, "boundaries_and_scales", s) for _, s in items]
    if any(s < 0.0 for s in scales):  # optax's own check and sentence
        raise fail(
            owner,
            "boundaries_and_scales",
            boundaries_and_scales,
            f"non-negative scales (optax: '`{owner[len('optax.') :]}` expects non-negative scale factors')",
        )
    return sorted(zip(steps, scales, strict=True))


def _cumulative(init: float, pairs: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    """Boundaries (> 0) and the values between them, products accumulated as optax does."""
    value = init
    bounds: list[int] = []
    values = [init]
    for step, factor in pairs:
        value = value * factor
        if step == 0:
            values[0] = value
        else:
            bounds.append(step)
            values.append(value)
    return bounds, values


@register("optax.constant_schedule")
def constant_schedule(value: float) -> Schedule:
    """optax's ``constant_schedule``: `value` at every count. lrkit: ``constant(value)``.

    Args:
        value: the value, any finite number (negative too, as in optax).

    Raises:
        ValueError: a non-finite `value`.

    Example:
        >>> constant_schedule(0.3)(1000)
        0.3
    """
    return _constant(_value("optax.constant_schedule", "value", value))


@register("optax.polynomial_schedule")
def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """optax's ``polynomial_schedule``: ``(I - E) * (1 - (t - B) / T) ** power + E``, clamped.

    ``I`` before ``B = transition_begin``, ``E`` from ``B + T`` on. lrkit:
    ``polynomial(I, E, power=power, steps=T)`` behind ``constant(I)`` for ``B`` steps.

    Args:
        init_value: ``I``, any finite number (negative too, as in optax).
        end_value: ``E``, any finite number.
        power: >= 0 (0: the constant ``I``, as optax's ``0 ** 0 == 1``).
        transition_steps: ``T``, an int (``T <= 0``: the constant ``I``, as optax, with its
            logged sentence as a warning).
        transition_begin: ``B``, an int (< 0 counts as 0, as in optax, with a warning).

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = polynomial_schedule(1.0, 0.1, power=2, transition_steps=4, transition_begin=2)
        >>> [round(s(t), 5) for t in range(8)]
        [1.0, 1.0, 1.0, 0.60625, 0.325, 0.15625, 0.1, 0.1]
    """
    owner = "optax.polynomial_schedule"
    init = _value(owner, "init_value", init_value)
    end = _value(owner, "end_value", end_value)
    exponent = check_number(owner, "power", power, low=0.0)
    steps, begin = _polynomial_lengths(owner, transition_steps, transition_begin)
    if steps <= 0 or exponent == 0.0:  # optax: (1 - p) ** 0 is 1 at every count, the end too
        return _constant(init)
    return _begin(owner, polynomial(init, end, power=exponent, steps=steps), init, begin)


def _polynomial_lengths(owner: str, transition_steps: Any, transition_begin: Any) -> tuple[int, int]:
    """optax's `polynomial_schedule` fallbacks: ``T <= 0`` is a constant, ``B < 0`` counts as 0."""
    steps = check_int(owner, "transition_steps", transition_steps, low=-MAX_STEPS)
    begin = check_int(owner, "transition_begin", transition_begin, low=-MAX_STEPS)
    if steps <= 0:
        _fallback(
            "A polynomial schedule was set with a non-positive `transition_steps` value; this results "
            "in a constant schedule with value `init_value`."
        )
    elif begin < 0:
        _fallback(
            "A polynomial schedule was set with a negative `transition_begin` value; this will result "
            "in `transition_begin` falling back to `0`."
        )
        begin = 0
    return steps, begin


@register("optax.linear_schedule")
def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """optax's ``linear_schedule``: from `init_value` to `end_value` over `transition_steps`, held.

    ``I + (t - B) / T * (E - I)`` for ``B <= t < B + T``; lrkit: ``linear(I, E, steps=T)``
    behind ``constant(I)`` for ``B`` steps.

    Args:
        init_value: ``I``, any finite number (negative too, as in optax).
        end_value: ``E``, any finite number.
        transition_steps: ``T``, an int (``T <= 0``: the constant ``I``, as in optax, with a
            warning).
        transition_begin: ``B``, an int (< 0 counts as 0, as in optax, with a warning).

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = linear_schedule(0.0, 1.0, transition_steps=4, transition_begin=1)
        >>> [s(t) for t in range(7)]
        [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    owner = "optax.linear_schedule"
    init = _value(owner, "init_value", init_value)
    end = _value(owner, "end_value", end_value)
    steps, begin = _polynomial_lengths(owner, transition_steps, transition_begin)
    if steps <= 0:
        return _constant(init)
    return _begin(owner, _linear(init, end, steps=steps), init, begin)


@register("optax.piecewise_constant_schedule")
def piecewise_constant_schedule(init_value: float, boundaries_and_scales: Any = None) -> Schedule:
    """optax's ``piecewise_constant_schedule``: `init_value` times every scale whose step is <= t.

    lrkit: ``piecewise_constant(boundaries, values)`` with the products written out (a boundary
    acts at ``t = b``, as in optax).

    Args:
        init_value: any finite number (negative too, as in optax).
        boundaries_and_scales: ``{step: scale}`` (steps >= 0, scales >= 0 as optax requires); in
            a spec, a list of ``[step, scale]`` pairs. None: a constant.

    Raises:
        ValueError: a negative scale or step; TypeError: not a dict or list of pairs.

    Example:
        >>> s = piecewise_constant_schedule(1.0, {3: 0.1, 6: 0.1})
        >>> [round(s(t), 6) for t in range(8)]
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01]
    """
    owner = "optax.piecewise_constant_schedule"
    init = _value(owner, "init_value", init_value)
    bounds, values = _cumulative(init, _pairs(owner, boundaries_and_scales))
    if not bounds:
        return _constant(values[0])
    return piecewise_constant(tuple(bounds), tuple(values))


_INTERPOLATIONS = ("linear", "cosine")


@register("optax.piecewise_interpolate_schedule")
def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Any = None
) -> Schedule:
    """optax's ``piecewise_interpolate_schedule``: linear or cosine moves between accumulated values.

    With boundaries ``b_1 < ... < b_n`` and values ``v_0 = init_value``,
    ``v_i = v_{i-1} * scale_i``: from ``v_{i-1}`` at ``b_{i-1}`` (``b_0 = 0``) to ``v_i`` at
    ``b_i``, then ``v_n``. lrkit: ``piecewise_linear([0, b_1, ...], [v_0, v_1, ...])`` for
    "linear"; a `sequence` of ``cosine(v_{i-1}, v_i, steps=b_i - b_{i-1})`` for "cosine".

    Args:
        interpolate_type: "linear" or "cosine".
        init_value: ``v_0``, any finite number (negative too, as in optax).
        boundaries_and_scales: ``{step: scale}``, or a list of ``[step, scale]`` pairs.

    Raises:
        ValueError: an unknown type, a negative scale or step.

    Example:
        >>> s = piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.1})
        >>> [round(s(t), 5) for t in (0, 2, 4, 6, 8, 9)]
        [1.0, 0.55, 0.1, 0.055, 0.01, 0.01]
    """
    owner = "optax.piecewise_interpolate_schedule"
    check_choice(owner, "interpolate_type", interpolate_type, _INTERPOLATIONS)
    init = _value(owner, "init_value", init_value)
    bounds, values = _cumulative(init, _pairs(owner, boundaries_and_scales))
    if not bounds:
        return _constant(values[0])
    if interpolate_type == "linear":
        return piecewise_linear((0, *bounds), tuple(values))
    starts = [0, *bounds]
    phases = [_cosine(values[i], values[i + 1], steps=starts[i + 1] - starts[i]) for i in range(len(bounds))]
    return sequence((*phases, _constant(values[-1])), tuple(bounds))


@register("optax.exponential_decay")
def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """optax's ``exponential_decay``: ``init_value * decay_rate ** ((t - B) / transition_steps)``.

    `init_value` up to ``B = transition_begin``; with ``staircase`` the exponent is floored.
    `end_value` bounds the value: a floor while ``decay_rate < 1``, a ceiling otherwise (optax's
    ``clip_fn``). lrkit: ``floor(scale(exponential(rate=decay_rate, every=transition_steps,
    staircase=staircase), init_value), end_value)`` behind ``constant(init_value)`` for ``B``
    steps; a growth with a ceiling holds `end_value` once it is reached.

    As in optax, ``transition_steps <= 0`` and ``decay_rate == 0`` give the constant
    `init_value`, and a negative `transition_begin` counts as 0; optax logs these fallbacks and
    lrkit warns with optax's sentence (`UserWarning`).

    Args:
        init_value: any finite number (negative too, as in optax: the curve rises to 0, or
            falls without bound when ``decay_rate > 1``).
        transition_steps: an int (<= 0: the constant `init_value`).
        decay_rate: >= 0 (optax's fractional powers of a negative rate are NaN: refused); above
            1 the value grows (a run long enough to overflow the float range
            without an `end_value` is refused, naming the step).
        transition_begin: an int (< 0 counts as 0).
        staircase: decay in whole intervals of `transition_steps`.
        end_value: the bound, any finite number, or None.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = exponential_decay(1.0, transition_steps=2, decay_rate=0.5, staircase=True)
        >>> [s(t) for t in range(7)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
        >>> s = exponential_decay(1.0, transition_steps=1, decay_rate=2.0, end_value=5.0)
        >>> [s(t) for t in range(5)]
        [1.0, 2.0, 4.0, 5.0, 5.0]
    """
    owner = "optax.exponential_decay"
    init = _value(owner, "init_value", init_value)
    every = check_int(owner, "transition_steps", transition_steps, low=-MAX_STEPS)
    rate = check_number(owner, "decay_rate", decay_rate, low=0.0)
    if not isinstance(staircase, bool):
        raise fail(owner, "staircase", staircase, "True or False", kind=TypeError)
    begin = check_int(owner, "transition_begin", transition_begin, low=-MAX_STEPS)
    end = None if end_value is None else _value(owner, "end_value", end_value)
    if every <= 0:
        _fallback(
            "An exponential schedule was set with a non-positive `transition_steps` value; this will "
            "result in a constant schedule with value `init_value`."
        )
        return _constant(init)
    if rate == 0.0:
        _fallback(
            "An exponential schedule was set with a zero `decay_rate` value; this will result in a "
            "constant schedule with value `init_value`."
        )
        return _constant(init)
    if begin < 0:
        _fallback(
            "An exponential schedule was set with a negative `transition_begin` value; this will "
            "result in `transition_begin` falling back to `0`."
        )
        begin = 0
    # NOTE: optax clips every value, the ones before `transition_begin` too.
    clip = init if end is None else (max(init, end) if rate < 1.0 else min(init, end))
    if rate == 1.0 or init == 0.0 or (rate > 1.0 and init > 0.0 and end is not None and end <= init):
        return _constant(clip)  # flat: rate 1, 0 times anything, or a growth already at its ceiling
    return _decay(init, every, rate, staircase, end, begin)


def _decay(init: float, every: int, rate: float, staircase: bool, end: float | None, begin: int) -> Schedule:
    """`exponential_decay` past its constant cases: ``init * rate ** p`` bounded by `end`, from `begin`."""
    curve: Schedule = scale(exponential(rate=rate, every=every, staircase=staircase), init)
    if end is not None and (rate < 1.0 or init < 0.0):
        # optax's clip: a floor while decaying, a ceiling for a growth; a negative `init` growing
        # moves away from 0, below its ceiling (which acts first, then never again).
        curve = floor(curve, end) if rate < 1.0 else ceiling(curve, end)
    elif end is not None:
        # A growth reaches its ceiling `end` at a step known from the logs; the curve is read up to
        # a little past it (one more interval for rounding), then `end` holds: the power is never
        # evaluated where it could overflow.
        exponent = (math.log(end) - math.log(init)) / math.log(rate)  # end / init may overflow
        reach = (math.ceil(exponent) * every if staircase else math.ceil(exponent * every)) + every + 1
        if reach < 2**53:
            curve = sequence((ceiling(curve, end), _constant(end)), (reach,))
        else:  # a rate so close to 1 that the ceiling is not reached at any step lrkit evaluates
            curve = ceiling(curve, end)
    if begin == 0:
        return curve
    head = init if end is None else (max(init, end) if rate < 1.0 else min(init, end))
    return sequence((_constant(head), curve), (begin,))


@register("optax.cosine_decay_schedule")
def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """optax's ``cosine_decay_schedule``: ``I * ((1 - a) * (0.5 * (1 + cos(pi t / T))) ** p + a)``.

    Held at ``a * I`` from ``T = decay_steps`` on. lrkit:
    ``cosine(I, a * I, steps=T, exponent=p)``.

    Args:
        init_value: ``I``, any finite number (negative too, as in optax).
        decay_steps: ``T``, an int >= 1.
        alpha: ``a``, the end as a fraction of `init_value`, any finite number (optax does not
            bound it: above 1 the curve rises).
        exponent: ``p``, > 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = cosine_decay_schedule(1.0, 8, alpha=0.1, exponent=2.0)
        >>> [round(s(t), 5) for t in (0, 4, 8, 9)]
        [1.0, 0.325, 0.1, 0.1]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    owner = "optax.cosine_decay_schedule"
    init = _value(owner, "init_value", init_value)
    steps = check_int(owner, "decay_steps", decay_steps, low=1)
    a = check_number(owner, "alpha", alpha)
    return _cosine(init, init * a, steps=steps, exponent=exponent)


@register("optax.warmup_constant_schedule")
def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """optax's ``warmup_constant_schedule``: linear from `init_value` to `peak_value`, then held.

    lrkit: ``linear(init_value, peak_value, steps=warmup_steps)``.

    Args:
        init_value: any finite number (negative too, as in optax).
        peak_value: any finite number.
        warmup_steps: an int (optax's ``linear_schedule``: ``<= 0`` gives ``init_value``
            forever, with optax's sentence as a warning).

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = warmup_constant_schedule(0.0, 1.0, warmup_steps=4)
        >>> [s(t) for t in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    owner = "optax.warmup_constant_schedule"
    init = _value(owner, "init_value", init_value)
    peak = _value(owner, "peak_value", peak_value)
    steps, _ = _polynomial_lengths(owner, warmup_steps, 0)
    if steps <= 0:
        return _constant(init)  # optax: linear_schedule(init, peak, 0) is init forever
    return _linear(init, peak, steps=steps)


def _warm(owner: str, schedule: Schedule, init: float, warmup_steps: Any) -> Schedule:
    steps = check_int(owner, "warmup_steps", warmup_steps, low=0)
    return warmup(schedule, steps=steps, start=init) if steps else schedule


@register("optax.warmup_cosine_decay_schedule")
def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """optax's ``warmup_cosine_decay_schedule``: a linear warmup joined to a cosine decay.

    Linear from ``I`` to ``P`` over ``W`` steps, then a cosine from ``P`` to ``E`` over
    ``D - W`` steps (`decay_steps` **includes** the warmup), then ``E``. lrkit:
    ``warmup(cosine(P, E, steps=D - W, exponent=p), steps=W, start=I)``.

    Args:
        init_value: ``I``, any finite number (negative too, as in optax).
        peak_value: ``P``, any finite number (with ``P = 0`` optax decays to 0, not to ``E``).
        warmup_steps: ``W``, an int >= 0.
        decay_steps: ``D``, an int > W.
        end_value: ``E``, any finite number. Default 0.
        exponent: ``p``, > 0. Default 1.

    Raises:
        ValueError: an argument outside its range, ``decay_steps <= warmup_steps``.

    Example:
        >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=10, end_value=0.1)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 10, 11)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]
    """
    owner = "optax.warmup_cosine_decay_schedule"
    init = _value(owner, "init_value", init_value)
    peak = _value(owner, "peak_value", peak_value)
    end = _value(owner, "end_value", end_value)
    w = check_int(owner, "warmup_steps", warmup_steps, low=0)
    d = check_int(owner, "decay_steps", decay_steps, low=1)
    if d <= w:
        raise fail(owner, "decay_steps", decay_steps, f"> warmup_steps={w} (it includes the warmup)")
    decay = _cosine(peak, end if peak else 0.0, steps=d - w, exponent=exponent)
    return _warm(owner, decay, init, w)


@register("optax.warmup_exponential_decay_schedule")
def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """optax's ``warmup_exponential_decay_schedule``: a linear warmup joined to `exponential_decay`.

    Linear from ``I`` to ``P`` over ``W`` steps, then ``exponential_decay(P, ...)`` on its own
    clock. lrkit: ``warmup(<optax.exponential_decay(P, ...)>, steps=W, start=I)``.

    Args:
        init_value: ``I``, any finite number (negative too, as in optax).
        peak_value: ``P``, any finite number.
        warmup_steps: ``W``, an int >= 0.
        transition_steps, decay_rate, transition_begin, staircase, end_value: as in
            `exponential_decay`.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 2, transition_steps=2, decay_rate=0.5)
        >>> [round(s(t), 5) for t in range(7)]
        [0.0, 0.5, 1.0, 0.70711, 0.5, 0.35355, 0.25]
    """
    owner = "optax.warmup_exponential_decay_schedule"
    init = _value(owner, "init_value", init_value)
    peak = _value(owner, "peak_value", peak_value)
    decay = exponential_decay(peak, transition_steps, decay_rate, transition_begin, staircase, end_value)
    steps = check_int(owner, "warmup_steps", warmup_steps, low=0)
    if steps and decay(0) != peak:
        # `end_value` bounds the decay from its first count: optax's ramp still ends at `peak_value`
        # and the decay takes over at `warmup_steps` (a jump); lrkit's warmup would ramp to it.
        return sequence((_linear(init, peak, steps=steps), decay), (steps,))
    return _warm(owner, decay, init, steps)


@register("optax.join_schedules")
def join_schedules(schedules: Iterable[Schedule], boundaries: Iterable[int]) -> Schedule:
    """optax's ``join_schedules``: one schedule after another, each on its own clock.

    Schedule ``i + 1`` takes over at ``boundaries[i]`` and sees ``t - boundaries[i]``. lrkit:
    ``sequence(schedules, boundaries)``.

    Args:
        schedules: lrkit schedules (in a spec: ``optax.<name>(...)`` calls or any schedule).
        boundaries: ``len(schedules) - 1`` strictly increasing ints >= 1.

    Raises:
        ValueError: boundaries out of order or of the wrong number.

    Example:
        >>> s = join_schedules([linear_schedule(0.0, 1.0, 2), constant_schedule(0.5)], [2])
        >>> [s(t) for t in range(4)]
        [0.0, 0.5, 0.5, 0.5]
    """
    owner = "optax.join_schedules"
    bounds = tuple(check_int(owner, "boundaries", b, low=1) for b in boundaries)
    return sequence(tuple(schedules), bounds)


_SGDR_KEYS = ("init_value", "peak_value", "warmup_steps", "decay_steps", "end_value", "exponent")


@register("optax.sgdr_schedule")
def sgdr_schedule(cosine_kwargs: Iterable[Any]) -> Schedule:
    """optax's ``sgdr_schedule``: `warmup_cosine_decay_schedule` cycles joined one after another.

    Cycle ``i`` lasts its ``decay_steps``. lrkit: ``sequence`` of the cycles'
    ``optax.warmup_cosine_decay_schedule(**kwargs)``.

    Args:
        cosine_kwargs: one dict of `warmup_cosine_decay_schedule` arguments per cycle; in a spec,
            a list of positional argument lists ``[init_value, peak_value, warmup_steps,
            decay_steps, end_value, exponent]`` (the last two optional).

    Raises:
        ValueError: no cycle, or a cycle's arguments out of range.

    Example:
        >>> cycle = {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 1, "decay_steps": 4}
        >>> s = sgdr_schedule([cycle, cycle])
        >>> [round(s(t), 5) for t in range(9)]
        [0.0, 1.0, 0.75, 0.25, 0.0, 1.0, 0.75, 0.25, 0.0]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    owner = "optax.sgdr_schedule"
    cycles: list[Schedule] = []
    bounds: list[int] = []
    step = 0
    items = list(cosine_kwargs) if isinstance(cosine_kwargs, (list, tuple)) else None
    if not items:
        raise fail(owner, "cosine_kwargs", cosine_kwargs, "a non-empty list of dicts", kind=TypeError)
    for kwargs in items:
        if isinstance(kwargs, Mapping):
            args = dict(kwargs)
        elif isinstance(kwargs, (list, tuple)) and 4 <= len(kwargs) <= 6:
            args = dict(zip(_SGDR_KEYS, kwargs, strict=False))
        else:
            raise fail(
                owner,
                "cosine_kwargs",
                cosine_kwargs,
                "a list of dicts (or of 4-6 argument lists)",
                kind=TypeError,
            )
        cycles.append(warmup_cosine_decay_schedule(**args))
        step += int(args["decay_steps"])
        bounds.append(step)
    return cycles[0] if len(cycles) == 1 else sequence(tuple(cycles), tuple(bounds[:-1]))


def _onecycle_points(owner: str, transition_steps: Any, fractions: list[Any]) -> tuple[int, list[int]]:
    steps = check_int(owner, "transition_steps", transition_steps, low=1)
    return steps, [int(f * steps) for f in fractions]


@register("optax.linear_onecycle_schedule")
def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """optax's ``linear_onecycle_schedule``: up to the peak, back down, then to the final value.

    optax's piecewise interpolation through ``(0, P/d)``, ``(int(pct_start T), P)``,
    ``(int(pct_final T), P/d)``, ``(T, P/d/f)``: the peak is at ``int(pct_start * T)`` (torch's
    OneCycleLR peaks one step earlier). lrkit: `piecewise_interpolate_schedule` "linear", that is
    ``piecewise_linear``.

    Args:
        transition_steps: ``T``, an int >= 1.
        peak_value: ``P``, any finite number (negative too, as in optax).
        pct_start: in (0, 1). pct_final: in (pct_start, 1). The three points must be distinct
            whole steps.
        div_factor: ``d``, > 0. final_div_factor: ``f``, > 0.

    Raises:
        ValueError: an argument outside its range, or points that fall on the same step.

    Example:
        >>> s = linear_onecycle_schedule(10, 1.0)
        >>> [round(s(t), 5) for t in (0, 3, 8, 10)]
        [0.04, 1.0, 0.04, 0.0]
    """
    owner = "optax.linear_onecycle_schedule"
    peak = _value(owner, "peak_value", peak_value)
    start = check_number(owner, "pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
    final = check_number(owner, "pct_final", pct_final, low=start, high=1.0, low_open=True, high_open=True)
    div = check_number(owner, "div_factor", div_factor, low=0.0, low_open=True)
    final_div = check_number(owner, "final_div_factor", final_div_factor, low=0.0, low_open=True)
    steps, (a, b) = _onecycle_points(owner, transition_steps, [start, final])
    if not 0 < a < b < steps:
        raise fail(
            owner,
            "transition_steps",
            transition_steps,
            f"long enough that int(pct_start * T)={a} and int(pct_final * T)={b} "
            "are distinct steps in (0, T)",
        )
    return piecewise_interpolate_schedule(
        "linear", peak / div, [[a, div], [b, 1.0 / div], [steps, 1.0 / final_div]]
    )


@register("optax.cosine_onecycle_schedule")
def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """optax's ``cosine_onecycle_schedule``: a cosine up to the peak, then a cosine down.

    optax's cosine interpolation from ``P/d`` at 0 to ``P`` at ``a = int(pct_start * T)``, then to
    ``P/(d f)`` at ``T``. lrkit: `piecewise_interpolate_schedule` "cosine", that is a `sequence`
    of two ``cosine`` phases and the final constant.

    Args:
        transition_steps: ``T``, an int >= 1.
        peak_value: ``P``, any finite number (negative too, as in optax).
        pct_start: in (0, 1), with ``0 < int(pct_start * T) < T``.
        div_factor: ``d``, > 0. final_div_factor: ``f``, > 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = cosine_onecycle_schedule(10, 1.0)
        >>> [round(s(t), 5) for t in (0, 1, 3, 10)]
        [0.04, 0.28, 1.0, 0.0]

    Reference: Smith & Topin, "Super-Convergence", 2017.
    """
    owner = "optax.cosine_onecycle_schedule"
    peak = _value(owner, "peak_value", peak_value)
    start = check_number(owner, "pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
    div = check_number(owner, "div_factor", div_factor, low=0.0, low_open=True)
    final_div = check_number(owner, "final_div_factor", final_div_factor, low=0.0, low_open=True)
    steps, (a,) = _onecycle_points(owner, transition_steps, [start])
    if not 0 < a < steps:
        raise fail(
            owner,
            "transition_steps",
            transition_steps,
            f"long enough that int(pct_start * T)={a} is a step in (0, T)",
        )
    return piecewise_interpolate_schedule("cosine", peak / div, [[a, div], [steps, 1.0 / (div * final_div)]])


@register("optax.reduce_on_plateau")
def reduce_on_plateau(
    factor: float = 0.1,
    patience: int = 10,
    rtol: float = 1e-4,
    atol: float = 0.0,
    cooldown: int = 0,
    accumulation_size: int = 1,
    min_scale: float = 0.0,
) -> Schedule:
    """optax's ``contrib.reduce_on_plateau``: scale by `factor` after `patience` bad losses.

    optax multiplies its updates by a scale that drops by `factor` when the loss has not improved
    (``loss < (1 - rtol) * best - atol``) for `patience` consecutive evaluations (at the
    `patience`-th, Keras' convention, one earlier than torch), never below `min_scale`. lrkit:
    ``plateau(factor, patience, threshold=rtol, threshold_mode="rel", cooldown, min=min_scale,
    convention="keras")`` (or ``threshold=atol, threshold_mode="abs"`` when ``rtol == 0``), fed
    with `lrkit.Scheduler.observe`.

    Args:
        factor: in (0, 1). Default 0.1.
        patience: an int >= 1. Default 10.
        rtol: >= 0. atol: >= 0. lrkit's plateau has one threshold: one of them must be 0.
        cooldown: an int >= 0.
        accumulation_size: must be 1 (optax's averaging of several losses per evaluation is not
            a plateau option: average the metric before observing it).
        min_scale: the floor, any finite number (<= 0: no floor, as in optax, whose scale stays
            above 0).

    Raises:
        ValueError: both `rtol` and `atol` > 0, ``accumulation_size != 1``, an argument out of range.

    Example:
        >>> s = reduce_on_plateau(factor=0.5, patience=2)
        >>> s(0), s.reduced()(0)
        (1.0, 0.5)
    """
    owner = "optax.reduce_on_plateau"
    r = check_number(owner, "rtol", rtol, low=0.0)
    a = check_number(owner, "atol", atol, low=0.0)
    if r and a:
        raise fail(
            owner, "atol", atol, "0 when rtol > 0 (lrkit's plateau has one threshold, relative or absolute)"
        )
    size = check_int(owner, "accumulation_size", accumulation_size, low=1)
    if size != 1:
        raise fail(
            owner, "accumulation_size", accumulation_size, "1 (average the metric before observing it)"
        )
    return plateau(
        factor=factor,
        patience=patience,
        threshold=r if r or not a else a,
        threshold_mode="rel" if r or not a else "abs",
        cooldown=cooldown,
        # optax: max(scale * factor, min_scale) with a scale > 0, so a min_scale <= 0 never acts
        min=max(check_number(owner, "min_scale", min_scale), 0.0),
        eps=0.0,
        convention="keras",
    )
