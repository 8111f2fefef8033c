"""timm's ``create_scheduler_v2``: the scheduler factory, as the composition of the class presets.

``create_scheduler_v2(optimizer, sched=..., ...)`` is a pure function of its arguments: it scales
the epoch arguments by `updates_per_epoch` when stepping per update, turns `noise` fractions into
steps, and calls one of timm's classes. This preset makes the same calls to the `timm.<Class>`
presets (no new math). timm returns ``(scheduler, num_epochs)``; a spec describes the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceType
from typing import Any

from lrkit._validate import check_int, fail
from lrkit.presets import timm as T  # noqa: N812
from lrkit.schedules import Schedule
from lrkit.schedules import constant as _constant
from lrkit.schedules._base import register

__all__ = ["create_scheduler_v2"]

_SCHEDS = ("cosine", "tanh", "step", "constant", "multistep", "plateau", "poly", "wsd", "rsqrt", "none")


@register("timm.create_scheduler_v2")
def create_scheduler_v2(
    sched: str = "cosine",
    num_epochs: int = 300,
    decay_epochs: float | None = None,
    decay_milestones: SequenceType[int] = (90, 180, 270),
    cooldown_epochs: int = 0,
    patience_epochs: int = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: int = 0,
    warmup_prefix: bool = False,
    noise: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: str = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> Schedule:
    """timm's ``create_scheduler_v2``: the scheduler `sched` names, built from the factory's arguments.

    As in timm: with ``step_on_epochs=False`` every epoch length is multiplied by
    `updates_per_epoch`; `noise` (fractions of the schedule) becomes ``noise_range_t``;
    ``"constant"`` is a `StepLRScheduler` that never decays, ``"poly"`` takes `decay_rate` as its
    power, ``"wsd"``/``"rsqrt"`` fit their stable and decay phases in `num_epochs` unless
    `warmup_prefix` (``decay_epochs`` in (0, 1) a fraction of them, default 0.2), and ``"none"``
    leaves the rate as it is (``constant(1.0)``). `cooldown_epochs` only lengthens timm's returned
    epoch count, not the schedule.

    Raises:
        ValueError: an unknown `sched` (timm's "Unknown scheduler"), ``step_on_epochs=False``
            without `updates_per_epoch`, a wsd/rsqrt decay outside the run (timm's message), or an
            argument the class preset refuses.

    Example:
        >>> s = create_scheduler_v2("step", num_epochs=10, decay_epochs=3, decay_rate=0.5, warmup_lr=0.0)
        >>> [s.resolve(base=1.0)(t) for t in range(7)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """
    owner = "timm.create_scheduler_v2"
    if sched not in _SCHEDS:
        raise ValueError(f"Unknown scheduler '{sched}'. ({owner}() knows {', '.join(_SCHEDS)})")
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial: Any = num_epochs
    warmup_t: Any = warmup_epochs
    decay_t: Any = decay_epochs
    timescale_t: Any = stable_timescale
    milestones = list(decay_milestones)
    if not step_on_epochs:
        per = check_int(
            owner,
            "updates_per_epoch",
            updates_per_epoch,
            low=1,
            allowed="an int >= 1 when step_on_epochs=False (timm: 'updates_per_epoch must be set to "
            "number of dataloader batches')",
        )
        t_initial, warmup_t, decay_t = t_initial * per, warmup_t * per, decay_t * per
        milestones = [d * per for d in milestones]
        if timescale_t is not None:
            timescale_t = timescale_t * per
    noise_range: Any = None
    if noise is not None:
        if isinstance(noise, (list, tuple)):
            noise_range = [n * t_initial for n in noise]
            if len(noise_range) == 1:
                noise_range = noise_range[0]
        else:
            noise_range = noise * t_initial
    # The arguments timm's factory passes alike to its classes, written once: `noisy` and `warm` to
    # every class, `common` adds the warmup prefix and the stepping unit (all but plateau and wsd),
    # `cycled` the cycle arguments (cosine, tanh, poly).
    noisy = {
        "noise_range_t": noise_range,
        "noise_pct": noise_pct,
        "noise_std": noise_std,
        "noise_seed": noise_seed,
    }
    warm: dict[str, Any] = {"warmup_lr_init": warmup_lr, "warmup_t": warmup_t}
    common: dict[str, Any] = {**warm, "warmup_prefix": warmup_prefix, "t_in_epochs": step_on_epochs, **noisy}
    cycled: dict[str, Any] = {"t_initial": t_initial, "lr_min": min_lr, **common}
    cycled.update(cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit)
    if sched == "cosine":
        return T.CosineLRScheduler(**cycled, k_decay=k_decay)
    if sched == "tanh":
        return T.TanhLRScheduler(**cycled)
    if sched == "poly":
        return T.PolyLRScheduler(power=decay_rate, k_decay=k_decay, **cycled)  # decay_rate is the power
    if sched == "step":
        return T.StepLRScheduler(decay_t=decay_t, decay_rate=decay_rate, **common)
    if sched == "constant":
        return T.StepLRScheduler(decay_t=1, decay_rate=1.0, **common)
    if sched == "multistep":
        return T.MultiStepLRScheduler(decay_t=milestones, decay_rate=decay_rate, **common)
    if sched == "plateau":
        if not step_on_epochs:
            raise fail(owner, "step_on_epochs", step_on_epochs, "True for 'plateau' (timm: per epoch only)")
        return T.PlateauLRScheduler(
            decay_rate=decay_rate,
            patience_t=patience_epochs,
            cooldown_t=0,
            lr_min=min_lr,
            mode=plateau_mode,
            **warm,
            **noisy,
        )
    if sched in ("wsd", "rsqrt"):
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = round(float(decay_t))
        if not 0 < decay_t <= t_sched:
            raise ValueError(
                f"{sched} schedule requires 0 < decay_epochs <= epochs"
                f"{'' if warmup_prefix else ' - warmup_epochs'}, got decay {decay_t} and stable + decay "
                f"length {t_sched}. Received: decay_epochs={decay_epochs!r}"
            )
        return T.WSDLRScheduler(
            t_initial=t_sched,
            decay_t=decay_t,
            lr_min=min_lr,
            stable_fn="rsqrt" if sched == "rsqrt" else "constant",
            stable_timescale=timescale_t,
            decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
            t_in_epochs=step_on_epochs,
            **warm,
            **noisy,
        )
    return _constant(1.0)  # "none": timm returns no scheduler, the optimizer's rate stays
