"""How many optimizer updates (and samples, tokens) a run makes: `run_totals`.

The count follows the loops people write: a `torch.utils.data.DistributedSampler` gives each of the
``world_size`` ranks ``ceil(N / W)`` indices (repeating some to pad) or ``floor(N / W)`` with its
own ``drop_last``; each rank's `DataLoader` cuts them into batches (the last one partial unless the
loader's ``drop_last``); ``accumulation`` micro-batches make one optimizer update, and a partial
window at the end of an epoch is flushed (one more update, as Lightning and accelerate do) or
dropped. The tests check every formula here against those loops run for real.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrkit._validate import check_choice, check_int, fail

__all__ = ["PARTIAL_WINDOWS", "RunTotals", "run_totals"]

PARTIAL_WINDOWS = ("flush", "drop")
OWNER = "run_totals"


@dataclass(frozen=True, slots=True)
class RunTotals:
    """A run's size: what `run_totals` returns (every count is global, over all ranks).

    Attributes:
        updates: optimizer updates in the run (``updates_per_epoch * epochs``): the ``total`` of an
            ``lrkit.Scheduler`` in updates.
        samples: samples in those updates, over all ranks (padding repeats included, samples of a
            dropped partial window excluded): the ``total`` in samples.
        tokens: ``samples * tokens_per_sample``, or None when no `tokens_per_sample` was given.
        updates_per_epoch: optimizer updates per epoch (the ``steps_per_epoch`` of unit "epoch").
        batches_per_epoch: micro-batches each rank loads per epoch.
        samples_per_epoch: samples per epoch in counted updates, over all ranks.
        update_size: samples in one full update, ``batch_size * accumulation * world_size``.
        padded: indices the sampler repeats per epoch so that ranks get equal shares.
        unused: sampler indices per epoch (dataset size plus padding) in no counted update
            (the sampler's or the loader's ``drop_last``, a dropped partial window).

    Example:
        >>> from lrkit.distributed import run_totals
        >>> t = run_totals(100, 8, drop_last=True)  # 12 full batches, 4 samples left out
        >>> t.updates, t.samples, t.unused
        (12, 96, 4)
    """

    updates: int
    samples: int
    tokens: int | None
    updates_per_epoch: int
    batches_per_epoch: int
    samples_per_epoch: int
    update_size: int
    padded: int
    unused: int


def run_totals(
    dataset_size: int,
    batch_size: int,
    *,
    epochs: int = 1,
    world_size: int = 1,
    accumulation: int = 1,
    drop_last: bool = False,
    sampler_drop_last: bool = False,
    partial_window: str = "flush",
    tokens_per_sample: int | None = None,
) -> RunTotals:
    """Count a run's optimizer updates, samples and tokens from its data-loading settings.

    With ``N = dataset_size``, ``W = world_size``, ``b = batch_size`` (per rank),
    ``k = accumulation``:

    * each rank gets ``n = ceil(N / W)`` indices (the sampler pads with repeats), or
      ``n = floor(N / W)`` with ``sampler_drop_last`` (when ``N % W != 0``); with ``W = 1``, ``n = N``;
    * it loads ``B = ceil(n / b)`` batches, or ``floor(n / b)`` with the loader's ``drop_last``;
    * ``U = ceil(B / k)`` updates per epoch with ``partial_window="flush"``, ``floor(B / k)`` with
      ``"drop"``; ``updates = U * epochs``;
    * ``samples`` adds up the samples of the micro-batches in those updates, times ``W``.

    Args:
        dataset_size: samples in the dataset, an int >= 1.
        batch_size: samples per batch on one rank (the DataLoader's), an int >= 1.
        epochs: an int >= 1. Default 1.
        world_size: processes, an int >= 1. Default 1.
        accumulation: micro-batches per optimizer update, an int >= 1. Default 1.
        drop_last: the DataLoader's ``drop_last``. Default False.
        sampler_drop_last: the DistributedSampler's ``drop_last`` (drop the tail instead of padding).
            Default False.
        partial_window: "flush" (default: the last ``B % k`` micro-batches of an epoch make one
            more update) or "drop" (they make none).
        tokens_per_sample: tokens in each sample (fixed-length sequences), an int >= 1, or None.

    Returns:
        A `RunTotals`.

    Raises:
        TypeError: a count that is not an int, a flag that is not a bool.
        ValueError: a count out of range, an unknown `partial_window`, or settings that give no
            update at all in an epoch.

    Example:
        >>> from lrkit.distributed import run_totals
        >>> t = run_totals(1000, 32, epochs=3, world_size=2, accumulation=4)
        >>> t.updates, t.updates_per_epoch, t.samples, t.update_size, t.padded
        (12, 4, 3000, 256, 0)
        >>> run_totals(10, 4, world_size=3).padded  # 10 indices padded to 12 for 3 ranks
        2
    """
    n_data = check_int(OWNER, "dataset_size", dataset_size, low=1)
    b = check_int(OWNER, "batch_size", batch_size, low=1)
    epochs = check_int(OWNER, "epochs", epochs, low=1)
    w = check_int(OWNER, "world_size", world_size, low=1)
    k = check_int(OWNER, "accumulation", accumulation, low=1)
    for name, flag in (("drop_last", drop_last), ("sampler_drop_last", sampler_drop_last)):
        if not isinstance(flag, bool):
            raise fail(OWNER, name, flag, "True or False", kind=TypeError)
    check_choice(OWNER, "partial_window", partial_window, PARTIAL_WINDOWS)
    if tokens_per_sample is not None:
        tokens_per_sample = check_int(OWNER, "tokens_per_sample", tokens_per_sample, low=1)

    # The sampler pads to ceil(N / W) per rank with repeats, unless it drops the tail.
    per_rank = n_data // w if n_data % w == 0 or sampler_drop_last else -(-n_data // w)
    padded = max(per_rank * w - n_data, 0)
    full, rest = divmod(per_rank, b)
    batches = full if drop_last or rest == 0 else full + 1
    sizes = [b] * full + ([] if drop_last or rest == 0 else [rest])  # one rank's batches
    windows, leftover = divmod(batches, k)
    updates_per_epoch = windows + (1 if leftover and partial_window == "flush" else 0)
    if updates_per_epoch == 0:
        raise ValueError(
            f"Arguments of {OWNER}() give no optimizer update in an epoch: each of {w} rank(s) gets "
            f"{per_rank} samples, {batches} batch(es) of {b}, fewer than accumulation={k} with "
            f"partial_window={partial_window!r}. Received: dataset_size={n_data}, batch_size={b}, "
            f"world_size={w}, accumulation={k}, drop_last={drop_last}"
        )
    counted = sizes if partial_window == "flush" else sizes[: windows * k]
    samples_per_epoch = sum(counted) * w
    samples = samples_per_epoch * epochs
    return RunTotals(
        updates=updates_per_epoch * epochs,
        samples=samples,
        tokens=None if tokens_per_sample is None else samples * tokens_per_sample,
        updates_per_epoch=updates_per_epoch,
        batches_per_epoch=batches,
        samples_per_epoch=samples_per_epoch,
        update_size=b * k * w,
        padded=padded,
        unused=n_data + padded - samples_per_epoch,
    )
