"""The cyclic (triangular) schedule of torch's CyclicLR."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from lrkit._validate import check_choice, check_length, check_number, fail
from lrkit.schedules._base import Absolute, FloatArray, Run, Schedule, check_value, schedule_class

__all__ = ["Cyclic", "cyclic"]

MODES = ("triangular", "triangular2", "exp_range")


@schedule_class("cyclic")
class Cyclic(Schedule):
    """Triangular cycles between `low` and `high`, forever (torch's CyclicLR as factors).

    With ``L = steps_up + steps_down`` and ``r = steps_up / L``:

    ``cycle = floor(1 + t / L)``, ``x = 1 + t / L - cycle``,
    ``scale = x / r`` if ``x <= r`` else ``(x - 1) / (r - 1)``,
    ``f(t) = low + (high - low) * scale * g`` with ``g = 1`` (``"triangular"``),
    ``1 / 2 ** (cycle - 1)`` (``"triangular2"``: the amplitude halves every cycle) or
    ``gamma ** t`` (``"exp_range"``).

    The arithmetic follows torch 2.13's ``CyclicLR.get_lr`` operation by operation, so
    ``cyclic(absolute(base_lr), absolute(max_lr), ...)`` resolved with any base gives torch's
    rates. Boundaries: ``f(0) = low``; ``f(steps_up) = high`` (times ``g``); each cycle starts again
    at `low` at ``t = k * L``. Open-ended: the horizon is None.

    Args:
        low: the factor at the bottom of each cycle, >= 0 (or `absolute(v)`, torch's `base_lr`).
        high: the factor at the top, >= `low` (or `absolute(v)`, torch's `max_lr`). Default 1.
        steps_up: the rise: int steps (>= 1) or a float fraction of the run (keyword-only).
        steps_down: the fall, as `steps_up`; None (the default) means the same as `steps_up`.
        mode: "triangular", "triangular2" or "exp_range".
        gamma: the decay per step of "exp_range", in (0, 1]; must stay 1 for the other modes.

    Raises:
        ValueError: ``low > high``, a bad length, an unknown mode, a `gamma` outside (0, 1] or a
            `gamma` other than 1 without ``mode="exp_range"``.

    Example:
        >>> from lrkit import cyclic
        >>> s = cyclic(0.1, 1.0, steps_up=2, mode="triangular2")
        >>> [round(s(t), 4) for t in range(11)]
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125, 0.325]

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017.
    """

    low: Any
    high: Any = 1.0
    _: dataclasses.KW_ONLY
    steps_up: int | float
    steps_down: int | float | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    lengths = ("steps_up", "steps_down")
    values = ("low", "high")
    positional = ("low",)

    def __post_init__(self) -> None:
        owner = "cyclic"
        low = check_value(owner, "low", self.low)
        high = check_value(owner, "high", self.high)
        _check_order(low, high)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        up = check_length(owner, "steps_up", self.steps_up, allow_none=False)
        # NOTE: None is "as long as the rise" here, not "the rest of the run", so it is written out.
        down = (
            up
            if self.steps_down is None
            else check_length(owner, "steps_down", self.steps_down, allow_none=False)
        )
        object.__setattr__(self, "steps_up", up)
        object.__setattr__(self, "steps_down", down)
        check_choice(owner, "mode", self.mode, MODES)
        gamma = check_number(owner, "gamma", self.gamma, low=0.0, high=1.0, low_open=True)
        if gamma != 1.0 and self.mode != "exp_range":
            raise fail(owner, "gamma", self.gamma, f"1.0 with mode={self.mode!r} (only 'exp_range' uses it)")
        object.__setattr__(self, "gamma", gamma)

    def _resolve(self, run: Run) -> Schedule:
        resolved = super()._resolve(run)
        _check_order(resolved.low, resolved.high)  # type: ignore[attr-defined]
        return resolved

    def _constants(self) -> tuple[float, float]:
        """torch's ``total_size`` and ``step_ratio``, from the float lengths."""
        up = float(self.steps_up)
        total = up + float(self.steps_down)  # type: ignore[arg-type]
        return total, up / total

    def _at(self, t: float) -> float:
        total, ratio = self._constants()
        cycle = math.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        height = (self.high - self.low) * scale
        if self.mode == "triangular":
            return float(self.low + height * 1.0)
        if self.mode == "triangular2":
            # 2.0 ** 1024 overflows (numpy: inf, and 1 / inf = 0): the amplitude is 0 from there on.
            halving = 1 / (2.0 ** (cycle - 1)) if cycle <= 1024 else 0.0
            return float(self.low + height * halving)
        # NOTE: numpy's power over a one-element array of exponents: the same loop as `_over` (numpy's
        # power of two floats takes another path), so both paths agree to the last bit (~0.7 us).
        return float(self.low + height * float(np.power(self.gamma, np.array([t])).item()))

    def _over(self, t: FloatArray) -> FloatArray:
        total, ratio = self._constants()
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        height = (self.high - self.low) * scale
        if self.mode == "triangular":
            out = self.low + height * 1.0
        elif self.mode == "triangular2":
            with np.errstate(over="ignore"):
                out = self.low + height * (1 / (2.0 ** (cycle - 1)))
        else:
            out = self.low + height * np.power(self.gamma, t)
        return np.asarray(out, dtype=np.float64)


def _check_order(low: Any, high: Any) -> None:
    """`low <= high` when both are factors, or both absolute values."""
    comparable = isinstance(low, Absolute) == isinstance(high, Absolute)
    if not comparable:
        return
    lo = low.value if isinstance(low, Absolute) else low
    hi = high.value if isinstance(high, Absolute) else high
    if lo > hi:
        raise fail("cyclic", "low", low, f"<= high={high!r}")


cyclic = Cyclic
