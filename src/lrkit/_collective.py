"""One metric for every rank of a `torch.distributed` process group (below the scheduler).

`lrkit.Scheduler.observe` and `lrkit.distributed` both use `reduce_metric`; it lives here, below
both, so that the scheduler does not import `lrkit.distributed` (which imports the scheduler for
`check_in_sync`). `lrkit.distributed` re-exports everything public here.

Every rank runs its own `lrkit.Scheduler`. Rates are a pure function of the position, so ranks that
count the same updates apply the same rates; what can differ between ranks is a *metric* (each rank
validates on its own shard). `reduce_metric` turns the per-rank metrics into one value that every
rank receives bit for bit, so plateau phases reduce at the same evaluation on every rank.

NOTE: the reduction is an ``all_gather`` of one float64 per rank followed by the same arithmetic on
every rank, in rank order (``math.fsum`` for the mean), rather than an ``all_reduce``: the result is
then identical on every rank by construction, whatever the backend's reduction order.
"""

from __future__ import annotations

import math
import numbers
import struct
from typing import Any

import torch
import torch.distributed as dist

from lrkit._validate import check_choice, fail

__all__ = ["REDUCTIONS", "gather", "is_distributed", "reduce_metric"]

#: How `reduce_metric` combines the ranks' metrics. "local" does no communication.
REDUCTIONS = ("mean", "max", "min", "rank0", "verify", "local")


def is_distributed(group: Any = None) -> bool:
    """True when `torch.distributed` is available and initialized (then collectives are used).

    Args:
        group: unused; accepted so that every helper here takes the same arguments.

    Example:
        >>> from lrkit.distributed import is_distributed
        >>> is_distributed()  # no process group in this process
        False
    """
    return bool(dist.is_available() and dist.is_initialized())


def _device(group: Any) -> torch.device:
    """The device a backend's collectives take: CUDA for NCCL, XPU for XCCL, else the CPU."""
    backend = str(dist.get_backend(group)).lower()
    if "cpu:" in backend or "gloo" in backend or "mpi" in backend:
        return torch.device("cpu")
    if "nccl" in backend and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if "xccl" in backend and hasattr(torch, "xpu") and torch.xpu.is_available():
        return torch.device("xpu", torch.xpu.current_device())
    return torch.device("cpu")


def gather(values: list[float], group: Any) -> list[list[float]]:
    """Every rank's `values` (same length on every rank), in group-rank order."""
    device = _device(group)
    mine = torch.tensor(values, dtype=torch.float64, device=device)
    parts = [torch.empty_like(mine) for _ in range(dist.get_world_size(group))]
    dist.all_gather(parts, mine, group=group)
    return [[float(v) for v in part.cpu().tolist()] for part in parts]


def _as_float(metric: Any) -> float | None:
    if isinstance(metric, torch.Tensor):
        if metric.numel() != 1:
            return None
        return float(metric.detach().reshape(()).item())
    if isinstance(metric, numbers.Real) and not isinstance(metric, bool):
        return float(metric)
    return None


def reduce_metric(metric: Any, how: str = "mean", *, group: Any = None) -> Any:
    """Combine one metric from every rank of the process group into a value all ranks share.

    With ranks ``0..n-1`` holding ``m_0..m_{n-1}``:

    * ``"mean"``: ``fsum(m_0..m_{n-1}) / n`` (the default: a validation loss averaged over shards);
    * ``"max"`` / ``"min"``: the largest / smallest;
    * ``"rank0"``: ``m_0`` (rank 0 broadcasts its metric);
    * ``"verify"``: ``m_0`` if every rank holds the same value (bit for bit), else `ValueError` on
      every rank (for metrics that should already agree, such as Lightning's ``sync_dist=True``);
    * ``"local"``: ``m_r`` unchanged, no communication (for metrics already synchronized, such as
      Lightning's ``self.log(..., sync_dist=True)``).

    Without an initialized process group (or with ``"local"``) the metric is returned as given,
    untouched. With one, this is a collective: **every rank must call it**, with the same `how`
    (a rank that does not call it leaves the others waiting until the group's timeout). A metric
    that is not a real number is sent as NaN, so the other ranks do not hang, and raises
    `TypeError` on its rank after the exchange. A NaN on any rank makes the mean NaN everywhere.

    Args:
        metric: a real number or a one-element tensor.
        how: "mean", "max", "min", "rank0", "verify" or "local".
        group: the process group (None: the default group).

    Returns:
        A Python float identical on every rank (the metric itself without a process group).

    Raises:
        ValueError: an unknown `how`; with "verify", ranks holding different metrics.
        TypeError: a metric that is not a real number or a one-element tensor (with a group).

    Example:
        >>> from lrkit.distributed import reduce_metric
        >>> reduce_metric(0.25)  # no process group: unchanged
        0.25
        >>> reduce_metric(0.25, "median")
        Traceback (most recent call last):
        ...
        ValueError: Argument `how` of reduce_metric() must be one of 'mean', 'max', 'min', 'rank0', \
'verify', 'local'. Received: how='median'
    """
    check_choice("reduce_metric", "how", how, REDUCTIONS)
    if how == "local" or not is_distributed(group):
        return metric
    value = _as_float(metric)
    parts = [p[0] for p in gather([math.nan if value is None else value], group)]
    if value is None:
        raise fail("reduce_metric", "metric", metric, "a real number or a one-element tensor", kind=TypeError)
    if how == "mean":
        return math.fsum(parts) / len(parts)
    if how == "max":
        return max(parts)
    if how == "min":
        return min(parts)
    if how == "verify" and len({struct.pack("<d", p) for p in parts}) != 1:
        raise ValueError(
            f"reduce_metric(how='verify'): the ranks hold different metrics {parts} (rank order); "
            f"reduce them (how='mean', 'max', 'min', 'rank0') or synchronize them before observing"
        )
    return parts[0]
