"""accelerate: keep an `lrkit.Scheduler` advancing once per real optimizer update.

``accelerator.prepare(scheduler)`` wraps a scheduler in ``AcceleratedScheduler``, whose ``step()``
does nothing during gradient accumulation (no sync) or after a skipped step (mixed precision), and
otherwise calls the scheduler's ``step()`` **once per process** (``num_processes`` times), unless
the Accelerator was built with ``split_batches=True``: accelerate assumes schedules sized in
per-process batches. An lrkit schedule counts optimizer updates (or samples, tokens), so with 4
processes it would run 4x too fast (accelerate#2773, diffusers#3954, transformers PR#24088). In
updates or epochs, lrkit's skip detection now leaves the calls after the first of an update
uncounted (no ``optimizer.step()`` before them) and warns once (`UncountedStepWarning`); the
recipes below avoid the extra calls and the warning.

Three ways to stay at one count per update:

* `once_per_update` on the prepared scheduler: one ``step()`` per real update, accumulation and
  skipped steps still handled by accelerate (the recommended recipe);
* a schedule in samples or tokens called with this process's batch,
  ``sched.step(samples=len(batch))``: the ``num_processes`` calls add up to the global batch, so the
  position is right (the ``updates`` counter and the per-update log then count calls, not updates);
* ``Accelerator(step_scheduler_with_optimizer=False)`` and ``sched.step()`` only when
  ``accelerator.sync_gradients`` (the plain-loop recipe).

Importing this module imports accelerate (``pip install accelerate``).
"""

from __future__ import annotations

from typing import Any

try:
    from accelerate.scheduler import AcceleratedScheduler
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lrkit.integrations.accelerate needs accelerate: pip install accelerate (or lrkit[accelerate])"
    ) from error

from lrkit._validate import fail
from lrkit.scheduler import Scheduler

__all__ = ["once_per_update"]


def once_per_update(prepared: Any) -> Any:
    """Make ``accelerator.prepare``'s wrapper step an `lrkit.Scheduler` once per optimizer update.

    Sets the wrapper's ``split_batches`` to True, the mode in which ``AcceleratedScheduler.step``
    calls the scheduler once per synchronized, applied optimizer step instead of
    ``num_processes`` times. The Accelerator and its data loaders are not changed. The wrapper is
    returned (the same object, still registered for ``accelerator.save_state``). With
    ``step_scheduler_with_optimizer=False`` the wrapper steps on every call: step it yourself
    after each update (nothing is changed then).

    Args:
        prepared: the ``AcceleratedScheduler`` returned by ``accelerator.prepare(..., sched)``,
            wrapping an `lrkit.Scheduler`.

    Returns:
        `prepared`.

    Raises:
        TypeError: not an ``AcceleratedScheduler``, or one that does not wrap an `lrkit.Scheduler`.

    Example:
        In a training script: ``sched = once_per_update(accelerator.prepare(lrkit.Scheduler(...)))``.
        Here the wrapper is built by hand, as ``accelerator.prepare`` builds it:

        >>> import torch
        >>> from accelerate.scheduler import AcceleratedScheduler
        >>> from lrkit import Scheduler, cosine
        >>> from lrkit.integrations.accelerate import once_per_update
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> prepared = AcceleratedScheduler(Scheduler(opt, cosine(), total=100), opt)
        >>> once_per_update(prepared) is prepared, prepared.split_batches
        (True, True)
    """
    if not isinstance(prepared, AcceleratedScheduler):
        raise fail(
            "once_per_update",
            "prepared",
            prepared,
            "the AcceleratedScheduler returned by accelerator.prepare(scheduler)",
            kind=TypeError,
        )
    if not isinstance(prepared.scheduler, Scheduler):
        raise fail(
            "once_per_update",
            "prepared",
            prepared,
            f"an AcceleratedScheduler wrapping an lrkit.Scheduler (it wraps a "
            f"{type(prepared.scheduler).__name__})",
            kind=TypeError,
        )
    # NOTE: `split_batches` is read by AcceleratedScheduler.step only to choose between one call
    # and num_processes calls per update; the data loaders keep their own setting.
    prepared.split_batches = True
    return prepared
