"""torch.optim.lr_scheduler's step-function classes, by their own names, as lrkit compositions.

Each function takes the class's constructor arguments without the optimizer (``last_epoch`` only
as its default -1: a resume needs the optimizer's state) and returns the lrkit schedule that gives
the same learning rates, value for value, as a factor of each parameter group's base rate:
``lr = base * schedule(t)`` where ``t`` counts ``scheduler.step()`` calls. Arguments torch takes as
absolute rates (``eta_min``, ``base_lr``, ``max_lr``) become `absolute` values, resolved per parameter group.

They reproduce torch after the end too: CosineAnnealingLR rises again after ``T_max`` (it is
periodic in torch). The one exception is OneCycleLR, which torch refuses to step past
``total_steps`` (it raises); the preset holds its final value there, as every lrkit schedule does.

No new math lives here: every function is a composition of the core's primitives and combinators.

(Over 400 lines for one job, torch's names: one function per torch scheduler class with its
signature, checks and a docstring with the math and an example, which are most of the file.)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence as SequenceType
from typing import Any

from lrkit._validate import MAX_STEPS, check_choice, check_int, check_number, fail
from lrkit.presets._common import check_fresh, rate
from lrkit.schedules import (
    Schedule,
    constant,
    cosine,
    cyclic,
    exponential,
    extrapolate,
    lerp,
    linear,
    multi_step,
    one_cycle,
    piecewise_constant,
    plateau,
    polynomial,
    product,
    restarts,
    scale,
    sequence,
    step_decay,
)
from lrkit.schedules._base import register

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


def _momenta(owner: str, cycle: Any, base: Any, top: Any) -> tuple[float, float] | None:
    """The (base, max) momentum pair when `cycle` is True (torch: numbers, base <= max is not required)."""
    if not isinstance(cycle, bool):
        raise fail(owner, "cycle_momentum", cycle, "True or False", kind=TypeError)
    low = check_number(owner, "base_momentum", base, low=0.0)
    high = check_number(owner, "max_momentum", top, low=0.0)
    return (low, high) if cycle else None


@register("StepLR")
def StepLR(step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """torch's ``StepLR``: multiply by `gamma` every `step_size` steps.

    ``lr = base * gamma ** floor(t / step_size)``; lrkit: ``step_decay(every=step_size, gamma=gamma)``.
    As in torch, `gamma` may be 0 or above 1 (growth; a run long enough to overflow the float
    range is refused, naming the step). A negative `gamma` (alternating signs) is refused.

    Example (the seeds' question: the rate after 3 epochs):
        >>> s = StepLR(step_size=2, gamma=0.5)
        >>> [0.1 * s(t) for t in range(4)]
        [0.1, 0.1, 0.05, 0.05]
    """
    check_fresh("StepLR", last_epoch)
    size = check_int("StepLR", "step_size", step_size, low=1)
    return step_decay(every=size, gamma=check_number("StepLR", "gamma", gamma, low=0.0))


@register("MultiStepLR")
def MultiStepLR(milestones: SequenceType[int], gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """torch's ``MultiStepLR``: multiply by `gamma` at each milestone; repeated milestones compound.

    ``lr = base * gamma ** (number of milestones <= t)``; lrkit: ``multi_step(milestones, gamma)``.
    As in torch, `gamma` above 1 grows at each milestone.

    Example:
        >>> s = MultiStepLR(milestones=[2, 4, 4], gamma=0.5)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    """
    check_fresh("MultiStepLR", last_epoch)
    return multi_step(tuple(sorted(milestones)), gamma=gamma)


@register("ConstantLR")
def ConstantLR(factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> Schedule:
    """torch's ``ConstantLR``: `factor` for the first `total_iters` steps, then 1.

    lrkit: ``piecewise_constant([total_iters], [factor, 1.0])``.

    With ``total_iters <= 0`` torch applies `factor` forever (it never reaches the step where it
    would undo it); so does the preset (``constant(factor)``).

    Raises:
        ValueError: `factor` outside [0, 1].

    Example:
        >>> s = ConstantLR(factor=0.5, total_iters=2)
        >>> [s(t) for t in range(4)]
        [0.5, 0.5, 1.0, 1.0]
    """
    check_fresh("ConstantLR", last_epoch)
    value = check_number("ConstantLR", "factor", factor, low=0.0, high=1.0)
    iters = check_int("ConstantLR", "total_iters", total_iters, low=-MAX_STEPS)
    if iters <= 0:
        return constant(value)  # torch: `factor` forever
    return piecewise_constant((iters,), (value, 1.0))


@register("LinearLR")
def LinearLR(
    start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1
) -> Schedule:
    """torch's ``LinearLR``: from `start_factor` to `end_factor` over `total_iters` steps, then hold.

    lrkit: ``linear(start_factor, end_factor, steps=total_iters)`` (which may also start at 0).

    With ``total_iters <= 0`` torch applies `start_factor` forever; so does the preset
    (``constant(start_factor)``).

    Raises:
        ValueError: `start_factor` outside (0, 1], `end_factor` outside [0, 1] (torch's ranges).

    Example:
        >>> s = LinearLR(start_factor=0.25, total_iters=4)
        >>> [round(0.1 * s(t), 6) for t in range(6)]
        [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1]
    """
    check_fresh("LinearLR", last_epoch)
    start = check_number("LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True)
    end = check_number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
    iters = check_int("LinearLR", "total_iters", total_iters, low=-MAX_STEPS)
    if iters <= 0:
        return constant(start)  # torch: `start_factor` forever
    return linear(start, end, steps=iters)


@register("ExponentialLR")
def ExponentialLR(gamma: float, last_epoch: int = -1) -> Schedule:
    """torch's ``ExponentialLR``: multiply by `gamma` every step.

    ``lr = base * gamma ** t``; lrkit: ``exponential(rate=gamma)``. As in torch, `gamma` may be 0
    or above 1 (growth, as in a range test; a run long enough to overflow the float range is
    refused, naming the step). A negative `gamma` (alternating signs) is refused.

    Example:
        >>> [ExponentialLR(gamma=0.5)(t) for t in range(4)]
        [1.0, 0.5, 0.25, 0.125]
        >>> [ExponentialLR(gamma=1.5)(t) for t in range(4)]
        [1.0, 1.5, 2.25, 3.375]
    """
    check_fresh("ExponentialLR", last_epoch)
    return exponential(rate=check_number("ExponentialLR", "gamma", gamma, low=0.0))


@register("PolynomialLR")
def PolynomialLR(total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> Schedule:
    """torch's ``PolynomialLR``: ``base * (1 - min(t, T) / T) ** power``, always down to 0.

    lrkit: ``polynomial(power=power, steps=total_iters)`` (which may also end above 0).

    Example:
        >>> s = PolynomialLR(total_iters=4, power=2.0)
        >>> [round(0.1 * s(t), 6) for t in range(6)]
        [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0]
    """
    check_fresh("PolynomialLR", last_epoch)
    iters = check_int("PolynomialLR", "total_iters", total_iters, low=1)
    return polynomial(power=power, steps=iters)


@register("CosineAnnealingLR")
def CosineAnnealingLR(T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> Schedule:
    """torch's ``CosineAnnealingLR``: half a cosine from the base rate to `eta_min` over `T_max`.

    ``lr = eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2``. As in torch, the rate
    rises again after `T_max` (period ``2 * T_max``); lrkit's own ``cosine`` holds `eta_min`
    instead. lrkit: ``extrapolate(cosine(steps=T_max, end=absolute(eta_min)))``.

    Example (the seeds' question: T_max=5 over 10 epochs restarts):
        >>> s = CosineAnnealingLR(T_max=5)
        >>> [round(s(t), 4) for t in (0, 5, 10)]
        [1.0, 0.0, 1.0]
    """
    check_fresh("CosineAnnealingLR", last_epoch)
    t_max = check_int("CosineAnnealingLR", "T_max", T_max, low=1)
    return extrapolate(cosine(steps=t_max, end=rate("CosineAnnealingLR", "eta_min", eta_min)))


@register("CosineAnnealingWarmRestarts")
def CosineAnnealingWarmRestarts(
    T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
) -> Schedule:
    """torch's ``CosineAnnealingWarmRestarts`` (SGDR): cosines of length ``T_0 * T_mult ** k``.

    lrkit: ``restarts(cosine(steps=T_0, end=absolute(eta_min)), period=T_0, mult=T_mult)``; lrkit's
    ``restarts`` also takes a float `mult` (including < 1), a peak decay and a cycle limit.

    Example:
        >>> s = CosineAnnealingWarmRestarts(T_0=2, T_mult=2)
        >>> [round(0.1 * s(t), 6) for t in range(7)]
        [0.1, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.1]
    """
    check_fresh("CosineAnnealingWarmRestarts", last_epoch)
    t0 = check_int("CosineAnnealingWarmRestarts", "T_0", T_0, low=1)
    mult = check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult, low=1)
    floor = rate("CosineAnnealingWarmRestarts", "eta_min", eta_min)
    return restarts(cosine(steps=t0, end=floor), period=t0, mult=float(mult))


@register("CyclicLR")
def CyclicLR(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: None = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
) -> Schedule:
    """torch's ``CyclicLR`` learning rates (absolute `base_lr` and `max_lr`, as in torch).

    Cycles between `base_lr` and `max_lr` (triangular, triangular2 or exp_range); torch ignores
    the optimizer's own rate, and so does this preset (`lrkit table ... --lr 1` shows the rates).
    lrkit: ``cyclic(...)``. The momentum arguments are checked here; the momentum torch cycles is
    `momentum` (`lrkit.spec.cycled_momentum` for a spec; ``lrkit table`` shows it). `scale_fn`
    is a Python function, which only `lrkit.compat.CyclicLR` takes (here it must be None, and
    `scale_mode` is then set by `mode`, as in torch).

    Example:
        >>> s = CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
        >>> rates = s.resolve(base=1.0)  # absolute rates: any base gives the same lr
        >>> [round(rates(t), 4) for t in range(7)]
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]
    """
    check_fresh("CyclicLR", last_epoch)
    check_choice("CyclicLR", "mode", mode, ("triangular", "triangular2", "exp_range"))
    if scale_fn is not None:
        raise fail(
            "CyclicLR",
            "scale_fn",
            scale_fn,
            "None (a function only in lrkit.compat.CyclicLR)",
            kind=TypeError,
        )
    check_choice("CyclicLR", "scale_mode", scale_mode, ("cycle", "iterations"))
    _momenta("CyclicLR", cycle_momentum, base_momentum, max_momentum)
    return cyclic(
        low=rate("CyclicLR", "base_lr", base_lr),
        high=rate("CyclicLR", "max_lr", max_lr),
        steps_up=step_size_up,
        steps_down=step_size_down,
        mode=mode,
        gamma=gamma if mode == "exp_range" else 1.0,  # torch ignores gamma in the other modes
    )


@register("OneCycleLR")
def OneCycleLR(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
) -> Schedule:
    """torch's ``OneCycleLR`` learning rates (absolute `max_lr`, as in torch).

    torch's phases end at the float steps ``pct_start * N - 1`` and ``N - 1`` (N = total steps),
    so this is ``scale(one_cycle(steps=N - 1, peak_at=(pct_start * N - 1) / (N - 1), ...),
    absolute(max_lr))``. torch raises when stepped past ``N``; lrkit holds the final rate.
    The momentum arguments are checked here; the momentum torch cycles is `momentum`
    (`lrkit.spec.cycled_momentum` for a spec; ``lrkit table`` shows it).

    Example:
        >>> s = OneCycleLR(max_lr=1.0, total_steps=10).resolve(base=1.0)
        >>> [round(s(t), 6) for t in range(10)]
        [0.04, 0.52, 1.0, 0.950485, 0.811746, 0.611262, 0.388742, 0.188258, 0.049519, 4e-06]
    """
    owner = "OneCycleLR"
    check_fresh(owner, last_epoch)
    _momenta(owner, cycle_momentum, base_momentum, max_momentum)
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError(
                "OneCycleLR() needs `total_steps`, or both `epochs` and `steps_per_epoch`. "
                f"Received: total_steps=None, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}"
            )
        n_epochs = check_int(owner, "epochs", epochs, low=1)
        n = n_epochs * check_int(owner, "steps_per_epoch", steps_per_epoch, low=1)
    else:
        n = check_int(owner, "total_steps", total_steps, low=2)
    pct = check_number(owner, "pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
    strategy = check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
    div = check_number(owner, "div_factor", div_factor, low=0.0, low_open=True)
    final_div = check_number(owner, "final_div_factor", final_div_factor, low=0.0, low_open=True)
    peak_step = pct * n - 1.0
    if peak_step <= 0.0 or (three_phase and 2.0 * peak_step >= n - 1):
        allowed = f"such that every phase has a positive length with total_steps={n}"
        raise fail(owner, "pct_start", pct_start, allowed)
    shape = one_cycle(
        steps=n - 1,
        peak_at=peak_step / (n - 1),
        start=1.0 / div,
        end=1.0 / div / final_div,
        anneal=strategy,
        three_phase=bool(three_phase),
    )
    return scale(shape, rate(owner, "max_lr", max_lr))


def momentum(name: str, args: list[Any], kwargs: dict[str, Any]) -> Schedule | None:
    """The momentum cycled by the torch call ``name(*args, **kwargs)``, or None.

    torch cycles the momentum (``betas[0]`` for Adam) against the rate when ``cycle_momentum=True``:
    ``max_m - (max_m - base_m) * shape(t)``, where `shape` is the rate's own cycle normalized to
    [0, 1] (0 at the rate's low ends, 1 at its peak). That is ``lerp(shape, max_momentum,
    base_momentum)``, in momentum values (resolve it with ``base=1.0``). The one place this form is
    written: ``lrkit table`` and `lrkit.Scheduler` (a pasted spec) both use it.

    Example:
        >>> m = momentum("CyclicLR", [0.01, 0.1], {"step_size_up": 2})
        >>> m
        lerp(cyclic(0.0, steps_up=2, steps_down=2), 0.9, 0.8)
        >>> [round(m(t), 4) for t in range(5)]
        [0.9, 0.85, 0.8, 0.85, 0.9]
    """
    if name not in ("OneCycleLR", "CyclicLR"):
        return None
    builder = OneCycleLR if name == "OneCycleLR" else CyclicLR
    builder(*args, **kwargs)  # every check of the rates' arguments
    bound = inspect.signature(builder).bind(*args, **kwargs)
    bound.apply_defaults()
    p = bound.arguments
    cycled = _momenta(name, p["cycle_momentum"], p["base_momentum"], p["max_momentum"])
    if cycled is None:
        return None
    low, high = cycled
    shape: Schedule
    if name == "CyclicLR":
        mode = p["mode"]
        shape = cyclic(
            low=0.0,
            high=1.0,
            steps_up=p["step_size_up"],
            steps_down=p["step_size_down"],
            mode=mode,
            gamma=p["gamma"] if mode == "exp_range" else 1.0,
        )
        return lerp(shape, high, low)
    n = p["total_steps"] if p["total_steps"] is not None else p["epochs"] * p["steps_per_epoch"]
    peak_step = float(p["pct_start"]) * n - 1.0
    shape = one_cycle(
        steps=n - 1,
        peak_at=peak_step / (n - 1),
        start=0.0,
        end=0.0,
        anneal=p["anneal_strategy"],
        three_phase=bool(p["three_phase"]),
    )
    return lerp(shape, high, low)


@register("SequentialLR")
def SequentialLR(
    schedulers: SequenceType[Schedule], milestones: SequenceType[int], last_epoch: int = -1
) -> Schedule:
    """torch's ``SequentialLR``: one schedule after another; each restarts its own clock.

    lrkit: ``sequence(schedulers, boundaries=milestones)``, which also nests and holds plateau phases.

    Example:
        >>> s = SequentialLR([LinearLR(0.1, 1.0, 5), CosineAnnealingLR(T_max=10)], milestones=[5])
        >>> [round(0.1 * s(t), 6) for t in (0, 4, 5, 6, 15)]
        [0.01, 0.082, 0.1, 0.097553, 0.0]
    """
    check_fresh("SequentialLR", last_epoch)
    return sequence(tuple(schedulers), tuple(milestones))


@register("ChainedScheduler")
def ChainedScheduler(schedulers: SequenceType[Schedule]) -> Schedule:
    """torch's ``ChainedScheduler`` of multiplicative schedulers: their product.

    lrkit: ``product(schedulers)``. (torch chains absolute schedulers such as CyclicLR by letting
    the last one overwrite the others; `lrkit.compat.ChainedScheduler` reproduces that.)

    Example:
        >>> s = ChainedScheduler([ConstantLR(0.5, 2), ExponentialLR(0.9)])
        >>> [round(s(t), 4) for t in range(4)]
        [0.5, 0.45, 0.81, 0.729]
    """
    return product(tuple(schedulers))


@register("ReduceLROnPlateau")
def ReduceLROnPlateau(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> Schedule:
    """torch's ``ReduceLROnPlateau``: the metric-driven rule (`Scheduler.observe` feeds it metrics).

    lrkit: ``plateau(factor, patience, threshold, threshold_mode, cooldown, min=absolute(min_lr),
    mode, eps, convention="torch")`` (transformers' ``reduce_lr_on_plateau`` is the same rule).

    Example:
        >>> s = ReduceLROnPlateau(factor=0.5, patience=1)
        >>> s(0), s.reduced()(0)
        (1.0, 0.5)
    """
    owner = "ReduceLROnPlateau"
    check_choice(owner, "mode", mode, ("min", "max"))
    check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
    return plateau(
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min=rate(owner, "min_lr", min_lr),
        mode=mode,
        eps=eps,
        convention="torch",
    )
