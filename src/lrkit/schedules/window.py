"""Window: a schedule squeezed into a part of the run given by exact fractions."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from lrkit._validate import check_int, check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, schedule_class

__all__ = ["Window", "window"]


@schedule_class("window")
class Window(Schedule):
    """The schedule's whole curve squeezed into ``[start, end)`` of the run, fractions not rounded.

    With ``S = span`` steps (the run, or the window the window itself is given) and
    ``L = end - start``: ``f(t) = schedule((t - start * S) / L)``, the schedule resolved for
    ``S`` steps. Its curve from step 0 to ``S`` then fills the steps ``start * S`` to ``end * S``
    exactly, even when they are not whole steps: fvcore's ``CompositeParamScheduler`` with
    ``interval_scaling="rescaled"`` (the child sees ``(where - start) / L``). Lengths elsewhere in
    lrkit are whole steps; this is the one place where a window ends between two steps.

    Boundaries: ``f(start * S) = schedule(0)``; before the window the schedule's value at 0, and
    from ``end * S`` on the schedule continues (its value at ``S`` and beyond). Put it in a
    ``sequence(..., clock="global")`` to show only the window.

    Args:
        schedule: the schedule to squeeze; a length of None in it is the whole span ``S``.
        start: the window's start, a fraction of the span in [0, 1).
        end: the window's end, a fraction of the span in (start, 1].
        span: the steps the fractions are of: None for the run (or the enclosing window), or an
            int >= 1.

    Raises:
        TypeError: `schedule` is not a schedule.
        ValueError: ``start`` or ``end`` outside [0, 1], ``end <= start``.

    Example:
        >>> from lrkit import linear, window
        >>> s = window(linear(0.0, 1.0), 0.25, 0.75).resolve(total=10)
        >>> [round(s(t), 6) for t in (2.5, 5, 7.5)]
        [0.0, 0.5, 1.0]
    """

    schedule: Schedule
    start: float = 0.0
    end: float = 1.0
    span: int | None = None

    positional = ("schedule", "start", "end")

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("window", "schedule", self.schedule, "a schedule", kind=TypeError)
        start = check_number("window", "start", self.start, low=0.0, high=1.0, high_open=True)
        end = check_number("window", "end", self.end, low=0.0, high=1.0, low_open=True)
        if end <= start:
            raise fail("window", "end", self.end, f"> start={start!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if self.span is not None:
            object.__setattr__(self, "span", check_int("window", "span", self.span, low=1))

    def _resolve(self, run: Run) -> Schedule:
        span = self.span if self.span is not None else run.span
        if span is None:
            raise ValueError(
                f"{self!r} needs the run's length: its window is a fraction of the run. "
                "Resolve it with a total, e.g. schedule.resolve(total=1000)"
            )
        return Window(self.schedule._resolve(run.within(span)), self.start, self.end, span)

    def _unresolved_reason(self) -> str | None:
        if self.span is None:
            return "`span` of window() is the rest of the run"
        return self.schedule._unresolved_reason()

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None or self.span is None:
            return None
        # NOTE: the first float whose inner step reaches the child's horizon (the product and sum
        # may round below it, and the child would be read just before it holds).
        end = self.start * self.span + (self.end - self.start) * inner
        while self._inner(end) < inner:
            end = math.nextafter(end, math.inf)
        return end

    def _inner(self, t: float) -> float:
        return max(t - self.start * self.span, 0.0) / (self.end - self.start)  # type: ignore[operator]

    def _at(self, t: float) -> float:
        return self.schedule._at(self._inner(t))

    def _over(self, t: FloatArray) -> FloatArray:
        inner = np.maximum(t - self.start * self.span, 0.0) / (self.end - self.start)  # type: ignore[operator]
        return self.schedule._over(inner)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, self._inner(t)


window = Window
