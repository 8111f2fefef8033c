"""The tanh decay schedule (timm's TanhLRScheduler)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit._validate import check_length, check_number, fail
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["TanhDecay", "tanh_decay"]

#: |lower| and |upper| are kept to this bound: tanh is flat to the last bit well before it, and
#: exp(2 * 100) is still finite.
_BOUND = 100.0


@schedule_class("tanh_decay")
class TanhDecay(Schedule):
    """Hyperbolic-tangent decay from about `start` to about `end` over `steps`, then `end`.

    With ``p = t / T`` (``T = steps``) and ``z = lower * (1 - p) + upper * p``:

    ``f(t) = end + 0.5 * (start - end) * (1 - tanh(z))`` for ``t < T``, and ``f(t) = end`` for
    ``t >= T``.

    This is timm's TanhLRScheduler formula (``lb=-7, ub=3`` by default). Like timm, the curve does
    not pass exactly through `start` and `end`: ``f(0) = end + (start - end) * 0.5 * (1 - tanh(lower))``
    (0.9999983 of the way for the defaults), and the last step before `T` is still
    ``0.5 * (1 - tanh(upper))`` (0.25% for the defaults) above `end`; at ``t = T`` the value is
    `end`, as in timm. It is computed as ``start * w + end * (1 - w)`` with
    ``w = 0.5 * (1 - tanh(z)) = 1 / (1 + exp(2 * z))`` and ``1 - w = exp(2 * z) * w``:
    the same numbers without the cancellation of ``1 - tanh(z)`` near ``z = upper``.

    Args:
        start: the scale at the start, >= 0 (or `absolute(v)`). Default 1.
        end: the factor from `steps` on, >= 0 (or `absolute(v)`). Default 0.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.
        lower: ``z`` at ``t = 0``, a number in [-100, 100). Default -7.
        upper: ``z`` at ``t = T``, a number in (lower, 100]. Default 3.

    Raises:
        ValueError: ``lower >= upper``, bounds outside [-100, 100], a negative value, a bad length.

    Example:
        >>> from lrkit import tanh_decay
        >>> s = tanh_decay(steps=8)
        >>> [round(s(t), 5) for t in range(10)]
        [1.0, 0.99999, 0.99988, 0.9985, 0.98201, 0.81757, 0.26894, 0.02931, 0.0, 0.0]

    Reference: Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
    Classification", 2019.
    """

    start: Any = 1.0
    end: Any = 0.0
    steps: int | float | None = None
    lower: float = -7.0
    upper: float = 3.0

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", check_value("tanh_decay", "start", self.start))
        object.__setattr__(self, "end", check_value("tanh_decay", "end", self.end))
        object.__setattr__(self, "steps", check_length("tanh_decay", "steps", self.steps))
        lower = check_number("tanh_decay", "lower", self.lower, low=-_BOUND, high=_BOUND)
        upper = check_number("tanh_decay", "upper", self.upper, low=-_BOUND, high=_BOUND)
        if lower >= upper:
            raise fail("tanh_decay", "upper", self.upper, f"greater than lower={lower!r}")
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    # NOTE: the transcendental functions in `_at` are numpy's, called on one float (~0.1 us for exp,
    # ~0.5 us for power): they run the same loops as `_over`, so both paths agree to the last bit.
    # `math`'s (the C library's) differ from numpy's SIMD ones in the last bit for a few percent of
    # inputs, and the weighted sums after them would turn that into 2-3 ulps.
    def _at(self, t: float) -> float:
        n = float(self.steps)  # type: ignore[arg-type]
        if t >= n:
            return float(self.end)
        p = t / n
        z = self.lower * (1.0 - p) + self.upper * p
        e = float(np.exp(2.0 * z))
        w = 1.0 / (1.0 + e)
        return float(self.start * w + self.end * (e * w))

    def _over(self, t: FloatArray) -> FloatArray:
        if t.ndim == 0:  # the in-place steps below need arrays; numpy gives scalars for 0-d input
            return self._over(t.reshape(1)).reshape(())
        n = float(self.steps)  # type: ignore[arg-type]
        p = np.minimum(t, n)
        p /= n
        z = np.subtract(1.0, p)
        z *= self.lower
        p *= self.upper
        z += p  # lower * (1 - p) + upper * p
        z *= 2.0
        e = np.exp(z, out=z)
        if self.end == 0.0:  # the common decay to 0: start * w + 0.0 is start * w, in place
            w = np.add(1.0, e, out=e)
            np.divide(1.0, w, out=w)
            if self.start != 1.0:
                w *= self.start
            curve = w
        else:
            w = 1.0 / (1.0 + e)
            curve = self.start * w + self.end * (e * w)
        curve[t >= n] = float(self.end)
        return curve


tanh_decay = TanhDecay
