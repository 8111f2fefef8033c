"""The `Task` contract: a model, an optimizer factory, two loaders and a loss."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from lrkit._validate import fail

__all__ = ["Batch", "OptimizerFactory", "Task", "TaskError", "steps_per_epoch"]

#: One batch: ``(inputs, targets)``.
Batch = tuple[torch.Tensor, torch.Tensor]

#: Builds a fresh optimizer over the model's parameters (it may build named parameter groups).
OptimizerFactory = Callable[[nn.Module], torch.optim.Optimizer]


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
      also reported on ``val``).

    Args:
        model: the model, a ``torch.nn.Module``.
        optimizer: the optimizer factory, a callable taking the model.
        train: the training loader, re-iterable, not empty.
        val: the validation loader, re-iterable, not empty.
        loss: the loss function.
        name: a label for reports.

    Raises:
        TypeError: a field of the wrong kind (for example an iterator, which can be read only once).

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

    def make_optimizer(self) -> torch.optim.Optimizer:
        """Build the optimizer over `model` with the factory, and check that it is one.

        Raises:
            TaskError: the factory raises, or returns something that is not a torch optimizer.
        """
        try:
            optimizer = self.optimizer(self.model)
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


def steps_per_epoch(task: Task) -> int:
    """Updates per epoch: ``len(task.train)``, or the number of batches it yields once.

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
