"""One run of a race: train a task's model for some epochs under one schedule, record every curve."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from lrkit.compare._results import RunResult
from lrkit.schedules import Schedule
from lrkit.tasks import Task, TaskError
from lrkit.tasks._task import _describe

__all__ = ["evaluate", "has_plateau", "set_base_lr", "train_run", "validation_size"]


def has_plateau(schedule: Schedule) -> bool:
    """True if a node of the schedule reacts to metrics (a plateau phase), so it needs `observe`.

    Example:
        >>> from lrkit import cosine, warmup
        >>> has_plateau(warmup(cosine(), steps=5))
        False
    """
    return any(node.name == "plateau" for _, node in schedule.walk())


def set_base_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Give the first group the rate `lr` and every other group ``lr * (its rate / the first's)``.

    Raises:
        ValueError: the first group's rate is 0 (no ratio to keep).

    Example:
        >>> import torch
        >>> p, q = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
        >>> opt = torch.optim.SGD([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.01}])
        >>> set_base_lr(opt, 0.5)
        >>> [round(g["lr"], 12) for g in opt.param_groups]
        [0.5, 0.05]
    """
    groups = optimizer.param_groups
    first = float(groups[0]["lr"])
    if first <= 0.0:
        raise ValueError(
            f"Argument `lr` of compare() rescales the optimizer's groups from the first group's rate, "
            f"which is {first!r}. Received: lr={lr!r}"
        )
    scale = lr / first
    for index, group in enumerate(groups):
        value = lr if index == 0 else float(group["lr"]) * scale
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(value)
        else:
            group["lr"] = value


@torch.no_grad()
def evaluate(task: Task) -> tuple[float, float | None]:
    """The mean loss and the accuracy of `task.model` over `task.val` (accuracy None if not a classifier).

    The model is put in eval mode. Accuracy is ``argmax(outputs, -1) == targets`` when the outputs
    are ``(N, classes)`` with targets ``(N,)``, or ``(N, T, classes)`` with targets ``(N, T)`` (a
    sequence model: every position counts), integer targets; the loss is averaged over the
    predicted positions (each batch's loss weighted by ``targets.numel()``).

    Example:
        >>> from lrkit.tasks import load_task
        >>> loss, accuracy = evaluate(load_task("digits"))
        >>> 0.0 <= accuracy <= 1.0 and loss > 0
        True
    """
    task.model.eval()
    total_loss, correct, count = 0.0, 0, 0
    classifier = True
    for inputs, targets in task.val:
        with _autocast(task):
            outputs = task.model(inputs)
            loss = task.loss(outputs, targets)
        n = targets.numel() if isinstance(targets, torch.Tensor) else len(targets)
        total_loss += float(loss) * n
        count += n
        if classifier and _is_classification(outputs, targets):
            correct += int((outputs.argmax(-1) == targets).sum())
        else:
            classifier = False
    if count == 0:
        raise TaskError(f"the validation loader of task {task.name!r} is empty")
    return total_loss / count, (correct / count if classifier else None)


def validation_size(task: Task) -> int:
    """The number of predicted values in `task.val` (examples, or positions for a sequence model).

    Example:
        >>> from lrkit.tasks import load_task
        >>> validation_size(load_task("digits")), validation_size(load_task("charlm"))
        (360, 4096)
    """
    return sum(
        int(targets.numel()) if isinstance(targets, torch.Tensor) else len(targets) for _, targets in task.val
    )


def _is_classification(outputs: torch.Tensor, targets: torch.Tensor) -> bool:
    return (
        isinstance(outputs, torch.Tensor)
        and isinstance(targets, torch.Tensor)
        and not targets.is_floating_point()
        and outputs.ndim in (2, 3)
        and outputs.ndim == targets.ndim + 1
        and outputs.shape[:-1] == targets.shape
    )


def _autocast(task: Task) -> Any:
    if task.autocast is None:
        return contextlib.nullcontext()
    device = next((p.device.type for p in task.model.parameters()), "cpu")
    return torch.autocast(device_type=device, dtype=task.autocast)


def train_run(
    task: Task,
    schedule: Schedule,
    *,
    seed: int,
    epochs: int,
    steps_per_epoch: int,
    lr: float | None = None,
    on_epoch: Callable[[], None] | None = None,
) -> RunResult:
    """Train `task.model` for `epochs` under `schedule` with `lrkit.Scheduler`; return its curves.

    Per update: read each group's rate from ``optimizer.param_groups`` (the rate this update uses),
    the task's training step (see `lrkit.tasks.Task`: accumulation, autocast, clipping or its own
    ``step`` hook), ``scheduler.step()``. Per epoch:
    the validation loss and accuracy; a schedule with a plateau phase observes the validation loss.
    The scheduler runs in updates with ``total = epochs * steps_per_epoch``. A non-finite training
    or validation loss ends the run (``diverged``).

    Args:
        task: a fresh task (its model is trained in place).
        schedule: the schedule, resolved by the scheduler against the run's total.
        seed: recorded in the result (the task was built with it).
        epochs: passes over ``task.train``, an int >= 1.
        steps_per_epoch: updates per epoch (`lrkit.tasks.updates_per_epoch`), an int >= 1.
        lr: the first group's base rate instead of the task's (see `set_base_lr`); None keeps it.
        on_epoch: called after each epoch (a progress bar).

    Raises:
        TaskError: the task's own code raises while training (its model, loss or loaders).
    """
    from lrkit.scheduler import Scheduler

    torch.manual_seed(seed)
    optimizer = task.make_optimizer()
    if lr is not None:
        set_base_lr(optimizer, lr)
    scheduler = Scheduler(optimizer, schedule, total=epochs * steps_per_epoch)
    observe = has_plateau(schedule)
    run = RunResult(seed=seed)
    model = task.model
    start = time.perf_counter()
    try:
        for _ in range(epochs):
            model.train()
            batches = iter(task.train)
            for _ in range(steps_per_epoch):
                run.lr.append([float(group["lr"]) for group in optimizer.param_groups])
                value = _update(task, optimizer, batches)
                scheduler.step()
                run.train_loss.append(value)
                if not math.isfinite(value):
                    run.diverged = True
                    break
            if run.diverged:
                break
            val_loss, accuracy = evaluate(task)
            run.val_loss.append(val_loss)
            run.val_accuracy.append(accuracy)
            if not math.isfinite(val_loss):
                run.diverged = True
                break
            if observe:
                scheduler.observe(val_loss)
            if on_epoch is not None:
                on_epoch()
    except TaskError:
        raise
    except SystemExit as error:
        raise TaskError(
            f"training task {task.name!r} with {schedule!r} (seed {seed}): "
            f"the task called sys.exit({error.code!r})"
        ) from None
    except Exception as error:
        raise TaskError(
            f"training task {task.name!r} with {schedule!r} (seed {seed}) failed: {_describe(error)}"
        ) from error
    run.seconds = time.perf_counter() - start
    return run


def _update(task: Task, optimizer: torch.optim.Optimizer, batches: Iterator[Any]) -> float:
    """One optimizer update with the task's training step; its training loss.

    Raises:
        TaskError: the training loader ran out of batches within an epoch.
    """
    model = task.model
    if task.step is not None:
        batch = _next(task, batches)
        with _autocast(task):
            loss = task.step(model, batch, optimizer)
        return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for _ in range(task.accumulate):
        inputs, targets = _next(task, batches)
        with _autocast(task):
            loss = task.loss(model(inputs), targets)
        (loss / task.accumulate).backward()  # type: ignore[no-untyped-call]
        total += float(loss.detach())
    if task.clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), task.clip)
    optimizer.step()
    return total / task.accumulate


def _next(task: Task, batches: Iterator[Any]) -> Any:
    try:
        return next(batches)
    except StopIteration:
        raise TaskError(
            f"the training loader of task {task.name!r} yielded fewer batches in a pass than its length says"
        ) from None
