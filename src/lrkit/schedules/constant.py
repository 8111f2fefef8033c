"""The constant schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Constant", "constant"]


@schedule_class("constant")
class Constant(Schedule):
    """A factor that never changes: ``f(t) = value``.

    Open-ended: it needs no total. Its horizon is step 0.

    Args:
        value: the factor, any finite number (or `absolute(v)`). Default 1.

    Example:
        >>> from lrkit import constant
        >>> constant(0.5)(0), constant(0.5)(10**9)
        (0.5, 0.5)
    """

    value: Any = 1.0

    values = ("value",)
    positional = ("value",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_value("constant", "value", self.value, signed=True))

    @property
    def horizon(self) -> float:
        return 0.0

    def _at(self, t: float) -> float:
        return float(self.value)

    def _over(self, t: FloatArray) -> FloatArray:
        return np.full(t.shape, float(self.value))


constant = Constant
