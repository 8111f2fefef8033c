"""The bundled task: scikit-learn's handwritten digits, a small MLP or CNN, SGD with momentum.

The data (1797 images of 8x8 pixels, 10 classes) ship inside scikit-learn: nothing is downloaded.
The split is fixed (80 % train, 20 % validation, stratified, ``random_state=0``) whatever the
seed; the seed sets the model's initial weights and the order of the training batches.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import torch
from torch import nn

from lrkit._validate import check_int, check_number
from lrkit.tasks._task import Batch, Task

__all__ = ["BATCH_SIZE", "LR", "Batches", "digits", "digits_cnn", "digits_data"]

#: Training batch size of the bundled tasks (1437 training images: 45 updates per epoch).
BATCH_SIZE = 32
#: Base learning rate of the bundled tasks' SGD (momentum 0.9, weight decay 5e-4).
LR = 0.1


class Batches:
    """A re-iterable loader over in-memory tensors; each pass reshuffles with its own generator.

    Cheaper than a ``DataLoader`` for small tensors (no collation), and reproducible: the order of
    pass ``k`` depends only on `seed` and ``k``.

    Args:
        inputs: the inputs, a tensor whose first dimension indexes the examples.
        targets: the targets, the same first dimension.
        batch_size: examples per batch, an int >= 1 (the last batch may be smaller).
        shuffle: reshuffle at every pass.
        seed: the seed of the shuffling generator.

    Example:
        >>> import torch
        >>> from lrkit.tasks.digits import Batches
        >>> batches = Batches(torch.arange(5.0), torch.arange(5), batch_size=2)
        >>> [len(x) for x, _ in batches], len(batches)
        ([2, 2, 1], 3)
    """

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        *,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
    ) -> None:
        if len(inputs) != len(targets):
            raise ValueError(
                f"Arguments `inputs` and `targets` of Batches() must have the same length. "
                f"Received: {len(inputs)} inputs and {len(targets)} targets"
            )
        self.inputs = inputs
        self.targets = targets
        self.batch_size = check_int("Batches", "batch_size", batch_size, low=1)
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(check_int("Batches", "seed", seed))

    def __len__(self) -> int:
        return -(-len(self.inputs) // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.inputs)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            inputs, targets = self.inputs[order], self.targets[order]
        else:
            inputs, targets = self.inputs, self.targets
        for start in range(0, n, self.batch_size):
            yield inputs[start : start + self.batch_size], targets[start : start + self.batch_size]


@functools.cache
def digits_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The fixed split of scikit-learn's digits: ``(x_train, y_train, x_val, y_val)``.

    Pixels are scaled from 0..16 to [0, 1]; inputs have shape ``(N, 64)``, float32; targets are
    class indices (int64). 1437 training and 360 validation images, stratified by class,
    ``random_state=0``.

    Example:
        >>> from lrkit.tasks.digits import digits_data
        >>> [tuple(t.shape) for t in digits_data()]
        [(1437, 64), (1437,), (360, 64), (360,)]
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        data.data, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    return (
        torch.as_tensor(x_train / 16.0, dtype=torch.float32),
        torch.as_tensor(y_train, dtype=torch.int64),
        torch.as_tensor(x_val / 16.0, dtype=torch.float32),
        torch.as_tensor(y_val, dtype=torch.int64),
    )


def _sgd(lr: float) -> functools.partial[torch.optim.Optimizer]:
    return functools.partial(_make_sgd, lr=lr)


def _make_sgd(model: nn.Module, *, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)


def _task(name: str, model: nn.Module, seed: int, lr: float, batch_size: int) -> Task:
    x_train, y_train, x_val, y_val = digits_data()
    return Task(
        model=model,
        optimizer=_sgd(lr),
        train=Batches(x_train, y_train, batch_size=batch_size, shuffle=True, seed=seed),
        val=Batches(x_val, y_val, batch_size=512),
        loss=nn.functional.cross_entropy,
        name=name,
    )


def digits(seed: int = 0, *, lr: float = LR, batch_size: int = BATCH_SIZE) -> Task:
    """The digits task with a multilayer perceptron (64 -> 64 -> 10, ReLU; 4,810 parameters).

    Trained with SGD (momentum 0.9, weight decay 5e-4) on batches of `batch_size`, reshuffled every
    epoch; the loss is the cross-entropy.

    Args:
        seed: sets the initial weights and the batch order, an int >= 0.
        lr: the base learning rate, a finite float > 0. Default `LR`.
        batch_size: training batch size, an int >= 1. Default `BATCH_SIZE`.

    Raises:
        ValueError: an argument out of range.

    Example:
        >>> from lrkit.tasks.digits import digits
        >>> task = digits(seed=1)
        >>> sum(p.numel() for p in task.model.parameters())
        4810
    """
    seed = check_int("digits", "seed", seed)
    lr = check_number("digits", "lr", lr, low=0.0, low_open=True)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    return _task("digits", model, seed, lr, batch_size)


def digits_cnn(seed: int = 0, *, lr: float = LR, batch_size: int = BATCH_SIZE) -> Task:
    """The digits task with a small convolutional network (two 3x3 convolutions; 3,818 parameters).

    ``8x8 image -> conv 8 -> ReLU -> conv 16 -> ReLU -> max-pool 2 -> linear 10``, trained like
    `digits` (SGD, momentum 0.9, weight decay 5e-4, cross-entropy).

    Args:
        seed: sets the initial weights and the batch order, an int >= 0.
        lr: the base learning rate, a finite float > 0. Default `LR`.
        batch_size: training batch size, an int >= 1. Default `BATCH_SIZE`.

    Raises:
        ValueError: an argument out of range.

    Example:
        >>> from lrkit.tasks.digits import digits_cnn
        >>> task = digits_cnn()
        >>> x, y = next(iter(task.train))
        >>> tuple(task.model(x).shape)
        (32, 10)
    """
    seed = check_int("digits_cnn", "seed", seed)
    lr = check_number("digits_cnn", "lr", lr, low=0.0, low_open=True)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )
    return _task("digits-cnn", model, seed, lr, batch_size)
