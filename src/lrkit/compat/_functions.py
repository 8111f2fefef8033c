"""torch's LambdaLR and MultiplicativeLR: schedules given as Python functions of the step.

Both use `lrkit.schedules.function.function`, the one schedule backed by a callable. Their state
holds the step counters and base rates only: functions are not saved (torch saves the ``__dict__``
of callable objects, which breaks ``weights_only`` loading of anything but plain data), and
`load_state_dict` says so with a `UserWarning` naming the functions it keeps using.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from lrkit._validate import fail
from lrkit.compat._base import CompatScheduler
from lrkit.compat._shared import ABSOLUTE
from lrkit.schedules.function import Function

__all__ = ["LambdaLR", "MultiplicativeLR"]

Fn = Callable[[int], float]


def _functions(owner: str, name: str, value: Any, n: int) -> list[Fn]:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"Argument `{name}` of {owner}() must be one function or a list with one per param group "
                f"({n}). Received: {len(value)} functions"
            )
        items = list(value)
    else:
        items = [value] * n
    for i, fn in enumerate(items):
        if not callable(fn):
            where = name if not isinstance(value, (list, tuple)) else f"{name}[{i}]"
            raise fail(
                owner,
                where,
                fn,
                "a function epoch -> factor, e.g. lambda epoch: 0.95 ** epoch "
                "(torch: lr_lambda should be a function)",
                kind=TypeError,
            )
    return items


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class _TorchFunction(Function):
    """The core's `function` with torch's range: any real factor, negative, infinite or NaN (torch
    writes ``base * lr_lambda(epoch)`` whatever it is; the scheduler warns once when a rate is not
    finite)."""

    _named = ("lr_lambda", "lr_lambda")

    def _call(self, t: float) -> float:
        return self._real(t)[1]


class _FunctionScheduler(CompatScheduler):
    cumulative: ClassVar[bool] = False
    _name: ClassVar[str] = "lr_lambda"

    def __init__(self, optimizer: torch.optim.Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        fns = _functions(owner, self._name, lr_lambda, len(optimizer.param_groups))
        self.lr_lambdas = fns
        built: dict[int, Any] = {}
        schedules = [built.setdefault(id(fn), _TorchFunction(fn, cumulative=self.cumulative)) for fn in fns]
        super().__init__(optimizer, schedules, last_epoch)

    def _extra_state(self) -> dict[str, Any]:
        return {"functions_saved": False}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        names = [getattr(fn, "__qualname__", type(fn).__name__) for fn in self.lr_lambdas]
        warnings.warn(
            f"{type(self).__name__}.load_state_dict: the state holds no functions (lrkit saves plain data "
            f"only); this scheduler keeps the functions it was built with: {names}",
            UserWarning,
            stacklevel=3,
        )


class LambdaLR(_FunctionScheduler):
    """torch's ``LambdaLR``: ``lr = base * lr_lambda(t)`` (a factor of the base rate, not a rate).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function ``epoch -> factor`` (any real number, as in torch), or one per group.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        TypeError: `lr_lambda` (or an item) is not callable.
        ValueError: a list of the wrong length.

    Warns:
        UserWarning: once, when a rate written is infinite or NaN (torch writes it silently).

    Example:
        >>> import torch
        >>> from lrkit.compat import LambdaLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = LambdaLR(opt, lambda epoch: 0.5 ** epoch)
        >>> opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.05]
    """

    overwrites: ClassVar[bool] = True
    _side: ClassVar[str] = ABSOLUTE  # type: ignore[misc]


class MultiplicativeLR(_FunctionScheduler):
    """torch's ``MultiplicativeLR``: ``lr_t = lr_{t-1} * lr_lambda(t)``, so ``base * prod lr_lambda(1..t)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function ``epoch -> factor`` (any real number, as in torch), or one per group.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        TypeError: `lr_lambda` (or an item) is not callable (torch: "'float' object is not callable"
            at the first step).
        ValueError: a list of the wrong length.

    Warns:
        UserWarning: once, when a rate written is infinite or NaN (torch writes it silently).

    Example:
        >>> import torch
        >>> from lrkit.compat import MultiplicativeLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = MultiplicativeLR(opt, lambda epoch: 0.5)
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.025]
    """

    cumulative: ClassVar[bool] = True
