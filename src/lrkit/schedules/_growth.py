"""Growth (a factor above 1 per interval): the first step where the power overflows, and its error.

`step_decay` and `exponential`'s rate mode accept a rate above 1, as torch, optax and Keras do.
The value ``rate ** x`` then passes the largest float (about 1.8e308) at a step that is known from
the rate and the interval alone. That step is computed here once; a schedule raises this module's
error when resolved for a window that reaches it, or when evaluated there: never a silent ``inf``.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from lrkit._validate import MAX_STEPS

__all__ = ["check_constant_result", "first_overflow", "overflow_error"]

_LOG_MAX = math.log(sys.float_info.max)

_ADVICE = (
    "a rate closer to 1, a shorter run, or a growth over a length, "
    "e.g. exponential(start=1.0, end=1000.0, steps=N)"
)


def _finite(rate: float, exponent: float) -> bool:
    # numpy's power over a one-element array: the same loop the schedules evaluate with.
    with np.errstate(over="ignore"):
        return bool(np.isfinite(np.power(rate, np.array([exponent]))).item())


def first_overflow(rate: float, every: float, *, whole: bool) -> float:
    """The first whole step ``t`` at which ``rate ** (t / every)`` is not finite; `inf` if never.

    With ``whole=True`` the exponent is ``floor(t / every)`` (stairs): the answer is a multiple of
    `every`. A rate <= 1 never overflows; neither does one whose overflow lies past 2**53 steps.

    Example:
        >>> first_overflow(2.0, 1, whole=True), first_overflow(2.0, 3, whole=True)
        (1024.0, 3072.0)
        >>> first_overflow(2.0, 2, whole=False), first_overflow(0.5, 1, whole=False)
        (2048.0, inf)
    """
    if rate <= 1.0:
        return math.inf
    k = math.floor(_LOG_MAX / math.log(rate))  # the last exponent that stays finite, give or take one
    if whole:
        if (k + 2) * every > MAX_STEPS:
            return math.inf
        while k > 0 and not _finite(rate, k):
            k -= 1
        while _finite(rate, k + 1):
            k += 1
        return float((k + 1) * every)
    t = math.floor(k * every)
    if t + 2 * every > MAX_STEPS:
        return math.inf
    while t > 0 and not _finite(rate, t / every):
        t -= 1
    while _finite(rate, (t + 1) / every):
        t += 1
    return float(t + 1)


def overflow_error(
    schedule: object,
    at: float,
    *,
    step: float | None = None,
    span: int | None = None,
    first: bool = False,
    advice: str = _ADVICE,
) -> ValueError:
    """The error for `schedule`, whose value is not finite from step `at` on.

    `step` is the step it was evaluated at; `span`, the window it was resolved for; neither: as
    built. `first`: the value is not finite first at `at` (not necessarily at every later step).
    """
    if step is not None:
        where = f"evaluated at step {step!r}"
    elif span is not None:
        where = f"resolved for {span} steps"
    else:
        where = "as built"
    when = f"first at step {at:.0f}" if first else f"from step {at:.0f} on"
    return ValueError(
        f"{schedule!r} grows past the largest float (1.8e308) {when} ({where}): "
        f"its value there is not finite. Bound the growth: {advice}"
    )


def check_constant_result(combination: Any) -> None:
    """Refuse a `product` or `add` of constants whose value is not finite, when it is built.

    Its value is then known at construction (``constant(1e308) * constant(1e308)``); any other
    combination is checked where it is evaluated (`lrkit.Scheduler`, the previews).
    """
    from lrkit.schedules.constant import Constant  # the combinators' module imports this one

    items = combination.schedules
    if not all(type(item) is Constant for item in items) or not combination.is_resolved:
        return
    if not math.isfinite(combination._at(0.0)):
        raise overflow_error(combination, 0.0, advice="smaller factors or terms")
