"""Warmup: a ramp in front of (or into) any schedule."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from lrkit._validate import check_choice, check_length, fail
from lrkit.schedules._base import (
    Absolute,
    FloatArray,
    Run,
    Schedule,
    check_value,
    scalar_power,
    schedule_class,
)

__all__ = ["Warmup", "warmup"]

SHAPES = ("linear", "cosine", "exponential")
CLOCKS = ("local", "global")


@schedule_class("warmup")
class Warmup(Schedule):
    """Ramp from `start` to the wrapped schedule over `steps`, then follow the schedule.

    With ``W = steps``, ``p = t / W`` and ``target`` the schedule's value where the ramp ends:

    * ``shape="linear"``: ``start + (target - start) * p``
    * ``shape="cosine"``: ``start + (target - start) * (1 - cos(pi * p)) / 2``
    * ``shape="exponential"``: ``start * (target / start) ** p`` (geometric; needs ``start > 0``)

    ``clock="local"`` (the default) delays the schedule: it starts its own clock when the ramp
    ends, ``f(t) = schedule(t - W)`` for ``t >= W``, and ``target = schedule(0)``. The warmup
    counts inside the run: a schedule whose length is "the rest of the run" gets ``total - W``
    steps. This is the convention of transformers, optax and Megatron-LM.
    ``clock="global"`` lets the schedule run on the global clock (detectron2's
    WarmupParamScheduler): ``target = schedule(W)`` and ``f(t) = schedule(t)`` for ``t >= W``.

    Boundaries: ``f(0) = start``; ``f(W) = target`` exactly, so the curve is continuous.

    Args:
        schedule: the schedule to warm up into.
        steps: the ramp's length: int steps or a float fraction of the run.
        start: the factor at step 0, any finite number (or `absolute(v)`); > 0 for an exponential
            ramp. Default 0.
        shape: "linear", "cosine" or "exponential".
        clock: "local" or "global", see above.

    Raises:
        ValueError: `steps` longer than the run once its total is known; an exponential ramp from a
            `start` <= 0.

    Example:
        >>> from lrkit import cosine, warmup
        >>> s = warmup(cosine(end=0.1), steps=2).resolve(total=10)
        >>> [round(s(t), 5) for t in range(11)]
        [0.0, 0.5, 1.0, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1]
    """

    schedule: Schedule
    steps: int | float
    start: Any = 0.0
    shape: str = "linear"
    clock: str = "local"

    lengths = ("steps",)
    values = ("start",)
    positional = ("schedule",)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("warmup", "schedule", self.schedule, "a schedule", kind=TypeError)
        object.__setattr__(self, "steps", check_length("warmup", "steps", self.steps, allow_none=False))
        object.__setattr__(self, "start", check_value("warmup", "start", self.start, signed=True))
        check_choice("warmup", "shape", self.shape, SHAPES)
        check_choice("warmup", "clock", self.clock, CLOCKS)
        if self.shape == "exponential" and not (isinstance(self.start, Absolute) or self.start > 0.0):
            raise fail("warmup", "start", self.start, "> 0 with shape='exponential' (a geometric ramp)")

    def _resolve(self, run: Run) -> Schedule:
        steps = run.length("warmup", "steps", self.steps)
        if run.span is not None and steps > run.span:
            raise ValueError(
                f"Argument `steps` of warmup() must fit in the run. Received: steps={self.steps!r} "
                f"({steps} steps) with {run.span} steps in the run"
            )
        span = run.span
        if self.clock == "local" and span is not None:
            span -= steps
        inner = self.schedule._resolve(run.within(span))
        start = run.value("warmup", "start", self.start)
        resolved = Warmup(inner, steps, start, self.shape, self.clock)
        if resolved.is_resolved and self.shape == "exponential" and resolved._target() <= 0.0:
            raise ValueError(
                "An exponential warmup needs a target > 0. "
                f"Received: a schedule worth {resolved._target()!r} where the ramp ends"
            )
        return resolved

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None or not isinstance(self.steps, int):
            return None
        return self.steps + inner if self.clock == "local" else max(float(self.steps), inner)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        n = float(self.steps)
        if t >= n:
            yield "schedule", self.schedule, t - n if self.clock == "local" else t

    def _target(self) -> float:
        cached = self.__dict__.get("_cached_target")
        if cached is None:
            where = 0.0 if self.clock == "local" else float(self.steps)
            cached = self.schedule._at(where)
            object.__setattr__(self, "_cached_target", cached)
        return float(cached)

    def _at(self, t: float) -> float:
        n = float(self.steps)
        if t >= n:
            return self.schedule._at(t - n if self.clock == "local" else t)
        start = float(self.start)
        target = self._target()
        p = t / n
        if self.shape == "linear":
            return start + (target - start) * p
        if self.shape == "cosine":
            return start + (target - start) * (1.0 - math.cos(math.pi * p)) / 2.0
        return float(start * scalar_power(target / start, p))

    def _over(self, t: FloatArray) -> FloatArray:
        n = float(self.steps)
        start = float(self.start)
        target = self._target()
        p = np.minimum(t, n) / n
        if self.shape == "linear":
            ramp = start + (target - start) * p
        elif self.shape == "cosine":
            ramp = start + (target - start) * (1.0 - np.cos(np.pi * p)) / 2.0
        else:
            ramp = start * (target / start) ** p
        after = self.schedule._over(np.maximum(t - n, 0.0) if self.clock == "local" else t)
        return np.where(t < n, ramp, after)


warmup = Warmup
