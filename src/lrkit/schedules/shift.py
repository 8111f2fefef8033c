"""Shift: a schedule read a fixed number of steps ahead on its own clock."""

from __future__ import annotations

import math
from collections.abc import Iterator

from lrkit._validate import check_int, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, schedule_class

__all__ = ["Shift", "shift"]


@schedule_class("shift")
class Shift(Schedule):
    """The schedule started `steps` steps into its curve: ``f(t) = schedule(t + steps)``.

    Step 0 of the shift is step ``steps`` of the child, so the child's first ``steps`` steps are
    never seen. transformers' ``cosine_warmup_with_min_lr`` without warmup is a cosine read one
    step ahead, ``shift(extrapolate(cosine(end=r, steps=T)), 1)``.

    The child sees the window in its own clock: a span of ``S`` steps is ``S + steps`` of the
    child's steps (a child length of None, "the rest of the window", ends where the window ends).
    Once the child holds (horizon ``h``), the shift holds from ``max(0, h - steps)``.

    Args:
        schedule: the schedule to read ahead.
        steps: how many steps ahead, an int >= 1.

    Raises:
        TypeError: `schedule` is not a schedule; `steps` is not an int.
        ValueError: `steps` < 1.

    Example:
        >>> from lrkit import linear, shift
        >>> s = shift(linear(1.0, 0.0, steps=4), 1)
        >>> [s(t) for t in range(5)]
        [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    schedule: Schedule
    steps: int

    positional = ("schedule", "steps")

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("shift", "schedule", self.schedule, "a schedule", kind=TypeError)
        object.__setattr__(self, "steps", check_int("shift", "steps", self.steps, low=1))

    def _child_run(self, run: Run, field: str) -> Run:
        if run.span is None:
            return run
        return run.within(run.span + self.steps)

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None:
            return None
        # NOTE: the first float whose shifted step reaches the child's horizon (inner - steps
        # may round down when the horizon is not whole).
        end = max(0.0, inner - self.steps)
        while end + self.steps < inner:
            end = math.nextafter(end, math.inf)
        return end

    def _at(self, t: float) -> float:
        return self.schedule._at(t + self.steps)

    def _over(self, t: FloatArray) -> FloatArray:
        return self.schedule._over(t + self.steps)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, t + self.steps


shift = Shift
