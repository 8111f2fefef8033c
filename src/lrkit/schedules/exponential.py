"""The exponential schedule: a rate per step (open-ended), or from `start` to `end` over a length."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lrkit._validate import check_length, check_number, fail
from lrkit.schedules._base import Absolute, FloatArray, Run, Schedule, check_value, schedule_class
from lrkit.schedules._growth import first_overflow, overflow_error

__all__ = ["Exponential", "exponential"]


def _is_zero(value: Any) -> bool:
    """True for a value that is the factor 0 whatever the base (0 or `absolute(0)`)."""
    return bool(value.value == 0.0) if isinstance(value, Absolute) else bool(value == 0.0)


@schedule_class("exponential")
class Exponential(Schedule):
    """Exponential decay (or growth): a constant rate per step, or from `start` to `end` over `steps`.

    Exactly one of two modes:

    * **rate** (open-ended, needs no total): ``f(t) = rate ** (t / every)``
      (torch's ExponentialLR, optax's ``exponential_decay``, Keras' ExponentialDecay).
    * **length**: from `start` at ``t = 0`` to `end` at ``t = T = steps``, then `end`. With
      ``p = min(t, T) / T``:

      - geometric (no `base`): ``f(t) = start * (end / start) ** p`` (needs ``start, end > 0``);
      - normalized (with `base`): ``f(t) = end + (start - end) * (base ** p - base) / (1 - base)``,
        which also reaches ``end = 0``. ``base=0.5`` gives Megatron-LM's WSD "exponential"
        cooldown ``2 * 0.5 ** p - 1``; timm's WSD ``exp`` decay is the same family.

    ``staircase=True`` replaces ``t`` by ``every * floor(t / every)``: the value changes only at
    multiples of `every` (``rate ** floor(t / every)`` in the rate mode). In the length mode the
    value still becomes `end` at ``t = T``.

    Boundaries: ``f(0) = 1`` (rate) or `start` (length); ``f(T) = end`` exactly and for every
    ``t > T`` (length mode). The horizon is ``steps`` (length mode) or None (rate mode).

    A `rate` above 1 grows (torch's ExponentialLR, optax's and Keras' decays accept it). The value
    then passes the largest float at a step known from `rate` and `every` (step 1024 for
    ``rate=2``): resolving for a window that reaches it, or evaluating there, raises
    `ValueError` naming that step; no value is ever ``inf``. The geometric length mode works in
    log space, so ``start`` and ``end`` may be any positive floats (``1e200`` to ``1e-200``).

    Args:
        rate: the factor per `every` steps, a finite number >= 0 (above 1 it grows; 0 drops to 0
            after step 0, as torch's ExponentialLR with ``gamma=0``). Selects the rate mode.
        every: the length the rate applies to, or the stair width with `staircase`: int steps or a
            float fraction of the run. Default 1.
        start: the factor at step 0, >= 0 (or `absolute(v)`); length mode only. Default 1.
        end: the factor at `steps` and after, >= 0 (or `absolute(v)`). Selects the length mode.
        steps: the length: int steps, a float fraction of the run, or None for the rest of the run.
        base: the curvature of the normalized form, a number in [1e-300, 1e300] other than 1;
            length mode only.
        staircase: hold each value for `every` steps (optax's and Keras' `staircase`).

    Raises:
        ValueError: both modes, a negative or non-finite rate, `every` set without staircase in the
            length mode, a geometric decay from or to 0, a bad `base` or length; a growth that
            overflows within the window it is resolved for, or at the step it is evaluated at.
        TypeError: neither mode (no `rate` and no `end`), a value of the wrong type.

    Example:
        >>> from lrkit import exponential
        >>> s = exponential(rate=0.5)
        >>> [s(t) for t in range(4)]
        [1.0, 0.5, 0.25, 0.125]
        >>> s = exponential(rate=0.5, every=2, staircase=True)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
        >>> s = exponential(start=1.0, end=0.1, steps=4, base=0.5)
        >>> [round(s(t), 5) for t in range(6)]
        [1.0, 0.71361, 0.47279, 0.27029, 0.1, 0.1]
        >>> [exponential(rate=2.0)(t) for t in range(4)]
        [1.0, 2.0, 4.0, 8.0]
        >>> s = exponential(start=1e200, end=1e-200, steps=10)  # far apart: computed in log space
        >>> [float(f"{s(t):.6g}") for t in (0, 1, 5, 9, 10)]
        [1e+200, 1e+160, 1.0, 1e-160, 1e-200]
    """

    rate: float | None = None
    every: int | float = 1
    start: Any = None
    end: Any = None
    steps: int | float | None = None
    base: float | None = None
    staircase: bool = False

    lengths = ("every", "steps")
    values = ("start", "end")

    def __post_init__(self) -> None:
        owner = "exponential"
        object.__setattr__(self, "every", check_length(owner, "every", self.every, allow_none=False))
        if not isinstance(self.staircase, (bool, np.bool_)):
            raise fail(owner, "staircase", self.staircase, "True or False", kind=TypeError)
        object.__setattr__(self, "staircase", bool(self.staircase))
        if self.rate is not None:
            others = {"start": self.start, "end": self.end, "steps": self.steps, "base": self.base}
            for name, value in others.items():
                if value is not None:
                    raise fail(
                        owner,
                        name,
                        value,
                        "None when `rate` is given (rate mode: rate ** (t / every); "
                        "for a start-to-end decay give start, end and steps, not rate)",
                    )
            rate = check_number(owner, "rate", self.rate, low=0.0)
            object.__setattr__(self, "rate", rate)
            return
        if self.end is None:
            raise fail(
                owner,
                "end",
                self.end,
                "given (length mode: from start to end over steps) unless `rate` is given (rate mode)",
                kind=TypeError,
            )
        start = check_value(owner, "start", 1.0 if self.start is None else self.start)
        end = check_value(owner, "end", self.end)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "steps", check_length(owner, "steps", self.steps))
        if self.every != 1 and not self.staircase:
            raise fail(
                owner, "every", self.every, "1 in the length mode unless staircase=True (it sets the stairs)"
            )
        if self.base is None:
            for name, value in (("start", start), ("end", end)):
                if _is_zero(value):
                    raise fail(
                        owner, name, value, "> 0 for a geometric decay (give `base` to decay to or from 0)"
                    )
        else:
            # exp(+-700) is finite, so expm1(+-ln(base)) is too.
            base = check_number(owner, "base", self.base, low=1e-300, high=1e300)
            if base == 1.0:
                raise fail(owner, "base", self.base, "a number in [1e-300, 1e300] other than 1 (1 is a line)")
            object.__setattr__(self, "base", base)

    @property
    def horizon(self) -> float | None:
        if self.rate is not None:
            return None
        return float(self.steps) if isinstance(self.steps, int) else None

    def _overflow(self) -> float:
        """The first step whose value is not finite (`inf` unless `rate` > 1), computed once."""
        cached = self.__dict__.get("_cached_overflow")
        if cached is None:
            cached = first_overflow(self.rate, float(self.every), whole=self.staircase)  # type: ignore[arg-type]
            object.__setattr__(self, "_cached_overflow", cached)
        return float(cached)

    def _resolve(self, run: Run) -> Schedule:
        if self.rate is not None:
            # The rate mode is open-ended: `steps` stays None instead of meaning "the rest of the run".
            every = run.length("exponential", "every", self.every)
            resolved = (
                self
                if every == self.every and type(every) is type(self.every)
                else Exponential(rate=self.rate, every=every, staircase=self.staircase)
            )
            if self.rate > 1.0 and run.span is not None and resolved._overflow() < run.span:
                raise overflow_error(resolved, resolved._overflow(), span=run.span)
            return resolved
        return super()._resolve(run)

    def _unresolved_reason(self) -> str | None:
        if self.rate is not None:
            if isinstance(self.every, float):
                return "`every` of exponential() is a fraction of the run"
            return None
        return super()._unresolved_reason()

    # NOTE: the normalized form is computed as ``start * w + end * v`` with
    # ``w = (base ** p - base) / (1 - base) = expm1((p - 1) * L) / expm1(-L)`` and
    # ``v = 1 - w = expm1(p * L) / expm1(L)``, ``L = ln(base)``: no cancellation near either end (a
    # decay to 0 keeps its relative precision at the last steps), `start` at p = 0 and `end` at p = 1
    # to the last bit.
    def _log_base(self) -> tuple[float, float, float]:
        cached = self.__dict__.get("_cached_log_base")
        if cached is None:
            log = math.log(self.base)  # type: ignore[arg-type]
            # numpy's expm1, as in the curve: w is exactly 1 at p = 0 and v exactly 1 at p = 1.
            cached = (log, float(np.expm1(-log)), float(np.expm1(log)))
            object.__setattr__(self, "_cached_log_base", cached)
        return cached  # type: ignore[no-any-return]

    def _log_ratio(self) -> float:
        """``ln(end / start)`` of the geometric form, computed once.

        NOTE: ``end / start`` leaves the floats when the two are far apart (``1e-200 / 1e200`` is
        0): the ratio is then ``ln(end) - ln(start)``, and `_log_start` makes the curve
        ``exp(ln(start) + p * L)`` (``start * exp(p * L)`` would overflow or underflow midway).
        """
        cached = self.__dict__.get("_cached_log_ratio")
        if cached is None:
            start, end = float(self.start), float(self.end)
            ratio = end / start
            if 1e-300 < ratio < 1e300:
                cached, log_start = math.log(ratio), None
            else:
                log_start = math.log(start)
                cached = math.log(end) - log_start
            object.__setattr__(self, "_cached_log_ratio", cached)
            object.__setattr__(self, "_cached_log_start", log_start)
        return float(cached)

    def _geometric(self, p: Any) -> Any:
        """``start * (end / start) ** p`` for a float or an array `p` in [0, 1)."""
        log = self._log_ratio()
        log_start = self.__dict__["_cached_log_start"]
        if log_start is None:
            return float(self.start) * np.exp(p * log)
        return np.where(p == 0.0, float(self.start), np.exp(log_start + p * log))  # start exactly at 0

    # NOTE: the length mode's transcendental functions in `_at` are numpy's exp and expm1, called on
    # one float (~0.1 us): they run the same loops as `_over`, so both paths agree to the last bit.
    # `math`'s (the C library's) differ from numpy's SIMD ones in the last bit for a few percent of
    # inputs, and the arithmetic after them would turn that into 2-3 ulps. The geometric form is
    # ``exp(p * ln(end / start))`` rather than a power because numpy's power of two floats takes
    # another path than its power over an array of exponents. The rate mode keeps the power (exact
    # at whole steps, as torch's gamma ** t) over a one-element array (~0.6 us); with staircase=True
    # the value of the current stair is kept, so most steps cost one comparison.
    def _at(self, t: float) -> float:
        every = float(self.every)
        if self.rate is not None:
            if not self.staircase:
                with np.errstate(over="ignore"):
                    value = float(np.power(self.rate, np.array([t / every])).item())
                if value == math.inf:
                    raise overflow_error(self, self._overflow(), step=t)
                return value
            stair = math.floor(t / every)
            last = self.__dict__.get("_last_stair")
            if last is not None and last[0] == stair:
                return float(last[1])
            with np.errstate(over="ignore"):
                value = float(np.power(self.rate, np.array([float(stair)])).item())
            if value == math.inf:
                raise overflow_error(self, self._overflow(), step=t)
            object.__setattr__(self, "_last_stair", (stair, value))
            return value
        n = float(self.steps)  # type: ignore[arg-type]
        if t >= n:
            return float(self.end)
        if self.staircase:
            t = every * math.floor(t / every)
        p = t / n
        start, end = float(self.start), float(self.end)
        if self.base is None:
            return float(self._geometric(p))
        log, low, high = self._log_base()
        return start * (float(np.expm1((p - 1.0) * log)) / low) + end * (float(np.expm1(p * log)) / high)

    def _over(self, t: FloatArray) -> FloatArray:
        every = float(self.every)
        if self.rate is not None:
            x = t / every if every != 1.0 else t  # t / 1.0 is t: skip that pass over the array
            if self.staircase:
                x = np.floor(x)
            with np.errstate(over="ignore"):
                out = np.asarray(np.power(self.rate, x), dtype=np.float64)
            if self.rate > 1.0 and out.size and out.max() == math.inf:
                raise overflow_error(self, self._overflow(), step=float(t.ravel()[np.argmax(out)]))
            return out
        n = float(self.steps)  # type: ignore[arg-type]
        u = np.minimum(t, n)
        if self.staircase:
            u = every * np.floor(u / every)
        p = u / n
        start, end = float(self.start), float(self.end)
        if self.base is None:
            curve = self._geometric(p)
        else:
            log, low, high = self._log_base()
            curve = start * (np.expm1((p - 1.0) * log) / low) + end * (np.expm1(p * log) / high)
        return np.asarray(np.where(t >= n, end, curve), dtype=np.float64)


exponential = Exponential
