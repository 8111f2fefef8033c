"""Extrapolate: continue a shape past its end with its own formula instead of holding."""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from lrkit._validate import fail
from lrkit.schedules._base import REGISTRY, FloatArray, Schedule, schedule_class

__all__ = ["Continuable", "Extrapolate", "extrapolate"]


@runtime_checkable
class Continuable(Protocol):
    """A shape whose closed form has a natural continuation past its end, >= 0 everywhere.

    Example:
        >>> from lrkit import cosine, linear
        >>> isinstance(cosine(steps=4), Continuable), isinstance(linear(steps=4), Continuable)
        (True, False)
    """

    def continued_at(self, t: float) -> float:
        """The formula at `t`, without holding the end value after the schedule's length."""

    def continued_over(self, t: FloatArray) -> FloatArray:
        """The formula over an array of steps, without holding the end value."""


def continuable_names() -> list[str]:
    """The registered schedules that `extrapolate` accepts (those with a natural continuation).

    A shape joins the list by defining ``continued_at`` and ``continued_over`` (see `Continuable`).

    Example:
        >>> from lrkit.schedules.extrapolate import continuable_names
        >>> "cosine" in continuable_names(), "linear" in continuable_names()
        (True, False)
    """
    return sorted(
        name
        for name, fn in REGISTRY.items()
        if isinstance(fn, type) and issubclass(fn, Schedule) and hasattr(fn, "continued_at")
    )


@schedule_class("extrapolate")
class Extrapolate(Schedule):
    """A shape continued past its end with its closed form: ``f(t) = formula(t)`` for every ``t``.

    Every finite lrkit schedule holds its final value after its end. `extrapolate` removes the hold
    for shapes whose formula has a natural continuation that stays >= 0: a cosine over ``T`` steps
    rises again after ``T`` and is periodic with period ``2T``,
    ``f(t) = end + (start - end) * ((1 + cos(pi * t / T)) / 2) ** exponent``, which is what
    torch's CosineAnnealingLR (and transformers' ``cosine``) does when stepped past ``T_max``.

    Boundaries: identical to the shape on ``[0, T]``; no horizon (the value keeps changing).

    Args:
        schedule: a shape with a natural continuation: one whose class defines ``continued_at``
            and ``continued_over`` (`cosine`; see `continuable_names()`).

    Raises:
        ValueError: `schedule` has no natural continuation (a linear decay would go negative,
            a combinator has no single formula); the message lists the accepted schedules.

    Example:
        >>> from lrkit import cosine, extrapolate
        >>> s = extrapolate(cosine(end=0.1, steps=4))
        >>> [round(s(t), 5) for t in range(10)]
        [1.0, 0.8682, 0.55, 0.2318, 0.1, 0.2318, 0.55, 0.8682, 1.0, 0.8682]
    """

    schedule: Schedule

    positional = ("schedule",)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("extrapolate", "schedule", self.schedule, "a schedule", kind=TypeError)
        if not isinstance(self.schedule, Continuable):
            allowed = ", ".join(f"{name}()" for name in continuable_names())
            raise fail(
                "extrapolate",
                "schedule",
                self.schedule,
                f"a shape whose formula continues past its end ({allowed}); {self.schedule.name}() "
                "holds its final value instead",
            )

    @property
    def horizon(self) -> float | None:
        return None

    def _at(self, t: float) -> float:
        return float(cast(Continuable, self.schedule).continued_at(t))

    def _over(self, t: FloatArray) -> FloatArray:
        return cast(Continuable, self.schedule).continued_over(t)


extrapolate = Extrapolate
