"""transformers' schedules (``transformers.get_scheduler``) by their own names, as lrkit compositions.

Each function is registered as ``transformers.<name>`` in the spec language and takes the name's
arguments as ``get_scheduler`` does: ``num_warmup_steps``, ``num_training_steps`` and the
scheduler-specific keyword arguments (``num_cycles``, ``power``, ``lr_end``, ``timescale``,
``min_lr``, ``min_lr_rate``, ...), without the optimizer. The result is a **multiplier** of each
parameter group's base rate, as transformers' ``LambdaLR`` is: ``lr = base * schedule(t)`` where
``t`` counts ``scheduler.step()`` calls (``lrkit table SPEC --lr BASE``).

Conventions follow transformers, not lrkit's own defaults:

* the warmup counts inside ``num_training_steps`` and ramps from exactly 0 (``t / W``);
* ``cosine`` and ``cosine_with_min_lr`` are **not** clamped after ``num_training_steps``: the
  cosine rises again (period ``2 * (T - W)``), as transformers' formula does;
  ``linear`` and ``polynomial`` hold their end value;
* a cosine whose half period ``(T - W) / (2 * num_cycles)`` is not a whole number of steps, and
  ``cosine_with_restarts`` cycles that do not divide ``T - W``, run a whole-step schedule on a
  faster clock: ``stretch(schedule, factor)`` (lrkit's lengths stay whole steps);
* ``lr_end`` and ``min_lr`` are absolute rates, turned into a factor of the base rate when the
  schedule is resolved (transformers divides them by ``optimizer.defaults["lr"]``; lrkit by each
  group's base, which is the same for a single group).

No new math lives here: every function returns a composition of the core's primitives.

(Over 400 lines for one job, transformers' names: one function per `get_*_schedule`, each
with its signature and a docstring with the math and an example, which are most of the file.)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules import (
    Extrapolate,
    Schedule,
    absolute,
    extrapolate,
    plateau,
    power_decay,
    restarts,
    sequence,
    shift,
    stretch,
    warmup,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules import cosine as _cosine
from lrkit.schedules import inverse_sqrt as _inverse_sqrt
from lrkit.schedules import linear as _linear
from lrkit.schedules import polynomial as _polynomial
from lrkit.schedules._base import register

__all__ = [
    "constant",
    "constant_with_warmup",
    "cosine",
    "cosine_warmup_with_min_lr",
    "cosine_with_min_lr",
    "cosine_with_restarts",
    "inverse_sqrt",
    "linear",
    "polynomial",
    "reduce_lr_on_plateau",
    "warmup_stable_decay",
]


def _steps(owner: str, warmup_steps: Any, training_steps: Any) -> tuple[int, int]:
    """``(W, T - W)``, checked: ``0 <= W <= T``."""
    w = check_int(owner, "num_warmup_steps", warmup_steps, low=0)
    t = check_int(owner, "num_training_steps", training_steps, low=1)
    if t < w:
        raise fail(owner, "num_training_steps", training_steps, f">= num_warmup_steps={w}")
    return w, t - w


def _warm(schedule: Schedule, w: int) -> Schedule:
    """transformers' warmup: ``t / W`` for ``t < W``, then `schedule` on its own clock."""
    return warmup(schedule, steps=w) if w else schedule


def _waves(owner: str, decay_steps: int, num_cycles: Any, start: Any = 1.0, end: Any = 0.0) -> Schedule:
    """``end + (start - end) * 0.5 * (1 + cos(2 pi num_cycles t / D))``, not clamped, ``D = decay_steps``.

    With a whole half period ``H = D / (2 * num_cycles)``: ``extrapolate(cosine(steps=H))``;
    otherwise the cosine over ``D`` steps on a clock ``2 * num_cycles`` times as fast:
    ``stretch(extrapolate(cosine(steps=D)), 2 * num_cycles)``.
    """
    cycles = check_number(owner, "num_cycles", num_cycles, low=0.0, low_open=True)
    half = Fraction(decay_steps) / (2 * Fraction(repr(cycles)))
    if half.denominator == 1:
        return extrapolate(_cosine(start, end, steps=int(half)))
    return stretch(extrapolate(_cosine(start, end, steps=decay_steps)), 2.0 * cycles)


def _min_rate(owner: str, min_lr: Any, min_lr_rate: Any) -> Any:
    """The floor as a factor (`min_lr_rate`) or an absolute rate (`min_lr`); exactly one given."""
    if min_lr is not None and min_lr_rate is not None:
        raise fail(owner, "min_lr", min_lr, "None when `min_lr_rate` is given (give only one of them)")
    if min_lr is not None:
        value = check_number(owner, "min_lr", min_lr, low=0.0)
        return absolute(value) if value else 0.0
    if min_lr_rate is None:
        raise fail(owner, "min_lr_rate", min_lr_rate, "a number in [0, 1] (or give `min_lr`)", kind=TypeError)
    return check_number(owner, "min_lr_rate", min_lr_rate, low=0.0, high=1.0)


@register("transformers.constant")
def constant() -> Schedule:
    """transformers' ``constant``: the base rate at every step.

    ``f(t) = 1``; lrkit: ``constant(1.0)``.

    Example:
        >>> import lrkit
        >>> lrkit.parse("transformers.constant()")(100)
        1.0
    """
    return _constant(1.0)


@register("transformers.constant_with_warmup")
def constant_with_warmup(num_warmup_steps: int) -> Schedule:
    """transformers' ``constant_with_warmup``: a linear ramp from 0 over ``W`` steps, then 1.

    ``f(t) = t / W`` for ``t < W``, then 1; lrkit: ``warmup(constant(1.0), steps=W)``.

    Args:
        num_warmup_steps: ``W``, an int >= 0 (0: no warmup).

    Raises:
        ValueError: `num_warmup_steps` negative (TypeError if not an int).

    Example:
        >>> s = constant_with_warmup(num_warmup_steps=4)
        >>> [s(t) for t in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    w = check_int("transformers.constant_with_warmup", "num_warmup_steps", num_warmup_steps, low=0)
    return _warm(_constant(1.0), w)


@register("transformers.linear")
def linear(num_warmup_steps: int, num_training_steps: int) -> Schedule:
    """transformers' ``linear``: warmup from 0, then a straight line to 0 at ``T``, then 0.

    ``f(t) = t / W`` for ``t < W``, then ``max(0, (T - t) / max(1, T - W))``; lrkit:
    ``warmup(linear(1.0, 0.0, steps=T - W), steps=W)``. With ``T == W`` transformers drops to 0
    at ``t = W`` (``sequence([linear(0.0, 1.0, steps=W), constant(0.0)], [W])``).

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int >= max(1, W): the warmup counts inside it.

    Raises:
        ValueError: a negative `num_warmup_steps`, ``num_training_steps < num_warmup_steps``.

    Example:
        >>> s = linear(num_warmup_steps=2, num_training_steps=10)
        >>> [s(t) for t in (0, 1, 2, 6, 10, 12)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    w, d = _steps("transformers.linear", num_warmup_steps, num_training_steps)
    if d == 0:
        return sequence((_linear(0.0, 1.0, steps=w), _constant(0.0)), (w,))
    return _warm(_linear(1.0, 0.0, steps=d), w)


@register("transformers.cosine")
def cosine(num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5) -> Schedule:
    """transformers' ``cosine``: warmup from 0, then a cosine with `num_cycles` waves, not clamped.

    ``f(t) = t / W`` for ``t < W``, then ``0.5 * (1 + cos(2 * pi * num_cycles * p))`` with
    ``p = (t - W) / max(1, T - W)``; past ``T`` the cosine rises again. lrkit:
    ``warmup(extrapolate(cosine(steps=H)), steps=W)`` with the half period
    ``H = (T - W) / (2 * num_cycles)`` (``T - W`` for the default 0.5); when ``H`` is not whole,
    ``warmup(stretch(extrapolate(cosine(steps=T - W)), 2 * num_cycles), steps=W)``.

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int >= max(1, W).
        num_cycles: the number of cosine periods over ``T - W`` steps, > 0. Default 0.5 (half a
            cosine down to 0).

    Raises:
        ValueError: bad step counts; `num_cycles` <= 0.

    Example:
        >>> s = cosine(num_warmup_steps=2, num_training_steps=10)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 10, 11)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.03806]
    """
    owner = "transformers.cosine"
    w, d = _steps(owner, num_warmup_steps, num_training_steps)
    return _warm(_waves(owner, max(1, d), num_cycles), w)


@register("transformers.cosine_with_restarts")
def cosine_with_restarts(num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1) -> Schedule:
    """transformers' ``cosine_with_restarts``: warmup, then `num_cycles` hard-restarted cosines, then 0.

    ``f(t) = t / W`` for ``t < W``, then ``0.5 * (1 + cos(pi * ((n * p) % 1)))`` for ``p < 1``
    and 0 from ``p = 1`` on, with ``p = (t - W) / max(1, T - W)``. lrkit: ``warmup(restarts(
    cosine(steps=L), period=L, limit=n), steps=W)`` with ``L = (T - W) / n`` (after the n-th
    cycle the last cycle's end, 0, is held); when ``n`` does not divide ``T - W``, the cycles are
    ``D = T - W`` steps long on a clock ``n`` times as fast: ``warmup(stretch(restarts(
    cosine(steps=D), period=D, limit=n), n), steps=W)``. NOTE: at a restart (``n * t / D`` a whole
    number) lrkit gives exactly 1.0; transformers computes ``(n * (t / D)) % 1`` in floats, which
    can land just below 1 and give ~0 instead (``D = 22, n = 22, t = 15``; tested).

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int > W.
        num_cycles: ``n``, an int >= 1. Default 1.

    Raises:
        ValueError: bad step counts; `num_cycles` < 1.

    Example:
        >>> s = cosine_with_restarts(num_warmup_steps=2, num_training_steps=10, num_cycles=2)
        >>> [round(s(t), 5) for t in range(11)]
        [0.0, 0.5, 1.0, 0.85355, 0.5, 0.14645, 1.0, 0.85355, 0.5, 0.14645, 0.0]
    """
    owner = "transformers.cosine_with_restarts"
    w, d = _steps(owner, num_warmup_steps, num_training_steps)
    if d == 0:
        raise fail(owner, "num_training_steps", num_training_steps, f"> num_warmup_steps={w}")
    n = check_int(owner, "num_cycles", num_cycles, low=1)
    # NOTE: `restarts` with a `limit`, not a sequence of n cosines: its size and its cost per step
    # do not grow with n (num_cycles=10**8 took minutes and 5 GB as a sequence; issue 14 item 8).
    if d % n == 0:
        length = d // n
        return _warm(restarts(_cosine(steps=length), period=length, limit=n), w)
    return _warm(stretch(restarts(_cosine(steps=d), period=d, limit=n), float(n)), w)


@register("transformers.polynomial")
def polynomial(
    num_warmup_steps: int, num_training_steps: int, lr_end: float = 1e-7, power: float = 1.0
) -> Schedule:
    """transformers' ``polynomial``: warmup, then a polynomial decay to the rate `lr_end`, held.

    ``f(t) = t / W`` for ``t < W``, then ``((base - lr_end) * (1 - (t - W) / (T - W)) ** power
    + lr_end) / base``, and ``lr_end / base`` from ``T`` on. lrkit:
    ``warmup(polynomial(end=absolute(lr_end), power=power, steps=T - W), steps=W)``.

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int > W.
        lr_end: the final rate (absolute, not a factor), >= 0. Default 1e-7.
        power: the exponent, > 0. Default 1.

    Raises:
        ValueError: bad step counts, a negative `lr_end`, ``power <= 0``. transformers also
            refuses ``lr_end >= base``; lrkit learns the base only when resolving, and then
            decays (or rises) to `lr_end` as asked.

    Example:
        >>> s = polynomial(num_warmup_steps=2, num_training_steps=10, lr_end=0.1, power=2.0)
        >>> [round(s.resolve(base=1.0)(t), 5) for t in (0, 2, 3, 10, 11)]
        [0.0, 1.0, 0.78906, 0.1, 0.1]
    """
    owner = "transformers.polynomial"
    w, d = _steps(owner, num_warmup_steps, num_training_steps)
    if d == 0:
        raise fail(owner, "num_training_steps", num_training_steps, f"> num_warmup_steps={w}")
    end = check_number(owner, "lr_end", lr_end, low=0.0)
    exponent = check_number(owner, "power", power, low=0.0, low_open=True)
    return _warm(_polynomial(end=absolute(end) if end else 0.0, power=exponent, steps=d), w)


@register("transformers.inverse_sqrt")
def inverse_sqrt(num_warmup_steps: int, timescale: int | None = None) -> Schedule:
    """transformers' ``inverse_sqrt``: warmup, then ``1 / sqrt((t + timescale - W) / timescale)``.

    ``f(t) = t / W`` for ``t < W``, then ``1 / sqrt(1 + (t - W) / timescale)``; lrkit:
    ``warmup(inverse_sqrt(timescale=timescale), steps=W)``. Open-ended (no total).

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        timescale: > 0; None (the default) means ``W``, or 10000 when ``W == 0``.

    Raises:
        ValueError: a negative `num_warmup_steps`, ``timescale <= 0``.

    Example:
        >>> s = inverse_sqrt(num_warmup_steps=2)
        >>> [round(s(t), 5) for t in (0, 1, 2, 4, 8)]
        [0.0, 0.5, 1.0, 0.70711, 0.5]
    """
    owner = "transformers.inverse_sqrt"
    w = check_int(owner, "num_warmup_steps", num_warmup_steps, low=0)
    if timescale is None:
        scale = float(w or 10_000)
    else:
        scale = check_number(owner, "timescale", timescale, low=0.0, low_open=True)
    return _warm(_inverse_sqrt(timescale=scale), w)


@register("transformers.cosine_with_min_lr")
def cosine_with_min_lr(
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    """transformers' ``cosine_with_min_lr``: ``cosine`` lifted to a floor, not clamped after ``T``.

    ``f(t) = t / W`` for ``t < W``, then ``r + (1 - r) * 0.5 * (1 + cos(2 pi num_cycles p))``
    with ``p = (t - W) / max(1, T - W)`` and ``r = min_lr_rate`` (or ``min_lr / base``). lrkit:
    ``warmup(extrapolate(cosine(end=r, steps=H)), steps=W)``, ``H = (T - W) / (2 num_cycles)``
    (a half period that is not whole: `stretch`, as in `cosine`).

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int >= max(1, W).
        num_cycles: as in `cosine`. Default 0.5.
        min_lr: the floor as an absolute rate, >= 0; or
        min_lr_rate: the floor as a factor of the base rate, in [0, 1]. Give exactly one.

    Raises:
        ValueError: both or neither of `min_lr`, `min_lr_rate`; bad step counts or cycles.

    Example:
        >>> s = cosine_with_min_lr(num_warmup_steps=2, num_training_steps=10, min_lr_rate=0.1)
        >>> [round(s(t), 5) for t in (0, 2, 6, 10, 11)]
        [0.0, 1.0, 0.55, 0.1, 0.13425]
    """
    owner = "transformers.cosine_with_min_lr"
    w, d = _steps(owner, num_warmup_steps, num_training_steps)
    floor = _min_rate(owner, min_lr, min_lr_rate)
    return _warm(_waves(owner, max(1, d), num_cycles, end=floor), w)


@register("transformers.cosine_warmup_with_min_lr")
def cosine_warmup_with_min_lr(
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    """transformers' ``cosine_warmup_with_min_lr``: ``cosine_with_min_lr`` one step earlier.

    transformers computes it one step ahead: the warmup is ``(t + 1) / W`` (or
    ``a + (1 - a) * t / (W - 1)`` with ``a = warmup_lr_rate``), so the peak is at ``t = W - 1``,
    and the cosine's progress is ``(t - W + 1) / max(1, T - W)``. lrkit: a ramp of ``W - 1`` steps
    from ``a`` (default ``1 / W``) to 1, then the cosine from step ``W - 1``:
    ``sequence([linear(a, 1.0, steps=W - 1), extrapolate(cosine(end=r, steps=H))], [W - 1])``.
    Without warmup (``W = 0``) the cosine starts one step into its curve, progress ``(t + 1) / T``:
    ``shift(extrapolate(cosine(end=r, steps=H)), 1)`` (`warmup_lr_rate` is then never used).

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_training_steps: ``T``, an int >= W.
        num_cycles: as in `cosine`. Default 0.5.
        min_lr: the floor as an absolute rate; or
        min_lr_rate: the floor as a factor in [0, 1]. Give exactly one.
        warmup_lr_rate: the factor at step 0, in [0, 1]; None means ``1 / W``.

    Raises:
        ValueError: bad step counts, cycles, floors or `warmup_lr_rate`.

    Example:
        >>> s = cosine_warmup_with_min_lr(num_warmup_steps=2, num_training_steps=10, min_lr_rate=0.1)
        >>> [round(s(t), 5) for t in (0, 1, 2, 9, 10)]
        [0.5, 1.0, 0.96575, 0.1, 0.13425]
    """
    owner = "transformers.cosine_warmup_with_min_lr"
    w, d = _steps(owner, num_warmup_steps, num_training_steps)
    floor = _min_rate(owner, min_lr, min_lr_rate)
    decay = _waves(owner, max(1, d), num_cycles, end=floor)
    if w == 0:
        if warmup_lr_rate is not None:
            check_number(owner, "warmup_lr_rate", warmup_lr_rate, low=0.0, high=1.0)
        return shift(decay, 1)  # progress (t + 1) / T: the cosine read one step ahead
    if w == 1:
        if warmup_lr_rate is None:
            return decay  # (0 + 1) / 1 = 1 at step 0: the cosine from the start
        # NOTE: step 0 is `warmup_lr_rate`; step 1 is already the cosine's step 1.
        first = check_number(owner, "warmup_lr_rate", warmup_lr_rate, low=0.0, high=1.0)
        return sequence((_constant(first), decay), (1,), clock="global")
    if warmup_lr_rate is None:
        start = 1.0 / w
    else:
        start = check_number(owner, "warmup_lr_rate", warmup_lr_rate, low=0.0, high=1.0)
    return sequence((_linear(start, 1.0, steps=w - 1), decay), (w - 1,))


_WARMUPS = ("linear", "cosine", "1-sqrt")


@register("transformers.warmup_stable_decay")
def warmup_stable_decay(
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> Schedule:
    """transformers' ``warmup_stable_decay``: warmup from `min_lr_ratio`, a flat top, a decay, hold.

    With ``m = min_lr_ratio``, ``W``, ``S`` and ``D`` the three lengths (``S = T - W - D`` unless
    `num_stable_steps` is given): a warmup from ``m`` to 1 over ``W`` steps (``linear``: ``p``;
    ``cosine``: ``(1 - cos(pi p)) / 2``; ``1-sqrt``: ``1 - sqrt(1 - p)``, lifted to
    ``m + (1 - m) * shape``), 1 for ``S`` steps, a decay from 1 to ``m`` over ``D`` steps
    (``linear``, ``cosine`` with `num_cycles`, ``1-sqrt``), then ``m``. lrkit: a `sequence` of
    ``linear`` / ``cosine`` / ``polynomial(power=0.5)`` ramp, ``constant(1.0)``, ``linear`` /
    ``cosine`` / ``power_decay`` decay and ``constant(m)``.

    Args:
        num_warmup_steps: ``W``, an int >= 0.
        num_decay_steps: ``D``, an int >= 0 (0: `min_lr_ratio` right after the stable phase, as
            in transformers).
        num_training_steps: ``T`` (warmup + stable + decay); used when `num_stable_steps` is None.
        num_stable_steps: ``S``, an int >= 0; takes precedence over `num_training_steps`.
        warmup_type: "linear", "cosine" or "1-sqrt".
        decay_type: "linear", "cosine" or "1-sqrt".
        min_lr_ratio: ``m``, in [0, 1]. Default 0.
        num_cycles: the cosine decay's periods over ``D`` steps, > 0 (a half period that is not
            whole steps: `stretch`, as in `cosine`). Default 0.5.

    Raises:
        ValueError: neither `num_training_steps` nor `num_stable_steps`; a negative stable phase;
            an unknown type; `min_lr_ratio` outside [0, 1].

    Example:
        >>> s = warmup_stable_decay(num_warmup_steps=2, num_decay_steps=4, num_training_steps=10)
        >>> [round(s(t), 5) for t in range(12)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85355, 0.5, 0.14645, 0.0, 0.0]

    Reference: Hu et al., "MiniCPM: Unveiling the Potential of Small Language Models with
    Scalable Training Strategies", 2024.
    """
    owner = "transformers.warmup_stable_decay"
    w = check_int(owner, "num_warmup_steps", num_warmup_steps, low=0)
    d = check_int(owner, "num_decay_steps", num_decay_steps, low=0)
    if num_stable_steps is not None:
        s = check_int(owner, "num_stable_steps", num_stable_steps, low=0)
    elif num_training_steps is not None:
        total = check_int(owner, "num_training_steps", num_training_steps, low=1)
        s = total - w - d
        if s < 0:
            raise fail(
                owner,
                "num_training_steps",
                num_training_steps,
                f">= num_warmup_steps + num_decay_steps = {w + d}",
            )
    else:
        raise fail(owner, "num_training_steps", None, "an int (or give num_stable_steps)", kind=TypeError)
    check_choice(owner, "warmup_type", warmup_type, _WARMUPS)
    check_choice(owner, "decay_type", decay_type, _WARMUPS)
    m = check_number(owner, "min_lr_ratio", min_lr_ratio, low=0.0, high=1.0)
    phases: list[Schedule] = []
    bounds: list[int] = []
    if w:
        if warmup_type == "linear":
            phases.append(_linear(m, 1.0, steps=w))
        elif warmup_type == "cosine":
            phases.append(_cosine(m, 1.0, steps=w))
        else:
            phases.append(_polynomial(m, 1.0, power=0.5, steps=w))
        bounds.append(w)
    if s:
        phases.append(_constant(1.0))
        bounds.append(w + s)
    if not d:
        pass  # transformers skips an empty decay: min_lr_ratio from w + s on
    elif decay_type == "linear":
        phases.append(_linear(1.0, m, steps=d))
    elif decay_type == "cosine":
        waves = _waves(owner, d, num_cycles, 1.0, m)
        if isinstance(waves, Extrapolate) and waves.schedule.horizon == d:
            waves = waves.schedule  # half a cosine over the decay: it ends where the hold begins
        phases.append(waves)
    else:
        phases.append(power_decay(1.0, m, power=0.5, steps=d))
    if d:
        bounds.append(w + s + d)
    phases.append(_constant(m))
    return sequence(tuple(phases), tuple(bounds)) if bounds else phases[0]


_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")


@register("transformers.reduce_lr_on_plateau")
def reduce_lr_on_plateau(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> Schedule:
    """transformers' ``reduce_lr_on_plateau``: torch's ReduceLROnPlateau, the metric-driven rule.

    The rate is multiplied by `factor` at the ``patience + 1``-th consecutive evaluation without
    improvement (torch's convention), never below `min_lr`. lrkit: ``plateau(factor, patience,
    threshold, threshold_mode, cooldown, min=absolute(min_lr), mode, eps, convention="torch")``;
    the torch scheduler feeds it metrics with ``Scheduler.observe``.

    Args:
        mode: "min" or "max".
        factor: the multiplier per reduction, in (0, 1). Default 0.1.
        patience: bad evaluations tolerated, an int >= 0. Default 10.
        threshold: the improvement that counts, >= 0. Default 1e-4.
        threshold_mode: "rel" or "abs".
        cooldown: evaluations ignored after a reduction, an int >= 0.
        min_lr: the floor, an absolute rate >= 0 (one number; torch's per-group list is not
            supported: give each group its own schedule).
        eps: the smallest change of the rate that is applied. Default 1e-8.

    Raises:
        ValueError: an argument outside its range (TypeError for a list `min_lr`).

    Example:
        >>> s = reduce_lr_on_plateau(factor=0.5, patience=1)
        >>> s(0), s.reduced()(0)
        (1.0, 0.5)
    """
    owner = "transformers.reduce_lr_on_plateau"
    check_choice(owner, "mode", mode, _MODES)
    check_choice(owner, "threshold_mode", threshold_mode, _THRESHOLD_MODES)
    floor = check_number(owner, "min_lr", min_lr, low=0.0)
    return plateau(
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min=absolute(floor) if floor else 0.0,
        mode=mode,
        eps=eps,
        convention="torch",
    )
