"""Warp: a schedule on a power-law clock over its own length (timm's k-decay)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lrkit._validate import check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, scalar_power, schedule_class

__all__ = ["Warp", "warp"]


def _check_ends(schedule: Schedule, given: Schedule) -> None:
    if schedule.is_resolved and schedule.horizon is None:
        raise fail(
            "warp",
            "schedule",
            given,
            f"a schedule that ends (a finite horizon); {schedule.name}() keeps changing forever",
        )


@schedule_class("warp")
class Warp(Schedule):
    """The schedule on a warped clock: ``f(t) = schedule(T * (min(t, T) / T) ** power)``.

    ``T`` is the schedule's horizon (its length once resolved: the step after which it holds its
    final value). The warp keeps both ends, ``f(0) = schedule(0)`` and ``f(T) = schedule(T)``, and
    holds after ``T``; ``power > 1`` stays near the start longer and falls faster at the end,
    ``power < 1`` the reverse. ``warp(cosine(steps=T, end=m), k)`` is the k-decay cosine
    ``m + (1 - m) * (1 + cos(pi * t ** k / T ** k)) / 2`` (timm's ``k_decay``), and
    ``warp(polynomial(steps=T, power=p), k)`` is ``(1 - t ** k / T ** k) ** p``. Inside
    ``restarts`` each cycle is warped over its own length.

    Args:
        schedule: a schedule that ends (a finite horizon once resolved): a shape with a length,
            or a combinator of such shapes. A schedule with horizon 0 (a constant) is unchanged.
        power: the clock's exponent ``k``, a finite number > 0; 1 is the identity.

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `power` <= 0 or not finite; `schedule` never ends (`inverse_sqrt`, an
            `extrapolate`d cosine), checked when it is resolved.

    Example:
        >>> from lrkit import cosine, warp
        >>> s = warp(cosine(steps=8), 2.0)
        >>> [round(s(t), 5) for t in (0, 2, 4, 6, 8, 9)]
        [1.0, 0.99039, 0.85355, 0.40245, 0.0, 0.0]

    Reference: Zhang & Li, "k-decay: A New Method For Learning Rate Schedule", 2020
    (arXiv:2004.05909).
    """

    schedule: Schedule
    power: float

    positional = ("schedule", "power")

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("warp", "schedule", self.schedule, "a schedule", kind=TypeError)
        object.__setattr__(self, "power", check_number("warp", "power", self.power, low=0.0, low_open=True))
        _check_ends(self.schedule, self.schedule)

    def _resolve(self, run: Run) -> Schedule:
        inner = self.schedule._resolve(run)
        _check_ends(inner, self.schedule)
        return self if inner is self.schedule else Warp(inner, self.power)

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def _clock(self, t: float) -> float:
        end = self.schedule.horizon
        if not end:
            return t
        return end * scalar_power(min(t, end) / end, self.power)

    def _at(self, t: float) -> float:
        return self.schedule._at(self._clock(t))

    def _over(self, t: FloatArray) -> FloatArray:
        end = self.schedule.horizon
        if not end:
            return self.schedule._over(t)
        return self.schedule._over(end * (np.minimum(t, end) / end) ** self.power)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, self._clock(t)


warp = Warp
