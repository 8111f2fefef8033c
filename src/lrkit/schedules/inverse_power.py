"""The inverse power decay ``(1 + t / timescale) ** -power``."""

from __future__ import annotations

import numpy as np

from lrkit._validate import check_number
from lrkit.schedules._base import FloatArray, Schedule, scalar_power, schedule_class

__all__ = ["InversePower", "inverse_power"]


@schedule_class("inverse_power")
class InversePower(Schedule):
    """Inverse power decay, open-ended: ``f(t) = (1 + t / timescale) ** -power``.

    ``f(0) = 1``, ``f(timescale) = 2 ** -power``, and ``f(t) ~ (timescale / t) ** power`` for large
    ``t``; it never reaches 0 and needs no total (the horizon is None). ``power=1`` is inverse time
    decay (Keras' ``InverseTimeDecay`` with ``timescale = decay_steps / decay_rate``); ``power``
    p with ``timescale`` W is timm's WSD ``stable_fn="power"`` (the Power scheduler).

    NOTE: `inverse_sqrt` stays a shape of its own: it computes ``1 / sqrt(1 + t / timescale)``
    with a square root (correctly rounded), where this shape calls the power function; the two
    agree to a few ulp at ``power=0.5`` (tested), and presets written with ``inverse_sqrt`` keep
    their spec.

    Args:
        timescale: the number of steps over which the factor falls to ``2 ** -power``, a finite
            number > 0 (in steps; not a fraction of the run). Default 1.
        power: the exponent, a finite number > 0. Default 1.

    Raises:
        ValueError: `timescale` or `power` <= 0 or not finite.

    Example:
        >>> from lrkit import inverse_power
        >>> s = inverse_power(timescale=2, power=1.0)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6)]
        [1.0, 0.66667, 0.5, 0.25]

    Reference: Shen et al., "Power Scheduler: A Batch Size and Token Number Agnostic Learning
    Rate Scheduler", 2024 (arXiv:2408.13359).
    """

    timescale: float = 1.0
    power: float = 1.0

    def __post_init__(self) -> None:
        timescale = check_number("inverse_power", "timescale", self.timescale, low=0.0, low_open=True)
        object.__setattr__(self, "timescale", timescale)
        power = check_number("inverse_power", "power", self.power, low=0.0, low_open=True)
        object.__setattr__(self, "power", power)

    def _at(self, t: float) -> float:
        return scalar_power(1.0 + t / self.timescale, -self.power)

    def _over(self, t: FloatArray) -> FloatArray:
        return np.asarray((1.0 + t / self.timescale) ** -self.power, dtype=np.float64)


inverse_power = InversePower
