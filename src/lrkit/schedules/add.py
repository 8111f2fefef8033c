"""Add: schedules summed, each on the global clock."""

from __future__ import annotations

from lrkit.schedules._base import FloatArray, Schedule, check_schedules, latest_horizon, schedule_class
from lrkit.schedules._growth import check_constant_result

__all__ = ["Add", "add"]


@schedule_class("add")
class Add(Schedule):
    """The sum of schedules: ``f(t) = s_1(t) + s_2(t) + ... + s_n(t)``.

    Every term sees the global step ``t`` and the whole window (a term whose length is "the rest
    of the run" gets the same span as the sum), as in `product`. With `product` it writes affine
    mixtures: timm's WSD with a decaying stable phase and a floor ``m``,
    ``m + (max(stable, m) - m) * d = max(stable, m) * d + m * (1 - d)``, is
    ``add([product([floor(stable, m), d]), e])`` where ``e`` is the same decay shape from 0 up to
    ``m`` (``m * (1 - d)``). A sum of factors >= 0 is >= 0.

    Boundaries: each term keeps its own; the sum holds once every term does (its horizon is the
    latest of theirs).

    Args:
        schedules: the terms, a list of at least one schedule, added left to right.

    Raises:
        TypeError: `schedules` is not a list of schedules.
        ValueError: `schedules` is empty; all of them are constants and their add is not
            finite (``constant(1e308)`` twice): known when built, refused then.

    Example:
        >>> from lrkit import add, constant, linear
        >>> s = add([linear(1.0, 0.0, steps=4), constant(0.25)])
        >>> [s(t) for t in range(6)]
        [1.25, 1.0, 0.75, 0.5, 0.25, 0.25]
    """

    schedules: tuple[Schedule, ...]

    positional = ("schedules",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedules", check_schedules("add", "schedules", self.schedules))
        check_constant_result(self)

    @property
    def horizon(self) -> float | None:
        return latest_horizon(self.schedules)

    def _at(self, t: float) -> float:
        items = self.schedules
        value = items[0]._at(t)
        for item in items[1:]:
            value = value + item._at(t)
        return value

    def _over(self, t: FloatArray) -> FloatArray:
        items = self.schedules
        value = items[0]._over(t)
        for item in items[1:]:
            value = value + item._over(t)
        return value


add = Add
