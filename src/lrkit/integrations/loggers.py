"""Log the rates (and other scheduled hyperparameters) each update used: CSV, JSON lines, TensorBoard.

Each logger is a hook on an `lrkit.Scheduler` (`Scheduler.add_hook`): after every counted update it
receives the `Record` of the values that update used and writes one row, indexed by that update
(0-based). So the row for update ``i`` holds the rate the optimizer applied in update ``i``, never
the one prepared for update ``i + 1`` (the off-by-one of loggers that read ``get_lr()`` after the
step). One key per param group and hyperparameter: ``lr/<group>``, ``momentum/<group>``, where
``<group>`` is the group's ``"name"`` entry (when every group has a distinct one) or ``group<i>``.

Under `torch.distributed`, only rank 0 writes by default (every rank holds the same values).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch

from lrkit._validate import fail
from lrkit.distributed._reduce import is_distributed

__all__ = ["RateLog", "group_names", "log_csv", "log_jsonl", "log_tensorboard", "record_row"]


def group_names(optimizer: torch.optim.Optimizer) -> list[str]:
    """The name each param group is logged under: its ``"name"`` if all are distinct, else ``group<i>``.

    Example:
        >>> import torch
        >>> from lrkit.integrations.loggers import group_names
        >>> p = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
        >>> group_names(torch.optim.SGD([{"params": [p[0]], "name": "head"}, {"params": [p[1]]}], lr=0.1))
        ['group0', 'group1']
        >>> groups = [{"params": [p[0]], "name": "head"}, {"params": [p[1]], "name": "body"}]
        >>> group_names(torch.optim.SGD(groups, lr=0.1))
        ['head', 'body']
    """
    names = [group.get("name") for group in optimizer.param_groups]
    if all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names):
        return [str(n) for n in names]
    return [f"group{i}" for i in range(len(names))]


def record_row(record: Any, names: list[str]) -> dict[str, Any]:
    """One flat row for a `Record`: ``update``, ``position``, then ``<key>/<group>`` values.

    Example:
        >>> from lrkit.scheduler import Record
        >>> from lrkit.integrations.loggers import record_row
        >>> record_row(Record(3, 3.0, [0.1, 0.01], {"momentum": [0.9, 0.9]}), ["head", "body"])
        {'update': 3, 'position': 3.0, 'lr/head': 0.1, 'lr/body': 0.01, 'momentum/head': 0.9,
         'momentum/body': 0.9}
    """
    row: dict[str, Any] = {"update": int(record.update), "position": float(record.position)}
    for key, values in [("lr", record.lr), *record.hparams.items()]:
        for i, value in enumerate(values):
            name = names[i] if i < len(names) else f"group{i}"
            row[f"{key}/{name}"] = float(value)
    return row


class RateLog:
    """A logger attached to a scheduler; `close` (or leaving a ``with`` block) detaches it.

    Built by `log_csv`, `log_jsonl` and `log_tensorboard`; ``active`` is False on ranks that do
    not write (every rank but 0 under `torch.distributed`, by default).

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, constant
        >>> from lrkit.integrations.loggers import RateLog
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = Scheduler(opt, constant())
        >>> with RateLog(sched, print) as log:  # any function of a row
        ...     sched.step()
        {'update': 0, 'position': 0.0, 'lr/group0': 0.1}
        >>> log.active
        True
    """

    def __init__(
        self,
        scheduler: Any,
        write: Callable[[dict[str, Any]], None] | None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._close = close
        self._remove: Callable[[], None] | None = None
        self.active = write is not None
        if write is not None:
            optimizer = scheduler.optimizer

            def hook(record: Any) -> None:
                write(record_row(record, group_names(optimizer)))

            self._remove = scheduler.add_hook(hook)

    def close(self) -> None:
        """Detach from the scheduler and close the file (or flush the writer). Idempotent."""
        if self._remove is not None:
            self._remove()
            self._remove = None
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> RateLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check(owner: str, scheduler: Any, rank_zero_only: Any) -> bool:
    """Validate the common arguments; True when this process writes."""
    from lrkit.scheduler import Scheduler

    if not isinstance(scheduler, Scheduler):
        raise fail(owner, "scheduler", scheduler, "an lrkit.Scheduler", kind=TypeError)
    if not isinstance(rank_zero_only, bool):
        raise fail(owner, "rank_zero_only", rank_zero_only, "True or False", kind=TypeError)
    if rank_zero_only and is_distributed():
        return int(torch.distributed.get_rank()) == 0
    return True


def _open(owner: str, path: Any) -> IO[str]:
    if not isinstance(path, str | os.PathLike):
        raise fail(owner, "path", path, "a file path (str or os.PathLike)", kind=TypeError)
    # Line-buffered: every row reaches the file when written, so a crash loses nothing.
    return open(Path(path), "w", buffering=1, newline="", encoding="utf-8")


def log_csv(scheduler: Any, path: str | os.PathLike[str], *, rank_zero_only: bool = True) -> RateLog:
    """Write one CSV row per counted update: ``update,position,lr/<group>,...``.

    The header comes from the first update (so param groups added to the optimizer later cannot
    get a column: that raises `ValueError`; use `log_jsonl` then). Values are written with
    ``repr``, so they read back bit for bit.

    Args:
        scheduler: an `lrkit.Scheduler`.
        path: the file to write (replaced if it exists).
        rank_zero_only: under `torch.distributed`, write only on rank 0 (default True).

    Returns:
        A `RateLog`; close it when the run ends (or use it in a ``with`` block).

    Raises:
        TypeError: not an `lrkit.Scheduler`, a path that is not a path.

    Example:
        >>> import os, tempfile, torch
        >>> from lrkit import Scheduler, linear
        >>> from lrkit.integrations.loggers import log_csv
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = Scheduler(opt, linear(1.0, 0.5), total=2)
        >>> path = os.path.join(tempfile.mkdtemp(), "lr.csv")
        >>> with log_csv(sched, path):
        ...     for _ in range(2):
        ...         opt.step()
        ...         sched.step()
        >>> print(open(path).read().strip())
        update,position,lr/group0
        0,0.0,1.0
        1,1.0,0.75
    """
    if not _check("log_csv", scheduler, rank_zero_only):
        return RateLog(scheduler, None)
    file = _open("log_csv", path)
    state: dict[str, csv.DictWriter[str]] = {}

    def write(row: dict[str, Any]) -> None:
        writer = state.get("writer")
        if writer is None:
            writer = state["writer"] = csv.DictWriter(file, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        elif list(row) != writer.fieldnames:
            raise ValueError(
                f"log_csv(): the logged values changed from {writer.fieldnames} to {list(row)} (a param "
                f"group was added?); a CSV file keeps its first header: use log_jsonl() instead"
            )
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})

    return RateLog(scheduler, write, file.close)


def log_jsonl(scheduler: Any, path: str | os.PathLike[str], *, rank_zero_only: bool = True) -> RateLog:
    """Write one JSON object per line and counted update: ``{"update": i, "position": p, "lr/<group>": v}``.

    Args:
        scheduler: an `lrkit.Scheduler`.
        path: the file to write (replaced if it exists).
        rank_zero_only: under `torch.distributed`, write only on rank 0 (default True).

    Returns:
        A `RateLog`; close it when the run ends (or use it in a ``with`` block).

    Raises:
        TypeError: not an `lrkit.Scheduler`, a path that is not a path.

    Example:
        >>> import os, tempfile, torch
        >>> from lrkit import Scheduler, linear
        >>> from lrkit.integrations.loggers import log_jsonl
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.9)
        >>> sched = Scheduler(opt, linear(1.0, 0.5), total=2, hparams={"momentum": "constant()"})
        >>> path = os.path.join(tempfile.mkdtemp(), "lr.jsonl")
        >>> with log_jsonl(sched, path):
        ...     opt.step()
        ...     sched.step()
        >>> print(open(path).read().strip())
        {"update": 0, "position": 0.0, "lr/group0": 1.0, "momentum/group0": 0.9}
    """
    if not _check("log_jsonl", scheduler, rank_zero_only):
        return RateLog(scheduler, None)
    file = _open("log_jsonl", path)

    def write(row: dict[str, Any]) -> None:
        file.write(json.dumps(row) + "\n")

    return RateLog(scheduler, write, file.close)


def log_tensorboard(scheduler: Any, writer: Any, *, prefix: str = "", rank_zero_only: bool = True) -> RateLog:
    """Add one scalar per group and hyperparameter to TensorBoard at each counted update.

    ``writer.add_scalar(prefix + "lr/<group>", value, global_step=update)`` for each value the
    update used (the position is not written). `writer` is a ``torch.utils.tensorboard.SummaryWriter``
    (or Lightning's ``TensorBoardLogger.experiment``, or any object with ``add_scalar``), or a log
    directory, for which a SummaryWriter is created (and closed with the `RateLog`); that needs the
    ``tensorboard`` package.

    Args:
        scheduler: an `lrkit.Scheduler`.
        writer: an object with ``add_scalar(tag, value, global_step)``, or a log directory path.
        prefix: put in front of every tag, e.g. ``"train/"``. Default "".
        rank_zero_only: under `torch.distributed`, write only on rank 0 (default True).

    Returns:
        A `RateLog`; close it when the run ends.

    Raises:
        TypeError: not an `lrkit.Scheduler`, or a `writer` that is neither a path nor has
            ``add_scalar``.
        ImportError: a log directory given and the ``tensorboard`` package not installed.

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, linear
        >>> from lrkit.integrations.loggers import log_tensorboard
        >>> class Print:  # anything with add_scalar works, as a SummaryWriter does
        ...     def add_scalar(self, tag, value, global_step):
        ...         print(tag, value, global_step)
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> sched = Scheduler(opt, linear(1.0, 0.5), total=2)
        >>> log = log_tensorboard(sched, Print(), prefix="train/")
        >>> for _ in range(2):
        ...     opt.step()
        ...     sched.step()
        train/lr/group0 1.0 0
        train/lr/group0 0.75 1
        >>> log.close()
    """
    if not isinstance(prefix, str):
        raise fail("log_tensorboard", "prefix", prefix, "a str", kind=TypeError)
    if not _check("log_tensorboard", scheduler, rank_zero_only):
        return RateLog(scheduler, None)
    close: Callable[[], None] | None = None
    if isinstance(writer, str | os.PathLike):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise ImportError(
                "log_tensorboard(scheduler, log_dir) writes with torch.utils.tensorboard.SummaryWriter, "
                "which needs the `tensorboard` package: pip install tensorboard (or pass any object with "
                "add_scalar(tag, value, global_step), or use log_csv()/log_jsonl())"
            ) from error
        writer = SummaryWriter(os.fspath(writer))
        close = writer.close
    elif not callable(getattr(writer, "add_scalar", None)):
        raise fail(
            "log_tensorboard",
            "writer",
            writer,
            "a SummaryWriter (an object with add_scalar) or a log directory",
            kind=TypeError,
        )
    elif callable(getattr(writer, "flush", None)):
        close = writer.flush
    target = writer

    def write(row: dict[str, Any]) -> None:
        step = row["update"]
        for key, value in row.items():
            if key not in ("update", "position"):
                target.add_scalar(prefix + key, value, global_step=step)

    return RateLog(scheduler, write, close)
