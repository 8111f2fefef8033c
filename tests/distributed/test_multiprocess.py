"""Real 2-process gloo groups: DDP and FSDP ranks apply the same rates; plateaus agree across ranks.

One group is spawned for the whole module (a module-scoped fixture runs every scenario in it, to
keep the shared CI machine's time small); each test checks one scenario's results against
torch's own schedulers or against formulas written here.
"""

import math

import pytest
import torch
import torch.distributed as dist
from dist_helpers import spawn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from lrkit import Scheduler, cosine, plateau, warmup
from lrkit.distributed import check_in_sync, global_count, reduce_metric, run_totals

WORLD = 2
# Per rank: ceil(21 / 2) = 11 indices (one padded), batches of 4, 4, 3: global updates of 8, 8, 6.
DATASET, BATCH, EPOCHS = 21, 4, 2
WARMUP, START, END = 16, 0.1, 0.1
MODES = ("mean", "max", "min", "rank0", "verify", "local")
# Per-rank validation losses: rank 0 stalls early, rank 1 keeps improving; their mean stalls later.
METRICS = (
    [1.0, 0.9, 0.95, 0.97, 0.96, 0.8, 0.85, 0.86, 0.9, 0.7],
    [1.2, 1.0, 0.85, 0.84, 0.83, 0.9, 0.95, 0.5, 0.55, 0.6],
)


def _schedule():
    return warmup(cosine(end=END), steps=WARMUP, start=START)


def _train(rank, world, wrap):
    """A tiny model under DDP or FSDP, lr scheduled in samples; the rates every update used."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    if wrap == "ddp":
        model = torch.nn.parallel.DistributedDataParallel(model)
    else:
        from torch.distributed.fsdp import fully_shard

        fully_shard(model)
    gen = torch.Generator().manual_seed(1)
    data = TensorDataset(torch.randn(DATASET, 3, generator=gen), torch.randn(DATASET, 1, generator=gen))
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=False)
    loader = DataLoader(data, batch_size=BATCH, sampler=sampler)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    total = run_totals(DATASET, BATCH, world_size=world, epochs=EPOCHS).samples
    sched = Scheduler(opt, _schedule(), total=total, unit="sample")
    used, sizes = [], []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for x, y in loader:
            torch.nn.functional.mse_loss(model(x), y).backward()
            used.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            opt.zero_grad()
            n = global_count(len(x))
            sizes.append(n)
            sched.step(samples=n)
            check_in_sync(sched)
    return {"used": used, "sizes": sizes, "updates": sched.updates, "position": sched.position}


def _plateaus(rank, world):
    out = {}
    for mode in [m for m in MODES if m != "verify"]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        sched = Scheduler(opt, plateau(factor=0.5, patience=1))
        lrs = []
        for metric in METRICS[rank]:
            sched.observe(torch.tensor(metric) if rank else metric, reduce=mode)
            lrs.append(sched.lr_for_next_update()[0])
        out[mode] = lrs
    return out


def _errors(rank, world):
    """A bad metric on rank 1: it raises TypeError there, rank 0 gets NaN; nobody hangs."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = Scheduler(opt, plateau(patience=1))
    try:
        sched.observe(0.5 if rank == 0 else "0.5")
    except (TypeError, ValueError) as e:
        return type(e).__name__
    return None


def _reduced(metric, how):
    try:
        return reduce_metric(metric, how)
    except ValueError:
        return "ValueError"


def _verify(rank, world):
    """how="verify": equal metrics pass through; different ones raise on every rank."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = Scheduler(opt, plateau(factor=0.5, patience=0))
    agreed = [sched.observe(m, reduce="verify") for m in (1.0, 1.0)]
    try:
        sched.observe(1.0 + rank, reduce="verify")
    except ValueError as e:
        return {"agreed": agreed, "lr": sched.lr_for_next_update(), "error": str(e)}
    return {"agreed": agreed, "error": None}


def _worker(rank, world):
    assert dist.get_world_size() == world
    return {
        "ddp": _train(rank, world, "ddp"),
        "fsdp": _train(rank, world, "fsdp"),
        "plateaus": _plateaus(rank, world),
        "errors": _errors(rank, world),
        "verify": _verify(rank, world),
        "counts": [global_count(rank + 1), global_count(torch.tensor(rank + 5))],
        "reduced": [_reduced(float(rank), how) for how in MODES],
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return spawn(_worker, WORLD, tmp_path_factory.mktemp("multiprocess"), timeout=90.0)


def _expected_factor(p, total):
    """warmup(cosine(end), steps=W, start) written out from its definition."""
    if p <= WARMUP:
        return START + (1.0 - START) * p / WARMUP
    q = min(p, total) - WARMUP
    return END + (1.0 - END) * (1.0 + math.cos(math.pi * q / (total - WARMUP))) / 2.0


@pytest.mark.parametrize("wrap", ["ddp", "fsdp"])
def test_every_rank_applies_the_same_rates(results, wrap):
    ranks = [r[wrap] for r in results]
    assert ranks[0]["used"] == ranks[1]["used"]  # bit for bit
    # Global updates of 8, 8, 6 samples per epoch: 11 indices per rank (one padded) in 4, 4, 3.
    assert ranks[0]["sizes"] == [8, 8, 6] * EPOCHS
    total = 2 * 22
    positions = [sum(ranks[0]["sizes"][:i]) for i in range(len(ranks[0]["sizes"]))]
    expected = [0.01 * _expected_factor(p, total) for p in positions]
    assert ranks[0]["used"] == pytest.approx(expected, rel=1e-12)
    assert ranks[0]["updates"] == run_totals(DATASET, BATCH, world_size=WORLD, epochs=EPOCHS).updates
    assert ranks[0]["position"] == total


def _torch_plateau(metrics):
    """torch's ReduceLROnPlateau fed `metrics`: the lr after each evaluation."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    lrs = []
    for metric in metrics:
        ref.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_plateau_reduces_at_the_same_evaluation_on_every_rank(results):
    a, b = METRICS
    combined = {
        "mean": [math.fsum(pair) / 2 for pair in zip(a, b, strict=True)],
        "max": [max(pair) for pair in zip(a, b, strict=True)],
        "min": [min(pair) for pair in zip(a, b, strict=True)],
        "rank0": list(a),
    }
    for mode, metrics in combined.items():
        expected = _torch_plateau(metrics)
        assert results[0]["plateaus"][mode] == expected, mode
        assert results[1]["plateaus"][mode] == expected, mode


def test_local_reduction_lets_ranks_diverge(results):
    # The precondition that makes the test above meaningful: alone, the ranks disagree.
    local = [_torch_plateau(m) for m in METRICS]
    assert local[0] != local[1]
    assert [r["plateaus"]["local"] for r in results] == local


def test_a_bad_metric_raises_on_every_rank_without_hanging(results):
    assert results[1]["errors"] == "TypeError"  # the rank with the string
    assert results[0]["errors"] == "ValueError"  # NaN from the other rank: plateau(nonfinite="error")


def test_global_count_and_reduce_metric(results):
    # Rank r holds the metric r: mean 0.5, max 1, min 0, rank 0's 0, "verify" refuses (below),
    # "local" keeps each rank's own.
    for rank, r in enumerate(results):
        assert r["counts"] == [1 + 2, 5 + 6]
        assert r["reduced"] == [0.5, 1.0, 0.0, 0.0, "ValueError", float(rank)]


def test_verify_passes_agreeing_metrics_and_stops_every_rank_otherwise(results):
    for r in results:
        assert r["verify"]["agreed"] == [False, True]  # 1.0 then 1.0 again: patience 0 reduces
        assert r["verify"]["lr"] == [0.5]  # the refused observation changed nothing
        assert "the ranks hold different metrics [1.0, 2.0]" in r["verify"]["error"]
