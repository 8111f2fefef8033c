"""Integer powers for `restarts`, by repeated squaring: the same IEEE operations in `_at` and `_over`.

``x ** n`` (the peak decay ``decay**k``) and ``(1 + d) ** n - 1`` (the cycle starts,
``mult**k - 1``) for int ``n >= 0``: the scalar and the array form of each run the same
multiplications and additions, so scalar and vectorized evaluation agree to the last bit (numpy's
SIMD power differs from the C library's in the last bit), in O(log n) whatever `n`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lrkit.schedules._base import FloatArray

__all__ = ["growth", "growths", "power", "powers"]


def power(x: float, n: int) -> float:
    """``x ** n`` for an int ``n >= 0`` by repeated squaring (the same operations as `powers`)."""
    result = 1.0
    while n:
        if n & 1:
            result = result * x
        x = x * x
        n >>= 1
    return result


def powers(x: float, n: npt.NDArray[np.int64]) -> FloatArray:
    """``x ** n`` elementwise, bit-identical to `power`."""
    result = np.ones(n.shape, dtype=np.float64)
    base = x
    n = n.copy()
    with np.errstate(over="ignore", under="ignore"):
        while n.any():
            result = np.where(n & 1, result * base, result)
            base = base * base
            n >>= 1
    return result


def growth(d: float, n: int) -> float:
    """``(1 + d) ** n - 1`` for an int ``n >= 0``, by repeated squaring of `d` itself.

    Each step is ``(1 + a)(1 + b) - 1 = a + b (1 + a)``: no digit is lost when ``1 + d`` is within
    a few ulps of 1 (squaring ``1 + d`` would keep none of them after 52 squarings).
    """
    result = 0.0
    while n:
        if n & 1:
            result = result + d * (1.0 + result)
        d = d * (2.0 + d)
        n >>= 1
    return result


def growths(d: float, n: npt.NDArray[np.int64]) -> FloatArray:
    """`growth` elementwise, bit-identical."""
    result = np.zeros(n.shape, dtype=np.float64)
    n = n.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        while n.any():
            result = np.where(n & 1, result + d * (1.0 + result), result)
            d = d * (2.0 + d)
            n >>= 1
    return result
