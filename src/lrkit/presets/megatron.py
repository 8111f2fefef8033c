"""Megatron-LM's ``OptimizerParamScheduler`` decay and weight-decay styles, as lrkit compositions.

Registered in the spec language as ``megatron.<style>`` (``megatron.cosine``, ``megatron.wsd``,
``megatron.inverse_square_root``, ...), ``megatron.OptimizerParamScheduler`` (the style chosen by
``lr_decay_style``, as Megatron's own arguments name it) and ``megatron.weight_decay`` (the
``wd_incr_style`` increments). Arguments keep Megatron's names: ``init_lr``, ``max_lr``,
``min_lr``, ``lr_warmup_steps``, ``lr_decay_steps``, ``wsd_decay_steps``, ...

Megatron sets the rate itself (``max_lr`` and ``min_lr`` are rates, the optimizer's own rate is
ignored): the lrkit factor is that rate, so ``lrkit table SPEC --lr 1`` prints Megatron's numbers.
Megatron counts its steps in samples when the run is sized in samples; lrkit counts whatever unit
the scheduler is stepped in, so give the steps in that unit.

Conventions follow Megatron: the warmup (from ``init_lr``, reaching ``max_lr`` at
``t = lr_warmup_steps``) counts inside ``lr_decay_steps``; after ``lr_decay_steps`` the rate is
``min_lr`` (``inverse-square-root`` drops to it there, a cliff); ``constant`` never decays.

No new math lives here: every function returns a composition of the core's primitives.
"""

from __future__ import annotations

from typing import Any

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules import (
    Schedule,
    exponential,
    floor,
    inverse_sqrt,
    power_decay,
    scale,
    sequence,
    warmup,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules import cosine as _cosine
from lrkit.schedules import linear as _linear
from lrkit.schedules._base import register

__all__ = [
    "OptimizerParamScheduler",
    "constant",
    "cosine",
    "inverse_square_root",
    "linear",
    "weight_decay",
    "wsd",
]


def _rates(owner: str, init_lr: Any, max_lr: Any, min_lr: Any) -> tuple[float, float, float]:
    """``(init, max, min)`` checked as Megatron asserts: ``0 <= min <= max``, ``0 <= init <= max``."""
    peak = check_number(owner, "max_lr", max_lr, low=0.0)
    low = check_number(owner, "min_lr", min_lr, low=0.0, high=peak)
    init = check_number(owner, "init_lr", init_lr, low=0.0, high=peak)
    return init, peak, low


def _lengths(owner: str, lr_warmup_steps: Any, lr_decay_steps: Any) -> tuple[int, int]:
    """``(W, D)`` checked as Megatron asserts: ``0 <= W < D``."""
    d = check_int(owner, "lr_decay_steps", lr_decay_steps, low=1)
    w = check_int(owner, "lr_warmup_steps", lr_warmup_steps, low=0)
    if w >= d:
        raise fail(owner, "lr_warmup_steps", lr_warmup_steps, f"< lr_decay_steps={d}")
    return w, d


def _warm(schedule: Schedule, w: int, init: float) -> Schedule:
    """Megatron's warmup: ``init + (max - init) * t / W`` up to ``t = W``, then `schedule` from 0."""
    return warmup(schedule, steps=w, start=init) if w else schedule


@register("megatron.constant")
def constant(max_lr: float, init_lr: float = 0.0, lr_warmup_steps: int = 0) -> Schedule:
    """Megatron's ``constant`` style: the warmup, then `max_lr` forever.

    lrkit: ``warmup(constant(max_lr), steps=lr_warmup_steps, start=init_lr)``.

    Args:
        max_lr: the rate, >= 0.
        init_lr: the warmup's first rate, in [0, max_lr]. Default 0.
        lr_warmup_steps: an int >= 0. Default 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = constant(max_lr=1.0, lr_warmup_steps=2)
        >>> [s(t) for t in range(4)]
        [0.0, 0.5, 1.0, 1.0]
    """
    owner = "megatron.constant"
    init, peak, _ = _rates(owner, init_lr, max_lr, 0.0)
    w = check_int(owner, "lr_warmup_steps", lr_warmup_steps, low=0)
    return _warm(_constant(peak), w, init)


@register("megatron.linear")
def linear(
    max_lr: float, lr_decay_steps: int, min_lr: float = 0.0, init_lr: float = 0.0, lr_warmup_steps: int = 0
) -> Schedule:
    """Megatron's ``linear`` style: the warmup, then ``min + (1 - r) * (max - min)``, then `min_lr`.

    ``r = (t - W) / (D - W)``. lrkit: ``warmup(linear(max_lr, min_lr, steps=D - W), steps=W,
    start=init_lr)``.

    Args:
        max_lr: the peak rate, >= 0.
        lr_decay_steps: ``D``, an int > W (it includes the warmup).
        min_lr: the final rate, in [0, max_lr]. Default 0.
        init_lr: the warmup's first rate, in [0, max_lr]. Default 0.
        lr_warmup_steps: ``W``, an int >= 0. Default 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = linear(max_lr=1.0, min_lr=0.1, lr_warmup_steps=2, lr_decay_steps=10)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 10, 11)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]
    """
    owner = "megatron.linear"
    init, peak, low = _rates(owner, init_lr, max_lr, min_lr)
    w, d = _lengths(owner, lr_warmup_steps, lr_decay_steps)
    return _warm(_linear(peak, low, steps=d - w), w, init)


@register("megatron.cosine")
def cosine(
    max_lr: float, lr_decay_steps: int, min_lr: float = 0.0, init_lr: float = 0.0, lr_warmup_steps: int = 0
) -> Schedule:
    """Megatron's ``cosine`` style: the warmup, then a half cosine from `max_lr` to `min_lr`, held.

    The decay is ``min + (max - min) * (1 + cos(pi r)) / 2``.

    ``r = (t - W) / (D - W)``. lrkit: ``warmup(cosine(max_lr, min_lr, steps=D - W), steps=W,
    start=init_lr)``.

    Args:
        max_lr: the peak rate, >= 0.
        lr_decay_steps: ``D``, an int > W (it includes the warmup).
        min_lr: the final rate, in [0, max_lr]. Default 0.
        init_lr: the warmup's first rate, in [0, max_lr]. Default 0.
        lr_warmup_steps: ``W``, an int >= 0. Default 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = cosine(max_lr=1.0, min_lr=0.1, lr_warmup_steps=2, lr_decay_steps=10)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 10, 11)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    owner = "megatron.cosine"
    init, peak, low = _rates(owner, init_lr, max_lr, min_lr)
    w, d = _lengths(owner, lr_warmup_steps, lr_decay_steps)
    return _warm(_cosine(peak, low, steps=d - w), w, init)


@register("megatron.inverse_square_root")
def inverse_square_root(
    max_lr: float, lr_decay_steps: int, min_lr: float = 0.0, init_lr: float = 0.0, lr_warmup_steps: int = 0
) -> Schedule:
    """Megatron's ``inverse-square-root`` style: ``max * sqrt(W) / sqrt(t)``, then a cliff to `min_lr`.

    After the warmup the rate is ``max_lr * sqrt(max(W, 1)) / sqrt(max(t, 1))`` (never below
    `min_lr`) up to ``t = D``, and `min_lr` from ``t = D + 1`` on. lrkit: ``sequence([warmup(
    floor(scale(inverse_sqrt(timescale=W), max_lr), min_lr), steps=W, start=init_lr),
    constant(min_lr)], [D + 1])`` (with ``W = 0``: ``max_lr`` at steps 0 and 1, then
    ``inverse_sqrt(timescale=1)`` from step 1).

    Args:
        max_lr: the peak rate, >= 0.
        lr_decay_steps: ``D``, an int > W: where the rate drops to `min_lr`.
        min_lr: the floor, in [0, max_lr]. Default 0.
        init_lr: the warmup's first rate, in [0, max_lr]. Default 0.
        lr_warmup_steps: ``W``, an int >= 0. Default 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = inverse_square_root(max_lr=1.0, min_lr=0.1, lr_warmup_steps=2, lr_decay_steps=10)
        >>> [round(s(t), 5) for t in (0, 2, 8, 10, 11)]
        [0.0, 1.0, 0.5, 0.44721, 0.1]

    Reference: Vaswani et al., "Attention Is All You Need", 2017.
    """
    owner = "megatron.inverse_square_root"
    init, peak, low = _rates(owner, init_lr, max_lr, min_lr)
    w, d = _lengths(owner, lr_warmup_steps, lr_decay_steps)
    decay: Schedule = floor(scale(inverse_sqrt(timescale=float(max(w, 1))), peak), low)
    # NOTE: without warmup Megatron uses max(t, 1): the peak at steps 0 and 1.
    decay = warmup(decay, steps=w, start=init) if w else sequence((_constant(peak), decay), (1,))
    return sequence((decay, _constant(low)), (d + 1,))


_COOLDOWNS = ("exponential", "linear", "cosine", "minus_sqrt")


@register("megatron.wsd")
def wsd(
    max_lr: float,
    lr_decay_steps: int,
    wsd_decay_steps: int,
    lr_wsd_decay_style: str = "exponential",
    min_lr: float = 0.0,
    init_lr: float = 0.0,
    lr_warmup_steps: int = 0,
) -> Schedule:
    """Megatron's ``WSD`` style: the warmup, `max_lr`, then a cooldown over the last `wsd_decay_steps`.

    The cooldown starts at ``A = D - wsd_decay_steps``; with ``r = (t - A) / wsd_decay_steps`` the
    rate is ``min + c(r) * (max - min)`` with ``c`` = ``2 * 0.5 ** r - 1`` ("exponential"),
    ``1 - r`` ("linear"), ``(1 + cos(pi r)) / 2`` ("cosine") or ``1 - sqrt(r)`` ("minus_sqrt"),
    then `min_lr`. lrkit: ``warmup(sequence([constant(max_lr), cooldown], [A - W]), steps=W,
    start=init_lr)`` with cooldown ``exponential(max_lr, min_lr, steps=..., base=0.5)``,
    ``linear``, ``cosine`` or ``power_decay(power=0.5)``.

    Args:
        max_lr: the peak rate, >= 0.
        lr_decay_steps: ``D``, an int > W: the end of the cooldown.
        wsd_decay_steps: the cooldown's length, an int in [1, D - W].
        lr_wsd_decay_style: "exponential" (Megatron's default), "linear", "cosine" or "minus_sqrt".
        min_lr: the final rate, in [0, max_lr]. Default 0.
        init_lr: the warmup's first rate, in [0, max_lr]. Default 0.
        lr_warmup_steps: ``W``, an int >= 0. Default 0.

    Raises:
        ValueError: an argument outside its range, a cooldown longer than ``D - W``.

    Example:
        >>> s = wsd(max_lr=1.0, min_lr=0.1, lr_warmup_steps=2, lr_decay_steps=10, wsd_decay_steps=4)
        >>> [round(s(t), 5) for t in (0, 2, 6, 7, 10)]
        [0.0, 1.0, 1.0, 0.71361, 0.1]

    Reference: Hu et al., "MiniCPM", 2024 (warmup-stable-decay).
    """
    owner = "megatron.wsd"
    init, peak, low = _rates(owner, init_lr, max_lr, min_lr)
    w, d = _lengths(owner, lr_warmup_steps, lr_decay_steps)
    n = check_int(owner, "wsd_decay_steps", wsd_decay_steps, low=1)
    if n > d - w:
        raise fail(
            owner, "wsd_decay_steps", wsd_decay_steps, f"<= lr_decay_steps - lr_warmup_steps = {d - w}"
        )
    check_choice(owner, "lr_wsd_decay_style", lr_wsd_decay_style, _COOLDOWNS)
    cooldown: Schedule
    if lr_wsd_decay_style == "exponential":
        cooldown = exponential(start=peak, end=low, steps=n, base=0.5)
    elif lr_wsd_decay_style == "linear":
        cooldown = _linear(peak, low, steps=n)
    elif lr_wsd_decay_style == "cosine":
        cooldown = _cosine(peak, low, steps=n)
    else:
        cooldown = power_decay(peak, low, power=0.5, steps=n)
    stable = d - n - w
    body = sequence((_constant(peak), cooldown), (stable,)) if stable else cooldown
    return _warm(body, w, init)


_STYLES = ("constant", "linear", "cosine", "inverse-square-root", "WSD")


@register("megatron.OptimizerParamScheduler")
def OptimizerParamScheduler(
    init_lr: float,
    max_lr: float,
    min_lr: float,
    lr_warmup_steps: int,
    lr_decay_steps: int,
    lr_decay_style: str,
    start_wd: float | None = None,
    end_wd: float | None = None,
    wd_incr_steps: int | None = None,
    wd_incr_style: str | None = None,
    use_checkpoint_opt_param_scheduler: bool | None = True,
    override_opt_param_scheduler: bool | None = False,
    wsd_decay_steps: int | None = None,
    lr_wsd_decay_style: str | None = None,
) -> Schedule:
    """Megatron's ``OptimizerParamScheduler`` learning rate, the style chosen by `lr_decay_style`.

    Dispatches to `constant`, `linear`, `cosine`, `inverse_square_root` or `wsd` (see them for
    the formulas); the weight-decay half is `weight_decay`. The arguments are megatron-core's, in
    its order (0.16.1). The weight-decay ones do not change the rate: Megatron requires them, lrkit
    lets them out, and checks them as Megatron does when they are given (``start_wd >= 0``,
    ``end_wd >= start_wd``); so are the checkpoint flags (both set is Megatron's error).

    Args:
        init_lr, max_lr, min_lr, lr_warmup_steps, lr_decay_steps: as in the styles.
        lr_decay_style: "constant", "linear", "cosine", "inverse-square-root" or "WSD".
        start_wd, end_wd, wd_incr_steps, wd_incr_style: the weight decay's (see `weight_decay`).
        use_checkpoint_opt_param_scheduler, override_opt_param_scheduler: checkpoint flags.
        wsd_decay_steps: the WSD cooldown's length (required with "WSD").
        lr_wsd_decay_style: the WSD cooldown's shape (required with "WSD").

    Raises:
        ValueError: an unknown style, WSD without its cooldown arguments, an argument out of range.

    Example:
        >>> s = OptimizerParamScheduler(0.0, 1.0, 0.1, 2, 10, "cosine")
        >>> round(s(6), 5)
        0.55
    """
    owner = "megatron.OptimizerParamScheduler"
    check_choice(owner, "lr_decay_style", lr_decay_style, _STYLES)
    if start_wd is not None:
        start = check_number(owner, "start_wd", start_wd, low=0.0)  # Megatron: assert start_wd >= 0.0
        if end_wd is not None:
            check_number(owner, "end_wd", end_wd, low=start)  # Megatron: assert end_wd >= start_wd
    if override_opt_param_scheduler and use_checkpoint_opt_param_scheduler:
        raise fail(
            owner,
            "override_opt_param_scheduler",
            override_opt_param_scheduler,
            "False while use_checkpoint_opt_param_scheduler is True (Megatron: 'both override and "
            "use-checkpoint are set.')",
        )
    if lr_decay_style == "constant":
        _lengths(owner, lr_warmup_steps, lr_decay_steps)
        _rates(owner, init_lr, max_lr, min_lr)
        return constant(max_lr, init_lr, lr_warmup_steps)
    if lr_decay_style == "WSD":
        if wsd_decay_steps is None or lr_wsd_decay_style is None:
            raise fail(
                owner,
                "wsd_decay_steps",
                wsd_decay_steps,
                "an int with lr_decay_style='WSD' (and lr_wsd_decay_style a cooldown style)",
                kind=TypeError,
            )
        return wsd(
            max_lr, lr_decay_steps, wsd_decay_steps, lr_wsd_decay_style, min_lr, init_lr, lr_warmup_steps
        )
    style = {"linear": linear, "cosine": cosine, "inverse-square-root": inverse_square_root}[lr_decay_style]
    return style(max_lr, lr_decay_steps, min_lr, init_lr, lr_warmup_steps)


_INCREMENTS = ("constant", "linear", "cosine")


@register("megatron.weight_decay")
def weight_decay(start_wd: float, end_wd: float, wd_incr_steps: int, wd_incr_style: str) -> Schedule:
    """Megatron's weight-decay increment: from `start_wd` up to `end_wd` over `wd_incr_steps`, then held.

    With ``r = t / wd_incr_steps``: ``start + r * (end - start)`` ("linear"),
    ``start + (1 - cos(pi r)) / 2 * (end - start)`` ("cosine"), or `end_wd` ("constant", which
    Megatron allows only with ``start_wd == end_wd``). lrkit: ``linear(start_wd, end_wd, steps)``,
    ``cosine(start_wd, end_wd, steps)`` (a half cosine rising), ``constant(end_wd)``. Schedule the
    optimizer's ``weight_decay`` with it (the factor is the weight decay itself).

    Args:
        start_wd: >= 0.
        end_wd: >= start_wd.
        wd_incr_steps: an int >= 1.
        wd_incr_style: "constant", "linear" or "cosine".

    Raises:
        ValueError: ``end_wd < start_wd``, "constant" with different values, a bad argument.

    Example:
        >>> s = weight_decay(0.0, 0.1, wd_incr_steps=10, wd_incr_style="cosine")
        >>> [round(s(t), 4) for t in (0, 1, 5, 10, 11)]
        [0.0, 0.0024, 0.05, 0.1, 0.1]
    """
    owner = "megatron.weight_decay"
    start = check_number(owner, "start_wd", start_wd, low=0.0)
    end = check_number(owner, "end_wd", end_wd, low=start)
    steps = check_int(owner, "wd_incr_steps", wd_incr_steps, low=1)
    check_choice(owner, "wd_incr_style", wd_incr_style, _INCREMENTS)
    if wd_incr_style == "constant":
        if start != end:
            raise fail(owner, "end_wd", end_wd, f"start_wd={start!r} with wd_incr_style='constant'")
        return _constant(end)
    if wd_incr_style == "linear":
        return _linear(start, end, steps=steps)
    return _cosine(start, end, steps=steps)
