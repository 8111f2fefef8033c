"""The `Task` contract: a model, an optimizer factory, two loaders and a loss."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from lrkit._validate import check_int, check_number, fail

__all__ = [
    "Batch",
    "OptimizerFactory",
    "StepHook",
    "Task",
    "TaskError",
    "steps_per_epoch",
    "updates_per_epoch",
]

#: One batch: ``(inputs, targets)``.
Batch = tuple[torch.Tensor, torch.Tensor]

#: Builds a fresh optimizer over the model's parameters (it may build named parameter groups).
OptimizerFactory = Callable[[nn.Module], torch.optim.Optimizer]

#: A custom training step: ``step(model, batch, optimizer) -> loss``, one whole update.
StepHook = Callable[[nn.Module, Any, torch.optim.Optimizer], "torch.Tensor | float"]


class TaskError(ValueError):
    """A task that cannot be loaded or that fails while it trains (an unknown name, a bad callable)."""


@dataclasses.dataclass(frozen=True)
class Task:
    """A training problem to race schedules on: what `lrkit compare` and `lrkit find` train.

    The contract:

    * ``model``: a fresh ``torch.nn.Module``; its output for a batch is a tensor of logits of
      shape ``(N, classes)`` (accuracy is ``argmax == target``; for other outputs only losses are
      reported).
    * ``optimizer``: a factory ``optimizer(model) -> torch.optim.Optimizer``. The learning rates
      it sets are the base rates the schedules multiply.
    * ``train`` and ``val``: re-iterable loaders (a ``DataLoader``, a list of batches, ...) of
      ``(inputs, targets)`` pairs. ``train`` is read once per epoch; ``len(train)`` is used as the
      number of updates per epoch when it exists (otherwise the batches are counted once).
    * ``loss``: ``loss(outputs, targets) -> scalar tensor``, differentiable (the training loss,
      also reported on ``val``). Outputs ``(N, ..., classes)`` with integer targets ``(N, ...)``
      (a language model's ``(N, T, vocab)`` logits) report the accuracy over all positions.

    The training step (how one update is made) is lrkit's unless ``step`` is given. Per update:
    ``zero_grad``; for each of ``accumulate`` batches, forward (under ``torch.autocast("cpu" or
    the model's device type, dtype=autocast)`` when set), ``loss / accumulate``, backward; then
    ``clip_grad_norm_(clip)`` when set; ``optimizer.step()``. The update's training loss is the
    mean of its micro-batches' losses. A ``step(model, batch, optimizer) -> loss`` hook replaces
    all of it: it gets one batch per update, must do the forward and backward passes and call
    ``optimizer.step()`` itself, and returns the loss (a tensor or a float) to record; lrkit still
    reads the rate before the hook, steps the schedule after it, and runs it under `autocast`
    when set.

    Args:
        model: the model, a ``torch.nn.Module``.
        optimizer: the optimizer factory, a callable taking the model.
        train: the training loader, re-iterable, not empty.
        val: the validation loader, re-iterable, not empty.
        loss: the loss function.
        name: a label for reports.
        epochs: the epochs a race uses by default, an int >= 1; None lets the caller decide (20).
        accumulate: batches per update (gradient accumulation), an int >= 1: an epoch is
            ``len(train) // accumulate`` updates (a remainder is dropped, like a sampler would).
        autocast: ``torch.bfloat16`` (the CPU choice) or ``torch.float16`` to run the forward
            pass under ``torch.autocast``; None for full precision.
        clip: the maximum gradient norm (``torch.nn.utils.clip_grad_norm_``), a float > 0; None
            does not clip.
        step: a custom training step ``step(model, batch, optimizer) -> loss`` (see above); it
            excludes `accumulate` and `clip`, which it does itself.

    Raises:
        TypeError: a field of the wrong kind (for example an iterator, which can be read only once).
        ValueError: `epochs`, `accumulate` or `clip` out of range, an unsupported `autocast`
            dtype, a `step` hook with `accumulate` or `clip`.

    Example:
        >>> import torch
        >>> from lrkit.tasks import Task
        >>> x, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
        >>> task = Task(torch.nn.Linear(3, 2), lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        ...             [(x, y)], [(x, y)], torch.nn.functional.cross_entropy, name="toy")
        >>> task.name
        'toy'
    """

    model: nn.Module
    optimizer: OptimizerFactory
    train: Iterable[Batch]
    val: Iterable[Batch]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    name: str = "task"
    epochs: int | None = None
    accumulate: int = 1
    autocast: torch.dtype | None = None
    clip: float | None = None
    step: StepHook | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, nn.Module):
            raise fail("Task", "model", _short(self.model), "a torch.nn.Module", kind=TypeError)
        if not callable(self.optimizer):
            raise fail(
                "Task", "optimizer", _short(self.optimizer), "a callable optimizer(model)", kind=TypeError
            )
        for field in ("train", "val"):
            loader = getattr(self, field)
            if not isinstance(loader, Iterable) or isinstance(loader, (str, bytes)):
                raise fail(
                    "Task", field, _short(loader), "a re-iterable loader of (inputs, targets)", kind=TypeError
                )
            if iter(loader) is loader:
                raise fail(
                    "Task",
                    field,
                    _short(loader),
                    "a re-iterable loader (a DataLoader or a list of batches), not an iterator that can "
                    "be read only once",
                    kind=TypeError,
                )
        if not callable(self.loss):
            raise fail("Task", "loss", _short(self.loss), "a callable loss(outputs, targets)", kind=TypeError)
        if not isinstance(self.name, str):
            raise fail("Task", "name", self.name, "a string", kind=TypeError)
        if self.epochs is not None:
            check_int("Task", "epochs", self.epochs, low=1)
        check_int("Task", "accumulate", self.accumulate, low=1)
        if self.autocast is not None and self.autocast not in (torch.bfloat16, torch.float16):
            raise fail("Task", "autocast", self.autocast, "torch.bfloat16, torch.float16 or None")
        if self.clip is not None:
            check_number("Task", "clip", self.clip, low=0.0, low_open=True)
        if self.step is not None:
            if not callable(self.step):
                raise fail(
                    "Task",
                    "step",
                    _short(self.step),
                    "a callable step(model, batch, optimizer)",
                    kind=TypeError,
                )
            if self.accumulate != 1 or self.clip is not None:
                raise fail(
                    "Task",
                    "step",
                    _short(self.step),
                    "a hook without accumulate= or clip= (a custom step does its own update: "
                    "accumulate and clip inside it)",
                )

    def make_optimizer(self) -> torch.optim.Optimizer:
        """Build the optimizer over `model` with the factory, and check that it is one.

        Raises:
            TaskError: the factory raises, or returns something that is not a torch optimizer.
        """
        try:
            optimizer = self.optimizer(self.model)
        except SystemExit as error:
            raise TaskError(
                f"the optimizer factory of task {self.name!r} called sys.exit({error.code!r})"
            ) from None
        except Exception as error:
            raise TaskError(
                f"the optimizer factory of task {self.name!r} failed: {_describe(error)}"
            ) from error
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TaskError(
                f"the optimizer factory of task {self.name!r} must return a torch.optim.Optimizer. "
                f"Received: {_short(optimizer)}"
            )
        return optimizer


def updates_per_epoch(task: Task) -> int:
    """Optimizer updates per epoch: ``steps_per_epoch(task) // task.accumulate``.

    Raises:
        TaskError: the training loader holds fewer batches than one update accumulates.

    Example:
        >>> from lrkit.tasks import load_task, updates_per_epoch
        >>> updates_per_epoch(load_task("digits"))
        45
    """
    count = steps_per_epoch(task) // task.accumulate
    if count < 1:
        raise TaskError(
            f"the training loader of task {task.name!r} holds {steps_per_epoch(task)} batches, fewer than "
            f"the {task.accumulate} that one update accumulates"
        )
    return count


def steps_per_epoch(task: Task) -> int:
    """Batches per epoch: ``len(task.train)``, or the number of batches it yields once.

    Raises:
        TaskError: the training loader is empty.

    Example:
        >>> from lrkit.tasks import load_task, steps_per_epoch
        >>> steps_per_epoch(load_task("digits"))
        45
    """
    try:
        count = len(task.train)  # type: ignore[arg-type]
    except TypeError:
        count = sum(1 for _ in task.train)
    if count < 1:
        raise TaskError(f"the training loader of task {task.name!r} is empty")
    return int(count)


@contextlib.contextmanager
def guard(what: str) -> Iterator[None]:
    """Turn an error of a task's own code (any exception, or ``sys.exit()``) into a `TaskError`.

    Example:
        >>> import sys
        >>> with guard("task 'toy' while evaluating"):
        ...     sys.exit(3)
        Traceback (most recent call last):
        ...
        lrkit.tasks._task.TaskError: task 'toy' while evaluating: the task called sys.exit(3)
    """
    try:
        yield
    except TaskError:
        raise
    except SystemExit as error:
        raise TaskError(f"{what}: the task called sys.exit({error.code!r})") from None
    except Exception as error:
        raise TaskError(f"{what} failed: {_describe(error)}") from error


def _describe(error: BaseException) -> str:
    """``Kind: first line of the message``."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class _Shown:
    """A value shown by a short repr in error messages (the repr of a loader can be huge)."""

    def __init__(self, value: Any) -> None:
        text = repr(value)
        self.text = text if len(text) <= 60 else f"<{type(value).__name__} object>"

    def __repr__(self) -> str:
        return self.text


def _short(value: Any) -> _Shown:
    return _Shown(value)
