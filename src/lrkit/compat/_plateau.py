"""torch's ReduceLROnPlateau, on the core's `plateau` node and `lrkit.Scheduler.observe`."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any, ClassVar, SupportsFloat

import torch

from lrkit._validate import check_choice, check_number, fail
from lrkit.compat._base import EPOCH_WARNING, CompatScheduler, per_group, rate
from lrkit.compat._shared import PLATEAU
from lrkit.scheduler import Scheduler, to_float
from lrkit.schedules import Schedule
from lrkit.schedules.plateau import Plateau, PlateauCounters

__all__ = ["ReduceLROnPlateau"]


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class _TorchPlateau(Plateau):
    """The core's `plateau` with torch's ranges: any `factor` below 1 and any finite `threshold`.

    torch checks only ``factor < 1``: a factor of 0 or below sets each rate to its ``min_lr`` at the
    first reduction (``max(lr * factor, min_lr)``), and a relative threshold of 1 or more (or a
    negative one) is used as written. lrkit's own `plateau` keeps factor in (0, 1) and a relative
    threshold in [0, 1).
    """

    def __post_init__(self) -> None:
        factor, threshold = self.factor, self.threshold
        object.__setattr__(self, "factor", 0.5)  # the core checks the other fields
        object.__setattr__(self, "threshold", 0.0)
        super().__post_init__()
        factor = check_number("ReduceLROnPlateau", "factor", factor, high=1.0, high_open=True)
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "threshold", check_number("ReduceLROnPlateau", "threshold", threshold))

    def _value(self) -> float:
        if self.factor > 0.0 or self.reductions == 0:
            return super()._value()
        return max(float(self.min), 0.0)  # torch: max(lr * factor, min_lr) = min_lr from the first one


class ReduceLROnPlateau(CompatScheduler):
    """torch's ``ReduceLROnPlateau``: multiply by `factor` when a metric stops improving.

    ``lr_g = max(base_g * factor ** k, min_lr_g)`` after ``k`` reductions; a reduction happens at
    the ``patience + 1``-th consecutive evaluation that does not improve on the best by more than
    `threshold` (relative: ``best * (1 - threshold)`` in mode "min"; absolute: ``best -
    threshold``), followed by `cooldown` ignored evaluations; a change not above `eps` is skipped.
    The metric logic is the core's `plateau` node (convention "torch").

    Unlike torch it also works inside `SequentialLR` and `ChainedScheduler`: there, its
    ``step(metrics)`` feeds the metric to the container and the container's ``step()`` moves time.

    Args:
        optimizer: the optimizer.
        mode: "min" or "max". Default "min".
        factor: the multiplier per reduction, a number < 1 (0 or below: `min_lr` at the first
            reduction, as in torch). Default 0.1.
        patience: bad evaluations tolerated, an int >= 0. Default 10.
        threshold: the improvement that counts, a finite number (as in torch). Default 1e-4.
        threshold_mode: "rel" or "abs". Default "rel".
        cooldown: evaluations ignored after a reduction, an int >= 0. Default 0.
        min_lr: the floor (absolute), >= 0, or a list with one per group. Default 0.
        eps: the smallest change applied. Default 1e-8.

    Raises:
        ValueError: an argument out of range, an unknown mode, a `min_lr` list of the wrong length.

    Example:
        >>> import torch
        >>> from lrkit.compat import ReduceLROnPlateau
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for loss in [1.0, 0.9, 0.9, 0.9]:
        ...     sched.step(loss)
        >>> sched.get_last_lr(), sched.num_bad_epochs
        ([0.05], 0)
    """

    _checks_order: ClassVar[bool] = False
    _side: ClassVar[str] = PLATEAU  # type: ignore[misc]
    _follows_added_groups: ClassVar[bool] = True  # (torch's `min_lrs` rules: `_follow_groups`)
    _writes_initial_lr: ClassVar[bool] = False  # torch's ReduceLROnPlateau writes no key

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        n = len(optimizer.param_groups)
        check_number(owner, "factor", factor, high=1.0, high_open=True)
        self.mode = check_choice(owner, "mode", mode, ("min", "max"))
        self.threshold_mode = check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        floors = [rate(owner, "min_lr", v) for v in per_group(owner, "min_lr", min_lr, n)]
        self.min_lrs = [float(getattr(f, "value", f)) for f in floors]
        #: torch's attribute: the scalar `min_lr` that extends `min_lrs` to groups added later.
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.factor, self.patience, self.threshold = factor, patience, threshold
        self.cooldown, self.eps = cooldown, eps
        # torch compares counts with them: `bad > patience` and `cooldown_counter > 0` after each
        # evaluation takes one off, so 1.5 acts as patience 1 and as cooldown 2.
        if isinstance(patience, float) and math.isfinite(patience) and patience >= 0:
            patience = math.floor(patience)
        if isinstance(cooldown, float) and math.isfinite(cooldown) and cooldown >= 0:
            cooldown = math.ceil(cooldown)
        self._options: dict[str, Any] = {
            "factor": factor,
            "patience": patience,
            "threshold": threshold,
            "threshold_mode": threshold_mode,
            "cooldown": cooldown,
            "mode": mode,
            "eps": eps,
        }
        # torch reduces from the rates in the groups now (not from `initial_lr`).
        bases = [to_float(group["lr"]) for group in optimizer.param_groups]
        nodes = self._nodes(self.min_lrs, bases)
        self._node = nodes[0]
        self._layout = (n, tuple(self.min_lrs))
        super().__init__(optimizer, self._one_or_list(nodes), -1, bases=bases)
        self.last_epoch = 0

    def _nodes(self, floors: list[float], rates: list[float]) -> list[Plateau]:
        """One plateau per group. torch never raises a rate (``max(lr * factor, min_lr)`` is only
        applied when it lowers the rate), so a floor above the group's rate is the rate itself."""
        return [
            _TorchPlateau(
                **self._options,
                min=rate("ReduceLROnPlateau", "min_lr", min(floor, lr)),
                convention="torch",
                nonfinite="bad",
            )
            for floor, lr in zip(floors, rates, strict=True)
        ]

    @staticmethod
    def _one_or_list(nodes: list[Plateau]) -> Schedule | list[Schedule]:
        return nodes[0] if all(node == nodes[0] for node in nodes) else list[Schedule](nodes)

    def _follow_groups(self, value: float) -> None:
        """torch's reading of the groups and of `min_lrs` at each step, for a ReduceLROnPlateau alone on
        its optimizer: groups added with ``add_param_group`` (a scalar `min_lr` covers them; with a
        list, torch expects ``min_lrs`` extended by the user and raises its RuntimeError at the next
        reduction otherwise) and `min_lrs` changed by hand. The plateau then continues from the
        groups' current rates (bases), with its counters."""
        groups = self.optimizer.param_groups
        n = len(groups)
        if n < len(self.bases()):
            return  # the Scheduler's own error (fewer groups) follows
        if self.default_min_lr is not None and len(self.min_lrs) != n:
            self.min_lrs = [self.default_min_lr] * n  # torch: at its next reduction (same rates)
        layout = (n, tuple(self.min_lrs))
        if layout == self._layout:
            return
        c = self._counters()
        counters = PlateauCounters(
            float(c["best"]), int(c["bad"]), int(c["cooldown"]), int(c.get("evaluations", 0))
        )
        floors = [float(v) for v in self.min_lrs]
        if len(floors) != n:
            if self._node.judge(counters, value)[1]:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({n}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(floors)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups."
                )
            floors = (floors + [0.0] * n)[:n]  # no reduction uses them before min_lrs is fixed
        rates = [to_float(group["lr"]) for group in groups]
        nodes = self._nodes(floors, rates)
        position, last_epoch, step_count = self.updates, self.last_epoch, self._step_count
        # A new layout: lrkit.Scheduler's constructor binds the groups again (the adapter surface has
        # no "add a group with its own schedule"); bases are the current rates, reductions restart.
        Scheduler.__init__(
            self,
            self.optimizer,
            self._one_or_list(nodes),
            after_end="continue",
            skip_zero_start=False,
            detect_skips=False,
        )
        self._node = nodes[0]
        self._compat_lr = list[Schedule](nodes)
        self._compat_bases = rates
        self.seek(position, write=False)
        self.last_epoch, self._step_count = last_epoch, step_count
        if counters.evaluations:
            self.load_plateau_state(
                [
                    {
                        "key": "lr",
                        "group": g,
                        "path": [],
                        "best": counters.best,
                        "bad": counters.bad,
                        "cooldown": counters.cooldown,
                        "evaluations": counters.evaluations,
                        "reductions": 0,
                    }
                    for g in range(n)
                ]
            )
        self._layout = layout if len(self.min_lrs) == n else (-1, ())

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Evaluate `metrics` (a loss, or an accuracy with mode "max") and reduce if it plateaued.

        Args:
            metrics: a real number (or a one-element tensor).
            epoch: torch's deprecated argument: sets `last_epoch` (with torch's warning).
        """
        if isinstance(metrics, torch.Tensor):
            metrics = float(metrics.detach().reshape(()).item())
        value = float(metrics)
        if self._container is not None:
            self._container.observe(value, reduce="local")  # torch: per-rank metrics
            return
        shared = self._composition
        shared.check_layout(self)
        if epoch is not None:
            warnings.warn(EPOCH_WARNING, UserWarning, stacklevel=2)
        if shared.pending:
            shared.settle()
        if shared.anchor is None:
            self._follow_groups(value)
            self.observe(value, reduce="local")  # torch: per-rank metrics
        else:
            # Side by side with other schedulers: torch reduces the rates the others left.
            self._follow_groups(value)
            c = self._counters()
            counters = PlateauCounters(
                float(c["best"]), int(c["bad"]), int(c["cooldown"]), int(c.get("evaluations", 0))
            )
            _, reduce = self._node.judge(counters, value)
            self.observe(value, reduce="local")
            if reduce:
                shared.reduced(self, float(self.factor), list(self.min_lrs), float(self.eps))
            else:
                shared.show(self, shared.write())
        last = self.last_epoch + 1 if epoch is None else int(epoch)
        self.seek(max(last, 0), write=False)
        self.last_epoch = last

    def _adopt_groups(self) -> None:
        """Side by side, added groups are taken in at this scheduler's own next step (its `min_lrs`
        rules decide then, as torch's `_reduce_lr`): nothing to do before."""

    def _counters(self) -> dict[str, Any]:
        states = [s for s in self.plateau_state() if s["group"] == 0]
        return states[0] if states else {"best": self._start_best(), "bad": 0, "cooldown": 0}

    def _start_best(self) -> float:
        return float("inf") if self.mode == "min" else float("-inf")

    @property
    def best(self) -> float:
        """The best metric so far (torch's attribute)."""
        return float(self._counters()["best"])

    @property
    def num_bad_epochs(self) -> int:
        """Consecutive evaluations without improvement (torch's attribute)."""
        return int(self._counters()["bad"])

    @property
    def cooldown_counter(self) -> int:
        """Evaluations left to ignore (torch's attribute)."""
        return int(self._counters()["cooldown"])

    @property
    def in_cooldown(self) -> bool:
        """True while evaluations are ignored after a reduction (torch's attribute)."""
        return self.cooldown_counter > 0
