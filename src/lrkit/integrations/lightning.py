"""Lightning: an `lrkit.Scheduler` from ``configure_optimizers``, and plateau phases fed by a callback.

`lrkit.Scheduler` subclasses torch's ``LRScheduler``, so Lightning accepts it, steps it, and saves
and restores its state in checkpoints. Two things need care:

* Lightning's default ``interval`` is ``"epoch"``: one ``step()`` per epoch would count one update
  per epoch. `scheduler_config` returns the entry with ``interval="step"`` (once per optimizer
  update; with ``accumulate_grad_batches`` Lightning steps it after each real update).
* Lightning hands metrics only to torch's ``ReduceLROnPlateau``. `PlateauCallback` feeds the
  monitored metric to every lrkit scheduler with a plateau phase after each validation (on every
  rank; the metric is reduced across ranks by `Scheduler.observe`), and checks at the start of
  ``fit`` that lrkit schedulers are stepped per update.
* ``return [opt], [sched]`` (no config) gets Lightning's ``interval="epoch"``: `StepCheck` notices
  at run time that an lrkit scheduler counts fewer updates than the trainer made and warns once
  (`SteppingWarning`). lrkit registers it with Lightning (the ``lightning.pytorch.callbacks_factory``
  entry point), so every ``Trainer`` has it once lrkit is installed; it can also be passed by hand.

Importing this module imports Lightning (``pip install lightning``).
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

try:
    import lightning.pytorch as pl
except ImportError:  # pragma: no cover - the standalone package
    try:
        import pytorch_lightning as pl  # type: ignore[no-redef]
    except ImportError as error:
        raise ImportError(
            "lrkit.integrations.lightning needs Lightning: pip install lightning (or lrkit[lightning])"
        ) from error

from lrkit._validate import check_choice, fail
from lrkit.distributed._reduce import REDUCTIONS
from lrkit.scheduler import Scheduler

__all__ = ["PlateauCallback", "StepCheck", "SteppingWarning", "has_plateau", "scheduler_config"]


def scheduler_config(scheduler: Scheduler, *, name: str | None = None) -> dict[str, Any]:
    """The ``lr_scheduler`` entry of ``configure_optimizers`` for an `lrkit.Scheduler`.

    ``{"scheduler": scheduler, "interval": "step", "frequency": 1}`` (and ``"name"`` if given, the
    key Lightning's ``LearningRateMonitor`` logs under): Lightning then calls ``step()`` once per
    optimizer update, which is what the scheduler's position counts, whatever its unit.

    Args:
        scheduler: an `lrkit.Scheduler` built on the optimizer returned alongside.
        name: an optional name for Lightning's logs.

    Returns:
        The dict to return as ``{"optimizer": opt, "lr_scheduler": scheduler_config(sched)}``.

    Raises:
        TypeError: not an `lrkit.Scheduler`, or a name that is not a str.

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, cosine
        >>> from lrkit.integrations.lightning import scheduler_config
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> config = scheduler_config(Scheduler(opt, cosine(), total=100))
        >>> config["interval"], config["frequency"]
        ('step', 1)
    """
    if not isinstance(scheduler, Scheduler):
        raise fail("scheduler_config", "scheduler", scheduler, "an lrkit.Scheduler", kind=TypeError)
    config: dict[str, Any] = {"scheduler": scheduler, "interval": "step", "frequency": 1}
    if name is not None:
        if not isinstance(name, str):
            raise fail("scheduler_config", "name", name, "a str or None", kind=TypeError)
        config["name"] = name
    return config


def has_plateau(scheduler: Scheduler) -> bool:
    """True when one of the scheduler's schedules (any group, any hyperparameter) has a plateau.

    Args:
        scheduler: an `lrkit.Scheduler`.

    Raises:
        TypeError: not an `lrkit.Scheduler`.

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, cosine, plateau, warmup
        >>> from lrkit.integrations.lightning import has_plateau
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> has_plateau(Scheduler(opt, warmup(plateau(), steps=5)))
        True
        >>> has_plateau(Scheduler(opt, cosine(), total=9))
        False
    """
    if not isinstance(scheduler, Scheduler):
        raise fail("has_plateau", "scheduler", scheduler, "an lrkit.Scheduler", kind=TypeError)
    return scheduler.has_plateau


class PlateauCallback(pl.Callback):  # type: ignore[misc]
    """Feed a logged metric to the plateau phases of the lrkit schedulers after each validation.

    After every validation run (not the sanity check), ``trainer.callback_metrics[monitor]`` goes to
    ``scheduler.observe(metric, reduce=reduce)`` for each `lrkit.Scheduler` in the trainer's
    ``lr_scheduler_configs`` whose schedules contain a `plateau`. It runs on every rank, as
    `Scheduler.observe` requires under a process group (a metric logged with ``sync_dist=True`` is
    already the same on every rank: ``reduce="verify"`` checks that instead of averaging again).
    The plateau counters live in the scheduler's state, so they are saved in Lightning's
    checkpoints; this callback has no state.

    At the start of ``fit`` it raises if an lrkit scheduler is configured with ``interval="epoch"``
    or a ``frequency`` other than 1 (its position would not count optimizer updates), or if no
    lrkit scheduler has a plateau.

    Args:
        monitor: the logged metric's name (as given to ``self.log``), e.g. ``"val_loss"``.
        reduce: how ranks' metrics combine: "mean" (default), "max", "min", "rank0", "verify" or
            "local" (see `lrkit.distributed.reduce_metric`).

    Raises:
        TypeError: `monitor` not a non-empty str.
        ValueError: an unknown `reduce`; at ``fit`` start, a misconfigured lrkit scheduler or none
            with a plateau; after a validation, `monitor` not among the logged metrics.

    Example:
        >>> from lrkit.integrations.lightning import PlateauCallback
        >>> PlateauCallback("val_loss")
        PlateauCallback(monitor='val_loss', reduce='mean')
    """

    def __init__(self, monitor: str, *, reduce: str = "mean") -> None:
        if not isinstance(monitor, str) or not monitor:
            raise fail("PlateauCallback", "monitor", monitor, "the name of a logged metric", kind=TypeError)
        self.monitor = monitor
        self.reduce = check_choice("PlateauCallback", "reduce", reduce, REDUCTIONS)

    def __repr__(self) -> str:
        return f"PlateauCallback(monitor={self.monitor!r}, reduce={self.reduce!r})"

    @staticmethod
    def _lrkit_configs(trainer: Any) -> list[Any]:
        return [c for c in trainer.lr_scheduler_configs if isinstance(c.scheduler, Scheduler)]

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Check that lrkit schedulers are stepped per update and that one has a plateau."""
        configs = self._lrkit_configs(trainer)
        for config in configs:
            if config.interval != "step" or config.frequency != 1:
                raise ValueError(
                    f"An lrkit.Scheduler is configured with interval={config.interval!r}, "
                    f"frequency={config.frequency!r}; its position counts optimizer updates, so it must "
                    f"be stepped after each one: return lrkit.integrations.lightning.scheduler_config("
                    f"sched) (interval='step', frequency=1) from configure_optimizers"
                )
        if not any(has_plateau(c.scheduler) for c in configs):
            raise ValueError(
                f"PlateauCallback(monitor={self.monitor!r}) feeds plateau phases, and no lrkit.Scheduler "
                f"returned by configure_optimizers has one (found {len(configs)} lrkit scheduler(s))"
            )

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        """Observe the monitored metric (skipped during the sanity check)."""
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise ValueError(
                f"PlateauCallback(monitor={self.monitor!r}): no such logged metric after validation; "
                f"logged: {sorted(metrics)}"
            )
        metric = metrics[self.monitor]
        for config in self._lrkit_configs(trainer):
            if has_plateau(config.scheduler):
                config.scheduler.observe(metric, reduce=self.reduce)


# Schedulers already warned about, by any StepCheck (the entry point's and one passed by hand).
_WARNED: weakref.WeakSet[Any] = weakref.WeakSet()


class SteppingWarning(UserWarning):
    """An lrkit scheduler under Lightning is not stepped once per optimizer update."""


class StepCheck(pl.Callback):  # type: ignore[misc]
    """Warn once when Lightning steps an lrkit scheduler less often than the optimizer updates.

        ``configure_optimizers`` returning ``[opt], [sched]`` (or a config without ``interval``) gets
        Lightning's default ``interval="epoch"``: an `lrkit.Scheduler`, whose position counts optimizer
        updates, then advances once per epoch, and a schedule over N updates would take N epochs.
        Nothing fails; the rates are just wrong. After each training batch this callback compares each
        lrkit scheduler's ``step()`` calls (counted or skipped) with the optimizer updates the trainer
        made since ``fit`` started; when the scheduler lags, it warns once per scheduler
        (`SteppingWarning`) with the counts and the fix (`scheduler_config`). It has no state and
        changes nothing.

        Lightning adds it to every ``Trainer`` through lrkit's ``lightning.pytorch.callbacks_factory``
        entry point (`callbacks`); passing it by hand as well does no harm (one warning per scheduler,
    whichever instance sees it first).

        Example:
            >>> from lrkit.integrations.lightning import StepCheck
            >>> StepCheck()
            StepCheck()
    """

    def __init__(self) -> None:
        self._start: dict[int, tuple[int, int]] = {}

    def __repr__(self) -> str:
        return "StepCheck()"

    @staticmethod
    def _schedulers(trainer: Any) -> list[Any]:
        return [c for c in trainer.lr_scheduler_configs if isinstance(c.scheduler, Scheduler)]

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Note where each lrkit scheduler and the trainer start (a resumed fit starts mid-run)."""
        self._start = {
            id(c.scheduler): (_calls(c.scheduler), trainer.global_step) for c in self._schedulers(trainer)
        }

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Compare the updates each lrkit scheduler counted with the trainer's optimizer updates."""
        for config in self._schedulers(trainer):
            scheduler = config.scheduler
            key = id(scheduler)
            if scheduler in _WARNED or key not in self._start:
                continue
            counted0, steps0 = self._start[key]
            made = trainer.global_step - steps0
            counted = _calls(scheduler) - counted0
            # Step calls, counted or skipped (a GradScaler skip is a call); Lightning steps "step"
            # schedulers right after the update, before this hook, so the two agree when stepped
            # per update. Lagging by 2 or more is never an off-by-one of the hooks' order.
            if made - counted >= 2:
                _WARNED.add(scheduler)
                _warn_stepping(config, made, counted)


def _calls(scheduler: Any) -> int:
    """The scheduler's step() calls: counted updates and skipped ones (Lightning steps it for both)."""
    return int(scheduler.updates) + int(scheduler.skipped)


def _warn_stepping(config: Any, made: int, counted: int) -> None:
    warnings.warn(
        f"An lrkit.Scheduler under Lightning was stepped {counted} times while the optimizer made {made} "
        f"updates: Lightning steps it with interval={config.interval!r}, frequency={config.frequency!r} "
        f"(returning [optimizer], [scheduler] from configure_optimizers means interval='epoch'), so "
        f"a schedule over N updates would take N epochs. Fix: return {{'optimizer': opt, "
        f"'lr_scheduler': lrkit.integrations.lightning.scheduler_config(sched)}} (interval='step')",
        SteppingWarning,
        stacklevel=2,
    )


def callbacks() -> list[Any]:
    """Lightning's ``callbacks_factory`` entry point: the callbacks every ``Trainer`` gets (`StepCheck`)."""
    return [StepCheck()]
