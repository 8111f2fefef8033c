"""Agreement across a `torch.distributed` process group: one position, one rate, one count.

`reduce_metric` (one metric for every rank) lives in `lrkit._collective`, below the scheduler, and
is re-exported here; this module adds the helpers that sit above the scheduler: `global_count` and
`check_in_sync`.
"""

from __future__ import annotations

from typing import Any

import torch

from lrkit._collective import REDUCTIONS, gather, is_distributed, reduce_metric
from lrkit._validate import check_int, fail
from lrkit.scheduler import Scheduler

__all__ = ["REDUCTIONS", "check_in_sync", "global_count", "is_distributed", "reduce_metric"]


def global_count(count: Any, *, group: Any = None) -> int:
    """The sum over the ranks of a per-rank count (samples or tokens in this update).

    ``global = sum_r count_r``, for ``Scheduler.step(samples=global_count(len(batch)))`` when the
    ranks' batches may differ in size (a tokens count, a last partial batch). It costs one
    collective per call; when every rank's batch has the same size (a `DistributedSampler`, which
    pads, with equal batches) ``len(batch) * world_size`` needs none. Without a process group the
    count is returned unchanged.

    Args:
        count: this rank's count, an int >= 0 (or an integer tensor with one element).
        group: the process group (None: the default group).

    Returns:
        The global count, an int, identical on every rank.

    Raises:
        TypeError: `count` is not an integer.
        ValueError: `count` is negative.

    Example:
        >>> from lrkit.distributed import global_count
        >>> global_count(32)  # no process group: this rank's count
        32
    """
    if isinstance(count, torch.Tensor) and count.numel() == 1 and not count.is_floating_point():
        count = int(count.item())
    mine = check_int("global_count", "count", count, low=0)
    if not is_distributed(group):
        return mine
    # float64 holds integers exactly up to 2**53 (9e15 tokens per update).
    return int(sum(p[0] for p in gather([float(mine)], group)))


def check_in_sync(scheduler: Any, *, group: Any = None) -> None:
    """Raise if the ranks' schedulers disagree on the position or on any group's next value.

    Gathers ``(updates, position, next lr of every group)`` from every rank and compares them
    exactly. A cheap check to run after a resume, after an evaluation, or every few thousand
    updates. Without a process group it does nothing.

    Args:
        scheduler: an `lrkit.Scheduler` (the same number of param groups on every rank).
        group: the process group (None: the default group).

    Raises:
        TypeError: `scheduler` is not an `lrkit.Scheduler`.
        RuntimeError: the ranks disagree (the message shows rank 0's values and each differing rank's).

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, cosine
        >>> from lrkit.distributed import check_in_sync
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> check_in_sync(Scheduler(opt, cosine(), total=10))  # one process: nothing to compare
    """
    if not isinstance(scheduler, Scheduler):
        raise fail("check_in_sync", "scheduler", scheduler, "an lrkit.Scheduler", kind=TypeError)
    if not is_distributed(group):
        return
    mine = [float(scheduler.updates), float(scheduler.position), *scheduler.lr_for_next_update()]
    sizes = gather([float(len(mine))], group)
    if len({s[0] for s in sizes}) != 1:
        raise RuntimeError(
            f"lrkit.Scheduler differs across ranks: param group counts {[int(s[0]) - 2 for s in sizes]}"
        )
    everyone = gather(mine, group)
    differing = [
        f"rank {r}: updates={int(v[0])}, position={v[1]!r}, lr={v[2:]}"
        for r, v in enumerate(everyone)
        if v != everyone[0]
    ]
    if differing:
        first = everyone[0]
        raise RuntimeError(
            f"lrkit.Scheduler differs across ranks: rank 0: updates={int(first[0])}, "
            f"position={first[1]!r}, lr={first[2:]}; " + "; ".join(differing)
        )
