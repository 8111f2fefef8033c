"""Plateau observation: `Scheduler.observe` feeds a metric to the plateau phases active now.

The metric is first combined across the ranks of an initialized process group
(`lrkit._collective.reduce_metric`, which sits below both the scheduler and `lrkit.distributed`).
"""

from __future__ import annotations

from typing import Any

import torch

from lrkit._collective import REDUCTIONS, reduce_metric
from lrkit._validate import check_choice
from lrkit.scheduler._engine import Engine

__all__ = ["Observing"]


class Observing(Engine):
    """`observe` and `plateau_state` (documented on `Scheduler`)."""

    def observe(self, metric: Any, *, reduce: str = "mean") -> bool:
        """Feed a metric to the plateau phases active at the current position.

        Each active `plateau` node updates its counters (best, bad count, cooldown) and, when it
        reduces, is replaced by the node with ``reductions + 1`` in that group's schedule (unless the
        change would not exceed its ``eps`` for that group). The new rates are written at once.
        Plateau nodes not active now (during a warmup before them) ignore the metric.

        With an initialized `torch.distributed` process group, the metric is first combined across
        the ranks (`lrkit.distributed.reduce_metric`), so every rank's plateau sees the same value
        and reduces at the same evaluation: then every rank must call ``observe``. Without a process
        group the metric is used as given.

        Args:
            metric: a real number (or a 1-element tensor).
            reduce: how ranks' metrics combine under a process group: "mean" (default), "max",
                "min", "rank0" (rank 0's metric), "verify" (raise unless all ranks agree) or
                "local" (no communication).

        Returns:
            True if a value was reduced.

        Raises:
            ValueError: no schedule contains a plateau, an unknown `reduce`, or a NaN/infinite
                metric (see ``plateau(nonfinite=...)``).

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, plateau
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
            >>> sched = Scheduler(opt, plateau(factor=0.5, patience=1))
            >>> [sched.observe(loss) for loss in [1.0, 0.9, 0.9, 0.9]]
            [False, False, False, True]
            >>> sched.lr_for_next_update()
            [0.05]
        """
        if isinstance(metric, torch.Tensor):
            metric = float(metric.detach().reshape(()).item())
        if not self._has_plateau:
            raise ValueError(
                "Scheduler.observe() feeds plateau phases, and none of this scheduler's schedules has one; "
                "add plateau(...) to a schedule, e.g. warmup(plateau(patience=5), steps=100)"
            )
        metric = reduce_metric(metric, check_choice("Scheduler.observe", "reduce", reduce, REDUCTIONS))
        t = self._eval_position(self.position)
        changed = False
        for track in self._tracks:
            changed = track.observe(t, metric) or changed
        if changed:
            for track in self._tracks:
                track.plan(self.optimizer.param_groups)
            self._apply()
        return changed

    def plateau_state(self) -> list[dict[str, Any]]:
        """The counters of every plateau that has observed metrics: key, group, path and counters.

        Each entry holds ``best``, ``bad`` (consecutive bad evaluations), ``cooldown`` (evaluations
        left), ``evaluations`` and ``reductions``.
        """
        return [row for track in self._tracks for row in track.plateau_rows()]
