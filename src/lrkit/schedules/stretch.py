"""Stretch: a schedule on a clock running `factor` times as fast (real-valued periods)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from lrkit._validate import check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, schedule_class

__all__ = ["Stretch", "stretch"]


@schedule_class("stretch")
class Stretch(Schedule):
    """The schedule on a faster (or slower) clock: ``f(t) = schedule(factor * t)``.

    A shape over ``L`` whole steps then lasts ``L / factor`` steps, any real number: lrkit's
    lengths stay whole steps, and a real period is a stretched integer one. transformers'
    ``cosine`` with ``num_cycles`` ``n`` over ``D`` steps is
    ``stretch(extrapolate(cosine(steps=D)), 2 * n)``, ``0.5 * (1 + cos(2 * pi * n * t / D))``.

    The child sees the window in its own clock: a span of ``S`` steps is ``factor * S`` of the
    child's steps, rounded up to whole steps when it is not whole (a child length of None, "the
    rest of the window", then ends at most one of its steps after the window). A fraction of the
    run inside the child is counted in the child's steps (``0.5`` of a 100-step run is 50 of the
    child's steps, ``50 / factor`` steps of the run): give the child whole steps or None to avoid
    reasoning about it. Once the child holds (horizon ``h``), the stretch holds from ``h / factor``.

    Args:
        schedule: the schedule to evaluate on the scaled clock.
        factor: the clock's speed, a finite number > 0; 1 is the identity, 2 runs twice as fast.

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: `factor` <= 0 or not finite.

    Example:
        >>> from lrkit import linear, stretch
        >>> s = stretch(linear(1.0, 0.0, steps=3), 1.5)
        >>> [s(t) for t in range(4)]
        [1.0, 0.5, 0.0, 0.0]
    """

    schedule: Schedule
    factor: float

    positional = ("schedule", "factor")

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("stretch", "schedule", self.schedule, "a schedule", kind=TypeError)
        factor = check_number("stretch", "factor", self.factor, low=0.0, low_open=True)
        object.__setattr__(self, "factor", factor)

    def _child_run(self, run: Run, field: str) -> Run:
        if run.span is None:
            return run
        return run.within(math.ceil(Fraction(repr(self.factor)) * run.span))

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None:
            return None
        # NOTE: the first float whose scaled step reaches the child's horizon (inner / factor
        # may round down, and the child would be read just before it holds).
        end = inner / self.factor
        while self.factor * end < inner:
            end = math.nextafter(end, math.inf)
        return end

    def _past_floats(self, t: float) -> float:
        """The child's step where ``factor * t`` overflows: its horizon (it holds), or an error."""
        held = self.schedule.horizon
        if held is None:
            raise ValueError(
                f"{self!r} cannot be evaluated at step {t!r}: the step its schedule would see, "
                f"{self.factor!r} * {t!r}, is past the largest float (1.8e308). Use a smaller factor"
            )
        return held

    def _at(self, t: float) -> float:
        inner = self.factor * t
        return self.schedule._at(inner if inner < math.inf else self._past_floats(t))

    def _over(self, t: FloatArray) -> FloatArray:
        with np.errstate(over="ignore"):
            inner = self.factor * t
        past = ~np.isfinite(inner)
        if past.any():  # NOTE: only with a factor near the float range (1e300 at 2**53 steps)
            inner = np.where(past, self._past_floats(float(t[past][0])), inner)
        return self.schedule._over(inner)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        inner = self.factor * t
        yield "schedule", self.schedule, inner if inner < math.inf else self._past_floats(t)


stretch = Stretch
