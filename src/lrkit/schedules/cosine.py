"""The cosine (half-cosine annealing) schedule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lrkit._validate import check_length, check_number
from lrkit.schedules._base import FloatArray, Schedule, check_value, scalar_power, schedule_class

__all__ = ["Cosine", "cosine"]


@schedule_class("cosine")
class Cosine(Schedule):
    """Half a cosine from `start` down (or up) to `end` over `steps`, then `end`.

    ``f(t) = end + (start - end) * ((1 + cos(pi * min(t, T) / T)) / 2) ** exponent``

    With ``exponent=1`` this is SGDR's annealing (torch's CosineAnnealingLR, optax's
    cosine_decay_schedule); ``end`` is the floor, reached exactly at ``t = T`` and held after.
    `extrapolate(cosine(...))` continues the cosine past ``T`` instead (it rises again, with
    period ``2T``, as torch's CosineAnnealingLR does).

    Args:
        start: the factor at step 0, any finite number (or `absolute(v)`). Default 1.
        end: the floor, reached at `steps`, any finite number (or `absolute(v)`). Default 0.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.
        exponent: the power applied to the half-cosine, > 0 (optax's `exponent`). Default 1.

    Example:
        >>> from lrkit import cosine
        >>> s = cosine(end=0.1, steps=8)
        >>> [round(s(t), 5) for t in (0, 4, 8, 9)]
        [1.0, 0.55, 0.1, 0.1]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """

    start: Any = 1.0
    end: Any = 0.0
    steps: int | float | None = None
    exponent: float = 1.0

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_value("cosine", "start", self.start, signed=True))
        object.__setattr__(self, "end", check_value("cosine", "end", self.end, signed=True))
        object.__setattr__(self, "steps", check_length("cosine", "steps", self.steps))
        exponent = check_number("cosine", "exponent", self.exponent, low=0.0, low_open=True)
        object.__setattr__(self, "exponent", exponent)

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    def _at(self, t: float) -> float:
        return self.continued_at(min(t, float(self.steps)))  # type: ignore[arg-type]

    def _over(self, t: FloatArray) -> FloatArray:
        return self.continued_over(np.minimum(t, float(self.steps)))  # type: ignore[arg-type]

    def continued_at(self, t: float) -> float:
        """The cosine formula at `t`, without holding `end` after `steps` (periodic)."""
        wave = (1.0 + math.cos(math.pi * t / self.steps)) / 2.0  # type: ignore[operator]
        if self.exponent != 1.0:
            wave = scalar_power(wave, self.exponent)
        return float(self.end + (self.start - self.end) * wave)

    def continued_over(self, t: FloatArray) -> FloatArray:
        """The cosine formula over an array, without holding `end` after `steps`."""
        wave = (1.0 + np.cos(np.pi * t / self.steps)) / 2.0  # type: ignore[operator]
        if self.exponent != 1.0:
            wave = wave**self.exponent
        return np.asarray(self.end + (self.start - self.end) * wave, dtype=np.float64)


cosine = Cosine
