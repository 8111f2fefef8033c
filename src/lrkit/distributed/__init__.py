"""lrkit under `torch.distributed`: one metric, one rate and one run size for every rank.

* `reduce_metric`: the metric a plateau phase sees, combined across the process group (mean by
  default; max, min, rank 0's, or local). `lrkit.Scheduler.observe` calls it, so a plateau reduces
  at the same evaluation on every rank; without a process group nothing changes.
* `global_count`: the samples or tokens of an update summed over the ranks, for
  ``Scheduler.step(samples=...)``; `check_in_sync`: raise if the ranks' schedulers disagree.
* `run_totals`: a run's optimizer updates, samples and tokens from dataset size, per-device batch,
  accumulation, world size, ``drop_last`` (and the DistributedSampler's padding) and epochs.
* `scale_lr`: the linear or square-root batch-size rule, with a line saying what it did.

See docs/distributed.md.
"""

from lrkit.distributed._reduce import REDUCTIONS, check_in_sync, global_count, is_distributed, reduce_metric
from lrkit.distributed._scaling import SCALING_RULES, ScaledLR, scale_lr
from lrkit.distributed._totals import PARTIAL_WINDOWS, RunTotals, run_totals

__all__ = [
    "PARTIAL_WINDOWS",
    "REDUCTIONS",
    "SCALING_RULES",
    "RunTotals",
    "ScaledLR",
    "check_in_sync",
    "global_count",
    "is_distributed",
    "reduce_metric",
    "run_totals",
    "scale_lr",
]
