"""Changes of plan during a run: `Scheduler.extend` (stretch the rest) and `Scheduler.anneal`.

The position arithmetic they record (`Extension`, `Anneal`) lives in `_timeline`.
"""

from __future__ import annotations

from typing import Any

from lrkit._validate import check_choice, check_number
from lrkit.scheduler._engine import Engine
from lrkit.scheduler._timeline import ANNEAL_SHAPES, Anneal, Extension
from lrkit.schedules._base import Absolute

__all__ = ["PlanChanges"]


class PlanChanges(Engine):
    """`extend` and `anneal` (documented on `Scheduler`)."""

    def extend(self, total: float) -> None:
        """Make the run end at `total` instead, continuing smoothly from the current position.

        The rest of the run (from the current position ``k`` to the old end ``T``) is stretched to
        end at the new total ``T'``: position ``t > k`` evaluates the old plan at
        ``k + (t - k) * (T - k) / (T' - k)``. The next rate is unchanged, and the values reached at
        ``T`` are reached at ``T'``.

        Args:
            total: the new end, a number > the current position (in the scheduler's unit).

        Raises:
            ValueError: no total was set, the run already reached its end, an anneal is in
                progress, or `total` is not after the current position.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, linear
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = Scheduler(opt, linear(1.0, 0.0), total=10)
            >>> for _ in range(6):
            ...     sched.step()
            >>> sched.extend(14)  # the last 4 steps of the decay now take 8
            >>> rates = []
            >>> for _ in range(8):
            ...     rates.append(round(sched.lr_for_next_update()[0], 3))
            ...     sched.step()
            >>> rates
            [0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05]
        """
        p = self.position
        end = self._end
        new = check_number("Scheduler.extend", "total", total, low=p, low_open=True)
        if end is None:
            raise ValueError(
                "Scheduler.extend() needs a run with a total; this scheduler was built with total=None"
            )
        if self._anneal is not None:
            raise ValueError(
                "Scheduler.extend() cannot stretch an anneal in progress; call anneal() again instead"
            )
        if p >= end:
            raise ValueError(
                f"Scheduler.extend() stretches the rest of the run, and nothing is left: position {p!r} >= "
                f"end {end!r}; use anneal() or load with policy='adopt' to start a new plan"
            )
        self._extensions.append(Extension(p, end, new))
        self._end = new
        self._warned = False
        self._apply()

    def anneal(self, steps: float, *, end: Any = 0.0, shape: str = "linear") -> None:
        """Anneal the lr from its current value to `end` over the next `steps`, then end the run.

        ``lr_g(t) = start_g + (end_g - start_g) * w((t - k) / steps)`` for ``t >= k`` (the current
        position), with ``w(p) = p`` ("linear"), ``(1 - cos(pi p)) / 2`` ("cosine") or ``sqrt(p)``
        ("1-sqrt", the WSD cooldown of Hägele et al. 2024); ``start_g`` is the group's next lr and
        ``end_g = base_g * end`` (or the absolute value). The run's end becomes ``k + steps``.

        Args:
            steps: the anneal's length in the scheduler's unit, > 0.
            end: the final factor >= 0, or `absolute(v)`. Default 0.
            shape: "linear", "cosine" or "1-sqrt".

        Raises:
            ValueError: `steps` not > 0, `end` negative, or an unknown `shape`.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, constant
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = Scheduler(opt, constant(), total=1000)
            >>> for _ in range(300):
            ...     sched.step()
            >>> sched.anneal(4)  # cool down now, over 4 updates
            >>> rates = []
            >>> for _ in range(5):
            ...     rates.append(sched.lr_for_next_update()[0])
            ...     sched.step()
            >>> rates, sched.total
            ([1.0, 0.75, 0.5, 0.25, 0.0], 304.0)

        Reference: Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
        Durations", 2024 (warmup-stable-decay cooldowns).
        """
        steps = check_number("Scheduler.anneal", "steps", steps, low=0.0, low_open=True)
        check_choice("Scheduler.anneal", "shape", shape, ANNEAL_SHAPES)
        bases = self._lr.bases
        if isinstance(end, Absolute):
            ends = tuple(end.value for _ in bases)
        else:
            factor = check_number("Scheduler.anneal", "end", end, low=0.0)
            ends = tuple(b * factor for b in bases)
        p = self.position
        self._anneal = Anneal(p, steps, shape, tuple(self._lr.values), ends)
        self._end = p + steps
        self._warned = False
        self._apply()
