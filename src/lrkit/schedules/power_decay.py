"""The power decay schedule: ``1 - p ** power`` (the "1-sqrt" cooldown of warmup-stable-decay)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lrkit._validate import check_length, check_number
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["PowerDecay", "power_decay"]


@schedule_class("power_decay")
class PowerDecay(Schedule):
    """From `start` to `end` over `steps` along ``1 - p ** power``, then `end`.

    ``f(t) = end + (start - end) * (1 - p ** power)`` with ``p = min(t, T) / T``, ``T = steps``.

    With ``power=0.5`` (the default) this is the "1-sqrt" cooldown of warmup-stable-decay training
    (timm's ``'1-sqrt'``, Megatron-LM's ``minus_sqrt``, transformers' ``'1-sqrt'``); timm's
    ``'power'`` decay is the same with another power. Compare `polynomial`, which is
    ``(1 - p) ** power``: this one leaves `start` slowly and falls fast at the end.

    Boundaries: ``f(0) = start``, ``f(T) = end`` exactly, and `end` for every ``t > T``.

    Args:
        start: the factor at step 0, >= 0 (or `absolute(v)`). Default 1.
        end: the factor from step `steps` on, >= 0 (or `absolute(v)`). Default 0.
        power: the exponent, a finite number > 0. Default 0.5.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.

    Raises:
        ValueError: `power` <= 0, a negative value, a bad length.

    Example:
        >>> from lrkit import power_decay
        >>> s = power_decay(end=0.1, steps=4)
        >>> [round(s(t), 5) for t in range(6)]
        [1.0, 0.55, 0.3636, 0.22058, 0.1, 0.1]

    Reference: Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
    Durations", 2024 (the 1-sqrt cooldown).
    """

    start: Any = 1.0
    end: Any = 0.0
    power: float = 0.5
    steps: int | float | None = None

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_value("power_decay", "start", self.start))
        object.__setattr__(self, "end", check_value("power_decay", "end", self.end))
        power = check_number("power_decay", "power", self.power, low=0.0, low_open=True)
        object.__setattr__(self, "power", power)
        object.__setattr__(self, "steps", check_length("power_decay", "steps", self.steps))

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    # NOTE: written as ``start * w + end * v`` with ``w = 1 - p ** power`` and ``v = p ** power``,
    # each computed without cancellation: `start` at p = 0 and `end` at p = 1 to the last bit, and
    # a decay to 0 keeps its relative precision at the last steps. For the square root (the default)
    # ``w = (1 - p) / (1 + sqrt(p))``: sqrt is correctly rounded in math and numpy alike, so both
    # paths agree to the last bit; other powers use ``w = -expm1(power * log(p))``.
    # NOTE: the transcendental functions in `_at` are numpy's, called on one float (~0.1 us for exp,
    # ~0.5 us for power): they run the same loops as `_over`, so both paths agree to the last bit.
    # `math`'s (the C library's) differ from numpy's SIMD ones in the last bit for a few percent of
    # inputs, and the weighted sums after them would turn that into 2-3 ulps.
    def _at(self, t: float) -> float:
        n = float(self.steps)  # type: ignore[arg-type]
        p = min(t, n) / n
        if self.power == 0.5:
            root = math.sqrt(p)
            return float(self.start * ((1.0 - p) / (1.0 + root)) + self.end * root)
        if p == 0.0:
            return float(self.start)
        x = self.power * float(np.log(p))
        return float(self.start * -float(np.expm1(x)) + self.end * float(np.exp(x)))

    def _over(self, t: FloatArray) -> FloatArray:
        if t.ndim == 0:  # the in-place steps below need arrays; numpy gives scalars for 0-d input
            return self._over(t.reshape(1)).reshape(())
        n = float(self.steps)  # type: ignore[arg-type]
        p = np.minimum(t, n)
        p /= n
        if self.power == 0.5:
            root = np.sqrt(p)
            if self.end == 0.0:  # the common decay to 0: start * w + 0.0 is start * w, in place
                w = np.subtract(1.0, p, out=p)
                w /= np.add(1.0, root, out=root)
                if self.start != 1.0:
                    w *= self.start
                return w
            w = (1.0 - p) / (1.0 + root)
            return np.asarray(self.start * w + self.end * root, dtype=np.float64)
        with np.errstate(divide="ignore"):  # log(0) = -inf gives w = 1, v = 0 exactly
            x = self.power * np.log(p)
        if self.end == 0.0:
            return np.asarray(self.start * -np.expm1(x), dtype=np.float64)
        return np.asarray(self.start * -np.expm1(x) + self.end * np.exp(x), dtype=np.float64)


power_decay = PowerDecay
