"""torch's step-function schedulers: StepLR ... CosineAnnealingWarmRestarts, on the presets.

Each class takes torch's constructor arguments and builds the preset of the same name in
`lrkit.presets.pytorch` (a composition of core schedules); `CompatScheduler` drives it with torch's
step counting. ``lr_g(t) = base_g * preset(t)`` where ``t`` is the number of ``step()`` calls.

(Over 400 lines for one job, torch's eight step-function classes: each is torch's signature,
its checks in torch's words and a docstring; they share the fraction and zero-length helpers.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, ClassVar

import torch

from lrkit._validate import check_int, check_number
from lrkit.compat._base import CompatScheduler, initial_bases, whole
from lrkit.compat._functions import _TorchFunction
from lrkit.compat._shared import ABSOLUTE, AFFINE
from lrkit.presets import pytorch as presets
from lrkit.scheduler import Scheduler, to_float
from lrkit.schedules import Schedule, constant, piecewise_constant
from lrkit.schedules.function import function

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "PolynomialLR",
    "StepLR",
]


def _is_zero(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _negative(value: object) -> bool:
    """A finite factor below 0, which torch applies as it is (the rates change sign)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and -math.inf < value < 0


def _fraction(value: Any) -> bool:
    """A step count between two steps (2.5), which torch computes with."""
    return isinstance(value, float) and math.isfinite(value) and value > 0 and not value.is_integer()


def _torch_period(step_size: Any) -> Any:
    """torch's StepLR decays where ``last_epoch % step_size == 0``: for a float step size, at the
    multiples of the numerator of its exact fraction (2.5 = 5/2: every 5 steps)."""
    step_size = whole(step_size)
    if isinstance(step_size, float) and math.isfinite(step_size) and step_size > 0:
        return Fraction(step_size).numerator
    return step_size


def _grows(value: object) -> bool:
    """A finite factor above 1, which torch accepts (the core's decays take (0, 1])."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value < math.inf


def _power(gamma: float, k: float) -> float:
    """``gamma ** k`` as torch's repeated products reach it: past the float range, a signed inf.

    torch multiplies the rate by ``gamma`` at every step, so a growth that leaves the float range
    writes ``inf`` (``-inf`` for an odd power of a negative gamma); Python's ``**`` raises instead.

    Example:
        >>> _power(1e100, 2), _power(1e100, 4), _power(-1e100, 5)
        (1e+200, inf, -inf)
    """
    try:
        return float(float(gamma) ** k)
    except OverflowError:
        negative = float(gamma) < 0 and int(k) % 2 == 1
        return -math.inf if negative else math.inf


class StepLR(CompatScheduler):
    """torch's ``StepLR``: ``lr = base * gamma ** floor(t / step_size)``.

    Args:
        optimizer: the optimizer.
        step_size: steps between decays, an int >= 1.
        gamma: the multiplier per decay. Default 0.1.
        last_epoch: -1, or the last step taken when resuming (no ``initial_lr`` needed).

    Raises:
        ValueError: `step_size` < 1 (torch would divide by zero at the first step).

    Example (the seeds' question: the rate after 3 epochs):
        >>> import torch
        >>> from lrkit.compat import StepLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> sched.get_last_lr()
        [0.05]
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True

    def __init__(
        self, optimizer: torch.optim.Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size, self.gamma = step_size, gamma
        step_size = _torch_period(step_size)
        schedule: Schedule
        if _is_zero(gamma):  # torch accepts 0: the rate drops to 0 at the first decay
            schedule = piecewise_constant((check_int("StepLR", "step_size", step_size, low=1),), (1.0, 0.0))
        elif _grows(gamma) or _negative(gamma):  # torch accepts growth (range tests), and signs
            size = check_int("StepLR", "step_size", step_size, low=1)
            schedule = _TorchFunction(lambda t: _power(gamma, t // size))
        else:
            schedule = presets.StepLR(step_size, gamma)
        super().__init__(optimizer, schedule, last_epoch)

    def _zeroing_after(self, t: int) -> float | None:
        """torch multiplies by `gamma` where ``last_epoch % step_size == 0``."""
        if self.gamma != 0:
            return None
        for k in range(t + 1, t + 1 + 2 * math.ceil(abs(self.step_size)) + 2):
            if k % self.step_size == 0:
                return k
        return math.inf


class MultiStepLR(CompatScheduler):
    """torch's ``MultiStepLR``: ``lr = base * gamma ** (milestones <= t)``; repeats compound.

    Args:
        optimizer: the optimizer.
        milestones: steps (ints >= 1) at which the rate is multiplied by `gamma`; repeats count twice.
        gamma: the multiplier. Default 0.1.
        last_epoch: -1, or the last step taken when resuming.

    Example:
        >>> import torch
        >>> from lrkit.compat import MultiStepLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = MultiStepLR(opt, milestones=[2, 2], gamma=0.5)
        >>> rates = []
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        ...     rates.append(sched.get_last_lr()[0])
        >>> rates
        [1.0, 0.25, 0.25]
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones, self.gamma = list(milestones), gamma
        # torch decays when `last_epoch in milestones` (0 at construction, then 1, 2, ...): a negative
        # milestone, or one between two steps (2.5), is never met; one of 0 applies from the start.
        milestones = [
            m
            for m in (whole(m) for m in milestones)
            if isinstance(m, bool) or not isinstance(m, (int, float)) or (isinstance(m, int) and m >= 0)
        ]
        schedule: Schedule
        if not milestones:
            super().__init__(optimizer, constant(1.0), last_epoch)
            return
        if 0 in milestones and not isinstance(gamma, bool) and isinstance(gamma, (int, float)):
            presets.MultiStepLR([m for m in milestones if m != 0] or [1], 0.5)  # the others' checks
            marks0 = sorted(milestones)
            # (a negative gamma too: the rates change sign, as torch's)
            counted = _TorchFunction(lambda t: _power(gamma, sum(1 for m in marks0 if m <= t)))
            super().__init__(optimizer, counted, last_epoch)
            return
        if (
            _is_zero(gamma) or _grows(gamma) or _negative(gamma)
        ):  # torch accepts them (0: the rate drops to 0)
            presets.MultiStepLR(milestones, 0.5)  # the milestones' checks
            marks = sorted(int(m) for m in milestones)
            if not marks:
                schedule = constant(1.0)
            elif _is_zero(gamma):
                schedule = piecewise_constant((marks[0],), (1.0, 0.0))
            else:
                schedule = _TorchFunction(lambda t: _power(gamma, sum(1 for m in marks if m <= t)))
        else:
            schedule = presets.MultiStepLR(milestones, gamma)
        super().__init__(optimizer, schedule, last_epoch)

    def _zeroing_after(self, t: int) -> float | None:
        """torch multiplies by `gamma` where ``last_epoch`` is a milestone."""
        if self.gamma != 0:
            return None
        later = [int(m) for m in self.milestones if float(m).is_integer() and m > t]
        return min(later) if later else math.inf


class ConstantLR(CompatScheduler):
    """torch's ``ConstantLR``: ``base * factor`` for ``t < total_iters``, then ``base``.

    With ``total_iters=0`` (accepted by torch), `factor` applies forever, as in torch.

    Args:
        optimizer: the optimizer.
        factor: the multiplier at first, in [0, 1]. Default 1/3.
        total_iters: steps at `factor`, an int >= 0. Default 5.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: `factor` outside [0, 1] (as torch) or `total_iters` < 0.

    Example:
        >>> import torch
        >>> from lrkit.compat import ConstantLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=1)
        >>> before = sched.get_last_lr()
        >>> opt.step(); sched.step()
        >>> before, sched.get_last_lr()
        ([0.05], [0.1])
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.factor, self.total_iters = factor, total_iters
        total_iters = whole(total_iters)
        schedule: Schedule
        # A fraction (2.5): torch restores the rate when last_epoch == total_iters, so never.
        if _fraction(total_iters) or check_int("ConstantLR", "total_iters", total_iters, low=0) == 0:
            schedule = constant(check_number("ConstantLR", "factor", factor, low=0.0, high=1.0))
        else:
            schedule = presets.ConstantLR(factor, total_iters)
        super().__init__(optimizer, schedule, last_epoch)


class LinearLR(CompatScheduler):
    """torch's ``LinearLR``: from ``base * start_factor`` to ``base * end_factor`` over `total_iters`.

    ``lr = base * (s + (e - s) * min(t, T) / T)``. With ``total_iters=0`` (accepted by torch),
    `start_factor` applies forever, as in torch.

    Args:
        optimizer: the optimizer.
        start_factor: in (0, 1]. Default 1/3.
        end_factor: in [0, 1]. Default 1.
        total_iters: an int >= 0. Default 5.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: a factor outside its range (as torch).

    Example:
        >>> import torch
        >>> from lrkit.compat import LinearLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> rates = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
        >>> rates
        [0.05, 0.075, 0.1, 0.1]
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True
    _zero_holds: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        total_iters = whole(total_iters)
        schedule: Schedule
        if _fraction(total_iters):  # torch's steps telescope up to floor(total_iters), then hold
            presets.LinearLR(start_factor, end_factor, 1)  # the factors' checks
            a, b, span = float(start_factor), float(end_factor), float(total_iters)
            schedule = function(lambda t: a + (b - a) * min(t, math.floor(span)) / span)
        elif check_int("LinearLR", "total_iters", total_iters, low=0) == 0:
            check_number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
            start = check_number("LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True)
            schedule = constant(start)
        else:
            schedule = presets.LinearLR(start_factor, end_factor, total_iters)
        super().__init__(optimizer, schedule, last_epoch)


class ExponentialLR(CompatScheduler):
    """torch's ``ExponentialLR``: ``lr = base * gamma ** t``.

    Args:
        optimizer: the optimizer.
        gamma: the multiplier per step, > 0.
        last_epoch: -1, or the last step taken when resuming.

    Example (the seeds' question: stepping before optimizer.step() warns, as in torch):
        >>> import torch, warnings
        >>> from lrkit.compat import ExponentialLR
        >>> opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
        >>> sched = ExponentialLR(opt, gamma=0.9)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     sched.step()
        >>> "before `optimizer.step()`" in str(caught[0].message), round(sched.get_last_lr()[0], 6)
        (True, 0.009)
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True

    def __init__(self, optimizer: torch.optim.Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        zero = _is_zero(gamma)  # torch accepts 0: the rate drops to 0 after one step
        if zero:
            schedule: Schedule = piecewise_constant((1,), (1.0, 0.0))
        elif _grows(gamma) or _negative(gamma):  # torch accepts growth (range tests), and signs
            schedule = _TorchFunction(lambda t: _power(gamma, t))
        else:
            schedule = presets.ExponentialLR(gamma)
        super().__init__(optimizer, schedule, last_epoch)

    def _zeroing_after(self, t: int) -> float | None:
        """torch multiplies by `gamma` at every step."""
        return t + 1 if self.gamma == 0 else None


class PolynomialLR(CompatScheduler):
    """torch's ``PolynomialLR``: ``lr = base * (1 - min(t, T) / T) ** power``.

    Args:
        optimizer: the optimizer.
        total_iters: T, an int >= 1. Default 5.
        power: the exponent, > 0. Default 1.
        last_epoch: -1, or the last step taken when resuming.

    Example:
        >>> import torch
        >>> from lrkit.compat import PolynomialLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = PolynomialLR(opt, total_iters=2, power=1.0)
        >>> rates = []
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
        >>> rates
        [0.05, 0.0, 0.0]
    """

    _scales_added_groups: ClassVar[bool] = True
    _follows_added_groups: ClassVar[bool] = True
    _zero_holds: ClassVar[bool] = True

    def __init__(
        self, optimizer: torch.optim.Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters, self.power = total_iters, power
        total_iters = whole(total_iters)
        schedule: Schedule
        if total_iters == 0 and not isinstance(total_iters, bool):  # torch: past the end from step 1
            schedule = constant(1.0)
        elif _fraction(total_iters):  # torch's steps telescope up to floor(total_iters), then hold
            presets.PolynomialLR(1, power)  # the power's checks
            p, span = float(power), float(total_iters)
            schedule = function(lambda t: (1.0 - min(t, math.floor(span)) / span) ** p)
        elif _is_zero(power):  # torch accepts 0: (1 - t / T) ** 0 is 1 at every step
            check_int("PolynomialLR", "total_iters", total_iters, low=1)
            schedule = constant(1.0)
        else:
            schedule = presets.PolynomialLR(total_iters, power)
        super().__init__(optimizer, schedule, last_epoch)


class CosineAnnealingLR(CompatScheduler):
    """torch's ``CosineAnnealingLR``: ``eta_min + (base - eta_min) * (1 + cos(pi t / T_max)) / 2``.

    As in torch it rises again after `T_max` (period ``2 T_max``).

    Args:
        optimizer: the optimizer.
        T_max: half period, an int >= 1.
        eta_min: the lowest rate (absolute), >= 0. Default 0.
        last_epoch: -1, or the last step taken when resuming.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.

    Example (the seeds' question: T_max=5 over 10 epochs goes down, then up again):
        >>> import torch
        >>> from lrkit.compat import CosineAnnealingLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = CosineAnnealingLR(opt, T_max=5)
        >>> rates = []
        >>> for _ in range(10):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 4))
        >>> rates
        [0.0905, 0.0655, 0.0345, 0.0095, 0.0, 0.0095, 0.0345, 0.0655, 0.0905, 0.1]
    """

    _side: ClassVar[str] = AFFINE  # type: ignore[misc]
    _follows_added_groups: ClassVar[bool] = True  # (a fractional T_max: see below)

    def __init__(
        self, optimizer: torch.optim.Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max, self.eta_min = whole(T_max), eta_min
        period = self.T_max
        if not isinstance(period, bool) and isinstance(period, (int, float)) and period < 0:
            period = -period  # torch's cosines are even: T_max=-5 gives the rates of T_max=5
        if isinstance(period, float) and math.isfinite(period) and period > 0:
            # torch's recursion with a T_max that is not a whole number never meets its restart
            # branch: the closed form, a function of the step for each group's base.
            low = to_float(eta_min)
            bases = initial_bases(optimizer)

            def curve(base: float) -> Schedule:
                share = low / base if base else 0.0
                return function(lambda t: share + (1.0 - share) * (1 + math.cos(math.pi * t / period)) / 2)

            super().__init__(optimizer, [curve(b) for b in bases], last_epoch)
            # NOTE: one curve per group, none for a group added later: side by side, refused.
            self._follows_added_groups = False  # type: ignore[misc]
            return
        super().__init__(optimizer, presets.CosineAnnealingLR(period, eta_min), last_epoch)

    def added_group(self, key: str, index: int, default: Schedule, value: float) -> tuple[Schedule, float]:
        """Alone on its optimizer, a group added with ``add_param_group`` follows torch's recursive
        cosine step from the rate it was added with: ``eta_min + (lr - eta_min) * (1 + cos(pi t' /
        T_max)) / (1 + cos(pi t / T_max))``, until the step where the period restarts, where torch's
        restart term reads `base_lrs` (one per original group) and raises; so does this schedule."""
        period = self.T_max
        if key != "lr" or self._composition.anchor is not None or not isinstance(period, int) or not period:
            return super().added_group(key, index, default, value)
        t = self.updates if self._step_from is None else self._step_from
        low, base = to_float(self.eta_min), value if value else 1.0
        restart = t + 1 + (period - t) % (2 * abs(period))  # the first k > t with (k - 1 - T) % 2T == 0
        first = 1 + math.cos(math.pi * t / period)
        built = self._built_groups

        def factor(p: float) -> float:
            if p >= restart:
                raise ValueError(
                    f"lrkit.compat CosineAnnealingLR.step(): param group {index} was added with "
                    f"add_param_group after this CosineAnnealingLR was built with {built} groups; at "
                    f"step {restart} its period restarts from base_lrs (one per original group) and "
                    f"torch's step raises here too (zip() argument lengths differ)"
                )
            if p == t or first == 0:
                return value / base
            return (low + (value - low) * (1 + math.cos(math.pi * p / period)) / first) / base

        return _TorchFunction(factor), base

    def _refuse_added_groups(self, n: int) -> None:
        """torch's cosine step moves an added group's rate towards `eta_min` like the others, until the
        step where its period restarts, which reads `base_lrs` (one per original group): there its
        ``zip(..., strict=True)`` raises, and so does this (before anything changes)."""
        t, period = self.last_epoch + 1, self.T_max
        if self._follows_added_groups and (t - 1 - period) % (2 * period) != 0:
            return
        raise ValueError(
            f"lrkit.compat CosineAnnealingLR.step(): the optimizer has {n} param groups, "
            f"{self._built_groups} when this CosineAnnealingLR was built; side by side with other "
            f"schedulers, torch's step {t} (its period restarts from base_lrs, one per original group) "
            f"raises here too (zip() argument lengths differ), so lrkit.compat stops at the same step, "
            f"before anything changes. Build the schedulers after adding the groups"
        )

    def _torch_step(self, current: list[float], before: list[float], after: list[float]) -> list[float]:
        """torch's chainable cosine step from the `current` rates (side by side with others): towards
        `eta_min` by the ratio of ``1 + cos(pi t / T_max)`` over its value a step earlier; at a
        restart of the period, up by ``(base - eta_min) * (1 - cos(pi / T_max)) / 2``."""
        t, period, low = self.last_epoch, self.T_max, to_float(self.eta_min)
        if (t - 1 - period) % (2 * period) == 0:
            rise = (1 - math.cos(math.pi / period)) / 2
            return [lr + (base - low) * rise for lr, base in zip(current, self._compat_bases, strict=True)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - low) + low for lr in current]


class CosineAnnealingWarmRestarts(CompatScheduler):
    """torch's ``CosineAnnealingWarmRestarts``: cosines of ``T_0 * T_mult ** k`` steps (SGDR).

    Args:
        optimizer: the optimizer.
        T_0: the first period, an int >= 1.
        T_mult: the period's growth per restart, an int >= 1. Default 1.
        eta_min: the lowest rate (absolute), >= 0. Default 0.
        last_epoch: -1, or the last step taken when resuming.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.

    Example:
        >>> import torch
        >>> from lrkit.compat import CosineAnnealingWarmRestarts
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> rates = []
        >>> for _ in range(6):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
        >>> rates
        [0.05, 0.1, 0.085355, 0.05, 0.014645, 0.1]
    """

    overwrites: ClassVar[bool] = True
    _side: ClassVar[str] = ABSOLUTE  # type: ignore[misc]
    _checks_order: ClassVar[bool] = False  # torch's CosineAnnealingWarmRestarts.step never checks

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer, presets.CosineAnnealingWarmRestarts(T_0, T_mult, eta_min), last_epoch)

    def step(self, epoch: float | None = None) -> None:  # type: ignore[override]
        """Advance by one step, or go to `epoch` (a float: the position within the epochs), as torch.

        torch's documented per-batch use, ``scheduler.step(epoch + i / iters)``, works and, as in
        torch, gives no deprecation or ordering warning; `last_epoch` is ``floor(epoch)``.

        Raises:
            ValueError: a negative `epoch`.
            RuntimeError: this scheduler is a child of a container.
        """
        self._owned()
        if self._composition.anchor is not None:  # side by side (alone: no extra call per step)
            self._composition.check_layout(self)
        if self._composition.pending:
            self._composition.settle()
        if epoch is None:
            Scheduler.step(self)
            self.last_epoch = math.floor(self.updates)
        else:
            position = check_number("CosineAnnealingWarmRestarts.step", "epoch", epoch, low=0.0)
            self.seek(position)
        if self._composition.anchor is not None:
            self._composition.stepped(self, None, absolute=True)
