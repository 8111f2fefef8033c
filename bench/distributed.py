"""Benchmark: what lrkit.distributed costs per call in a 2-process gloo group on CPU.

Times, on each of 2 processes (gloo, 127.0.0.1, one torch thread each), in microseconds per call:

* ``step()``: `lrkit.Scheduler.step` in updates, the floor (no communication);
* ``step(samples=n * world)``: in samples, with the global count computed locally (no collective);
* ``step(samples=global_count(n))``: the global count gathered (one all_gather per update);
* ``observe(m, reduce="local")`` and ``observe(m, reduce="mean")``: a plateau phase fed a metric,
  without and with the cross-rank reduction (one all_gather per evaluation).

Each sample is a block of K calls; blocks of the cases are interleaved, R repeats; rank 0 prints
medians, p25-p75, and the ratio to the floor. The collective dominates: it is paid once per update
only with `global_count`, and once per evaluation with `observe`. On a shared machine trust the
ratios more than the microseconds.

    python bench/distributed.py            # about a minute on 2 shared cores
    python bench/distributed.py --quick
"""

from __future__ import annotations

import argparse
import datetime
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lrkit import Scheduler, cosine, plateau
from lrkit.distributed import global_count


def _cases(world: int) -> dict[str, tuple[Scheduler, object]]:
    def opt() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    # No optimizer steps are made here, so skip detection (lrkit.scheduler._detect) is off.
    updates = Scheduler(opt(), cosine(), total=10**9, detect_skips=False)
    samples = Scheduler(opt(), cosine(), total=10**12, unit="sample", detect_skips=False)
    plateaus = Scheduler(opt(), plateau(patience=10**9), detect_skips=False)
    return {
        "step()": (updates, lambda: updates.step()),
        "step(samples=n * world)": (samples, lambda: samples.step(samples=32 * world)),
        "step(samples=global_count(n))": (samples, lambda: samples.step(samples=global_count(32))),
        'observe(m, reduce="local")': (plateaus, lambda: plateaus.observe(1.0, reduce="local")),
        'observe(m, reduce="mean")': (plateaus, lambda: plateaus.observe(1.0, reduce="mean")),
    }


def _worker(rank: int, world: int, port: int, block: int, repeats: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=60),
    )
    cases = _cases(world)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            call = cases[name][1]
            dist.barrier()
            start = time.perf_counter()
            for _ in range(block):
                call()  # type: ignore[operator]
            samples[name].append((time.perf_counter() - start) / block * 1e6)
    if rank == 0:
        floor = statistics.median(samples["step()"])
        print(f"2 processes, gloo on CPU, {block} calls per block, {repeats} repeats; us per call (rank 0)")
        print(f"{'case':34} {'median':>8} {'p25-p75':>15} {'/ step()':>9}")
        for name, values in samples.items():
            q = statistics.quantiles(values, n=4)
            med = statistics.median(values)
            print(f"{name:34} {med:8.1f} {q[0]:7.1f}-{q[2]:<7.1f} {med / floor:9.1f}")
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter blocks, fewer repeats")
    args = parser.parse_args()
    block, repeats = (200, 5) if args.quick else (2000, 11)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, block, repeats), nprocs=2)


if __name__ == "__main__":
    main()
