"""transformers: `lrkit.Scheduler` in ``Trainer(optimizers=(optimizer, scheduler))``, plateau included.

``Trainer`` steps the scheduler it is given once per optimizer update (after the update, only when
the update was applied, and once per accumulation window), does not pass it to
``accelerator.prepare`` and saves its ``state_dict()`` in checkpoints. So the recipe is::

    sched = lrkit.Scheduler(opt, "warmup(cosine(end=0.1), steps=0.05)", total=total_updates)
    trainer = Trainer(model, args, train_dataset=..., optimizers=(opt, sched))

with ``total_updates`` from `lrkit.distributed.run_totals` (``accumulation`` =
``gradient_accumulation_steps``, ``world_size`` = processes) or ``args.max_steps``.

``Trainer`` feeds evaluation metrics only to torch's ``ReduceLROnPlateau``; `PlateauCallback`
feeds them to an lrkit scheduler's plateau phases.

NOTE: the Trainer's ``learning_rate`` log reads ``get_last_lr()`` between ``optimizer.step()`` and
``scheduler.step()``, where lrkit's ``get_last_lr()`` is still the rate of the previous counted
update: that log runs one update late. `lrkit.integrations.loggers` (``log_jsonl(sched, path)``,
``log_tensorboard``) writes each update's own rate.

Importing this module imports transformers.
"""

from __future__ import annotations

from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lrkit.integrations.transformers needs transformers: pip install transformers"
    ) from error

from lrkit._validate import check_choice, fail
from lrkit.distributed._reduce import REDUCTIONS
from lrkit.scheduler import Scheduler

__all__ = ["PlateauCallback"]


class PlateauCallback(TrainerCallback):  # type: ignore[misc]
    """Feed an evaluation metric to the plateau phases of the Trainer's `lrkit.Scheduler`.

    After each evaluation, ``metrics[metric]`` (``"eval_loss"``; a name without the ``eval_``
    prefix is looked up with it too) goes to ``scheduler.observe(value, reduce=reduce)``. Trainer's
    evaluation metrics are already gathered over the processes, and the callback runs on every
    process, as `Scheduler.observe` requires under a process group.

    Args:
        metric: the metric's name, e.g. ``"eval_loss"`` (default) or ``"eval_accuracy"`` (use
            ``plateau(mode="max")`` for metrics that grow).
        reduce: how processes' metrics combine: "mean" (default), "max", "min", "rank0", "verify"
            or "local" (see `lrkit.distributed.reduce_metric`).

    Raises:
        TypeError: `metric` not a non-empty str.
        ValueError: an unknown `reduce`; at the start of training, a scheduler that is not an
            `lrkit.Scheduler` with a plateau; after an evaluation, a metric not computed.

    Example:
        >>> from lrkit.integrations.transformers import PlateauCallback
        >>> PlateauCallback("eval_loss")
        PlateauCallback(metric='eval_loss', reduce='mean')
    """

    def __init__(self, metric: str = "eval_loss", *, reduce: str = "mean") -> None:
        if not isinstance(metric, str) or not metric:
            raise fail(
                "PlateauCallback", "metric", metric, "the name of an evaluation metric", kind=TypeError
            )
        self.metric = metric
        self.reduce = check_choice("PlateauCallback", "reduce", reduce, REDUCTIONS)

    def __repr__(self) -> str:
        return f"PlateauCallback(metric={self.metric!r}, reduce={self.reduce!r})"

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Check that the Trainer's scheduler is an `lrkit.Scheduler` with a plateau phase."""
        sched = kwargs.get("lr_scheduler")
        if not isinstance(sched, Scheduler) or not sched.has_plateau:
            raise ValueError(
                f"PlateauCallback(metric={self.metric!r}) feeds the plateau phases of an lrkit.Scheduler "
                f"given as Trainer(optimizers=(optimizer, scheduler)); the Trainer's scheduler is "
                f"{type(sched).__name__}"
                + ("" if not isinstance(sched, Scheduler) else ", whose schedules have no plateau")
            )

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Observe the metric of the evaluation just made."""
        metrics = kwargs.get("metrics") or {}
        key = self.metric if self.metric in metrics else f"eval_{self.metric}"
        if key not in metrics:
            raise ValueError(
                f"PlateauCallback(metric={self.metric!r}): the evaluation computed no such metric; "
                f"computed: {sorted(metrics)}"
            )
        sched = kwargs.get("lr_scheduler")
        if isinstance(sched, Scheduler):
            sched.observe(metrics[key], reduce=self.reduce)
