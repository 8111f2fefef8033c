"""Bounds and scaling around any schedule: `floor`, `ceiling` and `scale`."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit._validate import fail
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Ceiling", "Floor", "Scale", "ceiling", "floor", "scale"]


def _check_schedule(owner: str, value: Any) -> None:
    if not isinstance(value, Schedule):
        raise fail(owner, "schedule", value, "a schedule", kind=TypeError)


@schedule_class("floor")
class Floor(Schedule):
    """The schedule, never below `value`: ``f(t) = max(schedule(t), value)``.

    A clamp from below (gpt-neox's ``min_lr``). To reach a floor smoothly at the end of a decay,
    give the decay its own ``end`` instead (``cosine(end=0.1)``): that floor lives inside the
    formula and is reached exactly at the decay's last step, with no early flat segment.

    Args:
        schedule: the schedule to bound.
        value: the lower bound, any finite factor (or `absolute(v)`, a value of the hyperparameter).

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `value` is NaN or infinite.

    Example:
        >>> from lrkit import floor, linear
        >>> s = floor(linear(1.0, 0.0, steps=4), 0.3)
        >>> [s(t) for t in range(6)]
        [1.0, 0.75, 0.5, 0.3, 0.3, 0.3]
    """

    schedule: Schedule
    value: Any

    values = ("value",)
    positional = ("schedule", "value")

    def __post_init__(self) -> None:
        _check_schedule("floor", self.schedule)
        object.__setattr__(self, "value", check_value("floor", "value", self.value, signed=True))

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def _at(self, t: float) -> float:
        return max(self.schedule._at(t), float(self.value))

    def _over(self, t: FloatArray) -> FloatArray:
        return np.maximum(self.schedule._over(t), float(self.value))


@schedule_class("ceiling")
class Ceiling(Schedule):
    """The schedule, never above `value`: ``f(t) = min(schedule(t), value)``.

    Args:
        schedule: the schedule to bound.
        value: the upper bound, any finite factor (or `absolute(v)`, a value of the hyperparameter).

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `value` is NaN or infinite.

    Example:
        >>> from lrkit import ceiling, linear
        >>> s = ceiling(linear(0.0, 2.0, steps=4), 1.0)
        >>> [s(t) for t in range(6)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 1.0]
    """

    schedule: Schedule
    value: Any

    values = ("value",)
    positional = ("schedule", "value")

    def __post_init__(self) -> None:
        _check_schedule("ceiling", self.schedule)
        object.__setattr__(self, "value", check_value("ceiling", "value", self.value, signed=True))

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def _at(self, t: float) -> float:
        return min(self.schedule._at(t), float(self.value))

    def _over(self, t: FloatArray) -> FloatArray:
        return np.minimum(self.schedule._over(t), float(self.value))


@schedule_class("scale")
class Scale(Schedule):
    """The schedule times a constant: ``f(t) = factor * schedule(t)``.

    The spec syntax ``0.5 * s`` (or ``s * 0.5``) builds ``scale(s, 0.5)``. With an absolute
    factor, ``scale(s, absolute(0.01))`` is `s` in units of a rate of 0.01: the hyperparameter's
    value is ``0.01 * s(t)`` whatever the group's base value (how torch's ``max_lr`` is written).

    Args:
        schedule: the schedule to scale.
        factor: the multiplier, any finite factor (or `absolute(v)`, a value of the hyperparameter).

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `factor` is NaN or infinite.

    Example:
        >>> from lrkit import cosine, parse, scale
        >>> s = scale(cosine(steps=2), 0.5)
        >>> [s(t) for t in range(3)]
        [0.5, 0.25, 0.0]
        >>> parse("0.5 * cosine(steps=2)") == s
        True
    """

    schedule: Schedule
    factor: Any

    values = ("factor",)
    positional = ("schedule", "factor")

    def __post_init__(self) -> None:
        _check_schedule("scale", self.schedule)
        object.__setattr__(self, "factor", check_value("scale", "factor", self.factor, signed=True))

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def _at(self, t: float) -> float:
        return float(self.factor) * self.schedule._at(t)

    def _over(self, t: FloatArray) -> FloatArray:
        return float(self.factor) * self.schedule._over(t)


floor = Floor
ceiling = Ceiling
scale = Scale
