"""Restarts: a schedule repeated in cycles of growing (or shrinking) length, with peak decay.

(Over 400 lines for one job, the restarts combinator: the cycle index in closed form for every
period growth, in bounded time at any step up to 2**53 (scalar and vectorized), the three decay
modes and two decay laws, and the overflow check at resolve; splitting them would scatter one
formula over several modules.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_choice, check_int, check_length, check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, scalar_power, scalar_ufunc, schedule_class
from lrkit.schedules._growth import overflow_error
from lrkit.schedules._powers import growth, growths, power, powers

__all__ = ["Restarts", "restarts"]

#: How the peak decay applies to a cycle's values (see `Restarts`).
DECAY_MODES = ("all", "peak", "amplitude")

#: How the peak decay ``g_k`` of cycle ``k`` follows from `decay` (see `Restarts`).
DECAY_LAWS = ("geometric", "power")

#: Points at which a child is checked to stay between its end and its start (decay_mode="peak").
_CHECK_POINTS = 1025

#: The largest cycle index computed with integers (B_k is infinite long before with mult > 1).
_INT_CYCLES = 2**62

#: The most steps evaluated, from the start of the first cycle whose peak overflows, to find the
#: first step whose value does (`Restarts._first_overflow`), and how many at a time.
_SCAN = 2**20
_CHUNK = 2**12

#: How to bound a growth of the peaks (the overflow error's advice).
_ADVICE = "a decay closer to 1, a `limit` on the cycles, or a shorter run"

#: One-cycle corrections of the guessed cycle index before a bisection takes over.
_TRIES = 3


@schedule_class("restarts")
class Restarts(Schedule):
    """A schedule restarted in cycles: cycle ``k`` lasts ``P * mult**k`` steps and peaks ``decay**k``.

    With ``P = period``, cycle ``k`` starts at ``B_k = P * (mult**k - 1) / (mult - 1)`` (``k * P``
    when ``mult == 1``) and lasts ``L_k = P * mult**k``. The schedule is resolved once with a span
    of ``P`` steps (a child whose length is "the rest of the run" gets ``P``) and each cycle replays
    it at its own pace: for ``B_k <= t < B_{k+1}``,

    ``f(t) = d_k(schedule((t - B_k) * P / L_k))``

    where ``d_k`` applies the peak decay ``g = g_k``, by `decay_law`:

    * ``decay_law="geometric"`` (default): ``g_k = decay**k``;
    * ``decay_law="power"``: ``g_k = (k + 1) ** -decay``, peaks shrinking as a power of the cycle
      count (Keras' ``PolynomialDecay(cycle=True)``, whose window grows to ``(k + 1) * D``).

    and ``decay_mode`` says how ``g`` applies:

    * ``decay_mode="all"`` (default): ``d_k(v) = g * v``, every value of cycle ``k`` scaled by
      ``g``, its floor included;
    * ``decay_mode="peak"``: ``d_k(v) = e + (v - e) * (g * s - e) / (s - e)`` with ``s`` and ``e``
      the child's start and end values: the cycle starts at ``g * s`` and still ends at
      ``e`` (timm's CosineLRScheduler ``cycle_decay`` with ``lr_min``). The child must start above
      its end and stay between them (every decay shape does; checked on a grid when resolved);
    * ``decay_mode="amplitude"``: ``d_k(v) = e + g * (v - e)``: the height above the end value is
      scaled, the end value kept (Keras' CosineDecayRestarts ``m_mul`` with ``alpha``). With
      a geometric ``decay > 1`` the child must not go below its end (checked on a grid when
      resolved).

    With a child that ends at 0 the three modes coincide.

    The cycle index is computed in O(1): ``k = floor(log1p(t / P * (mult - 1)) / log1p(mult - 1))``,
    corrected by one where rounding puts ``t`` on the wrong side of a boundary (a bisection if it
    is further off), so that cycle ``k`` starts exactly at ``B_k`` (``f(B_k)`` is the restart
    value, as in torch, which restarts when ``T_cur`` reaches ``T_i``); ``mult**k - 1`` is computed
    from ``mult - 1`` without losing its digits when `mult` is within a few ulps of 1, and with
    ``mult == 1`` the step in the cycle is ``fmod(t, P)``. Evaluating at ``t = 2**53`` costs the
    same as at ``t = 1``.

    Boundaries: ``f(B_k)`` is cycle ``k``'s start (its peak, ``g_k`` times the child's start);
    the child's end value (its floor) is reached exactly at each cycle's end in the limit
    ``t -> B_{k+1}`` and is never held at a restart. With ``limit = n``, after the ``n``-th cycle
    (``t >= B_n``) the value of the last cycle's end is held: ``d_{n-1}(schedule(P))``, the floor
    itself with ``decay_mode="peak"`` or ``"amplitude"``.

    torch's ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` is
    ``restarts(cosine(steps=T_0, end=absolute(eta_min)), period=T_0, mult=T_mult)``, at integer
    and fractional epochs. timm's ``CosineLRScheduler(t_initial, lr_min, cycle_mul, cycle_decay,
    cycle_limit)`` is ``restarts(cosine(end=absolute(lr_min)), period=t_initial, mult=cycle_mul,
    decay=cycle_decay, limit=cycle_limit, decay_mode="peak")``. Keras' ``CosineDecayRestarts(I,
    first_decay_steps, t_mul, m_mul, alpha)`` is ``restarts(cosine(I, alpha * I,
    steps=first_decay_steps), period=first_decay_steps, mult=t_mul, decay=m_mul,
    decay_mode="amplitude")``. Keras' ``PolynomialDecay(I, D, E, power, cycle=True)`` restarts
    one step late: see ``lrkit.presets.keras.PolynomialDecay``.

    Args:
        schedule: the schedule replayed in each cycle.
        period: the first cycle's length: int steps or a float fraction of the run.
        mult: the factor between consecutive cycle lengths, a float > 0 (< 1 shrinks the cycles,
            which then need a `limit`). Default 1.
        decay: a float > 0: with ``decay_law="geometric"`` the factor between consecutive
            cycles' peaks (default 1, no decay); with ``"power"`` the exponent of ``k + 1``.
        limit: the number of cycles, an int >= 1, or None for cycles forever. Default None.
        decay_mode: how `decay` applies: "all" (default), "peak" or "amplitude", see above.
        decay_law: "geometric" (default, ``decay**k``) or "power" (``(k + 1) ** -decay``).

    Raises:
        ValueError: `mult` or `decay` not a finite number > 0; `mult < 1` without a `limit` (the
            cycles would shrink to nothing before step ``P / (1 - mult)``); `limit` < 1; an unknown
            `decay_mode` or `decay_law`; with "peak" (or "amplitude" and a geometric
            ``decay > 1``), a child that leaves the
            range between its end and its start (below its end) when resolved; with a geometric
            ``decay > 1``, resolved for a run that reaches the first step whose value passes the
            largest float (the error names that step; a run that stops before it builds).

    Example:
        >>> from lrkit import cosine, linear, restarts
        >>> s = restarts(cosine(), period=2, mult=2.0).resolve()  # the cosine gets the period
        >>> [round(s(t), 5) for t in range(8)]
        [1.0, 0.5, 1.0, 0.85355, 0.5, 0.14645, 1.0, 0.96194]
        >>> peaks = restarts(cosine(end=0.1), period=4, decay=0.5, limit=3, decay_mode="peak")
        >>> [peaks.resolve()(t) for t in (0, 4, 8, 12, 100)]
        [1.0, 0.5, 0.25, 0.1, 0.1]
        >>> height = restarts(cosine(end=0.1), period=4, decay=0.5, decay_mode="amplitude")
        >>> [height.resolve()(t) for t in (0, 4, 8)]
        [1.0, 0.55, 0.325]
        >>> law = restarts(linear(1.0, 0.0, steps=4), period=4, decay=1.0, decay_law="power")
        >>> [law(t) for t in (0, 2, 4, 6, 8, 12)]  # peaks 1, 1/2, 1/3, 1/4
        [1.0, 0.5, 0.5, 0.25, 0.3333333333333333, 0.25]
        >>> restarts(cosine(), period=10, decay=1.1).resolve(total=100000)  # 1.1**7448 > 1.8e308
        Traceback (most recent call last):
        ...
        ValueError: restarts(cosine(steps=10), period=10, decay=1.1) grows ... first at step 74480 ...

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """

    schedule: Schedule
    period: int | float
    mult: float = 1.0
    decay: float = 1.0
    limit: int | None = None
    decay_mode: str = "all"
    decay_law: str = "geometric"

    lengths = ("period",)
    positional = ("schedule",)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("restarts", "schedule", self.schedule, "a schedule", kind=TypeError)
        period = check_length("restarts", "period", self.period, allow_none=False)
        object.__setattr__(self, "period", period)
        mult = check_number("restarts", "mult", self.mult, low=0.0, low_open=True)
        object.__setattr__(self, "mult", mult)
        decay = check_number("restarts", "decay", self.decay, low=0.0, low_open=True)
        object.__setattr__(self, "decay", decay)
        if self.limit is not None:
            object.__setattr__(self, "limit", check_int("restarts", "limit", self.limit, low=1))
        elif mult < 1.0:
            raise fail(
                "restarts",
                "mult",
                self.mult,
                "given with a `limit` when < 1 (shrinking cycles add up to "
                "period / (1 - mult) steps and would restart infinitely often before that)",
            )
        check_choice("restarts", "decay_mode", self.decay_mode, DECAY_MODES)
        check_choice("restarts", "decay_law", self.decay_law, DECAY_LAWS)
        if isinstance(period, int) and not self._constant_peaks and self.is_resolved:
            self._check_child()  # evaluable as built: check now, not at the first evaluation

    # -- resolution -----------------------------------------------------------------------------

    def _resolve(self, run: Run) -> Schedule:
        period = run.length("restarts", "period", self.period)
        inner = self.schedule._resolve(run.within(period))
        resolved = Restarts(inner, period, self.mult, self.decay, self.limit, self.decay_mode, self.decay_law)
        if resolved.is_resolved and not self._constant_peaks:
            resolved._check_child()
            if run.span is not None and resolved._growing:
                at = resolved._first_overflow(run.span)
                if at is not None:
                    raise overflow_error(resolved, at, span=run.span, first=True, advice=_ADVICE)
        return resolved

    @property
    def _growing(self) -> bool:
        """True when the peaks grow (a geometric ``decay > 1``): they pass the largest float at last."""
        return self.decay_law == "geometric" and self.decay > 1.0

    def _first_overflow(self, span: int) -> float | None:
        """The first whole step in ``[0, span)`` whose value is not finite, or None.

        The peaks ``d_k(M)`` (``M``, the child's largest value on a grid of its cycle) grow with
        ``k``: a bisection over the cycles the run reaches finds the first cycle whose peak is not
        finite, and that cycle's steps are evaluated from its start until a value is not finite.
        Before that cycle every value is at most a finite peak. None also when no value found in
        `_SCAN` steps is infinite (a child whose largest value falls between whole steps): the
        step's own check (`lrkit.Scheduler`, the previews) then reports it.
        """
        grid = self.schedule._over(np.linspace(0.0, float(self.period), _CHECK_POINTS))
        peak = max(float(grid.max()), *self._ends())
        last = int(min(self._cycle(float(span - 1)), self._cap() - 1))

        def finite(k: int) -> bool:
            with np.errstate(over="ignore", invalid="ignore"):
                return math.isfinite(self._decayed(self._gain(float(k)), peak))

        if finite(last):
            return None
        lo, hi = -1, last  # peaks finite up to lo (none if -1), not finite at hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if finite(mid):
                lo = mid
            else:
                hi = mid
        begin = math.ceil(self._start_of(hi))
        end = min(span, begin + _SCAN)
        for chunk in range(begin, end, _CHUNK):
            steps = np.arange(chunk, min(end, chunk + _CHUNK), dtype=np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                bad = ~np.isfinite(self._over(steps))
            if bad.any():
                return float(steps[int(np.argmax(bad))])
        return None

    @property
    def _constant_peaks(self) -> bool:
        """True when every cycle's peak decay ``g_k`` is 1."""
        return self.decay_law == "geometric" and self.decay == 1.0

    def _check_child(self) -> None:
        """The child conditions under which every value of every cycle stays >= 0."""
        mode = self.decay_mode
        growing = self.decay_law == "geometric" and self.decay > 1.0  # the power law's g_k <= 1
        if mode == "all" or (mode == "amplitude" and not growing):
            return
        start, end = self._ends()
        received = (
            f"Received: decay_mode={mode!r} with {self.schedule!r}, which goes from {start!r} to {end!r}"
        )
        if mode == "peak" and not start > end:
            raise ValueError(
                "Argument `decay_mode` of restarts() is 'peak', which needs a schedule that decays from "
                f"its start to its end (start > end). {received}"
            )
        grid = self.schedule._over(np.linspace(0.0, float(self.period), _CHECK_POINTS))
        slack = 1e-12 * (abs(start) + abs(end))  # rounding in the child's formula is harmless
        if grid.min() < end - slack or (mode == "peak" and grid.max() > start + slack):
            where = "between its end and its start" if mode == "peak" else "above its end (decay > 1)"
            raise ValueError(
                f"Argument `decay_mode` of restarts() is {mode!r}, which needs a schedule that stays "
                f"{where}. {received} but reaches [{float(grid.min())!r}, {float(grid.max())!r}]"
            )

    # -- cycles ---------------------------------------------------------------------------------
    # NOTE: `_at` and `_over` compute B_k, L_k and g_k with the same IEEE operations (+, -, *, /,
    # and numpy's ufuncs on one-element arrays in `_at`), so the two paths agree to the last bit
    # and settle boundary ties identically. Each is a closed form whose cost does not grow with
    # the step (issue 14 item 8): ``mult**k - 1`` by repeated squaring of ``mult - 1`` itself
    # (squaring `mult` loses every digit when it is within a few ulps of 1, and the cycle index
    # guessed from it was then millions of cycles off), the cycle index from logarithms, with at
    # most `_TRIES` one-cycle corrections and else a bisection; with ``mult == 1`` the step in the
    # cycle is ``fmod(t, P)``, exact at any step.

    def _ends(self) -> tuple[float, float]:
        cached = self.__dict__.get("_cached_ends")
        if cached is None:
            cached = (self.schedule._at(0.0), self.schedule._at(float(self.period)))
            object.__setattr__(self, "_cached_ends", cached)
        return cached  # type: ignore[no-any-return]

    def _log_mult(self) -> float:
        """``log(mult)``, as numpy computes it (`_at` and `_over` divide by the same number)."""
        cached = self.__dict__.get("_cached_log_mult")
        if cached is None:
            cached = scalar_ufunc(np.log1p, self.mult - 1.0)
            object.__setattr__(self, "_cached_log_mult", cached)
        return cached  # type: ignore[no-any-return]

    def _gain(self, k: float) -> float:
        """g_k, the peak decay of cycle k (the one formula of each `decay_law`)."""
        if self.decay_law == "power":
            return scalar_power(k + 1.0, -self.decay)
        if k <= _INT_CYCLES:
            return power(self.decay, int(k))
        return scalar_ufunc(np.exp, k * scalar_ufunc(np.log, self.decay))

    def _gains(self, k: FloatArray) -> FloatArray:
        """g_k for each k, bit-identical to `_gain`."""
        if self.decay_law == "power":
            return np.asarray(np.power(k + 1.0, -self.decay), dtype=np.float64)
        small = k <= _INT_CYCLES
        gains = powers(self.decay, np.where(small, k, 0.0).astype(np.int64))
        if not small.all():  # only with mult == 1 past 2**62 periods
            with np.errstate(over="ignore", under="ignore"):
                far = np.exp(k * float(np.log(np.array([self.decay]))[0]))
            gains = np.where(small, gains, far)
        return gains

    def _start_from(self, grown: float) -> float:
        """B_k from ``mult**k - 1`` (`mult` != 1)."""
        p = float(self.period)
        if self.mult > 1.0:
            return p * grown / (self.mult - 1.0)
        return p * (0.0 - grown) / (1.0 - self.mult)  # +0.0 at k = 0, not -0.0

    def _starts_from(self, grown: FloatArray) -> FloatArray:
        p = float(self.period)
        if self.mult > 1.0:
            return p * grown / (self.mult - 1.0)
        return p * (0.0 - grown) / (1.0 - self.mult)

    def _start_of(self, k: int) -> float:
        """B_k, the step where cycle k starts."""
        if self.mult == 1.0:
            return float(self.period) * k
        return self._start_from(growth(self.mult - 1.0, k))

    def _starts_of(self, k: npt.NDArray[np.int64]) -> FloatArray:
        return self._starts_from(growths(self.mult - 1.0, k))

    def _cap(self) -> int:
        """The largest cycle index: `limit` (the cycles are over), else 2**62 (B_k is infinite)."""
        return self.limit if self.limit is not None else _INT_CYCLES

    def _cycle(self, t: float) -> float:
        """The k with B_k <= t < B_{k+1} (or `limit` after the last cycle), in bounded time."""
        if self.mult == 1.0:
            k = (t - math.fmod(t, float(self.period))) / float(self.period)
            return min(k, float(self.limit)) if self.limit is not None else k
        cap = self._cap()
        y = t / float(self.period) * (self.mult - 1.0)
        guess = math.inf if y <= -1.0 else scalar_ufunc(np.log1p, y) / self._log_mult()
        k = cap if not guess < cap else math.floor(guess)
        for attempt in range(_TRIES + 1):
            if k > 0 and self._start_of(k) > t:
                move = -1
            elif k < cap and self._start_of(k + 1) <= t:
                move = 1
            else:
                return float(k)
            if attempt == _TRIES:
                break
            k += move
        lo, hi = 0, cap + 1  # rounding put the guess far off: B_lo <= t < B_hi (B_{cap+1} = inf)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._start_of(mid) <= t:
                lo = mid
            else:
                hi = mid
        return float(lo)

    def _cycles(self, t: FloatArray) -> FloatArray:
        """`_cycle` for each step, bit-identical."""
        p = float(self.period)
        if self.mult == 1.0:
            even = (t - np.fmod(t, p)) / p
            return np.minimum(even, float(self.limit)) if self.limit is not None else even
        cap = self._cap()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = t / p * (self.mult - 1.0)
            guess = np.log1p(y) / self._log_mult()
        guess = np.where((y <= -1.0) | np.isnan(guess), np.inf, guess)
        k: npt.NDArray[np.int64] = np.floor(np.minimum(guess, float(cap))).astype(np.int64)
        for attempt in range(_TRIES + 1):
            lower = (k > 0) & (self._starts_of(k) > t)
            upper = ~lower & (k < cap) & (self._starts_of(k + 1) <= t)
            off = lower | upper
            if not off.any():
                return k.astype(np.float64)
            if attempt == _TRIES:
                break
            k = (k - lower + upper).astype(np.int64)
        lo = np.zeros(int(off.sum()), dtype=np.int64)
        hi = np.full(lo.shape, cap + 1, dtype=np.int64)
        target = t[off]
        while (hi - lo > 1).any():
            mid = (lo + hi) // 2
            below = self._starts_of(mid) <= target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        k[off] = lo
        return k.astype(np.float64)

    def _local(self, t: float) -> tuple[float, float]:
        """(cycle, the child's step): the child's step is in [0, P], P once the cycles are over."""
        k = self._cycle(t)
        p = float(self.period)
        if self.limit is not None and k >= self.limit:
            return float(self.limit - 1), p
        if self.mult == 1.0:
            return k, math.fmod(t, p)
        grown = growth(self.mult - 1.0, int(k))
        return k, (t - self._start_from(grown)) / (p * (1.0 + grown)) * p

    def _at(self, t: float) -> float:
        k, local = self._local(t)
        value = self.schedule._at(local)
        if self._constant_peaks:
            return value
        return self._decayed(self._gain(k), value)

    def _decayed(self, g: float, value: float) -> float:
        """``d_k(value)`` for the peak decay ``g = g_k``, by `decay_mode`."""
        if self.decay_mode == "all":
            return g * value
        start, end = self._ends()
        if self.decay_mode == "amplitude":
            return end + g * (value - end)
        return end + (value - end) * ((g * start - end) / (start - end))

    def _over(self, t: FloatArray) -> FloatArray:
        p = float(self.period)
        k = self._cycles(t)
        if self.mult == 1.0:
            local = np.fmod(t, p)
        else:
            grown = growths(self.mult - 1.0, k.astype(np.int64))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # where the cycles are over
                local = (t - self._starts_from(grown)) / (p * (1.0 + grown)) * p
        if self.limit is not None:
            over = k >= self.limit
            k = np.where(over, float(self.limit - 1), k)
            local = np.where(over, p, local)
        value = self.schedule._over(local)
        if self._constant_peaks:
            return value
        g = self._gains(k)
        if self.decay_mode == "all":
            return g * value
        start, end = self._ends()
        if self.decay_mode == "amplitude":
            return end + g * (value - end)
        return end + (value - end) * ((g * start - end) / (start - end))

    # -- structure ------------------------------------------------------------------------------

    @property
    def horizon(self) -> float | None:
        if self.limit is None or not isinstance(self.period, int):
            return None
        return self._start_of(self.limit)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, self._local(t)[1]

    def cycle_of(self, t: float) -> int:
        """The index of the cycle in effect at step `t` (0-based; `limit` once the cycles are over).

        Example:
            >>> from lrkit import cosine, restarts
            >>> s = restarts(cosine(), period=2, mult=2.0, limit=3)
            >>> [s.cycle_of(t) for t in (0, 1.9, 2, 5.9, 6, 14, 1e9)]
            [0, 0, 1, 1, 2, 3, 3]
        """
        value = check_number("cycle_of", "t", t, low=0.0)
        return int(self._cycle(value))

    def cycle_starts(self, count: int) -> list[float]:
        """The steps where the first `count` cycles start, ``B_0 .. B_{count-1}``.

        Example:
            >>> from lrkit import cosine, restarts
            >>> restarts(cosine(), period=10, mult=0.5, limit=3).cycle_starts(4)
            [0.0, 10.0, 15.0, 17.5]
        """
        n = check_int("cycle_starts", "count", count, low=0, high=_MAX_LISTED)
        return [self._start_of(k) for k in range(n)]


restarts = Restarts

#: The most cycle starts `cycle_starts` lists (a list, unlike an evaluation, grows with the count).
_MAX_LISTED = 10**6
