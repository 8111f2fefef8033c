"""torch.optim.swa_utils.SWALR: anneal each group's rate to `swa_lr`, then hold it."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from lrkit._validate import check_choice, check_int, fail
from lrkit.compat._base import CompatScheduler, copied, initial_bases, per_group, rate
from lrkit.compat._shared import AFFINE
from lrkit.scheduler import to_float
from lrkit.schedules import Schedule, constant, cosine, linear

__all__ = ["SWALR"]


class SWALR(CompatScheduler):
    """torch's ``SWALR``: from the group's rate to `swa_lr` over `anneal_epochs` steps, then hold.

    ``lr = swa_lr * a + lr0 * (1 - a)`` with ``a = w(min(1, t / anneal_epochs))``, ``w(p) =
    (1 - cos(pi p)) / 2`` ("cos") or ``p`` ("linear"), ``lr0`` the group's rate when built; with
    ``anneal_epochs=0`` the rate is `swa_lr` at once. As in torch, ``lr0`` is read from the groups
    again at the first `step` (so it anneals from where a previous scheduler left the rate).
    lrkit: ``cosine(absolute(lr0), absolute(swa_lr), steps=anneal_epochs)`` (or ``linear``).

    Args:
        optimizer: the optimizer.
        swa_lr: the target rate(s), >= 0, or a list with one per group.
        anneal_epochs: an int >= 0. Default 10.
        anneal_strategy: "cos" or "linear". Default "cos".
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: an unknown strategy, a negative or non-integer `anneal_epochs`, a list of the wrong
            length (each message ends with torch's sentence).

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
    _side: ClassVar[str] = AFFINE  # type: ignore[misc]
    _added_group_keys: ClassVar[tuple[str, ...]] = ("swa_lr",)
    _bases_from_args: ClassVar[bool] = True
    _position_from_last_epoch: ClassVar[bool] = False

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
        # lrkit's messages, each ending with torch's own sentence (torch's tests match on it).
        try:
            strategy = check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        except ValueError as error:
            raise ValueError(f"{error} (torch: anneal_strategy must be 'cos' or 'linear')") from None
        try:
            epochs = check_int(owner, "anneal_epochs", anneal_epochs, low=0)
        except (TypeError, ValueError) as error:  # torch: a ValueError for 1.7 too
            raise ValueError(f"{error} (torch: anneal_epochs must be equal or greater than 0)") from None
        try:
            targets = [rate(owner, "swa_lr", v) for v in per_group(owner, "swa_lr", swa_lr, n)]
        except ValueError as error:
            raise ValueError(f"{error} (torch: swa_lr must have one value per param group)") from None
        self.anneal_epochs, self.anneal_strategy = epochs, strategy
        self.swa_lrs: list[Any] = [float(getattr(t, "value", t)) for t in targets]
        self._targets = targets
        # torch anneals from the rates in the groups (not from `initial_lr`); the curves hold
        # absolute rates and the internal base is 1.0, so a rate of 0 to start from works too.
        self._lr0 = [to_float(group["lr"]) for group in optimizer.param_groups]
        for group, value in zip(optimizer.param_groups, per_group(owner, "swa_lr", swa_lr, n), strict=True):
            group["swa_lr"] = copied(value)  # torch's key, written in any case
        super().__init__(optimizer, self._curves(self._lr0), last_epoch, bases=[1.0] * n)
        # torch's base_lrs: the groups' `initial_lr` (not the rates it anneals from).
        self._torch_bases = initial_bases(optimizer)
        # torch's SWALR anneals by its own step count, whatever `last_epoch` says: resumed with
        # last_epoch=L, it keeps the groups' rates and anneals from them at the next step.
        self._epoch_offset = self.last_epoch
        self.base_lrs = self._public_bases()

    def _curves(self, lr0: list[float]) -> list[Schedule]:
        shape = cosine if self.anneal_strategy == "cos" else linear
        epochs = self.anneal_epochs
        return [
            constant(t) if epochs == 0 else shape(rate("SWALR", "lr", start), t, steps=epochs)
            for start, t in zip(lr0, self._targets, strict=True)
        ]

    def _restart_from(self, lr0: list[float]) -> None:
        self._lr0 = list(lr0)
        curves = self._curves(self._lr0)
        self._compat_lr = curves
        self.set_definitions(curves)  # the fast path of step() follows (the SWALR defect: it did not)
        self.base_lrs = self._public_bases()

    def _public_bases(self) -> list[float | torch.Tensor]:
        return list(getattr(self, "_torch_bases", self._lr0))

    def _after_step(self) -> None:
        if self._epoch_offset:
            self.last_epoch = self.updates + self._epoch_offset

    def _torch_step(self, current: list[float], before: list[float], after: list[float]) -> list[float]:
        """torch's SWALR step from the `current` rates (side by side with others): it recovers the
        starting rate from them as if its previous step had set them, then anneals from it."""
        epochs = self.anneal_epochs
        step = self._step_count - 1 if epochs else max(1, self._step_count - 1)

        def weight(t: float) -> float:
            t = max(0.0, min(1.0, t))
            return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

        prev, now = weight((step - 1) / max(1, epochs)), weight(step / max(1, epochs))
        out = []
        for lr, target in zip(current, self.swa_lrs, strict=True):
            start = target if prev == 1 else (lr - prev * target) / (1 - prev)
            out.append(target * now + start * (1 - now))
        return out

    def _extra_state(self) -> dict[str, Any]:
        return {"lr0": list(self._lr0), "epoch_offset": int(self._epoch_offset)}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        self._epoch_offset = int(extra.get("epoch_offset", 0))
        self._restart_from([float(v) for v in extra["lr0"]])

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        """Advance by one step; the first one anneals from the rates the groups hold then, as torch.

        torch's SWALR recovers its starting rate from ``group["lr"]``, so in the usual recipe (a
        main scheduler until ``swa_start``, then ``swa_scheduler.step()``) it anneals from where
        the main schedule left the rate. The first `step` reads those rates.
        """
        if self._step_count == 1 and epoch is None and self._container is None:
            self._restart_from([to_float(group["lr"]) for group in self.optimizer.param_groups])
        super().step(epoch)
