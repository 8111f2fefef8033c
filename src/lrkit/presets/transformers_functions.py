"""transformers' own entry points, by their real names: ``get_*_schedule*`` and ``get_scheduler``.

``transformers.get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=..., ...)`` as it appears
in training code (the spec grammar drops the optimizer) is the preset of the same schedule type
(`lrkit.presets.transformers`), with transformers' full signature: ``last_epoch`` is accepted at
its default -1 (a resume needs the optimizer's state). ``get_scheduler(name, optimizer, ...)``
dispatches as transformers does, with its errors for a missing `num_warmup_steps` or
`num_training_steps`. Not here: ``get_adafactor_schedule`` (it reads Adafactor's own rate) and
``get_greedy_schedule`` (an adaptive rule driven by the loss).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lrkit._validate import check_choice, fail
from lrkit.presets import transformers as presets
from lrkit.presets._common import check_fresh
from lrkit.schedules import Schedule
from lrkit.schedules._base import register

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
]


@register("transformers.get_constant_schedule")
def get_constant_schedule(last_epoch: int = -1) -> Schedule:
    """``get_constant_schedule(optimizer)``: `transformers.constant`.

    Example:
        >>> import lrkit
        >>> lrkit.parse("transformers.get_constant_schedule(optimizer, last_epoch=-1)")
        constant(1.0)
    """
    check_fresh("transformers.get_constant_schedule", last_epoch)
    return presets.constant()


@register("transformers.get_constant_schedule_with_warmup")
def get_constant_schedule_with_warmup(num_warmup_steps: int, last_epoch: int = -1) -> Schedule:
    """``get_constant_schedule_with_warmup(optimizer, W)``: `transformers.constant_with_warmup`."""
    check_fresh("transformers.get_constant_schedule_with_warmup", last_epoch)
    return presets.constant_with_warmup(num_warmup_steps)


@register("transformers.get_linear_schedule_with_warmup")
def get_linear_schedule_with_warmup(
    num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> Schedule:
    """``get_linear_schedule_with_warmup(optimizer, W, T)``: `transformers.linear`.

    Example:
        >>> import lrkit
        >>> s = lrkit.parse("get_linear_schedule_with_warmup(optimizer, 2, num_training_steps=6)")
        >>> [s(t) for t in range(7)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """
    check_fresh("transformers.get_linear_schedule_with_warmup", last_epoch)
    return presets.linear(num_warmup_steps, num_training_steps)


@register("transformers.get_cosine_schedule_with_warmup")
def get_cosine_schedule_with_warmup(
    num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5, last_epoch: int = -1
) -> Schedule:
    """``get_cosine_schedule_with_warmup(optimizer, W, T, num_cycles=0.5)``: `transformers.cosine`."""
    check_fresh("transformers.get_cosine_schedule_with_warmup", last_epoch)
    return presets.cosine(num_warmup_steps, num_training_steps, num_cycles)


@register("transformers.get_cosine_with_hard_restarts_schedule_with_warmup")
def get_cosine_with_hard_restarts_schedule_with_warmup(
    num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1, last_epoch: int = -1
) -> Schedule:
    """``get_cosine_with_hard_restarts_schedule_with_warmup(...)``: `transformers.cosine_with_restarts`."""
    check_fresh("transformers.get_cosine_with_hard_restarts_schedule_with_warmup", last_epoch)
    return presets.cosine_with_restarts(num_warmup_steps, num_training_steps, num_cycles)


@register("transformers.get_polynomial_decay_schedule_with_warmup")
def get_polynomial_decay_schedule_with_warmup(
    num_warmup_steps: int,
    num_training_steps: int,
    lr_end: float = 1e-7,
    power: float = 1.0,
    last_epoch: int = -1,
) -> Schedule:
    """``get_polynomial_decay_schedule_with_warmup(...)``: `transformers.polynomial`."""
    check_fresh("transformers.get_polynomial_decay_schedule_with_warmup", last_epoch)
    return presets.polynomial(num_warmup_steps, num_training_steps, lr_end, power)


@register("transformers.get_inverse_sqrt_schedule")
def get_inverse_sqrt_schedule(
    num_warmup_steps: int, timescale: int | None = None, last_epoch: int = -1
) -> Schedule:
    """``get_inverse_sqrt_schedule(optimizer, W, timescale=None)``: `transformers.inverse_sqrt`."""
    check_fresh("transformers.get_inverse_sqrt_schedule", last_epoch)
    return presets.inverse_sqrt(num_warmup_steps, timescale)


@register("transformers.get_cosine_with_min_lr_schedule_with_warmup")
def get_cosine_with_min_lr_schedule_with_warmup(
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    """``get_cosine_with_min_lr_schedule_with_warmup(...)``: `transformers.cosine_with_min_lr`."""
    check_fresh("transformers.get_cosine_with_min_lr_schedule_with_warmup", last_epoch)
    return presets.cosine_with_min_lr(num_warmup_steps, num_training_steps, num_cycles, min_lr, min_lr_rate)


@register("transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate")
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    """``get_cosine_with_min_lr_schedule_with_warmup_lr_rate(...)``.

    The preset `transformers.cosine_warmup_with_min_lr`.
    """
    check_fresh("transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate", last_epoch)
    return presets.cosine_warmup_with_min_lr(
        num_warmup_steps, num_training_steps, num_cycles, min_lr, min_lr_rate, warmup_lr_rate
    )


@register("transformers.get_wsd_schedule")
def get_wsd_schedule(
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> Schedule:
    """``get_wsd_schedule(...)``: `transformers.warmup_stable_decay`."""
    check_fresh("transformers.get_wsd_schedule", last_epoch)
    return presets.warmup_stable_decay(
        num_warmup_steps,
        num_decay_steps,
        num_training_steps,
        num_stable_steps,
        warmup_type,
        decay_type,
        min_lr_ratio,
        num_cycles,
    )


@register("transformers.get_reduce_on_plateau_schedule")
def get_reduce_on_plateau_schedule(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> Schedule:
    """``get_reduce_on_plateau_schedule(optimizer, **kwargs)``: torch's ReduceLROnPlateau's arguments."""
    return presets.reduce_lr_on_plateau(
        mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
    )


#: transformers' SchedulerType values and the entry point each one calls.
_TYPES = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": get_reduce_on_plateau_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
}


@register("transformers.get_scheduler")
def get_scheduler(
    name: str,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict[str, Any] | None = None,
) -> Schedule:
    """``get_scheduler(name, optimizer, num_warmup_steps, num_training_steps, scheduler_specific_kwargs)``.

    As transformers dispatches: "constant" ignores every other argument; "reduce_lr_on_plateau"
    takes only `scheduler_specific_kwargs`; the others need `num_warmup_steps`; "constant_with_warmup"
    ignores `num_training_steps` and `scheduler_specific_kwargs`; "inverse_sqrt" and
    "warmup_stable_decay" do not need `num_training_steps`; the rest need it.

    Raises:
        ValueError: an unknown `name` (transformers' SchedulerType), or a missing length, with
            transformers' message.

    Example:
        >>> import lrkit
        >>> spec = 'get_scheduler("cosine", optimizer, num_warmup_steps=0, num_training_steps=4)'
        >>> [round(lrkit.parse(spec)(t), 4) for t in range(5)]
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """
    owner = "transformers.get_scheduler"
    if name == "greedy":
        raise fail(owner, "name", name, "a schedule lrkit writes ('greedy' adapts to the loss at run time)")
    check_choice(owner, "name", name, tuple(_TYPES))
    if scheduler_specific_kwargs is not None and not isinstance(scheduler_specific_kwargs, dict):
        raise fail(
            owner, "scheduler_specific_kwargs", scheduler_specific_kwargs, "a dict or None", kind=TypeError
        )
    extra = dict(scheduler_specific_kwargs or {})
    fn: Callable[..., Schedule] = _TYPES[name]  # type: ignore[assignment]
    if name == "constant":
        return fn()
    if name == "reduce_lr_on_plateau":
        return fn(**extra)
    if num_warmup_steps is None:
        raise ValueError(f"{name} requires `num_warmup_steps`, please provide that argument.")
    if name == "constant_with_warmup":
        return fn(num_warmup_steps=num_warmup_steps)
    if name == "inverse_sqrt":
        return fn(num_warmup_steps=num_warmup_steps, **extra)
    if name == "warmup_stable_decay":
        return fn(num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **extra)
    if num_training_steps is None:
        raise ValueError(f"{name} requires `num_training_steps`, please provide that argument.")
    return fn(num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **extra)
