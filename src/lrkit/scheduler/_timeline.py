"""Positions: units, the end of the run, and changes of plan made during a run (extend, anneal).

The position is computed from integer counters every time (never accumulated in floats), so a
resumed run computes bit-identical positions:

=========  =========================================  =======================================
unit       position of the next update                advanced by
=========  =========================================  =======================================
update     ``updates + offset``                       one per applied update
epoch      ``(updates + offset) / steps_per_epoch``   one update (1/steps_per_epoch epoch)
sample     ``samples + offset``                       ``step(samples=n)``
token      ``tokens + offset``                        ``step(tokens=n)``
=========  =========================================  =======================================

``offset`` is 0, or one update's worth when `skip_zero_start` applies (1 update, or
``update_size`` samples/tokens).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["ANNEAL_SHAPES", "UNITS", "Anneal", "Extension", "anneal_weight", "stretch"]

UNITS = ("update", "epoch", "sample", "token")
ANNEAL_SHAPES = ("linear", "cosine", "1-sqrt")


@dataclasses.dataclass(frozen=True)
class Extension:
    """The rest of the run from position `at` stretched from ending at `old_end` to `new_end`."""

    at: float
    old_end: float
    new_end: float

    def map(self, t: float) -> float:
        """The position in the plan before the extension that corresponds to `t`."""
        if t <= self.at:
            return t
        return self.at + (t - self.at) * ((self.old_end - self.at) / (self.new_end - self.at))

    def to_plain(self) -> list[float]:
        return [self.at, self.old_end, self.new_end]


def stretch(extensions: list[Extension], t: float) -> float:
    """Map `t` through every extension, the latest first."""
    for extension in reversed(extensions):
        t = extension.map(t)
    return t


def anneal_weight(shape: str, p: float) -> float:
    """How far the anneal has gone at progress `p` in [0, 1]: 0 at the start, 1 at the end."""
    if shape == "linear":
        return p
    if shape == "cosine":
        return (1.0 - math.cos(math.pi * p)) / 2.0
    return math.sqrt(p)


@dataclasses.dataclass(frozen=True)
class Anneal:
    """From position `at`, each group's value goes from `start[g]` to `end[g]` over `steps`."""

    at: float
    steps: float
    shape: str
    start: tuple[float, ...]
    end: tuple[float, ...]

    def values(self, t: float) -> list[float]:
        p = min(max(t - self.at, 0.0) / self.steps, 1.0)
        if p >= 1.0:
            return list(self.end)
        w = anneal_weight(self.shape, p)
        return [s + (e - s) * w for s, e in zip(self.start, self.end, strict=True)]

    def to_plain(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "steps": self.steps,
            "shape": self.shape,
            "start": list(self.start),
            "end": list(self.end),
        }

    @staticmethod
    def from_plain(data: dict[str, Any]) -> Anneal:
        return Anneal(
            float(data["at"]),
            float(data["steps"]),
            str(data["shape"]),
            tuple(float(v) for v in data["start"]),
            tuple(float(v) for v in data["end"]),
        )
