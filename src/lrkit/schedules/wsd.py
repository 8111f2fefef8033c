"""Warmup-stable-decay: a warmup, a constant phase and a decay, as a composition."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

from lrkit._validate import check_choice, check_length, check_number, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, check_value, schedule_class
from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine import Cosine
from lrkit.schedules.exponential import Exponential
from lrkit.schedules.linear import Linear
from lrkit.schedules.power_decay import PowerDecay
from lrkit.schedules.sequence import Sequence
from lrkit.schedules.warmup import SHAPES as WARMUP_SHAPES
from lrkit.schedules.warmup import Warmup

__all__ = ["DECAY_SHAPES", "Wsd", "wsd"]

DECAY_SHAPES = ("linear", "cosine", "1-sqrt", "exponential")


@schedule_class("wsd")
class Wsd(Schedule):
    """Warmup-stable-decay: ramp up over `warmup`, hold 1, decay to `end` over the last `decay` steps.

    With ``W = warmup``, ``D = decay`` and ``T = steps`` (the whole schedule, warmup included),
    the stable phase lasts ``S = T - W - D`` steps and the schedule is the composition

    ``warmup(sequence([constant(1.0), <decay shape>(1 -> end, steps=D)], [S]), steps=W)``

    whose decay shapes are, with ``p = (t - W - S) / D`` in [0, 1]:

    * ``"linear"``: `linear`, ``1 - (1 - end) * p``;
    * ``"cosine"``: `cosine`, ``end + (1 - end) * (1 + cos(pi * p)) / 2``;
    * ``"1-sqrt"``: `power_decay` with power 0.5, ``end + (1 - end) * (1 - sqrt(p))``;
    * ``"exponential"``: `exponential` with ``base=decay_base``,
      ``end + (1 - end) * (base ** p - base) / (1 - base)`` (Megatron-LM's ``2 * 0.5 ** p - 1``).

    NOTE: wsd holds no formula of its own: it only does the arithmetic of the phase lengths, which
    needs the run's length (the stable phase is what is left). `resolve` therefore returns the
    composition above (its repr and config are the composition's), while `wsd(...)` itself prints
    and saves as the call that built it; both round-trip through `parse` and `from_config`. A wsd
    whose lengths are all steps evaluates directly (through the same composition).

    Boundaries: ``f(0) = start``, ``f(W) = 1`` (end of warmup), ``f(W + S) = 1`` (the decay
    starts), ``f(T) = end`` exactly, and `end` after ``T``. With ``S = 0`` the decay follows the
    warmup directly; with ``warmup=0`` there is no ramp.

    Args:
        warmup: the ramp's length: int steps (0 for none) or a float fraction of the run.
        decay: the decay's length: int steps (>= 1) or a float fraction of the run.
        decay_shape: "linear", "cosine", "1-sqrt" or "exponential".
        end: the factor reached at the end, >= 0 (or `absolute(v)`). Default 0.
        start: the warmup's first factor, >= 0 (or `absolute(v)`). Default 0.
        warmup_shape: the ramp's shape, as in `warmup`: "linear", "cosine" or "exponential".
        steps: the whole length: int steps, a float fraction of the run, or None for the rest.
        decay_base: the curvature of the "exponential" decay, > 0 and != 1. Default 0.5.

    Raises:
        ValueError: a bad length or shape; `warmup + decay` longer than `steps` once resolved.

    Example:
        >>> from lrkit import wsd
        >>> s = wsd(warmup=2, decay=4, decay_shape="cosine", steps=11)
        >>> [round(s(t), 5) for t in range(12)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85355, 0.5, 0.14645, 0.0]
        >>> wsd(warmup=0.1, decay=0.2, end=0.1).resolve(total=20)
        warmup(sequence([constant(1.0), linear(end=0.1, steps=4)], [14]), steps=2)

    Reference: Hu et al., "MiniCPM: Unveiling the Potential of Small Language Models with Scalable
    Training Strategies", 2024; Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond
    Fixed Training Durations", 2024.
    """

    warmup: int | float
    decay: int | float
    decay_shape: str = "linear"
    end: Any = 0.0
    start: Any = 0.0
    warmup_shape: str = "linear"
    steps: int | float | None = None
    decay_base: float = 0.5

    lengths = ("warmup", "decay", "steps")
    values = ("end", "start")

    def __post_init__(self) -> None:
        no_warmup = isinstance(self.warmup, numbers.Integral) and not isinstance(self.warmup, bool)
        if no_warmup and self.warmup == 0:
            object.__setattr__(self, "warmup", 0)
        else:
            allowed = "0, a positive int (steps) or a float in (0, 1] (a fraction of the run)"
            try:
                warmup = check_length("wsd", "warmup", self.warmup, allow_none=False)
            except ValueError:
                raise fail("wsd", "warmup", self.warmup, allowed) from None
            except TypeError:
                raise fail("wsd", "warmup", self.warmup, allowed, kind=TypeError) from None
            object.__setattr__(self, "warmup", warmup)
        object.__setattr__(self, "decay", check_length("wsd", "decay", self.decay, allow_none=False))
        check_choice("wsd", "decay_shape", self.decay_shape, DECAY_SHAPES)
        object.__setattr__(self, "end", check_value("wsd", "end", self.end))
        object.__setattr__(self, "start", check_value("wsd", "start", self.start))
        check_choice("wsd", "warmup_shape", self.warmup_shape, WARMUP_SHAPES)
        object.__setattr__(self, "steps", check_length("wsd", "steps", self.steps))
        base = check_number("wsd", "decay_base", self.decay_base, low=0.0, low_open=True)
        if base == 1.0:
            raise fail("wsd", "decay_base", self.decay_base, "a finite number > 0 other than 1")
        object.__setattr__(self, "decay_base", base)
        if self.warmup_shape == "exponential" and self.start == 0.0:
            raise fail("wsd", "start", self.start, "> 0 with warmup_shape='exponential' (a geometric ramp)")
        if all(isinstance(getattr(self, name), int) for name in ("warmup", "decay", "steps")):
            self._phases(Run(None, None, None))  # lengths all in steps: check they fit now

    def _phases(self, run: Run) -> tuple[int, int, int, int]:
        """(whole length, warmup, stable, decay) in steps, checked to fit."""
        span: int = run.length("wsd", "steps", self.steps)
        warm: int = run.length("wsd", "warmup", self.warmup)
        decay: int = run.length("wsd", "decay", self.decay)
        stable = span - warm - decay
        if stable < 0:
            raise ValueError(
                "Arguments `warmup` and `decay` of wsd() must fit in its length together. Received: "
                f"warmup={self.warmup!r} ({warm} steps) and decay={self.decay!r} ({decay} steps) "
                f"with {span} steps"
            )
        return span, warm, stable, decay

    def _resolve(self, run: Run) -> Schedule:
        span, warm, stable, decay = self._phases(run)
        end = self.end
        shape: Schedule
        if self.decay_shape == "linear":
            shape = Linear(1.0, end, decay)
        elif self.decay_shape == "cosine":
            shape = Cosine(1.0, end, decay)
        elif self.decay_shape == "1-sqrt":
            shape = PowerDecay(1.0, end, 0.5, decay)
        else:
            shape = Exponential(start=1.0, end=end, steps=decay, base=self.decay_base)
        body = Sequence((Constant(1.0), shape), (stable,)) if stable else shape
        node = Warmup(body, warm, self.start, self.warmup_shape) if warm else body
        return node._resolve(run.within(span))

    def composition(self) -> Schedule:
        """The composition this wsd stands for (all lengths in steps, values factors).

        Raises:
            ValueError: a length or value still needs the run (use `resolve`, which returns it).

        Example:
            >>> from lrkit import wsd
            >>> wsd(warmup=2, decay=4, decay_shape="cosine", steps=10).composition()
            warmup(sequence([constant(1.0), cosine(steps=4)], [4]), steps=2)
        """
        cached = self.__dict__.get("_composition")
        if cached is None:
            self._require_resolved()
            cached = self._resolve(Run(None, None, None))
            object.__setattr__(self, "_composition", cached)
        return cached  # type: ignore[no-any-return]

    @property
    def horizon(self) -> float | None:
        return float(self.steps) if isinstance(self.steps, int) else None

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        return iter(())

    def _at(self, t: float) -> float:
        return self.composition()._at(t)

    def _over(self, t: FloatArray) -> FloatArray:
        return self.composition()._over(t)


wsd = Wsd
