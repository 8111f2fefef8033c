"""torch's CyclicLR and OneCycleLR, with momentum (or Adam's beta1) cycling.

The learning rates come from the presets ``lrkit.presets.pytorch.CyclicLR`` / ``OneCycleLR``
(compositions of `cyclic` and `one_cycle`). OneCycleLR's momentum is `one_cycle` turned upside
down (from ``max/base`` down to 1 where the rate peaks, back up; times ``base``). What no core
schedule expresses is written as `function` schedules that follow torch's arithmetic step by step:
CyclicLR with a custom `scale_fn`, CyclicLR's momentum, and OneCycleLR's momentum with a
`base_momentum` of 0 (which has no factor form). Both classes take absolute rates, so the internal
base of every group is 1.0 and the factors are the rates themselves; ``base_lrs`` shows torch's
values.

(Over 400 lines for one job, the two cycling classes: CyclicLR and OneCycleLR share the
momentum keys, the `function` schedules written in torch's arithmetic and the layout checks.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.compat._base import CompatScheduler, copied, per_group, whole
from lrkit.compat._shared import ABSOLUTE
from lrkit.presets import pytorch as presets
from lrkit.scheduler import to_float
from lrkit.schedules import Schedule, absolute, one_cycle, scale
from lrkit.schedules.function import function

__all__ = ["CyclicLR", "OneCycleLR", "OneCycleEndWarning"]


class OneCycleEndWarning(UserWarning):
    """OneCycleLR was stepped past its last step and holds its final rate (shown once)."""


def _momentum_key(owner: str, optimizer: torch.optim.Optimizer) -> str:
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"Argument `cycle_momentum` of {owner}() must be False for {type(optimizer).__name__}, which "
            f"has neither `momentum` nor `betas` (torch: 'optimizer must support momentum or beta1 with "
            f"`cycle_momentum` option enabled'). Received: cycle_momentum=True"
        )
    return "betas" if "betas" in optimizer.defaults else "momentum"


def _prepare_momentum(optimizer: torch.optim.Optimizer, key: str) -> None:
    """Set each group's momentum (or beta1) to 1.0 so that lrkit's base is 1 and factors are values."""
    for group in optimizer.param_groups:
        if key == "betas":
            group["betas"] = (1.0, *group["betas"][1:])
        else:
            group["momentum"] = 1.0


def _number(value: Any) -> Any:
    """A tensor argument as a float (torch takes tensors: it clones them); anything else as given."""
    return to_float(value) if isinstance(value, torch.Tensor) else value


def _steps(owner: str, name: str, value: Any) -> int | float:
    """A step size: an int >= 1, or a float > 0 (torch computes with ``float(step_size)``)."""
    value = whole(value)
    if isinstance(value, float):
        return check_number(owner, name, value, low=0.0, low_open=True)
    return check_int(owner, name, value, low=1)


def _real(owner: str, name: str, value: Any) -> float:
    return check_number(owner, name, _number(value), low=0.0)


class CyclicLR(CompatScheduler):
    """torch's ``CyclicLR``: triangular cycles between `base_lr` and `max_lr` (absolute rates).

    With ``L = up + down``, ``cycle = floor(1 + t / L)``, ``x = 1 + t / L - cycle``, ``s = x / r`` if
    ``x <= r`` else ``(x - 1) / (r - 1)`` (``r = up / L``): ``lr = base_lr + (max_lr - base_lr) * s *
    g`` where ``g = scale_fn(cycle)`` (scale_mode "cycle") or ``scale_fn(t)`` ("iterations");
    ``momentum = max_m - (max_m - base_m) * s * g``.

    Args:
        optimizer: the optimizer.
        base_lr: lowest rate(s), a number >= 0 or one per group.
        max_lr: highest rate(s), >= `base_lr`, or one per group.
        step_size_up: steps of the rise, an int >= 1. Default 2000.
        step_size_down: steps of the fall, an int >= 1 or None (= `step_size_up`).
        mode: "triangular", "triangular2" or "exp_range" (ignored when `scale_fn` is given).
        gamma: exp_range's decay per step. Default 1.
        scale_fn: a custom amplitude function, or None.
        scale_mode: "cycle" or "iterations" (what `scale_fn` receives).
        cycle_momentum: cycle momentum (SGD) or beta1 (Adam family) inversely. Default True.
        base_momentum: lowest momentum(s), in [0, 1). Default 0.8.
        max_momentum: highest momentum(s), in [0, 1). Default 0.9.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: an unknown mode without `scale_fn`, a list of the wrong length, `cycle_momentum`
            with an optimizer without momentum or betas, `base_lr` > `max_lr`.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017.

    Example:
        >>> import torch
        >>> from lrkit.compat import CyclicLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
        >>> rates = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 4))
        >>> rates, opt.param_groups[0]["momentum"]
        ([0.1, 0.55, 1.0, 0.55, 0.1], 0.9)
    """

    overwrites: ClassVar[bool] = True
    _side: ClassVar[str] = ABSOLUTE  # type: ignore[misc]
    _bases_from_args: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        owner = "CyclicLR"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        n = len(optimizer.param_groups)
        lows = [_real(owner, "base_lr", v) for v in per_group(owner, "base_lr", base_lr, n)]
        highs = [_real(owner, "max_lr", v) for v in per_group(owner, "max_lr", max_lr, n)]
        up = _steps(owner, "step_size_up", step_size_up)
        down = up if step_size_down is None else _steps(owner, "step_size_down", step_size_down)
        if scale_fn is None:
            check_choice(owner, "mode", mode, ("triangular", "triangular2", "exp_range"))
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
            g: Callable[[Any], float] = {
                "triangular": lambda x: 1.0,
                "triangular2": lambda x: 1 / (2.0 ** (x - 1)),
                "exp_range": lambda x: gamma**x,
            }[mode]
        else:
            if not callable(scale_fn):
                raise fail(owner, "scale_fn", scale_fn, "a function or None", kind=TypeError)
            check_choice(owner, "scale_mode", scale_mode, ("cycle", "iterations"))
            g = scale_fn
        self.base_lrs_given, self.max_lrs = lows, highs
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        self.mode, self.gamma, self.scale_mode = mode, gamma, scale_mode
        self.cycle_momentum = bool(cycle_momentum)
        wave = _Wave(up, down, g, scale_mode)
        core = not (mode == "exp_range" and not 0 < gamma <= 1)  # torch takes any gamma (0: no rise)
        core = core and isinstance(up, int) and isinstance(down, int)  # torch takes float step sizes
        if scale_fn is None and core and all(lo <= hi for lo, hi in zip(lows, highs, strict=True)):
            lr: list[Schedule] = [
                presets.CyclicLR(lo, hi, int(up), int(down), mode, gamma)
                for lo, hi in zip(lows, highs, strict=True)
            ]
        else:
            # The function gives rates: scaled by absolute(1.0), they are factors of any base.
            ranges = list(zip(lows, highs, strict=True))
            rising = {r: scale(function(wave.rising(*r)), absolute(1.0)) for r in dict.fromkeys(ranges)}
            lr = [rising[r] for r in ranges]
        hparams = None
        if self.cycle_momentum:
            key = _momentum_key(owner, optimizer)
            self.use_beta1 = key == "betas"
            self.base_momentums = [
                _real(owner, "base_momentum", v) for v in per_group(owner, "base_momentum", base_momentum, n)
            ]
            self.max_momentums = [
                _real(owner, "max_momentum", v) for v in per_group(owner, "max_momentum", max_momentum, n)
            ]
            if last_epoch == -1:
                _momentum_keys(optimizer, base_momentum, max_momentum)
            _prepare_momentum(optimizer, key)
            pairs = list(zip(self.base_momentums, self.max_momentums, strict=True))
            falling = {pair: function(wave.falling(*pair)) for pair in dict.fromkeys(pairs)}
            hparams = {"momentum": [falling[pair] for pair in pairs]}
        if last_epoch == -1:  # torch sets each rate to base_lr, then `initial_lr` unless present
            given = per_group(owner, "base_lr", base_lr, n)
            for group, low in zip(optimizer.param_groups, given, strict=True):
                group.setdefault("initial_lr", copied(low))
        super().__init__(optimizer, lr, last_epoch, hparams=hparams, bases=[1.0] * n)
        self.base_lrs = self._public_bases()

    def _public_bases(self) -> list[float | torch.Tensor]:
        return list(self.base_lrs_given)


def _momentum_keys(optimizer: torch.optim.Optimizer, base: Any, top: Any) -> None:
    """torch's ``max_momentum`` and ``base_momentum`` keys in each group (CyclicLR, OneCycleLR)."""
    n = len(optimizer.param_groups)
    tops, bases = per_group("", "max_momentum", top, n), per_group("", "base_momentum", base, n)
    for group, m, b in zip(optimizer.param_groups, tops, bases, strict=True):
        group["max_momentum"] = copied(m)
        group["base_momentum"] = copied(b)


class _Wave:
    """torch's CyclicLR arithmetic, operation by operation (for scale_fn and momentum)."""

    def __init__(self, up: float, down: float, g: Callable[[Any], float], scale_mode: str) -> None:
        self.total = float(up + down)
        self.ratio = up / self.total
        self.g = g
        self.by_cycle = scale_mode == "cycle"

    def _parts(self, t: Any) -> tuple[float, float]:
        cycle = math.floor(1 + t / self.total)
        x = 1.0 + t / self.total - cycle
        s = x / self.ratio if x <= self.ratio else (x - 1) / (self.ratio - 1)
        return s, float(self.g(cycle if self.by_cycle else t))

    def rising(self, low: float, high: float) -> Callable[[Any], float]:
        def fn(t: Any) -> float:
            s, g = self._parts(t)
            return low + (high - low) * s * g

        return fn

    def falling(self, low: float, high: float) -> Callable[[Any], float]:
        def fn(t: Any) -> float:
            s, g = self._parts(t)
            return high - (high - low) * s * g

        return fn


def _anneal(strategy: str) -> Callable[[float, float, float], float]:
    if strategy == "cos":
        return lambda start, end, pct: end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return lambda start, end, pct: (end - start) * pct + start


class OneCycleLR(CompatScheduler):
    """torch's ``OneCycleLR``: up from ``max_lr / div_factor`` to `max_lr`, then down to a minimum.

    Phases end at the float steps ``pct_start * N - 1`` and ``N - 1`` (three-phase:
    ``pct_start * N - 1``, ``2 * pct_start * N - 2``, ``N - 1``); each anneals with
    ``end + (start - end) / 2 * (cos(pi * pct) + 1)`` ("cos") or linearly; momentum goes the
    other way (max -> base -> max). Unlike torch, stepping past the last step (``N - 1``) holds
    the final rate and momentum with one `OneCycleEndWarning`; ``past_end="error"`` raises torch's
    ValueError at step ``N + 1`` instead.

    Args:
        optimizer: the optimizer.
        max_lr: the peak rate(s), > 0, or one per group.
        total_steps: N, an int >= 2; or None with `epochs` and `steps_per_epoch`.
        epochs: with `steps_per_epoch`, ``N = epochs * steps_per_epoch``.
        steps_per_epoch: see `epochs`.
        pct_start: the rise's share of N, in (0, 1), such that every phase is non-empty. Default 0.3.
        anneal_strategy: "cos" or "linear".
        cycle_momentum: cycle momentum or beta1. Default True.
        base_momentum: momentum at the peak, in [0, 1), or one per group. Default 0.85.
        max_momentum: momentum at the ends, in [0, 1), or one per group. Default 0.95.
        div_factor: ``initial = max_lr / div_factor``, > 0. Default 25.
        final_div_factor: ``min = initial / final_div_factor``, > 0. Default 1e4.
        three_phase: torch's three-phase variant. Default False.
        last_epoch: -1, or the last step taken when resuming.
        past_end: "hold" (default) or "error" (torch's behaviour), keyword only.

    Raises:
        ValueError: neither `total_steps` nor `epochs` and `steps_per_epoch`, an argument out of
            range, `cycle_momentum` with an optimizer without momentum or betas; with
            ``past_end="error"``, stepping past ``N`` (torch's message).

    Reference: Smith & Topin, "Super-Convergence", 2017.

    Example:
        >>> import torch
        >>> from lrkit.compat import OneCycleLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> rates = [round(sched.get_last_lr()[0], 4)]
        >>> for _ in range(9):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 4))
        >>> rates[:4], rates[-1]
        ([0.04, 0.52, 1.0, 0.9505], 0.0)
    """

    overwrites: ClassVar[bool] = True
    _added_group_keys: ClassVar[tuple[str, ...]] = ("initial_lr", "max_lr", "min_lr")
    _side: ClassVar[str] = ABSOLUTE  # type: ignore[misc]
    _bases_from_args: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
        *,
        past_end: str = "hold",
    ) -> None:
        owner = "OneCycleLR"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        self.past_end = check_choice(owner, "past_end", past_end, ("hold", "error"))
        n = len(optimizer.param_groups)
        peaks = [
            check_number(owner, "max_lr", _number(v), low=0.0, low_open=True)
            for v in per_group(owner, "max_lr", max_lr, n)
        ]

        def preset(peak: float, total: Any, pct: Any) -> Schedule:
            return presets.OneCycleLR(
                peak,
                total,
                epochs if total is total_steps else None,
                steps_per_epoch if total is total_steps else None,
                pct,
                anneal_strategy,
                div_factor=div_factor,
                final_div_factor=final_div_factor,
                three_phase=three_phase,
            )

        try:
            lr = [preset(peak, total_steps, pct_start) for peak in peaks]
        except ValueError as error:
            # torch also runs layouts the core's one_cycle refuses (a rise of one step or less, a
            # total of 1 or 2 steps): its arithmetic, step by step, as a function of the step.
            total = _short_layout(error, preset, peaks[0], total_steps, epochs, steps_per_epoch, pct_start)
            anneal = _anneal(anneal_strategy)
            lr = [
                scale(
                    function(
                        _torch_one_cycle(
                            p, total, pct_start, div_factor, final_div_factor, three_phase, anneal
                        )
                    ),
                    absolute(1.0),
                )
                for p in peaks
            ]
        steps = total_steps if total_steps is not None else int(epochs) * int(steps_per_epoch)  # type: ignore[arg-type]
        self.total_steps = steps
        self.max_lrs = peaks
        self._initial = [p / div_factor for p in peaks]
        self._warned_end = False
        hparams = None
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            key = _momentum_key(owner, optimizer)
            self.use_beta1 = key == "betas"
            bases = [
                _real(owner, "base_momentum", v) for v in per_group(owner, "base_momentum", base_momentum, n)
            ]
            tops = [
                _real(owner, "max_momentum", v) for v in per_group(owner, "max_momentum", max_momentum, n)
            ]
            ends = [float(pct_start * steps) - 1, float(2 * pct_start * steps) - 2, steps - 1]
            anneal = _anneal(anneal_strategy)
            if three_phase:
                phases = [(ends[0], "max", "base"), (ends[1], "base", "max"), (ends[2], "max", "max")]
            else:
                phases = [(ends[0], "max", "base"), (ends[2], "base", "max")]
            # Groups with the same momentum range share one schedule (one evaluation per step).
            curves: dict[tuple[float, float], Schedule] = {}
            for low, top in zip(bases, tops, strict=True):
                if (low, top) in curves:
                    continue
                shape: Schedule | None = None
                if low > 0.0 and steps > 1 and float(pct_start * steps) - 1 > 0:
                    # The rate's one-cycle turned upside down: from top/low down to 1 where the
                    # rate peaks, back to top/low; times `low` (a composition, no new math).
                    try:
                        shape = one_cycle(
                            steps=steps - 1,
                            peak_at=(float(pct_start * steps) - 1) / (steps - 1),
                            start=top / low,
                            end=top / low,
                            anneal=anneal_strategy,
                            three_phase=bool(three_phase),
                        )
                    except ValueError:  # a layout only torch's arithmetic runs (see the rates)
                        shape = None
                if shape is not None:
                    curves[(low, top)] = scale(shape, absolute(low))
                else:  # a momentum floor of 0 has no factor form: torch's arithmetic, as a function
                    curve = _momentum_curve(phases, {"max": top, "base": low}, anneal, steps)
                    curves[(low, top)] = function(curve)
            hparams = {"momentum": [curves[pair] for pair in zip(bases, tops, strict=True)]}
            if last_epoch == -1:
                _momentum_keys(optimizer, base_momentum, max_momentum)
            _prepare_momentum(optimizer, key)
        if last_epoch == -1:  # torch's keys (code written for torch reads them)
            given = per_group(owner, "max_lr", max_lr, n)
            for group, peak in zip(optimizer.param_groups, given, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = copied(peak)
                group["min_lr"] = group["initial_lr"] / final_div_factor
        super().__init__(optimizer, lr, last_epoch, hparams=hparams, bases=[1.0] * n)
        self.base_lrs = self._public_bases()

    def _public_bases(self) -> list[float | torch.Tensor]:
        return list(self._initial)

    def _after_step(self) -> None:
        last = self.last_epoch
        if last <= self.total_steps:  # the rate at position N is set, but no update has used it yet
            return
        if self.past_end == "error":
            if last > self.total_steps:
                raise ValueError(
                    f"Tried to step {last} times. The specified number of total steps is {self.total_steps}"
                )
            return
        if not self._warned_end:
            self._warned_end = True
            warnings.warn(
                f"OneCycleLR was stepped {last} times, past its last step (total_steps={self.total_steps}, "
                f"steps 0..{self.total_steps - 1}); lrkit.compat holds the final rate (torch would jump back "
                f"up, then raise). Pass past_end='error' for torch's error. This warning is shown once",
                OneCycleEndWarning,
                stacklevel=3,
            )

    def _extra_state(self) -> dict[str, Any]:
        return {"warned_end": self._warned_end}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        self._warned_end = bool(extra.get("warned_end", False))


def _short_layout(
    error: ValueError,
    preset: Callable[[float, Any, Any], Schedule],
    peak: float,
    total_steps: Any,
    epochs: Any,
    steps_per_epoch: Any,
    pct_start: Any,
) -> int:
    """N for a layout torch runs and the core's `one_cycle` refuses; else `error` again."""
    preset(peak, 100, 0.3)  # every other argument's checks (raises what they raise)
    try:
        if total_steps is not None:
            total = check_int("OneCycleLR", "total_steps", total_steps, low=1)
        else:
            total = check_int("OneCycleLR", "epochs", epochs, low=1) * check_int(
                "OneCycleLR", "steps_per_epoch", steps_per_epoch, low=1
            )
        check_number("OneCycleLR", "pct_start", pct_start, low=0.0, high=1.0)
    except (TypeError, ValueError):
        raise error from None
    return total


def _torch_one_cycle(
    peak: float,
    total: int,
    pct_start: float,
    div_factor: float,
    final_div_factor: float,
    three_phase: bool,
    anneal: Callable[[float, float, float], float],
) -> Callable[[Any], float]:
    """torch's OneCycleLR rate at each step (held after step N - 1), for layouts with short phases.

    Raises:
        ValueError: a phase of length 0 that a step falls in (torch divides by zero there).
    """
    ends = [float(pct_start * total) - 1, float(2 * pct_start * total) - 2, float(total - 1)]
    if three_phase:
        phases = [(ends[0], "initial", "max"), (ends[1], "max", "initial"), (ends[2], "initial", "min")]
    else:
        phases = [(ends[0], "initial", "max"), (ends[2], "max", "min")]
    initial = peak / div_factor
    curve = _momentum_curve(
        phases, {"initial": initial, "max": peak, "min": initial / final_div_factor}, anneal, total
    )
    for t in range(total):
        try:
            curve(t)
        except ZeroDivisionError:
            raise ValueError(
                f"Argument `pct_start` of OneCycleLR() makes a phase of length 0 at step {t} with "
                f"total_steps={total}{' and three_phase=True' if three_phase else ''} (torch divides by "
                f"zero there). Received: pct_start={pct_start!r}"
            ) from None
    return curve


def _momentum_curve(
    phases: list[tuple[float, str, str]],
    values: dict[str, float],
    anneal: Callable[[float, float, float], float],
    steps: int,
) -> Callable[[Any], float]:
    def fn(t: Any) -> float:
        step = min(t, steps - 1)
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                return anneal(values[a], values[b], (step - start) / (end - start))
            start = end
        raise AssertionError("unreachable")  # pragma: no cover

    return fn
