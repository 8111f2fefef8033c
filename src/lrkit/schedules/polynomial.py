"""The polynomial decay schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit._validate import check_length, check_number
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Polynomial", "polynomial"]


@schedule_class("polynomial")
class Polynomial(Schedule):
    """Polynomial decay from `start` to `end` over `steps`, then `end`.

    ``f(t) = end + (start - end) * (1 - min(t, T) / T) ** power`` with ``T = steps``.

    torch's PolynomialLR is ``polynomial(end=0, power=power, steps=total_iters)``; transformers'
    ``polynomial`` (``lr_end``) and timm's PolyLRScheduler (``lr_min``) are the same curve with an
    end above 0. ``power=1`` is a straight line.

    Boundaries: ``f(0) = start``, ``f(T) = end`` exactly, and `end` for every ``t > T``.

    Args:
        start: the factor at step 0, any finite number (or `absolute(v)`). Default 1.
        end: the factor from step `steps` on, any finite number (or `absolute(v)`). Default 0.
        power: the exponent, a finite number > 0. Default 1.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.

    Raises:
        ValueError: `power` <= 0, a non-finite value, a length that is not a positive int or a
            fraction in (0, 1].

    Example:
        >>> from lrkit import polynomial
        >>> s = polynomial(power=2.0, steps=4)
        >>> [s(t) for t in range(6)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    start: Any = 1.0
    end: Any = 0.0
    power: float = 1.0
    steps: int | float | None = None

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_value("polynomial", "start", self.start, signed=True))
        object.__setattr__(self, "end", check_value("polynomial", "end", self.end, signed=True))
        power = check_number("polynomial", "power", self.power, low=0.0, low_open=True)
        object.__setattr__(self, "power", power)
        object.__setattr__(self, "steps", check_length("polynomial", "steps", self.steps))

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    # NOTE: written as the weighted sum ``start * w + end * (1 - w)``, ``w = (1 - p) ** power``: it is
    # `start` at p = 0 and `end` at p = 1 to the last bit, and keeps its relative precision when a
    # decay approaches 0. A rise (end > start) takes ``1 - w`` as ``-expm1(power * log(1 - p))``:
    # near p = 0 the end term dominates, and ``1 - w`` computed by subtraction would cancel.
    # NOTE: the transcendental functions in `_at` are numpy's, called on one float (~0.1 us for exp,
    # ~0.5 us for power): they run the same loops as `_over`, so both paths agree to the last bit.
    # `math`'s (the C library's) differ from numpy's SIMD ones in the last bit for a few percent of
    # inputs, and the weighted sums after them would turn that into 2-3 ulps.
    def _at(self, t: float) -> float:
        n = float(self.steps)  # type: ignore[arg-type]
        q = 1.0 - min(t, n) / n
        if self.end <= self.start:
            w = float(np.power(q, self.power))
            return float(self.start * w + self.end * (1.0 - w))
        if q == 0.0:
            return float(self.end)
        x = self.power * float(np.log(q))
        return float(self.start * float(np.exp(x)) + self.end * -float(np.expm1(x)))

    def _over(self, t: FloatArray) -> FloatArray:
        if t.ndim == 0:  # the in-place steps below need arrays; numpy gives scalars for 0-d input
            return self._over(t.reshape(1)).reshape(())
        n = float(self.steps)  # type: ignore[arg-type]
        # In place on one new array: the same operations as `_at`, fewer passes over memory.
        q = np.minimum(t, n)
        q /= n
        np.subtract(1.0, q, out=q)
        if self.end <= self.start:
            w = np.power(q, self.power, out=q)
            if self.end == 0.0:  # the common decay to 0: start * w + 0.0 is start * w
                if self.start != 1.0:
                    w *= self.start
                return w
            return np.asarray(self.start * w + self.end * (1.0 - w), dtype=np.float64)
        with np.errstate(divide="ignore"):  # log(0) = -inf gives w = 0 and 1 - w = 1 exactly
            x = self.power * np.log(q)
        return np.asarray(self.start * np.exp(x) + self.end * -np.expm1(x), dtype=np.float64)


polynomial = Polynomial
