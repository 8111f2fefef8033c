"""torch.optim.swa_utils.SWALR: anneal each group's rate to `swa_lr`, then hold it."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from lrkit._validate import check_choice, check_int, fail
from lrkit.compat._base import CompatScheduler, _number, per_group, rate
from lrkit.schedules import Schedule, constant, cosine, linear

__all__ = ["SWALR"]


class SWALR(CompatScheduler):
    """torch's ``SWALR``: from the group's rate to `swa_lr` over `anneal_epochs` steps, then hold.

    ``lr = swa_lr * a + lr0 * (1 - a)`` with ``a = w(min(1, t / anneal_epochs))``, ``w(p) =
    (1 - cos(pi p)) / 2`` ("cos") or ``p`` ("linear"), ``lr0`` the group's rate when built; with
    ``anneal_epochs=0`` the rate is `swa_lr` at once. lrkit: ``cosine(1, absolute(swa_lr),
    steps=anneal_epochs)`` (or ``linear``), per group.

    Args:
        optimizer: the optimizer.
        swa_lr: the target rate(s), >= 0, or a list with one per group.
        anneal_epochs: an int >= 0. Default 10.
        anneal_strategy: "cos" or "linear". Default "cos".
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: an unknown strategy, a negative `anneal_epochs`, a list of the wrong length.

    Reference: Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization", 2018.

    Example:
        >>> import torch
        >>> from lrkit.compat import SWALR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy="linear")
        >>> rates = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
        >>> rates
        [0.1, 0.075, 0.05, 0.05]
    """

    overwrites: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        owner = "SWALR"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        n = len(optimizer.param_groups)
        targets = [rate(owner, "swa_lr", v) for v in per_group(owner, "swa_lr", swa_lr, n)]
        epochs = check_int(owner, "anneal_epochs", anneal_epochs, low=0)
        strategy = check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.anneal_epochs, self.anneal_strategy = epochs, strategy
        self.swa_lrs: list[Any] = [float(getattr(t, "value", t)) for t in targets]
        shape = cosine if strategy == "cos" else linear
        schedules: list[Schedule] = [
            constant(t) if epochs == 0 else shape(1.0, t, steps=epochs) for t in targets
        ]
        # torch anneals from the rates in the groups now (not from `initial_lr`).
        bases = [_number(group["lr"]) for group in optimizer.param_groups]
        super().__init__(optimizer, schedules, last_epoch, bases=bases)
