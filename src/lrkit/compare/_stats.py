"""Statistics over seeds: Student-t intervals of a mean, paired comparisons, ties within noise.

Written from the textbook formulas (stdlib only): Student's t distribution for an integer number
of degrees of freedom has a closed-form CDF (Abramowitz & Stegun 26.7.3 and 26.7.4), inverted by
bisection. The tests check every number against scipy.

* `interval(values)`: the mean and its two-sided 95 % interval ``mean ± t(0.975, n-1) * s / sqrt(n)``
  (``s`` the sample standard deviation).
* `paired(a, b)`: the differences ``a_i - b_i`` of two schedules on the same seeds (so the same
  initial weights and batches): their mean, its interval, and the paired t-test's two-sided p-value.
* A difference is *within noise* (a tie) when its interval contains 0, or when it is smaller than
  the metric's resolution (one validation example for an accuracy): the table does not rank it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

__all__ = ["LEVEL", "Interval", "Paired", "interval", "paired", "t_cdf", "t_quantile"]

#: The confidence level of every interval.
LEVEL = 0.95


def _central(t: float, df: int) -> float:
    """``P(|T| < t)`` for Student's t with `df` >= 1 degrees of freedom and t >= 0 (A&S 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return 2.0 / math.pi * (theta + math.sin(theta) * total) if df > 1 else 2.0 * theta / math.pi
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return math.sin(theta) * total


def t_cdf(t: float, df: int) -> float:
    """The CDF of Student's t with `df` (an int >= 1) degrees of freedom.

    Example:
        >>> round(t_cdf(2.7764451051977987, 4), 6)
        0.975
    """
    half = 0.5 * _central(abs(t), df)
    return 0.5 + half if t >= 0 else 0.5 - half


def t_quantile(p: float, df: int) -> float:
    """The `p`-quantile (0 < p < 1) of Student's t with `df` degrees of freedom (bisection).

    Example:
        >>> round(t_quantile(0.975, 4), 4)
        2.7764
    """
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * max(1.0, high):
            break
    return 0.5 * (low + high)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean over `n` values and its `LEVEL` interval ``[low, high]`` (None below two values).

    Example:
        >>> interval([1.0, 2.0, 3.0]).text(2)
        '2.00 [-0.48, 4.48]'
    """

    mean: float | None
    low: float | None
    high: float | None
    n: int

    def text(self, digits: int = 4, *, scale: float = 1.0) -> str:
        """``mean [low, high]``, ``mean`` alone for one value, ``-`` for none."""
        if self.mean is None:
            return "-"
        if self.low is None or self.high is None:
            return f"{self.mean * scale:.{digits}f}"
        return (
            f"{self.mean * scale:.{digits}f} [{self.low * scale:.{digits}f}, {self.high * scale:.{digits}f}]"
        )


def interval(values: Sequence[float]) -> Interval:
    """The mean of `values` and its two-sided `LEVEL` Student-t interval."""
    n = len(values)
    if n == 0:
        return Interval(None, None, None, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(mean, None, None, 1)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(0.5 + LEVEL / 2.0, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


@dataclasses.dataclass(frozen=True)
class Paired:
    """``a - b`` on the same seeds: the mean difference, its interval, the paired t-test's p-value.

    `tied` is True when the difference is within noise: its interval contains 0, or its size is
    below `resolution` (or fewer than two seeds: nothing can be told apart).
    """

    difference: Interval
    p_value: float | None
    tied: bool


def paired(a: Sequence[float], b: Sequence[float], *, resolution: float = 0.0) -> Paired:
    """Compare two schedules seed by seed (``a[i]`` and ``b[i]`` come from the same seed).

    Example:
        >>> result = paired([2.0, 2.1, 2.3], [1.0, 1.2, 1.1])
        >>> round(result.difference.mean, 6), round(result.p_value, 4), result.tied
        (1.033333, 0.0072, False)
    """
    if len(a) != len(b):
        raise ValueError(f"paired() needs as many values on each side. Received: {len(a)} and {len(b)}")
    differences = [x - y for x, y in zip(a, b, strict=True)]
    diff = interval(differences)
    if diff.mean is None or diff.low is None or diff.high is None:
        return Paired(diff, None, True)
    half = diff.high - diff.mean
    if half == 0.0:
        p_value = 1.0 if diff.mean == 0.0 else 0.0
    else:
        se = half / t_quantile(0.5 + LEVEL / 2.0, diff.n - 1)
        p_value = 1.0 - _central(abs(diff.mean) / se, diff.n - 1)
    tied = diff.low <= 0.0 <= diff.high or abs(diff.mean) < resolution
    return Paired(diff, p_value, tied)
