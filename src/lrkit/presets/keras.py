"""Keras 3's learning-rate schedules (``keras.optimizers.schedules``) by their class names.

Each function is registered as ``keras.<Class>`` in the spec language and takes the class's
constructor arguments with Keras' names and defaults (without ``name``). Keras schedules return
the **rate itself**: the lrkit factor is that rate, so ``lrkit table SPEC --lr 1`` prints Keras'
numbers. ``keras.ReduceLROnPlateau`` is the callback's rule: a multiplier of the optimizer's rate.

Conventions follow Keras: ``step`` is ``optimizer.iterations`` (0 before the first update);
``PiecewiseConstantDecay`` changes value at ``boundary + 1`` (``step <= boundary`` keeps the
earlier value); ``CosineDecay``'s ``decay_steps`` come **after** its warmup; the plateau callback
reduces at the `patience`-th bad epoch and compares with an absolute ``min_delta``.

No new math lives here: every function returns a composition of the core's primitives.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceType
from typing import Any

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules import (
    Schedule,
    absolute,
    cosine,
    exponential,
    inverse_power,
    piecewise_constant,
    plateau,
    polynomial,
    restarts,
    scale,
    sequence,
    shift,
    warmup,
)
from lrkit.schedules import constant as _constant
from lrkit.schedules import staircase as staircase_of
from lrkit.schedules._base import register

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "ReduceLROnPlateau",
]


def _rate(owner: str, name: str, value: Any) -> float:
    return check_number(owner, name, value, low=0.0)


def _name(owner: str, name: Any) -> None:
    """Keras' `name` (an op-scope label for TensorFlow graphs): a string or None, no effect on rates."""
    if name is not None and not isinstance(name, str):
        raise fail(owner, "name", name, "a string or None", kind=TypeError)


@register("keras.ExponentialDecay")
def ExponentialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = "ExponentialDecay",
) -> Schedule:
    """Keras' ``ExponentialDecay``: ``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is floored. lrkit:
    ``scale(exponential(rate=decay_rate, every=decay_steps, staircase=staircase), initial_learning_rate)``.

    Args:
        initial_learning_rate: >= 0.
        decay_steps: an int >= 1.
        decay_rate: >= 0; above 1 the rate grows, as in Keras (a run long enough to overflow the
            float range is refused, naming the step).
        staircase: decay in whole intervals of `decay_steps`.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> [s(t) for t in range(7)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    """
    owner = "keras.ExponentialDecay"
    _name(owner, name)
    init = _rate(owner, "initial_learning_rate", initial_learning_rate)
    every = check_int(owner, "decay_steps", decay_steps, low=1)
    rate = check_number(owner, "decay_rate", decay_rate, low=0.0)
    if not isinstance(staircase, bool):
        raise fail(owner, "staircase", staircase, "True or False", kind=TypeError)
    return scale(exponential(rate=rate, every=every, staircase=staircase), init)


@register("keras.PiecewiseConstantDecay")
def PiecewiseConstantDecay(
    boundaries: SequenceType[int], values: SequenceType[float], name: str | None = "PiecewiseConstant"
) -> Schedule:
    """Keras' ``PiecewiseConstantDecay``: ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``.

    A boundary ``b`` takes effect at step ``b + 1`` (Keras compares ``step <= b``), one step
    later than torch's and optax's milestones. lrkit: ``piecewise_constant([b + 1 for b in
    boundaries], values)``.

    Args:
        boundaries: strictly increasing ints >= 0.
        values: ``len(boundaries) + 1`` rates >= 0.

    Raises:
        ValueError: boundaries out of order or negative, a wrong number of values.

    Example:
        >>> s = PiecewiseConstantDecay([2, 4], [1.0, 0.1, 0.01])
        >>> [s(t) for t in range(7)]
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
    """
    owner = "keras.PiecewiseConstantDecay"
    _name(owner, name)
    if isinstance(boundaries, (str, bytes)) or not isinstance(boundaries, SequenceType):
        raise fail(owner, "boundaries", boundaries, "a list of ints", kind=TypeError)
    steps = [check_int(owner, "boundaries", b, low=0) + 1 for b in boundaries]
    rates = tuple(_rate(owner, "values", v) for v in values)
    if len(rates) != len(steps) + 1:
        raise fail(owner, "values", list(values), f"{len(steps) + 1} values (one more than the boundaries)")
    if not steps:
        return _constant(rates[0])
    return piecewise_constant(tuple(steps), rates)


@register("keras.PolynomialDecay")
def PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str | None = "PolynomialDecay",
) -> Schedule:
    """Keras' ``PolynomialDecay``: ``(I - E) * (1 - min(step, D) / D) ** power + E``.

    lrkit: ``polynomial(I, E, power=power, steps=D)``.

    With ``cycle=True`` Keras stretches the window to ``D * ceil(step / D)`` (``D`` at step 0), so
    for ``k * D < step <= (k + 1) * D`` the rate is
    ``E + (I - E) * (k + 1) ** -power * (1 - (step - k * D) / D) ** power``: cycle ``k`` is the
    polynomial's height scaled by ``(k + 1) ** -power``, restarting one step after ``k * D``.
    lrkit: step 0 is ``I``, then from step 1 restarts of the polynomial read one step ahead,
    with the power-law peak decay of `restarts`::

        sequence([polynomial(I, E, power=p, steps=D),
                  restarts(shift(polynomial(I, E, power=p, steps=D), 1), period=D, decay=p,
                           decay_mode="amplitude", decay_law="power")], [1])

    equal to Keras at every whole step (between ``k * D`` and ``k * D + 1`` Keras has already
    restarted; lrkit restarts at ``k * D + 1``).

    Args:
        initial_learning_rate: ``I``, >= 0.
        decay_steps: ``D``, an int >= 1.
        end_learning_rate: ``E``, >= 0. Default 1e-4.
        power: > 0. Default 1.
        cycle: True to restart after each ``D`` steps with peaks ``(k + 1) ** -power`` times
            lower (see above). Default False.

    Raises:
        ValueError: an argument outside its range.
        TypeError: `cycle` is not a bool.

    Example:
        >>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.2, power=2.0)
        >>> [round(s(t), 5) for t in range(6)]
        [1.0, 0.65, 0.4, 0.25, 0.2, 0.2]
        >>> c = PolynomialDecay(1.0, decay_steps=3, end_learning_rate=0.1, cycle=True)
        >>> [round(c(t), 5) for t in range(10)]
        [1.0, 0.7, 0.4, 0.1, 0.4, 0.25, 0.1, 0.3, 0.2, 0.1]
    """
    owner = "keras.PolynomialDecay"
    _name(owner, name)
    init = _rate(owner, "initial_learning_rate", initial_learning_rate)
    steps = check_int(owner, "decay_steps", decay_steps, low=1)
    end = _rate(owner, "end_learning_rate", end_learning_rate)
    exponent = check_number(owner, "power", power, low=0.0, low_open=True)
    if not isinstance(cycle, bool):
        raise fail(owner, "cycle", cycle, "True or False", kind=TypeError)
    decay = polynomial(init, end, power=exponent, steps=steps)
    if not cycle:
        return decay
    # NOTE: Keras' cycle k covers (kD, (k+1)D]: from step 1, restarts read one step ahead.
    cycles = restarts(
        shift(decay, 1), period=steps, decay=exponent, decay_mode="amplitude", decay_law="power"
    )
    return sequence((decay, cycles), (1,))


@register("keras.InverseTimeDecay")
def InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = "InverseTimeDecay",
) -> Schedule:
    """Keras' ``InverseTimeDecay``: ``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``tau = decay_steps / decay_rate`` the curve is ``I / (1 + step / tau)``. lrkit:
    ``scale(inverse_power(timescale=tau, power=1.0), I)`` (within a few ulp of Keras' division).
    With ``staircase=True`` Keras floors ``step / decay_steps``, ``I / (1 + decay_rate *
    floor(step / decay_steps))``: ``scale(staircase(inverse_power(tau, 1.0), every=decay_steps), I)``.

    Args:
        initial_learning_rate: ``I``, >= 0.
        decay_steps: an int >= 1.
        decay_rate: > 0.
        staircase: decay in whole intervals of `decay_steps`. Default False.

    Raises:
        ValueError: an argument outside its range.
        TypeError: `staircase` is not a bool.

    Example:
        >>> s = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
        >>> [round(s(t), 5) for t in range(6)]
        [1.0, 0.66667, 0.5, 0.4, 0.33333, 0.28571]
    """
    owner = "keras.InverseTimeDecay"
    _name(owner, name)
    init = _rate(owner, "initial_learning_rate", initial_learning_rate)
    steps = check_int(owner, "decay_steps", decay_steps, low=1)
    rate = check_number(owner, "decay_rate", decay_rate, low=0.0, low_open=True)
    if not isinstance(staircase, bool):
        raise fail(owner, "staircase", staircase, "True or False", kind=TypeError)
    decay: Schedule = inverse_power(timescale=steps / rate, power=1.0)
    if staircase:
        decay = staircase_of(decay, every=steps)
    return scale(decay, init)


@register("keras.CosineDecay")
def CosineDecay(
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    name: str | None = "CosineDecay",
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> Schedule:
    """Keras' ``CosineDecay``: an optional linear warmup, then a cosine decay to ``alpha`` times its start.

    Without `warmup_target`: ``I * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, D) / D)) + alpha)``.
    With it: linear from ``I`` to ``P = warmup_target`` over ``W`` steps, then the same cosine from
    ``P`` over ``D`` more steps (`decay_steps` do **not** include the warmup). lrkit:
    ``warmup(cosine(P, alpha * P, steps=D), steps=W, start=I)``.

    Args:
        initial_learning_rate: ``I``, >= 0.
        decay_steps: ``D``, an int >= 1.
        alpha: the floor as a fraction of the decay's start, in [0, 1].
        warmup_target: ``P``, >= 0, or None (no warmup).
        warmup_steps: ``W``, an int >= 0.

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = CosineDecay(0.0, decay_steps=8, alpha=0.1, warmup_target=1.0, warmup_steps=2)
        >>> [round(s(t), 5) for t in (0, 1, 2, 6, 10, 11)]
        [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]
    """
    owner = "keras.CosineDecay"
    _name(owner, name)
    init = _rate(owner, "initial_learning_rate", initial_learning_rate)
    steps = check_int(owner, "decay_steps", decay_steps, low=1)
    a = check_number(owner, "alpha", alpha, low=0.0, high=1.0)
    w = check_int(owner, "warmup_steps", warmup_steps, low=0)
    if warmup_target is None:
        return cosine(init, init * a, steps=steps)
    peak = _rate(owner, "warmup_target", warmup_target)
    decay = cosine(peak, peak * a, steps=steps)
    return warmup(decay, steps=w, start=init) if w else decay


@register("keras.CosineDecayRestarts")
def CosineDecayRestarts(
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str | None = "SGDRDecay",
) -> Schedule:
    """Keras' ``CosineDecayRestarts`` (SGDR): cosine cycles ``t_mul`` times longer, peaks ``m_mul`` lower.

    Cycle ``i`` lasts ``first_decay_steps * t_mul ** i`` steps; its height above the floor
    ``alpha * I`` is ``m_mul ** i`` times the first cycle's:
    ``I * (alpha + (1 - alpha) * m_mul ** i * 0.5 * (1 + cos(pi * x)))``. lrkit:
    ``restarts(cosine(I, alpha * I, steps=first_decay_steps), period=first_decay_steps,
    mult=t_mul, decay=m_mul, decay_mode="amplitude")``.

    Args:
        initial_learning_rate: ``I``, >= 0.
        first_decay_steps: an int >= 1.
        t_mul: the cycle length factor, > 0. Default 2.
        m_mul: the peak factor per cycle, > 0. Default 1.
        alpha: the floor as a fraction of ``I``, in [0, 1].

    Raises:
        ValueError: an argument outside its range.

    Example:
        >>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=2.0, m_mul=0.5)
        >>> [round(s(t), 5) for t in range(7)]
        [1.0, 0.5, 0.5, 0.42678, 0.25, 0.07322, 0.25]

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    owner = "keras.CosineDecayRestarts"
    _name(owner, name)
    init = _rate(owner, "initial_learning_rate", initial_learning_rate)
    period = check_int(owner, "first_decay_steps", first_decay_steps, low=1)
    mult = check_number(owner, "t_mul", t_mul, low=0.0, low_open=True)
    decay = check_number(owner, "m_mul", m_mul, low=0.0, low_open=True)
    a = check_number(owner, "alpha", alpha, low=0.0, high=1.0)
    shape = cosine(init, init * a, steps=period)
    return restarts(shape, period=period, mult=mult, decay=decay, decay_mode="amplitude")


_MODES = ("auto", "min", "max")


@register("keras.ReduceLROnPlateau")
def ReduceLROnPlateau(
    monitor: str = "val_loss",
    factor: float = 0.1,
    patience: int = 10,
    verbose: int = 0,
    mode: str = "auto",
    min_delta: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
) -> Schedule:
    """Keras' ``ReduceLROnPlateau`` callback's rule: multiply the rate by `factor` on a plateau.

    The rate drops at the `patience`-th consecutive epoch whose metric does not beat the best by
    more than `min_delta` (an absolute margin), never below `min_lr`. lrkit:
    ``plateau(factor, patience, threshold=min_delta, threshold_mode="abs", cooldown=cooldown - 1,
    min=absolute(min_lr), mode, convention="keras")``, fed with `lrkit.Scheduler.observe`: Keras'
    last cooldown epoch already counts as a bad one, so it ignores ``cooldown - 1`` epochs.

    Args:
        monitor: the metric's name; only used by ``mode="auto"`` ("max" if it contains "acc").
        factor: in (0, 1). Default 0.1.
        patience: an int >= 1. Default 10.
        mode: "auto", "min" or "max".
        min_delta: >= 0. Default 1e-4.
        cooldown: Keras' cooldown, an int >= 0 (0 and 1 both ignore no epoch).
        min_lr: the floor, an absolute rate >= 0.

    Raises:
        ValueError: an argument outside its range (Keras raises for ``factor >= 1`` too).

    Example:
        >>> s = ReduceLROnPlateau(factor=0.5, patience=2)
        >>> s(0), s.reduced()(0)
        (1.0, 0.5)
    """
    owner = "keras.ReduceLROnPlateau"
    if isinstance(verbose, bool) or not isinstance(verbose, int):
        raise fail(
            owner, "verbose", verbose, "an int (Keras prints messages; no effect on rates)", kind=TypeError
        )
    if not isinstance(monitor, str):
        raise fail(owner, "monitor", monitor, "a metric name", kind=TypeError)
    check_choice(owner, "mode", mode, _MODES)
    direction = mode if mode != "auto" else ("max" if "acc" in monitor else "min")
    delta = check_number(owner, "min_delta", min_delta, low=0.0)
    floor = check_number(owner, "min_lr", min_lr, low=0.0)
    wait = check_int(owner, "cooldown", cooldown, low=0)
    # NOTE: Keras decrements its cooldown counter before judging, and the epoch on which it
    # reaches 0 already counts as bad: it ignores `cooldown - 1` epochs, the plateau `cooldown`.
    return plateau(
        factor=factor,
        patience=patience,
        threshold=delta,
        threshold_mode="abs",
        cooldown=max(wait - 1, 0),
        min=absolute(floor) if floor else 0.0,
        mode=direction,
        eps=0.0,
        convention="keras",
    )
