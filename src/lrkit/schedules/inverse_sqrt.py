"""The inverse square root schedule."""

from __future__ import annotations

import math

import numpy as np

from lrkit._validate import check_number
from lrkit.schedules._base import FloatArray, Schedule, schedule_class

__all__ = ["InverseSqrt", "inverse_sqrt"]


@schedule_class("inverse_sqrt")
class InverseSqrt(Schedule):
    """Inverse square root decay, open-ended: ``f(t) = 1 / sqrt(1 + t / timescale)``.

    ``f(0) = 1``, and ``f(t) ~ sqrt(timescale / t)`` for large ``t``; it never reaches 0 and needs
    no total (the horizon is None). Behind a warmup of ``W`` steps on the local clock,
    ``warmup(inverse_sqrt(timescale=W), steps=W)`` is transformers' ``inverse_sqrt`` schedule
    (``1 / sqrt((t + timescale - W) / timescale)`` with its default ``timescale=W``) and
    Megatron-LM's ``inverse-square-root`` decay (``sqrt(W) / sqrt(t)`` after the warmup, before its
    cut to ``min_lr`` at the end of the decay steps).

    Args:
        timescale: the number of steps over which the factor falls to ``1 / sqrt(2)``, a finite
            number > 0 (in steps; not a fraction of the run). Default 1.

    Raises:
        ValueError: `timescale` <= 0 or not finite.

    Example:
        >>> from lrkit import inverse_sqrt
        >>> s = inverse_sqrt(timescale=2)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 98)]
        [1.0, 0.8165, 0.70711, 0.5, 0.14142]

    Reference: Vaswani et al., "Attention Is All You Need", 2017 (the "noam" schedule).
    """

    timescale: float = 1.0

    def __post_init__(self) -> None:
        timescale = check_number("inverse_sqrt", "timescale", self.timescale, low=0.0, low_open=True)
        object.__setattr__(self, "timescale", timescale)

    def _at(self, t: float) -> float:
        return 1.0 / math.sqrt(1.0 + t / self.timescale)

    def _over(self, t: FloatArray) -> FloatArray:
        return np.asarray(1.0 / np.sqrt(1.0 + t / self.timescale), dtype=np.float64)


inverse_sqrt = InverseSqrt
