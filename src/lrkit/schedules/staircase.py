"""Staircase: a schedule read only at whole multiples of an interval."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from lrkit._validate import check_length, fail
from lrkit.schedules._base import FloatArray, Schedule, schedule_class

__all__ = ["Staircase", "staircase"]


@schedule_class("staircase")
class Staircase(Schedule):
    """The schedule held in stairs: ``f(t) = schedule(floor(t / every) * every)``.

    The value changes only at ``t = every, 2 * every, ...`` (a stair acts at its step), where it
    takes the schedule's value there. ``staircase(inverse_power(timescale=D / r), every=D)`` is
    Keras' ``InverseTimeDecay(staircase=True)``: ``1 / (1 + r * floor(t / D))``. The child sees
    the same window as the staircase. Once the schedule holds (horizon ``h``), the staircase holds
    from ``ceil(h / every) * every``.

    Args:
        schedule: the schedule to read in stairs.
        every: the stair's width: int steps (>= 1) or a float fraction of the run in (0, 1].

    Raises:
        TypeError: `schedule` is not a schedule; `every` is not a number.
        ValueError: `every` < 1 step, or a fraction outside (0, 1].

    Example:
        >>> from lrkit import linear, staircase
        >>> s = staircase(linear(1.0, 0.0, steps=6), every=2)
        >>> [round(s(t), 5) for t in range(8)]
        [1.0, 1.0, 0.66667, 0.66667, 0.33333, 0.33333, 0.0, 0.0]
    """

    schedule: Schedule
    every: int | float

    lengths = ("every",)
    positional = ("schedule",)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("staircase", "schedule", self.schedule, "a schedule", kind=TypeError)
        object.__setattr__(self, "every", check_length("staircase", "every", self.every, allow_none=False))

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None or not isinstance(self.every, int):
            return None
        return float(math.ceil(inner / self.every) * self.every)

    def _stair(self, t: float) -> float:
        every = float(self.every)
        return math.floor(t / every) * every

    def _at(self, t: float) -> float:
        return self.schedule._at(self._stair(t))

    def _over(self, t: FloatArray) -> FloatArray:
        every = float(self.every)
        return self.schedule._over(np.floor(t / every) * every)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, self._stair(t)


staircase = Staircase
