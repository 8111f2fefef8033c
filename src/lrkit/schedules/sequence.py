"""Sequence: phases one after another, each on its own window of steps."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator

import numpy as np

from lrkit._validate import check_choice, check_lengths, fail
from lrkit.schedules._base import FloatArray, Run, Schedule, check_schedules, schedule_class

__all__ = ["Sequence", "sequence"]

CLOCKS = ("local", "global")


@schedule_class("sequence")
class Sequence(Schedule):
    """Phases one after another: phase ``i`` runs on ``[b[i-1], b[i])``, the last one forever.

    With ``clock="local"`` (the default) each phase sees its own progress: phase ``i`` is
    evaluated at ``t - b[i-1]``, so it starts at its own step 0 (optax's join_schedules, torch's
    SequentialLR). With ``clock="global"`` every phase sees the global step ``t`` (fvcore's
    "fixed" interval scaling). A phase whose length is "the rest of the run" gets its window;
    the last phase gets what is left of the run after the last boundary.

    Boundaries: at ``t = b[i]`` the value is phase ``i + 1``'s (a milestone acts at its step).
    With ``clock="global"``, fractions that round to the same step leave the phase between them
    no step (it never acts); with ``clock="local"`` that is an error.

    Args:
        phases: the schedules, at least one.
        boundaries: ``len(phases) - 1`` strictly increasing positions: int steps or float
            fractions of the run.
        clock: "local" or "global".

    Example:
        >>> from lrkit import constant, linear, sequence
        >>> s = sequence([linear(0.0, 1.0, steps=2), constant(0.5)], boundaries=[2])
        >>> [s(t) for t in range(4)]
        [0.0, 0.5, 0.5, 0.5]
    """

    phases: tuple[Schedule, ...]
    boundaries: tuple[int | float, ...] = ()
    clock: str = "local"

    lengths = ("boundaries",)
    positional = ("phases", "boundaries")

    def __post_init__(self) -> None:
        phases = check_schedules("sequence", "phases", self.phases)
        boundaries = check_lengths("sequence", "boundaries", self.boundaries)
        if len(boundaries) != len(phases) - 1:
            raise fail(
                "sequence",
                "boundaries",
                list(boundaries),
                f"one position between each two phases ({len(phases) - 1} for {len(phases)} phases)",
            )
        object.__setattr__(self, "phases", phases)
        object.__setattr__(self, "boundaries", boundaries)
        check_choice("sequence", "clock", self.clock, CLOCKS)

    def _resolve(self, run: Run) -> Schedule:
        bounds: tuple[int, ...] = run.length("sequence", "boundaries", self.boundaries)
        # On the global clock a phase whose window holds no whole step is never evaluated (fvcore's
        # composite skips it too); on a local clock it would have no steps of its own: an error.
        if any(b < a or (b == a and self.clock == "local") for a, b in itertools.pairwise(bounds)):
            raise ValueError(
                f"Argument `boundaries` of sequence() must be strictly increasing once resolved. "
                f"Received: boundaries={list(self.boundaries)!r} -> {list(bounds)!r} steps"
            )
        if run.span is not None and bounds and bounds[-1] > run.span:
            raise ValueError(
                f"Argument `boundaries` of sequence() must lie inside the run. Received: "
                f"boundaries={list(self.boundaries)!r} with {run.span} steps in the run"
            )
        kept = self.phases
        if len(set(bounds)) < len(bounds):  # global clock: the phases with no step are dropped
            ends = (*bounds, None)
            kept = tuple(p for i, p in enumerate(self.phases) if i == 0 or bounds[i - 1] != ends[i])
            bounds = tuple(sorted(set(bounds)))
        phases = []
        starts = (0, *bounds)
        for i, phase in enumerate(kept):
            if self.clock == "global":
                span = run.span
            elif i < len(bounds):
                span = bounds[i] - starts[i]
            else:
                span = None if run.span is None else run.span - starts[i]
            phases.append(phase._resolve(run.within(span)))
        return Sequence(tuple(phases), bounds, self.clock)

    @property
    def horizon(self) -> float | None:
        last = self.phases[-1].horizon
        if last is None or not all(isinstance(b, int) for b in self.boundaries):
            return None
        start = float(self.boundaries[-1]) if self.boundaries else 0.0
        return start + last if self.clock == "local" else max(start, last)

    def _at(self, t: float) -> float:
        i = bisect.bisect_right(self.boundaries, t)
        if self.clock == "local" and i:
            return self.phases[i]._at(t - self.boundaries[i - 1])
        return self.phases[i]._at(t)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        i = bisect.bisect_right(self.boundaries, t)
        local = t - self.boundaries[i - 1] if self.clock == "local" and i else t
        yield ("phases", i), self.phases[i], local

    def _over(self, t: FloatArray) -> FloatArray:
        if len(self.phases) == 1:
            return self.phases[0]._over(t)
        bounds = self.__dict__.get("_bounds_array")
        if bounds is None:
            bounds = np.asarray(self.boundaries, dtype=np.float64)
            object.__setattr__(self, "_bounds_array", bounds)
        flat = t.ravel()
        index = np.searchsorted(bounds, flat, side="right")
        out = np.empty(flat.shape, dtype=np.float64)
        # NOTE: the steps grouped by phase, and only the phases they fall in are evaluated: the
        # cost grows with len(t), not with the number of phases (a sequence of 10**6 phases costs
        # per step what one of 2 does; issue 14 item 8).
        order = np.argsort(index, kind="stable")
        ranked = index[order]
        cuts = np.flatnonzero(np.diff(ranked)) + 1
        for group in np.split(order, cuts):
            if not group.size:
                continue
            i = int(index[group[0]])
            local = flat[group]
            if self.clock == "local" and i:
                local = local - self.boundaries[i - 1]
            out[group] = self.phases[i]._over(local)
        return out.reshape(t.shape)


sequence = Sequence
