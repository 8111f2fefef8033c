"""Product: schedules multiplied together, each on the global clock."""

from __future__ import annotations

from lrkit.schedules._base import FloatArray, Schedule, check_schedules, latest_horizon, schedule_class
from lrkit.schedules._growth import check_constant_result

__all__ = ["Product", "product"]


@schedule_class("product")
class Product(Schedule):
    """The product of schedules: ``f(t) = s_1(t) * s_2(t) * ... * s_n(t)``.

    Every factor sees the global step ``t`` and the whole window (a factor whose length is "the
    rest of the run" gets the same span as the product). This is torch's ChainedScheduler of
    closed-form schedulers, and what the spec syntax ``a * b`` builds.

    Boundaries: each factor keeps its own; the product holds its final value once every factor
    does (its horizon is the latest of theirs).

    Args:
        schedules: the factors, a list of at least one schedule, multiplied left to right.

    Raises:
        TypeError: `schedules` is not a list of schedules.
        ValueError: `schedules` is empty; all of them are constants and their product is not
            finite (``constant(1e308)`` twice): known when built, refused then.

    Example:
        >>> from lrkit import constant, linear, product
        >>> s = product([linear(0.0, 1.0, steps=4), constant(0.5)])
        >>> [s(t) for t in range(6)]
        [0.0, 0.125, 0.25, 0.375, 0.5, 0.5]
        >>> from lrkit import parse
        >>> parse("linear(0.0, 1.0, steps=4) * constant(0.5)") == s
        True
    """

    schedules: tuple[Schedule, ...]

    positional = ("schedules",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedules", check_schedules("product", "schedules", self.schedules))
        check_constant_result(self)

    @property
    def horizon(self) -> float | None:
        return latest_horizon(self.schedules)

    def _at(self, t: float) -> float:
        items = self.schedules
        value = items[0]._at(t)
        for item in items[1:]:
            value = value * item._at(t)
        return value

    def _over(self, t: FloatArray) -> FloatArray:
        items = self.schedules
        value = items[0]._over(t)
        for item in items[1:]:
            value = value * item._over(t)
        return value


product = Product
