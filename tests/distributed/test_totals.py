"""run_totals against the loops run for real: DistributedSampler, DataLoader, accumulation."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, DistributedSampler

from lrkit.distributed import run_totals


def simulate(n, batch, epochs, world, accum, drop_last, sampler_drop_last, partial_window):
    """Run every rank's loader for every epoch and count optimizer updates and their samples."""
    dataset = list(range(n))
    updates = samples = 0
    per_rank_updates = set()
    for rank in range(world):
        sampler = DistributedSampler(
            dataset, num_replicas=world, rank=rank, shuffle=False, drop_last=sampler_drop_last
        )
        loader = DataLoader(dataset, batch_size=batch, sampler=sampler, drop_last=drop_last)
        rank_updates = 0
        for _ in range(epochs):
            window = []
            batches = list(loader)
            for i, b in enumerate(batches):
                window.append(len(b))
                last = i == len(batches) - 1
                if len(window) == accum or (last and partial_window == "flush"):
                    rank_updates += 1
                    samples += sum(window)
                    window = []
        per_rank_updates.add(rank_updates)
        updates = rank_updates
    assert len(per_rank_updates) == 1  # every rank makes the same number of updates
    return updates, samples


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    batch=st.integers(1, 9),
    epochs=st.integers(1, 3),
    world=st.integers(1, 4),
    accum=st.integers(1, 4),
    drop_last=st.booleans(),
    sampler_drop_last=st.booleans(),
    partial_window=st.sampled_from(["flush", "drop"]),
)
def test_totals_match_the_loops(n, batch, epochs, world, accum, drop_last, sampler_drop_last, partial_window):
    args = (n, batch, epochs, world, accum, drop_last, sampler_drop_last, partial_window)
    kwargs = {
        "epochs": epochs,
        "world_size": world,
        "accumulation": accum,
        "drop_last": drop_last,
        "sampler_drop_last": sampler_drop_last,
        "partial_window": partial_window,
    }
    try:
        updates, samples = simulate(*args)
    except ValueError:  # DistributedSampler refuses (dataset smaller than the ranks with drop_last)
        return
    if updates == 0:
        with pytest.raises(ValueError, match="give no optimizer update"):
            run_totals(n, batch, **kwargs)
        return
    totals = run_totals(n, batch, tokens_per_sample=3, **kwargs)
    assert (totals.updates, totals.samples) == (updates, samples)
    assert totals.tokens == 3 * samples
    assert totals.updates_per_epoch * epochs == updates
    assert totals.samples_per_epoch * epochs == samples
    assert totals.update_size == batch * accum * world
    sampler = DistributedSampler(list(range(n)), num_replicas=world, rank=0, drop_last=sampler_drop_last)
    per_rank = len(sampler)
    assert totals.padded == max(per_rank * world - n, 0)
    assert totals.unused == n + totals.padded - totals.samples_per_epoch


def test_boundaries_written_out():
    # 1000 samples on 2 ranks: 500 each, 16 batches of 32 (the last of 20), 4 windows of 4.
    t = run_totals(1000, 32, world_size=2, accumulation=4, epochs=3)
    assert (t.updates_per_epoch, t.batches_per_epoch, t.updates) == (4, 16, 12)
    assert t.samples == 3 * 1000
    # drop_last: 15 full batches per rank, windows 4+4+4+3 (flushed) or 4+4+4 (dropped).
    t = run_totals(1000, 32, world_size=2, accumulation=4, drop_last=True)
    assert (t.updates, t.samples, t.unused) == (4, 2 * 15 * 32, 1000 - 960)
    t = run_totals(1000, 32, world_size=2, accumulation=4, drop_last=True, partial_window="drop")
    assert (t.updates, t.samples) == (3, 2 * 12 * 32)
    # 10 samples on 3 ranks: padded to 12 (4 each), or 3 each with the sampler's drop_last.
    assert run_totals(10, 4, world_size=3).samples == 12
    assert run_totals(10, 4, world_size=3, sampler_drop_last=True).samples == 9
    assert run_totals(7, 2).updates == math.ceil(7 / 2)


@pytest.mark.parametrize(
    ("kwargs", "kind", "name"),
    [
        ({"dataset_size": 0}, ValueError, "dataset_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"world_size": -1}, ValueError, "world_size"),
        ({"accumulation": 0}, ValueError, "accumulation"),
        ({"drop_last": 1}, TypeError, "drop_last"),
        ({"sampler_drop_last": "no"}, TypeError, "sampler_drop_last"),
        ({"partial_window": "keep"}, ValueError, "partial_window"),
        ({"tokens_per_sample": 0}, ValueError, "tokens_per_sample"),
    ],
)
def test_bad_arguments_are_named(kwargs, kind, name):
    args = {"dataset_size": 100, "batch_size": 8, **kwargs}
    with pytest.raises(kind, match=rf"Argument `{name}` of run_totals\(\) must be .* Received: {name}="):
        run_totals(**args)


def test_no_update_at_all_is_an_error():
    with pytest.raises(ValueError, match=r"no optimizer update in an epoch.*batch_size=8"):
        run_totals(5, 8, drop_last=True)
    with pytest.raises(ValueError, match="accumulation=4"):
        run_totals(8, 4, world_size=2, accumulation=4, partial_window="drop")


def test_a_schedule_sized_by_the_helper_ends_on_the_last_update():
    from lrkit import Scheduler, linear

    t = run_totals(50, 4, world_size=2, accumulation=2)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = Scheduler(opt, linear(1.0, 0.0), total=t.updates, skip_zero_start=False)
    for _ in range(t.updates):
        sched.step()
    assert sched.lr_for_next_update() == [0.0]
    assert sched.position == t.updates
