"""The piecewise linear schedule: straight lines through given points."""

from __future__ import annotations

import bisect
import itertools
import numbers
from collections.abc import Sequence as Seq
from typing import Any

import numpy as np

from lrkit._validate import fail
from lrkit.schedules._base import FloatArray, Run, Schedule, check_value, schedule_class

__all__ = ["PiecewiseLinear", "piecewise_linear"]

_ALLOWED = "a non-empty list of positions: ints >= 0 (steps) or floats in [0, 1] (fractions of the run)"


def _positions(values: Any) -> tuple[int | float, ...]:
    """Check the points' positions: ints >= 0 or fractions in [0, 1], strictly increasing."""
    items = values.tolist() if isinstance(values, np.ndarray) else values
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise fail("piecewise_linear", "steps", items, _ALLOWED, kind=TypeError)
    checked: list[int | float] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            raise fail("piecewise_linear", "steps", list(items), _ALLOWED, kind=TypeError)
        if isinstance(item, numbers.Integral):
            if int(item) < 0:
                raise fail("piecewise_linear", "steps", list(items), _ALLOWED)
            checked.append(int(item))
        else:
            number = float(item)
            if not 0.0 <= number <= 1.0:
                raise fail("piecewise_linear", "steps", list(items), _ALLOWED)
            checked.append(number)
    if not checked:
        raise fail("piecewise_linear", "steps", list(items), _ALLOWED)
    # 0 is the same position in steps and as a fraction; any other position fixes the kind.
    kinds = {isinstance(item, int) for item in checked if item != 0}
    if len(kinds) > 1:
        raise fail(
            "piecewise_linear", "steps", list(items), "all steps (ints) or all fractions (floats), not a mix"
        )
    if any(b <= a for a, b in itertools.pairwise(checked)):
        raise fail("piecewise_linear", "steps", list(items), "strictly increasing")
    return tuple(checked)


@schedule_class("piecewise_linear")
class PiecewiseLinear(Schedule):
    """Straight lines through the points ``(steps[i], values[i])``; flat before and after them.

    For ``steps[i] <= t < steps[i + 1]``:
    ``f(t) = values[i] + (values[i+1] - values[i]) / (steps[i+1] - steps[i]) * (t - steps[i])``
    (the operation order of ``numpy.interp``); ``f(t) = values[0]`` before the first point and
    ``values[-1]`` from the last point on (optax's piecewise_interpolate_schedule with the values
    written out, fastai's ``combine_scheds`` of linear pieces).

    Boundaries: ``f(steps[i]) = values[i]`` exactly at every point; the horizon is the last point.

    Args:
        steps: strictly increasing positions: ints >= 0 (steps) or floats in [0, 1] (fractions of
            the run, rounded up to whole steps); the first may be 0.
        values: one finite factor (or `absolute(v)`) per position.

    Raises:
        ValueError: positions out of order or repeated (also once fractions are rounded to steps),
            negative, a mix of ints and fractions, or a number of values that differs.

    Example:
        >>> from lrkit import piecewise_linear
        >>> s = piecewise_linear([0, 2, 6], [0.0, 1.0, 0.2])
        >>> [round(s(t), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]
    """

    steps: Seq[int | float]  # a list is accepted; stored as a tuple
    # NOTE: this field shadows the `Schedule.values` class variable (the names of value fields), so
    # the class resolves its `absolute` values itself in `_resolve`.
    values: Seq[Any]  # type: ignore[misc, assignment]

    lengths = ("steps",)
    positional = ("steps", "values")

    def __post_init__(self) -> None:
        steps = _positions(self.steps)
        items = self.values.tolist() if isinstance(self.values, np.ndarray) else self.values
        if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
            raise fail("piecewise_linear", "values", items, "a list of factors", kind=TypeError)
        values = tuple(check_value("piecewise_linear", "values", item, signed=True) for item in items)
        if len(values) != len(steps):
            raise fail(
                "piecewise_linear", "values", list(items), f"one value per position ({len(steps)} values)"
            )
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "values", values)

    def _resolve(self, run: Run) -> Schedule:
        steps = run.length("piecewise_linear", "steps", self.steps)
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError(
                "Argument `steps` of piecewise_linear() must be strictly increasing once resolved. "
                f"Received: steps={list(self.steps)!r} -> {list(steps)!r} steps"
            )
        return PiecewiseLinear(steps, run.value("piecewise_linear", "values", self.values))

    @property
    def horizon(self) -> float | None:
        if not all(isinstance(s, int) for s in self.steps):
            return None
        return float(self.steps[-1])

    def _arrays(self) -> tuple[FloatArray, FloatArray]:
        cached = self.__dict__.get("_cached_arrays")
        if cached is None:
            cached = (np.asarray(self.steps, dtype=np.float64), np.asarray(self.values, dtype=np.float64))
            object.__setattr__(self, "_cached_arrays", cached)
        return cached  # type: ignore[no-any-return]

    def _at(self, t: float) -> float:
        i = bisect.bisect_right(self.steps, t)
        if i == 0:
            return float(self.values[0])
        if i == len(self.steps):
            return float(self.values[-1])
        s0, s1 = float(self.steps[i - 1]), float(self.steps[i])
        v0, v1 = float(self.values[i - 1]), float(self.values[i])
        return (v1 - v0) / (s1 - s0) * (t - s0) + v0

    def _over(self, t: FloatArray) -> FloatArray:
        steps, values = self._arrays()
        return np.interp(t, steps, values)


piecewise_linear = PiecewiseLinear
