"""The linear schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit._validate import check_length
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Linear", "linear"]


@schedule_class("linear")
class Linear(Schedule):
    """A straight line from `start` to `end` over `steps`, then `end`.

    ``f(t) = start * (1 - p) + end * p`` with ``p = min(t, T) / T`` and ``T = steps`` (written
    this way, ``f(0) == start`` and ``f(T) == end`` exactly in floating point).

    Boundaries: ``f(0) = start``, ``f(T) = end`` exactly, and ``end`` for every ``t > T``.

    Args:
        start: the factor at step 0, any finite number (or `absolute(v)`). Default 1.
        end: the factor from step `steps` on, any finite number (or `absolute(v)`). Default 0.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.

    Example:
        >>> from lrkit import linear
        >>> s = linear(1.0, 0.0, steps=4)
        >>> [s(t) for t in range(6)]
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    start: Any = 1.0
    end: Any = 0.0
    steps: int | float | None = None

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_value("linear", "start", self.start, signed=True))
        object.__setattr__(self, "end", check_value("linear", "end", self.end, signed=True))
        object.__setattr__(self, "steps", check_length("linear", "steps", self.steps))

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    def _at(self, t: float) -> float:
        p = min(t, float(self.steps)) / self.steps  # type: ignore[arg-type, operator]
        return float(self.start * (1.0 - p) + self.end * p)

    def _over(self, t: FloatArray) -> FloatArray:
        p = np.minimum(t, float(self.steps)) / self.steps  # type: ignore[arg-type]
        return np.asarray(self.start * (1.0 - p) + self.end * p, dtype=np.float64)


linear = Linear
