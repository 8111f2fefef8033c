"""A schedule backed by a Python callable: the one place where user functions enter the core.

torch's ``LambdaLR`` and ``MultiplicativeLR`` (and ``CyclicLR``'s ``scale_fn``) take functions of
the step. `function` wraps one as a schedule so that `lrkit.Scheduler` and `lrkit.compat` drive it
like any other. A function cannot be written as a spec or a config, so this schedule is *not*
registered with the spec language, and `Function.to_config` raises a `TypeError` saying that
functions are not saved: a state that needs it must be rebuilt with the same function.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lrkit._validate import fail
from lrkit.schedules._base import FloatArray, Schedule

__all__ = ["Function", "function"]


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Function(Schedule):
    """The factor given by a Python function of the step: ``f(t) = fn(t)``, or a running product.

    With ``cumulative=False``: ``f(t) = fn(t)`` (torch's ``LambdaLR``). With ``cumulative=True``:
    ``f(t) = fn(1) * fn(2) * ... * fn(floor(t))`` and ``f(0) = 1`` (torch's ``MultiplicativeLR``,
    which multiplies the rate by ``fn(epoch)`` at every step); the products are cached, so each
    step costs one call.

    `fn` receives an ``int`` when the step is a whole number (as torch passes ``last_epoch``), else
    the float. It must return a finite number >= 0; anything else raises when evaluated, naming the
    step and the value. Open-ended: the horizon is None.

    Not registered with the spec language: ``repr`` shows the function's name, and `to_config`
    raises `TypeError` (functions are not saved).

    Args:
        fn: a callable ``step -> factor``.
        cumulative: multiply the values of ``fn(1..t)`` instead. Default False.

    Raises:
        TypeError: `fn` is not callable, `cumulative` is not a bool; when evaluated, `fn` returned
            something that is not a real number.
        ValueError: when evaluated, `fn` returned a negative, NaN or infinite number.

    Example:
        >>> from lrkit.schedules.function import function
        >>> s = function(lambda epoch: 0.5 ** epoch)
        >>> [s(t) for t in range(4)]
        [1.0, 0.5, 0.25, 0.125]
        >>> m = function(lambda epoch: 0.9, cumulative=True)
        >>> [round(m(t), 4) for t in range(4)]
        [1.0, 0.9, 0.81, 0.729]
    """

    fn: Callable[[Any], Any]
    cumulative: bool = False

    name = "function"

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise fail("function", "fn", self.fn, "a callable step -> factor", kind=TypeError)
        if not isinstance(self.cumulative, bool):
            raise fail("function", "cumulative", self.cumulative, "True or False", kind=TypeError)

    #: How errors name the function (a subclass taking another library's function renames it).
    _named = ("The function of function()", "fn")

    def _real(self, t: float) -> tuple[Any, float]:
        """The step as the function is given it (an int when whole) and its value as a float."""
        arg: Any = int(t) if t.is_integer() else t
        raw = self.fn(arg)
        try:
            return arg, float(raw)
        except (TypeError, ValueError):
            what, name = self._named
            raise TypeError(
                f"{what} must return a real number. Received: {name}({arg!r}) = {raw!r}"
            ) from None

    def _call(self, t: float) -> float:
        arg, value = self._real(t)
        if not (value >= 0.0 and math.isfinite(value)):
            raise ValueError(
                f"The function of function() must return a finite factor >= 0. Received: "
                f"fn({arg!r}) = {value!r}"
            )
        return value

    def _at(self, t: float) -> float:
        if not self.cumulative:
            return self._call(t)
        products: list[float] | None = self.__dict__.get("_products")
        if products is None:
            products = [1.0]
            object.__setattr__(self, "_products", products)
        k = int(t)
        while len(products) <= k:
            products.append(products[-1] * self._call(float(len(products))))
        return products[k]

    def _over(self, t: FloatArray) -> FloatArray:
        return np.array([self._at(float(x)) for x in t.ravel()], dtype=np.float64).reshape(t.shape)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.fn is other.fn and self.cumulative == other.cumulative  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(("function", id(self.fn), self.cumulative))

    def to_config(self) -> dict[str, Any]:
        """Always raises: a Python function is not saved (rebuild the schedule with the function)."""
        raise TypeError(
            f"function({self._fn_name()}) cannot be saved as a config: Python functions are not "
            f"saved. Rebuild it with the same function (lrkit.compat.LambdaLR and MultiplicativeLR "
            f"save only their counters and base rates)"
        )

    def _fn_name(self) -> str:
        return str(getattr(self.fn, "__qualname__", None) or type(self.fn).__name__)

    def __repr__(self) -> str:
        extra = ", cumulative=True" if self.cumulative else ""
        return f"function({self._fn_name()}{extra})"


function = Function
