"""timm's schedulers (``timm.scheduler``) by their class names, as lrkit compositions.

Each function is registered as ``timm.<Class>`` in the spec language and takes the class's
constructor arguments with timm's names and defaults, without the optimizer (``initialize``, which
only copies each group's ``lr`` to ``initial_lr``, is accepted and changes no rate). The result is
a multiplier of each parameter group's base rate, as timm scales its groups' ``initial_lr``:
``lr = base * schedule(t)`` (``lrkit table SPEC --lr BASE``);
``lr_min`` and ``warmup_lr_init`` are absolute rates, as in timm.

``t`` is what timm passes to ``step(epoch)`` (``t_in_epochs=True``) or ``step_update(num_updates)``
(``t_in_epochs=False``): the argument is accepted, and the lrkit scheduler counts in whatever unit
it is stepped in (step it per epoch or per update accordingly).

Conventions follow timm:

* the warmup ramps linearly from ``warmup_lr_init`` towards the base rate for ``warmup_t`` steps.
  With ``warmup_prefix=True`` the schedule starts after it; with ``warmup_prefix=False`` the
  schedule runs on the global clock and the warmup covers its first ``warmup_t`` steps
  (TanhLRScheduler then ramps to the schedule's value at ``warmup_t``; the others to the base);
* cycles (``cycle_mul``, ``cycle_decay``, ``cycle_limit``): ``restarts(..., decay_mode="peak")``,
  then ``lr_min`` after the last cycle;
* ``k_decay`` (k-decay, ``t_curr ** k / t_i ** k`` in place of ``t_curr / t_i``): ``warp(shape, k)``
  inside the cycles, so each cycle is warped over its own length;
* MultiStepLRScheduler's milestone ``m`` acts at ``t = m - 1`` (timm's historical convention);
* noise: ``noise(...)`` with ``noise_range_t``, ``noise_pct`` (clip), ``noise_std`` and
  ``noise_seed``. The distribution, the clip and the range are timm's; the draws are not (timm
  seeds torch's generator with ``noise_seed + t``, lrkit hashes ``(seed, t)``), so a noisy curve
  matches timm's in law, not value for value.

No new math lives here: every function returns a composition of the core's primitives.

(Over 400 lines for one job, timm's names: seven classes with timm's signatures, and the
shared cycle, warmup and noise arguments written once here; most of it is docstrings.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence as SequenceType
from typing import Any

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.presets._common import rate as _rate
from lrkit.schedules import (
    Schedule,
    absolute,
    add,
    cosine,
    exponential,
    floor,
    inverse_power,
    inverse_sqrt,
    linear,
    multi_step,
    noise,
    plateau,
    polynomial,
    power_decay,
    product,
    restarts,
    scale,
    sequence,
    step_decay,
    tanh_decay,
    warmup,
    warp,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules._base import register

__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PlateauLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "WSDLRScheduler",
]

Noise = list[int] | tuple[int, int] | int | None


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(owner, name, value, "True or False", kind=TypeError)
    return value


def _warmup(
    owner: str,
    main: Schedule,
    warmup_t: Any,
    warmup_lr_init: Any,
    warmup_prefix: bool,
    *,
    to_schedule: bool = False,
) -> Schedule:
    """timm's warmup in front of (prefix) or over the start of (no prefix) `main`."""
    w = check_int(owner, "warmup_t", warmup_t, low=0)
    start = _rate(owner, "warmup_lr_init", warmup_lr_init)
    if not w:
        return main
    if to_schedule and not warmup_prefix:
        return warmup(main, steps=w, start=start, clock="global")
    ramp = linear(start, 1.0, steps=w)
    return sequence((ramp, main), (w,), clock="local" if warmup_prefix else "global")


def _noise(
    owner: str,
    schedule: Schedule,
    noise_range_t: Any,
    noise_pct: Any,
    noise_std: Any,
    noise_seed: Any,
    noise_type: str = "normal",
) -> Schedule:
    """timm's multiplicative lr noise inside `noise_range_t` (None: no noise)."""
    if noise_range_t is None:
        return schedule
    if isinstance(noise_range_t, (list, tuple)):
        if len(noise_range_t) != 2:
            raise fail(owner, "noise_range_t", noise_range_t, "an int, a [start, end] pair or None")
        start = check_int(owner, "noise_range_t", noise_range_t[0], low=0)
        end: int | None = check_int(owner, "noise_range_t", noise_range_t[1], low=start + 1)
    else:
        start, end = check_int(owner, "noise_range_t", noise_range_t, low=0), None
    clip = check_number(owner, "noise_pct", noise_pct, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = 42 if noise_seed is None else check_int(owner, "noise_seed", noise_seed, low=0)
    check_choice(owner, "noise_type", noise_type, ("normal", "uniform"))
    if noise_type == "uniform":
        # timm: 2 * (U - 0.5) * noise_pct, uniform on [-pct, pct) whatever noise_std is.
        return noise(
            schedule, std=clip / math.sqrt(3.0), seed=seed, kind="uniform", clip=clip, start=start, end=end
        )
    std = check_number(owner, "noise_std", noise_std, low=0.0)
    return noise(schedule, std=std, seed=seed, clip=clip, start=start, end=end)


def _cycles(
    owner: str,
    shape: Schedule,
    t_initial: int,
    cycle_mul: Any,
    cycle_decay: Any,
    cycle_limit: Any,
    k_decay: Any,
) -> Schedule:
    """timm's cycles of `shape` (one cycle: the shape itself, holding ``lr_min`` after it).

    ``k_decay`` warps each cycle's clock: ``warp(shape, k)`` reads the shape at
    ``t_i * (t_curr / t_i) ** k``, i.e. timm's ``t_curr ** k / t_i ** k`` of the way through it.
    """
    mult = check_number(owner, "cycle_mul", cycle_mul, low=0.0, low_open=True)
    decay = check_number(owner, "cycle_decay", cycle_decay, low=0.0, low_open=True)
    limit = check_int(owner, "cycle_limit", cycle_limit, low=1)
    k = check_number(owner, "k_decay", k_decay, low=0.0, low_open=True)
    if k != 1.0:
        shape = warp(shape, k)
    if limit == 1:
        return shape
    return restarts(shape, period=t_initial, mult=mult, decay=decay, limit=limit, decay_mode="peak")


@register("timm.CosineLRScheduler")
def CosineLRScheduler(
    t_initial: int,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
) -> Schedule:
    """timm's ``CosineLRScheduler``: cosine cycles from the base rate to `lr_min`, with warmup and noise.

    Cycle ``i`` lasts ``t_initial * cycle_mul ** i`` steps and peaks at ``base * cycle_decay ** i``:
    ``lr_min + 0.5 * (peak - lr_min) * (1 + cos(pi * t_curr / t_i))``; after `cycle_limit`
    cycles, `lr_min`. lrkit: ``restarts(cosine(end=absolute(lr_min), steps=t_initial),
    period=t_initial, mult=cycle_mul, decay=cycle_decay, limit=cycle_limit, decay_mode="peak")``
    (one cycle: the cosine alone), behind timm's warmup, inside ``noise(...)``. With ``k_decay``
    ``k != 1`` the cosine is ``warp(cosine(...), k)``:
    ``lr_min + 0.5 * (peak - lr_min) * (1 + cos(pi * t_curr ** k / t_i ** k))``.

    Args:
        t_initial: the first cycle's length, an int >= 1.
        lr_min: the floor, an absolute rate >= 0.
        cycle_mul: the cycle length factor, > 0. cycle_decay: the peak factor per cycle, > 0.
        cycle_limit: the number of cycles, an int >= 1.
        warmup_t: the warmup's length, an int >= 0. warmup_lr_init: its first rate (absolute).
        warmup_prefix: put the warmup before the first cycle (True) or over its start (False).
        t_in_epochs: accepted (see the module): lrkit counts in the unit it is stepped in.
        noise_range_t: None, an int (noise from that step on) or ``[start, end)``.
        noise_pct: the noise's clip, in (0, 1). noise_std: its standard deviation. noise_seed: int.
        k_decay: the k-decay exponent ``k``, > 0. Default 1 (no warp).

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = CosineLRScheduler(t_initial=10, warmup_t=3, warmup_lr_init=0.1, warmup_prefix=True)
        >>> [round(s.resolve(base=1.0)(t), 5) for t in (0, 1, 3, 4, 13)]
        [0.1, 0.4, 1.0, 0.97553, 0.0]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    owner = "timm.CosineLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    steps = check_int(owner, "t_initial", t_initial, low=1)
    shape = cosine(end=_rate(owner, "lr_min", lr_min), steps=steps)
    main = _cycles(owner, shape, steps, cycle_mul, cycle_decay, cycle_limit, k_decay)
    _flag(owner, "t_in_epochs", t_in_epochs)
    body = _warmup(owner, main, warmup_t, warmup_lr_init, _flag(owner, "warmup_prefix", warmup_prefix))
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


@register("timm.TanhLRScheduler")
def TanhLRScheduler(
    t_initial: int,
    lb: float = -7.0,
    ub: float = 3.0,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's ``TanhLRScheduler``: hyperbolic-tangent cycles, with warmup and noise.

    ``lr_min + 0.5 * (peak - lr_min) * (1 - tanh(lb * (1 - x) + ub * x))`` with
    ``x = t_curr / t_i``; cycles as in `CosineLRScheduler`. lrkit: ``tanh_decay(end=absolute(lr_min),
    steps=t_initial, lower=lb, upper=ub)`` in ``restarts(..., decay_mode="peak")``. Without a
    prefix the warmup ramps to the curve's value at ``warmup_t`` (``warmup(..., clock="global")``).

    NOTE: with ``cycle_decay != 1`` and ``lr_min > 0``, cycles after the first differ from timm's
    by a relative ``(1 + tanh(lb)) / 2`` at most (8e-7 for ``lb=-7``): timm scales the tanh's
    nominal start (the base rate), lrkit's ``restarts`` scales the curve's actual first value,
    ``(1 - tanh(lb)) / 2`` of the way from `lr_min` to the base.

    Args:
        t_initial: the first cycle's length, an int >= 1.
        lb: the tanh's start, < ub. ub: its end.
        lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix,
        t_in_epochs, noise_range_t, noise_pct, noise_std, noise_seed: as in `CosineLRScheduler`.

    Raises:
        ValueError: an argument outside its range, ``lb >= ub``, bounds outside [-100, 100].

    Example:
        >>> s = TanhLRScheduler(t_initial=8)
        >>> [round(s.resolve(base=1.0)(t), 5) for t in (0, 5, 8)]
        [1.0, 0.81757, 0.0]

    Reference: Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
    Classification", 2019.
    """
    owner = "timm.TanhLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    steps = check_int(owner, "t_initial", t_initial, low=1)
    upper = check_number(owner, "ub", ub, low=-100.0, high=100.0)
    check_number(owner, "lb", lb, low=-100.0, high=upper, high_open=True)
    shape = tanh_decay(end=_rate(owner, "lr_min", lr_min), steps=steps, lower=lb, upper=ub)
    main = _cycles(owner, shape, steps, cycle_mul, cycle_decay, cycle_limit, 1.0)
    _flag(owner, "t_in_epochs", t_in_epochs)
    prefix = _flag(owner, "warmup_prefix", warmup_prefix)
    body = _warmup(owner, main, warmup_t, warmup_lr_init, prefix, to_schedule=True)
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


@register("timm.PolyLRScheduler")
def PolyLRScheduler(
    t_initial: int,
    power: float = 0.5,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
) -> Schedule:
    """timm's ``PolyLRScheduler``: ``lr_min + (peak - lr_min) * (1 - t_curr / t_i) ** power`` cycles.

    lrkit: ``polynomial(end=absolute(lr_min), power=power, steps=t_initial)`` in
    ``restarts(..., decay_mode="peak")``, behind timm's warmup, inside ``noise(...)``. With
    ``k_decay`` ``k != 1``: ``warp(polynomial(...), k)``, ``(1 - t_curr ** k / t_i ** k) ** power``.

    Args:
        t_initial: the first cycle's length, an int >= 1.
        power: > 0. Default 0.5.
        lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, warmup_prefix,
        t_in_epochs, noise_range_t, noise_pct, noise_std, noise_seed, k_decay: as in
        `CosineLRScheduler`.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = PolyLRScheduler(t_initial=8)
        >>> [round(s.resolve(base=1.0)(t), 5) for t in (0, 2, 6, 8)]
        [1.0, 0.86603, 0.5, 0.0]
    """
    owner = "timm.PolyLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    steps = check_int(owner, "t_initial", t_initial, low=1)
    exponent = check_number(owner, "power", power, low=0.0, low_open=True)
    shape = polynomial(end=_rate(owner, "lr_min", lr_min), power=exponent, steps=steps)
    main = _cycles(owner, shape, steps, cycle_mul, cycle_decay, cycle_limit, k_decay)
    _flag(owner, "t_in_epochs", t_in_epochs)
    body = _warmup(owner, main, warmup_t, warmup_lr_init, _flag(owner, "warmup_prefix", warmup_prefix))
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


@register("timm.StepLRScheduler")
def StepLRScheduler(
    decay_t: int,
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's ``StepLRScheduler``: ``base * decay_rate ** (t // decay_t)``, with warmup and noise.

    lrkit: ``step_decay(every=decay_t, gamma=decay_rate)`` behind timm's warmup (prefix by
    default here, as in timm).

    Args:
        decay_t: the interval, an int >= 1 (timm also takes a float; lrkit's lengths are steps).
        decay_rate: >= 0; above 1 the rate grows, as in timm. Default 1 (no decay).
        warmup_t, warmup_lr_init, warmup_prefix, t_in_epochs, noise_range_t, noise_pct,
        noise_std, noise_seed: as in `CosineLRScheduler`.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = StepLRScheduler(decay_t=3, decay_rate=0.5)
        >>> [s.resolve(base=1.0)(t) for t in range(7)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """
    owner = "timm.StepLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    every = check_int(owner, "decay_t", decay_t, low=1)
    rate = check_number(owner, "decay_rate", decay_rate, low=0.0)
    _flag(owner, "t_in_epochs", t_in_epochs)
    main = step_decay(every=every, gamma=rate)
    body = _warmup(owner, main, warmup_t, warmup_lr_init, _flag(owner, "warmup_prefix", warmup_prefix))
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


@register("timm.MultiStepLRScheduler")
def MultiStepLRScheduler(
    decay_t: SequenceType[int],
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's ``MultiStepLRScheduler``: multiply by `decay_rate` at each milestone, one step early.

    timm applies milestone ``m`` at ``t = m - 1`` (``bisect_right(decay_t, t + 1)``), one step
    before torch's MultiStepLR. lrkit: ``multi_step([m - 1 for m in decay_t], gamma=decay_rate)``
    (a milestone 1 acts from the start: ``scale(..., decay_rate)``), behind timm's warmup.

    Args:
        decay_t: non-decreasing ints >= 1.
        decay_rate: > 0. Default 1 (no decay).
        warmup_t, warmup_lr_init, warmup_prefix, t_in_epochs, noise_range_t, noise_pct,
        noise_std, noise_seed: as in `CosineLRScheduler`.

    Raises:
        ValueError: an argument outside its range, milestones out of order.

    Example:
        >>> s = MultiStepLRScheduler(decay_t=[3, 6], decay_rate=0.1)
        >>> [round(s.resolve(base=1.0)(t), 6) for t in range(7)]
        [1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01]
    """
    owner = "timm.MultiStepLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    if isinstance(decay_t, (str, bytes)) or not isinstance(decay_t, SequenceType):
        raise fail(owner, "decay_t", decay_t, "a list of ints", kind=TypeError)
    marks = [check_int(owner, "decay_t", m, low=1) for m in decay_t]
    if marks != sorted(marks):
        raise fail(owner, "decay_t", list(decay_t), "non-decreasing")
    rate = check_number(owner, "decay_rate", decay_rate, low=0.0, low_open=True)
    _flag(owner, "t_in_epochs", t_in_epochs)
    early = sum(1 for m in marks if m == 1)
    main: Schedule = multi_step(tuple(m - 1 for m in marks if m > 1), gamma=rate)
    if early:
        main = scale(main, rate**early)
    body = _warmup(owner, main, warmup_t, warmup_lr_init, _flag(owner, "warmup_prefix", warmup_prefix))
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


_STABLE = ("constant", "rsqrt", "power")
_DECAY = ("linear", "1-sqrt", "cosine", "power", "exp")


@register("timm.WSDLRScheduler")
def WSDLRScheduler(
    t_initial: int,
    decay_t: int,
    lr_min: float = 0.0,
    stable_fn: str = "constant",
    stable_timescale: float | None = None,
    stable_power: float = 0.5,
    decay_fn: str = "1-sqrt",
    decay_power: float = 0.5,
    decay_ratio: float = 0.1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    t_in_epochs: bool = True,
    noise_range_t: Noise = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """timm's ``WSDLRScheduler``: warmup, a stable phase, a decay to `lr_min` over the last `decay_t` steps.

    ``lr = lr_min + (base * stable(t_s) - lr_min) * decay(frac)`` with ``t_s = t - warmup_t`` and
    ``frac`` the decay's progress; ``lr_min`` from ``warmup_t + t_initial`` on. Decays:
    ``1 - frac`` (linear), ``1 - sqrt(frac)`` (1-sqrt), ``(1 + cos(pi frac)) / 2`` (cosine),
    ``1 - frac ** decay_power`` (power), ``(r ** frac - r) / (1 - r)`` (exp, ``r = decay_ratio``).
    lrkit: timm's warmup (always a prefix) into ``sequence([constant(1.0), <decay>(1 ->
    absolute(lr_min), steps=decay_t)], [t_initial - decay_t])`` with decay `linear`,
    `power_decay` (0.5 or `decay_power`), `cosine` or ``exponential(base=decay_ratio)``. The
    "rsqrt" stable phase multiplies it by ``inverse_sqrt(timescale=stable_timescale)``, "power" by
    ``inverse_power(timescale=stable_timescale, power=stable_power)``. With ``lr_min = m > 0``
    and a decaying stable phase ``s``, timm floors the stable value at ``m`` and then decays from it
    towards ``m``: ``max(s, m) * d + m * (1 - d)`` with ``d`` the decay from 1 to 0, which is
    ``add([product([floor(s, absolute(m)), d]), e])`` with ``e`` the same decay from 0 up to
    ``absolute(m)``.

    Args:
        t_initial: the stable + decay length, an int >= 1 (the warmup comes before it).
        decay_t: the decay's length, an int in [1, t_initial].
        lr_min: the final rate, absolute, >= 0.
        stable_fn: "constant", "rsqrt" (``(1 + t_s / timescale) ** -0.5``) or "power"
            (``(1 + t_s / timescale) ** -stable_power``).
        stable_timescale: the rsqrt / power timescale, > 0; None means `warmup_t`.
        stable_power: the "power" stable phase's exponent, > 0. Default 0.5.
        decay_fn: "linear", "1-sqrt", "cosine", "power" or "exp" (a callable cannot be written
            in a spec or a config: refused).
        decay_power: the "power" decay's exponent, > 0. decay_ratio: the "exp" decay's ``r``, in (0, 1).
        warmup_t, warmup_lr_init, t_in_epochs, noise_range_t, noise_pct, noise_std, noise_seed:
            as in `CosineLRScheduler`.

    Raises:
        ValueError: an argument outside its range; a decaying stable phase with no timescale
            (``warmup_t = 0`` and no `stable_timescale`, as timm).

    Example:
        >>> s = WSDLRScheduler(t_initial=10, decay_t=4, warmup_t=2)
        >>> [round(s.resolve(base=1.0)(t), 5) for t in (0, 1, 2, 8, 9, 10, 12)]
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.29289, 0.0]

    Reference: Hu et al., "MiniCPM", 2024; Hägele et al., "Scaling Laws and Compute-Optimal
    Training Beyond Fixed Training Durations", 2024.
    """
    owner = "timm.WSDLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    total = check_int(owner, "t_initial", t_initial, low=1)
    d = check_int(owner, "decay_t", decay_t, low=1)
    if d > total:
        raise fail(owner, "decay_t", decay_t, f"in [1, t_initial={total}]")
    floor_value = check_number(owner, "lr_min", lr_min, low=0.0)
    end = absolute(floor_value) if floor_value else 0.0
    check_choice(owner, "stable_fn", stable_fn, _STABLE)
    if not isinstance(decay_fn, str):
        raise fail(
            owner, "decay_fn", decay_fn, "one of the named decays (a callable has no spec)", kind=TypeError
        )
    check_choice(owner, "decay_fn", decay_fn, _DECAY)
    ratio = check_number(owner, "decay_ratio", decay_ratio, low=0.0, high=1.0, low_open=True, high_open=True)
    power = check_number(owner, "decay_power", decay_power, low=0.0, low_open=True)
    stable_exponent = check_number(owner, "stable_power", stable_power, low=0.0, low_open=True)
    w = check_int(owner, "warmup_t", warmup_t, low=0)
    stable = total - d

    def decay(start: Any, stop: Any) -> Schedule:
        """`decay_fn` from `start` to `stop` over the last `decay_t` steps, after the stable phase."""
        shape: Schedule
        if decay_fn == "linear":
            shape = linear(start, stop, steps=d)
        elif decay_fn == "1-sqrt":
            shape = power_decay(start, stop, power=0.5, steps=d)
        elif decay_fn == "cosine":
            shape = cosine(start, stop, steps=d)
        elif decay_fn == "power":
            shape = power_decay(start, stop, power=power, steps=d)
        else:
            shape = exponential(start=start, end=stop, steps=d, base=ratio)
        return sequence((_constant(start), shape), (stable,)) if stable else shape

    main = decay(1.0, end)
    if stable_fn != "constant":
        timescale = w if stable_timescale is None else stable_timescale
        tau = check_number(owner, "stable_timescale", timescale, low=0.0, low_open=True)
        curve: Schedule
        if stable_fn == "rsqrt":
            curve = inverse_sqrt(timescale=tau)
        else:
            curve = inverse_power(timescale=tau, power=stable_exponent)
        if floor_value:
            main = add((product((floor(curve, end), decay(1.0, 0.0))), decay(0.0, end)))
        else:
            main = product((curve, main))
    _flag(owner, "t_in_epochs", t_in_epochs)
    body = _warmup(owner, main, w, warmup_lr_init, True)
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed)


_MODES = ("min", "max")


@register("timm.PlateauLRScheduler")
def PlateauLRScheduler(
    decay_rate: float = 0.1,
    patience_t: int = 10,
    threshold: float = 1e-4,
    cooldown_t: int = 0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    lr_min: float = 0.0,
    mode: str = "max",
    noise_range_t: Noise = None,
    noise_type: str = "normal",
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int | None = None,
    initialize: bool = True,
) -> Schedule:
    """timm's (deprecated) ``PlateauLRScheduler``: torch's ReduceLROnPlateau with warmup and noise.

    The rate is multiplied by `decay_rate` at the ``patience_t + 1``-th evaluation without
    improvement (torch's rule, relative `threshold`), never below `lr_min`. lrkit:
    ``plateau(decay_rate, patience_t, threshold, cooldown=cooldown_t, min=absolute(lr_min), mode,
    convention="torch")`` behind timm's warmup, inside ``noise(...)``. Unlike timm, the plateau's
    counters are saved with lrkit's scheduler, so a resumed run keeps them. timm ignores the
    metric up to and including epoch `warmup_t` (where its ramp reaches the base rate); so does
    lrkit: the ramp phase lasts through that epoch, and a metric observed there is not judged.

    Args:
        decay_rate: in (0, 1). patience_t: an int >= 0. threshold: >= 0. cooldown_t: an int >= 0.
        warmup_t, warmup_lr_init: as in `CosineLRScheduler` (a prefix).
        lr_min: the floor, an absolute rate. mode: "min" or "max" (timm's default).
        noise_range_t, noise_pct, noise_std, noise_seed: as in `CosineLRScheduler`.
        noise_type: "normal" or "uniform".

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = PlateauLRScheduler(decay_rate=0.5, patience_t=1)
        >>> s(0), s.reduced()(0)
        (1.0, 0.5)
    """
    owner = "timm.PlateauLRScheduler"
    _flag(owner, "initialize", initialize)  # timm copies each group's lr to initial_lr: no effect on rates
    check_choice(owner, "mode", mode, _MODES)
    main = plateau(
        factor=decay_rate,
        patience=patience_t,
        threshold=threshold,
        cooldown=cooldown_t,
        min=_rate(owner, "lr_min", lr_min),
        mode=mode,
        convention="torch",
    )
    # NOTE: timm judges no metric up to and including epoch `warmup_t` (where the ramp ends at the
    # base rate): the ramp phase lasts through that epoch, so `observe` there is ignored as well.
    w = check_int(owner, "warmup_t", warmup_t, low=0)
    start = _rate(owner, "warmup_lr_init", warmup_lr_init)
    body = sequence((linear(start, 1.0, steps=w), main), (w + 1,)) if w else main
    return _noise(owner, body, noise_range_t, noise_pct, noise_std, noise_seed, noise_type)
