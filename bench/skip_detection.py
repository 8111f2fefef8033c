"""Benchmark: what lrkit's skip detection costs in a training loop, against torch in the same run.

    python bench/skip_detection.py [--updates 20000] [--repeat 5]

`bench/step_overhead.py` times ``scheduler.step()`` alone, with ``detect_skips=False`` (its blocks
call no ``optimizer.step()``). This one times what a training loop pays per update,
``optimizer.step(); scheduler.step()`` with SGD on 1, 10 and 100 parameter groups (one
``torch.zeros(1)`` parameter each, gradients set once), for:

* lrkit.Scheduler(cosine()) as users build it (``detect_skips=True``: a step post hook on the
  optimizer records each ``optimizer.step()``),
* the same with ``detect_skips=False``,
* torch's CosineAnnealingLR (torch wraps ``optimizer.step`` to count its calls).

The three run interleaved, `--repeat` times; it prints the median microseconds per update and the
ratios detect-on / detect-off and torch / lrkit (detect on), from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from lrkit import Scheduler, cosine


def _loop(build: Callable[[torch.optim.Optimizer], object], groups: int, updates: int) -> float:
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    for param in params:
        param.grad = torch.zeros(1)
    optimizer = torch.optim.SGD([{"params": [p]} for p in params], lr=0.1)
    scheduler = build(optimizer)
    step = scheduler.step  # type: ignore[attr-defined]
    start = time.perf_counter()
    for _ in range(updates):
        optimizer.step()
        step()
    return (time.perf_counter() - start) / updates * 1e6


CASES: dict[str, Callable[[torch.optim.Optimizer], object]] = {
    "lrkit, detect_skips=True (default)": lambda opt: Scheduler(opt, cosine(), total=10**9),
    "lrkit, detect_skips=False": lambda opt: Scheduler(opt, cosine(), total=10**9, detect_skips=False),
    "torch CosineAnnealingLR": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10**9),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; microseconds per optimizer.step() + scheduler.step(), median")
    on, off, ref = CASES
    for groups in (1, 10, 100):
        times: dict[str, list[float]] = {name: [] for name in CASES}
        for _ in range(args.repeat):
            for name, build in CASES.items():
                times[name].append(_loop(build, groups, args.updates))
        med = {name: statistics.median(values) for name, values in times.items()}
        cells = ", ".join(f"{name} {value:.2f}" for name, value in med.items())
        print(f"{groups:>4} groups: {cells}")
        print(f"      detect on / off = {med[on] / med[off]:.3f}", end="; ")
        print(f"torch / lrkit (detect on) = {med[ref] / med[on]:.2f}")


if __name__ == "__main__":
    main()
