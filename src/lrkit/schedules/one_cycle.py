"""The one-cycle schedule (torch's OneCycleLR, fastai's fit_one_cycle) as factors of its peak."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lrkit._validate import check_choice, check_length, check_number, fail
from lrkit.schedules._base import FloatArray, Schedule, check_value, schedule_class

__all__ = ["OneCycle", "one_cycle"]

ANNEALS = ("cos", "linear")


@schedule_class("one_cycle")
class OneCycle(Schedule):
    """Rise from `start` to the peak 1, then anneal to `end` (optionally via `start` again).

    With ``T = steps``, ``a = peak_at * T`` and ``anneal(u, v, q)`` either
    ``v + (u - v) / 2 * (cos(pi * q) + 1)`` (``"cos"``) or ``(v - u) * q + u`` (``"linear"``),
    torch's ``_annealing_cos`` and ``_annealing_linear``:

    * two phases: ``anneal(start, 1, t / a)`` for ``t <= a``, then
      ``anneal(1, end, (t - a) / (T - a))``;
    * ``three_phase=True``: ``anneal(start, 1, t / a)`` up to ``a``, ``anneal(1, start, ...)`` down
      to `start` at ``2a``, then ``anneal(start, end, (t - 2a) / (T - 2a))``.

    Boundaries: ``f(0) = start``; ``f(a) = 1`` (the peak); ``f(2a) = start`` with three phases;
    ``f(T) = end`` exactly and for every ``t > T`` (torch raises past its last step). A step exactly
    on a phase end belongs to the phase that ends there, as in torch.

    torch's ``OneCycleLR(max_lr=M, total_steps=N, pct_start=p)`` is
    ``one_cycle(steps=N - 1, peak_at=(p * N - 1) / (N - 1), start=1 / div_factor,
    end=1 / div_factor / final_div_factor)`` times ``M``: torch's phases end at the float steps
    ``p * N - 1`` and ``N - 1``.

    Args:
        steps: the cycle's length ``T``: int steps, a float fraction of the run, or None for the rest
            of the run.
        peak_at: where the peak is, as a fraction of this cycle in (0, 1) (in (0, 0.5) with
            ``three_phase``), not a length: it is not rounded to whole steps. Default 0.3.
        start: the factor at step 0, >= 0 (or `absolute(v)`). Default ``1/25`` (torch's div_factor).
        end: the factor at the end, >= 0 (or `absolute(v)`). Default ``1/25/1e4``.
        anneal: "cos" or "linear".
        three_phase: go back down to `start` at ``2 * peak_at * T`` before the final anneal.

    Raises:
        ValueError: `peak_at` outside its interval, a bad length or value, an unknown `anneal`.

    Example:
        >>> from lrkit import one_cycle
        >>> s = one_cycle(steps=9, peak_at=2 / 9)
        >>> [round(s(t), 6) for t in range(11)]
        [0.04, 0.52, 1.0, 0.950485, 0.811746, 0.611262, 0.388742, 0.188258, 0.049519, 4e-06, 4e-06]

    Reference: Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using
    Large Learning Rates", 2017.
    """

    steps: int | float | None = None
    peak_at: float = 0.3
    start: Any = 1.0 / 25.0
    end: Any = 1.0 / 25.0 / 1e4
    anneal: str = "cos"
    three_phase: bool = False

    lengths = ("steps",)
    values = ("start", "end")

    def __post_init__(self) -> None:
        owner = "one_cycle"
        object.__setattr__(self, "steps", check_length(owner, "steps", self.steps))
        if not isinstance(self.three_phase, (bool, np.bool_)):
            raise fail(owner, "three_phase", self.three_phase, "True or False", kind=TypeError)
        object.__setattr__(self, "three_phase", bool(self.three_phase))
        high = 0.5 if self.three_phase else 1.0
        peak_at = check_number(
            owner, "peak_at", self.peak_at, low=0.0, high=high, low_open=True, high_open=True
        )
        object.__setattr__(self, "peak_at", peak_at)
        object.__setattr__(self, "start", check_value(owner, "start", self.start))
        object.__setattr__(self, "end", check_value(owner, "end", self.end))
        check_choice(owner, "anneal", self.anneal, ANNEALS)

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    def _at(self, t: float) -> float:
        n = float(self.steps)  # type: ignore[arg-type]
        start, end = float(self.start), float(self.end)
        if t >= n:
            return end
        first = self.peak_at * n
        if t <= first:
            u, v, q = start, 1.0, t / first
        elif not self.three_phase:
            u, v, q = 1.0, end, (t - first) / (n - first)
        else:
            second = 2.0 * first
            if t <= second:
                u, v, q = 1.0, start, (t - first) / (second - first)
            else:
                u, v, q = start, end, (t - second) / (n - second)
        if self.anneal == "cos":
            return v + (u - v) / 2.0 * (math.cos(math.pi * q) + 1)
        return (v - u) * q + u

    def _over(self, t: FloatArray) -> FloatArray:
        n = float(self.steps)  # type: ignore[arg-type]
        start, end = float(self.start), float(self.end)
        first = self.peak_at * n
        rising = t <= first
        if not self.three_phase:
            u = np.where(rising, start, 1.0)
            v = np.where(rising, 1.0, end)
            q = np.where(rising, t / first, (t - first) / (n - first))
        else:
            second = 2.0 * first
            phase = np.searchsorted(np.array([first, second]), t, side="left")
            u = np.array([start, 1.0, start])[phase]
            v = np.array([1.0, start, end])[phase]
            lo = np.array([0.0, first, second])[phase]
            hi = np.array([first, second, n])[phase]
            q = (t - lo) / (hi - lo)
        cos = self.anneal == "cos"
        curve = v + (u - v) / 2.0 * (np.cos(np.pi * q) + 1) if cos else (v - u) * q + u
        return np.asarray(np.where(t >= n, end, curve), dtype=np.float64)


one_cycle = OneCycle
