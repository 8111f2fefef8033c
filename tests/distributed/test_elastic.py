"""Elastic resume: a schedule in samples keeps its trajectory across a change of world size or batch.

Saved with 2 processes and resumed with 1 (and the reverse), with the same or another per-process
batch, the rate used at each sample count equals the one of an uninterrupted run. The 2-process
parts run in a real gloo group (one group for the module); the 1-process parts run here.
"""

import pytest
import torch
from dist_helpers import spawn

from lrkit import Scheduler, cosine, warmup
from lrkit.distributed import check_in_sync, global_count

TOTAL = 192  # samples
CUT = 10  # updates before the save


def _build(kind):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    if kind == "nonzero-start":
        # No skip_zero_start shift: the rate at S samples is base * f(S) whatever the batch.
        sched = Scheduler(opt, warmup(cosine(end=0.05), steps=48, start=0.1), total=TOTAL, unit="sample")
    else:
        # A warmup from 0: every update uses f(samples before it + update_size), with update_size
        # part of the run's definition, so the global batch stays 8; the split changes.
        sched = Scheduler(opt, warmup(cosine(), steps=48), total=TOTAL, unit="sample", update_size=8)
    return opt, sched


def _run(opt, sched, updates, per_process, world=1):
    """(position, lr used) of each update, stepping with the global count."""
    used = []
    for _ in range(updates):
        used.append((sched.position, float(opt.param_groups[0]["lr"])))
        opt.step()
        sched.step(samples=global_count(per_process) if world > 1 else per_process * world)
        if world > 1:
            check_in_sync(sched)
    return used


def _worker(rank, world, saved_by_one):
    out = {}
    for kind in ("nonzero-start", "zero-start"):
        # Save with 2 processes: 4 samples per process, 8 per update.
        opt, sched = _build(kind)
        first = _run(opt, sched, CUT, 4, world)
        out[f"{kind}/saved"] = {"used": first, "state": sched.state_dict()}
        # Resume with 2 processes from a state saved by 1 process (8 per update there).
        opt, sched = _build(kind)
        sched.load_state_dict(saved_by_one[kind])
        check_in_sync(sched)
        out[f"{kind}/resumed"] = _run(opt, sched, (TOTAL - CUT * 8) // 8, 4, world)
    return out


def _single(kind, batch, updates):
    opt, sched = _build(kind)
    return opt, sched, _run(opt, sched, updates, batch)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    saved_by_one = {}
    for kind in ("nonzero-start", "zero-start"):
        _, sched, _ = _single(kind, 8, CUT)
        saved_by_one[kind] = sched.state_dict()
    results = spawn(_worker, 2, tmp_path_factory.mktemp("elastic"), saved_by_one, timeout=60.0)
    assert results[0] == results[1]  # both ranks, bit for bit
    return results[0]


def _reference(kind, batch):
    """An uninterrupted 1-process run: {samples before the update: lr used}."""
    _, _, used = _single(kind, batch, TOTAL // batch)
    return dict(used)


def _as_pairs(used):
    return [(float(p), lr) for p, lr in used]


@pytest.mark.parametrize(("kind", "batch"), [("nonzero-start", 4), ("nonzero-start", 8), ("zero-start", 8)])
def test_saved_with_two_resumed_with_one(two, kind, batch):
    saved = two[f"{kind}/saved"]
    opt, sched = _build(kind)
    sched.load_state_dict(saved["state"])
    assert sched.position == _single(kind, 8, CUT)[1].position
    rest = _run(opt, sched, (TOTAL - CUT * 8) // batch, batch)
    reference = _reference(kind, 4 if kind == "nonzero-start" else 8)
    for position, lr in _as_pairs(saved["used"]) + rest:
        assert lr == reference[position], (position, lr)  # bit for bit
    assert len(saved["used"]) * 8 + len(rest) * batch == TOTAL


@pytest.mark.parametrize("kind", ["nonzero-start", "zero-start"])
def test_saved_with_one_resumed_with_two(two, kind):
    _, _, first = _single(kind, 8, CUT)
    reference = _reference(kind, 4 if kind == "nonzero-start" else 8)
    resumed = _as_pairs(two[f"{kind}/resumed"])
    assert len(first) + len(resumed) == TOTAL // 8
    for position, lr in first + resumed:
        assert lr == reference[position], (position, lr)


def test_the_two_process_run_itself_follows_the_reference(two):
    for kind in ("nonzero-start", "zero-start"):
        reference = _reference(kind, 8)
        for position, lr in _as_pairs(two[f"{kind}/saved"]["used"]):
            assert lr == reference[position]


@pytest.mark.parametrize("world", [1, 2, 4, 8])
def test_per_process_calls_in_samples_follow_the_global_trajectory(world):
    # A wrapper that calls step() once per process (accelerate's AcceleratedScheduler), each call
    # with this process's share: the rate at each real update does not depend on the world size.
    opt, sched = _build("nonzero-start")
    used = []
    for _ in range(TOTAL // 8):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        for _ in range(world):
            sched.step(samples=8 // world)
    assert used == [lr for _, lr in sorted(_reference("nonzero-start", 8).items())]
