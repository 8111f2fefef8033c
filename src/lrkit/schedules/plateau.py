"""Plateau: a phase whose value drops by `factor` each time a metric stops improving.

The node is pure: its value is ``max(min, factor ** reductions)`` and ``reductions`` is a field.
`lrkit.Scheduler` feeds metrics (``scheduler.observe(value)``) to the plateau nodes active at the
current position, keeps their counters (`PlateauCounters`) in its own state, and replaces a node by
one with ``reductions + 1`` when `Plateau.judge` says so. This module never imports torch.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["Plateau", "PlateauCounters", "plateau"]

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")
CONVENTIONS = ("torch", "keras")
NONFINITE = ("error", "bad")


@dataclasses.dataclass(frozen=True)
class PlateauCounters:
    """What a plateau remembers between evaluations (plain numbers, saved with the scheduler).

    Attributes:
        best: the best metric so far (``inf`` in min mode, ``-inf`` in max mode before any).
        bad: consecutive evaluations without improvement (torch's ``num_bad_epochs``).
        cooldown: evaluations left in the cooldown after a reduction (torch's ``cooldown_counter``).
        evaluations: metrics observed so far.
    """

    best: float
    bad: int = 0
    cooldown: int = 0
    evaluations: int = 0


@schedule_class("plateau")
class Plateau(Schedule):
    """A constant factor that drops to ``factor`` times itself when a metric stops improving.

    ``f(t) = max(min, factor ** reductions)`` for every ``t``; ``reductions`` grows when
    `lrkit.Scheduler.observe` reports metrics that stop improving while this node is active.

    An evaluation improves on ``best`` when (mode ``"min"``) ``metric < best * (1 - threshold)``
    (``threshold_mode="rel"``) or ``metric < best - threshold`` (``"abs"``); mode ``"max"`` mirrors
    it. Otherwise it is *bad*. With ``convention="torch"`` (the default, torch's
    ReduceLROnPlateau) the value is reduced at the ``patience + 1``-th consecutive bad evaluation;
    with ``convention="keras"`` (Keras, optax) at the ``patience``-th. After a reduction,
    ``cooldown`` evaluations are ignored (their bad count is reset to 0). With ``patience=2``,
    ``cooldown=0``, torch convention and metrics ``[1, 1, 1, 1, 1, 1, 1]``:

    ======================  ===  ===  ===  ===  ===  ===  ===
    evaluation              0    1    2    3    4    5    6
    bad count after it      0    1    2    0    1    2    0
    reduction               no   no   no   yes  no   no   yes
    ======================  ===  ===  ===  ===  ===  ===  ===

    A reduction whose change of the scheduled value (``base * (f_before - f_after)``) is not above
    ``eps`` is skipped for that parameter group, as in torch.

    Args:
        factor: the multiplier per reduction, in (0, 1). Default 0.1.
        patience: bad evaluations tolerated, an int >= 0 (>= 1 with ``convention="keras"``).
        threshold: the improvement that counts, >= 0 (relative or absolute). Default 1e-4.
        threshold_mode: "rel" or "abs".
        cooldown: evaluations ignored after each reduction, an int >= 0.
        min: the floor, a factor >= 0 or `absolute(v)` (torch's ``min_lr``). Default 0.
        mode: "min" (a loss) or "max" (an accuracy).
        eps: the smallest change of the scheduled value that is applied, >= 0. Default 1e-8.
        convention: "torch" (reduce after ``patience + 1`` bad evaluations) or "keras"
            (after ``patience``).
        nonfinite: what a NaN or infinite metric does: "error" (raise ValueError, the default) or
            "bad" (count it as a bad evaluation).
        reductions: the reductions made so far, an int >= 0 (set by the scheduler).

    Raises:
        ValueError: an argument outside its range, as listed above.

    Example:
        >>> from lrkit import plateau
        >>> p = plateau(factor=0.5, patience=1)
        >>> p(0), p.reduced()(0), p.reduced().reduced()(100)
        (1.0, 0.5, 0.25)
        >>> state = p.start()
        >>> reduced = []
        >>> for metric in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     state, reduce = p.judge(state, metric)
        ...     reduced.append(reduce)
        >>> reduced
        [False, False, False, True, False]
    """

    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min: Any = 0.0
    mode: str = "min"
    eps: float = 1e-8
    convention: str = "torch"
    nonfinite: str = "error"
    reductions: int = 0

    values = ("min",)

    def __post_init__(self) -> None:
        factor = check_number(
            "plateau", "factor", self.factor, low=0.0, high=1.0, low_open=True, high_open=True
        )
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "patience", check_int("plateau", "patience", self.patience, low=0))
        object.__setattr__(self, "threshold", check_number("plateau", "threshold", self.threshold, low=0.0))
        check_choice("plateau", "threshold_mode", self.threshold_mode, THRESHOLD_MODES)
        object.__setattr__(self, "cooldown", check_int("plateau", "cooldown", self.cooldown, low=0))
        object.__setattr__(self, "min", check_value("plateau", "min", self.min))
        check_choice("plateau", "mode", self.mode, MODES)
        object.__setattr__(self, "eps", check_number("plateau", "eps", self.eps, low=0.0))
        check_choice("plateau", "convention", self.convention, CONVENTIONS)
        check_choice("plateau", "nonfinite", self.nonfinite, NONFINITE)
        object.__setattr__(self, "reductions", check_int("plateau", "reductions", self.reductions, low=0))
        if self.convention == "keras" and self.patience < 1:
            raise fail("plateau", "patience", self.patience, "an int >= 1 with convention='keras'")
        if self.threshold_mode == "rel" and self.threshold >= 1.0:
            raise fail("plateau", "threshold", self.threshold, "a number in [0, 1) with threshold_mode='rel'")

    # -- the value -----------------------------------------------------------------------------

    @property
    def horizon(self) -> float | None:
        """None: the value may still change whenever a metric is observed."""
        return None

    def _value(self) -> float:
        cached = self.__dict__.get("_cached_value")
        if cached is None:
            cached = max(float(self.min), self.factor**self.reductions)
            object.__setattr__(self, "_cached_value", cached)
        return float(cached)

    def _at(self, t: float) -> float:
        return self._value()

    def _over(self, t: FloatArray) -> FloatArray:
        return np.full(t.shape, self._value())

    def reduced(self) -> Plateau:
        """This node after one more reduction (``reductions + 1``)."""
        return dataclasses.replace(self, reductions=self.reductions + 1)

    # -- the metric logic -----------------------------------------------------------------------

    def start(self) -> PlateauCounters:
        """The counters before any evaluation."""
        return PlateauCounters(best=math.inf if self.mode == "min" else -math.inf)

    def improves(self, metric: float, best: float) -> bool:
        """True when `metric` improves on `best` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (1.0 + self.threshold)
        return metric > best + self.threshold

    def judge(self, counters: PlateauCounters, metric: Any) -> tuple[PlateauCounters, bool]:
        """The counters after one evaluation of `metric`, and whether to reduce now.

        Follows torch's ReduceLROnPlateau.step line by line (with ``convention="torch"``).

        Raises:
            ValueError: the metric is NaN or infinite and ``nonfinite="error"``.
            TypeError: the metric is not a real number.
        """
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            try:
                metric = float(metric)
            except (TypeError, ValueError):
                raise TypeError(f"A plateau observes real numbers. Received: metric={metric!r}") from None
        value = float(metric)
        best, bad, cooldown = counters.best, counters.bad, counters.cooldown
        if not math.isfinite(value):
            if self.nonfinite == "error":
                raise ValueError(
                    f"A plateau observed a non-finite metric. Received: metric={value!r} (evaluation "
                    f"{counters.evaluations}); use plateau(nonfinite='bad') to count it as a bad evaluation"
                )
            bad += 1
        elif self.improves(value, best):
            best, bad = value, 0
        else:
            bad += 1
        if cooldown > 0:
            cooldown -= 1
            bad = 0
        limit = self.patience if self.convention == "keras" else self.patience + 1
        reduce = bad >= limit
        if reduce:
            cooldown, bad = self.cooldown, 0
        return PlateauCounters(best, bad, cooldown, counters.evaluations + 1), reduce


plateau = Plateau
