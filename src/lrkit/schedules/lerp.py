"""Lerp: a schedule's [0, 1] range mapped onto two values (torch's cycled momentum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit._validate import fail
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Lerp", "lerp"]


def _negative(node: Lerp, t: Any, value: float) -> ValueError:
    return ValueError(
        f"{node!r} is negative ({value!r}) at step {t!r}: its schedule left [0, 1] there "
        f"(lerp maps 0 to at_zero and 1 to at_one); give it a schedule between 0 and 1"
    )


@schedule_class("lerp")
class Lerp(Schedule):
    """``f(t) = at_zero + (at_one - at_zero) * schedule(t)``: `at_zero` where the schedule is 0,
    `at_one` where it is 1, in between linearly.

    The momentum torch's OneCycleLR and CyclicLR cycle against the rate is this form: with the
    rate's own cycle normalized to [0, 1] as `schedule`, ``lerp(schedule, max_momentum,
    base_momentum)`` is `max_momentum` where the rate is lowest and `base_momentum` at its peak
    (torch's ``max_m - (max_m - base_m) * scale``). `at_one` may be below `at_zero` (a falling
    image of a rising schedule), which no factor schedule expresses.

    Boundaries: those of `schedule` (the horizon is its horizon). A schedule that leaves [0, 1]
    may give a value below 0: that is an error at the step where it happens.

    Args:
        schedule: the shape, normally between 0 and 1.
        at_zero: the value where `schedule` is 0, a factor >= 0 (or `absolute(v)`).
        at_one: the value where `schedule` is 1, a factor >= 0 (or `absolute(v)`).

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `at_zero` or `at_one` negative or not finite; a negative value when evaluated.

    Example:
        >>> from lrkit import cyclic, lerp
        >>> s = lerp(cyclic(0.0, 1.0, steps_up=2), 0.9, 0.8)
        >>> [round(s(t), 4) for t in range(5)]
        [0.9, 0.85, 0.8, 0.85, 0.9]
    """

    schedule: Schedule
    at_zero: Any
    at_one: Any

    values = ("at_zero", "at_one")
    positional = ("schedule", "at_zero", "at_one")

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("lerp", "schedule", self.schedule, "a schedule", kind=TypeError)
        object.__setattr__(self, "at_zero", check_value("lerp", "at_zero", self.at_zero))
        object.__setattr__(self, "at_one", check_value("lerp", "at_one", self.at_one))

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def _at(self, t: float) -> float:
        low = float(self.at_zero)
        value = low + (float(self.at_one) - low) * self.schedule._at(t)
        if value < 0.0:
            raise _negative(self, t, value)
        return value

    def _over(self, t: FloatArray) -> FloatArray:
        low = float(self.at_zero)
        out = np.asarray(low + (float(self.at_one) - low) * self.schedule._over(t), dtype=np.float64)
        if np.any(out < 0.0):
            first = int(np.argmax(out < 0.0))
            raise _negative(self, float(t[first]), float(out[first]))
        return out


lerp = Lerp
