"""Benchmark: a 1,000,000-step learning-rate curve, and the wall time of a preview.

Part 1 times the whole curve of four schedules (cosine, warmup+cosine, one-cycle, restarts),
three ways, interleaved in the same run:

* lrkit: ``lr * schedule.resolve(N, base=lr)(np.arange(N))`` (resolution included);
* numpy: a closed form written by hand here, straight from the formula;
* torch: stepping the equivalent torch scheduler (one SGD group, float lr), construction
  included. Stepping costs microseconds a point, so torch is timed on the first ``--torch-points``
  steps (100,000 by default) of the same 1,000,000-step schedule and its cost is reported per
  point; the "torch / lrkit" ratio compares torch's per-point cost times N with lrkit's time for
  all N points.

It also checks that the three curves agree (torch on its points, numpy on all N).

Part 2 times ``lrkit table SPEC --steps 1000`` and ``lrkit plot SPEC --steps 1000`` (terminal) as
fresh processes, against ``python -c "import torch"`` and ``python -c pass``.

Medians over interleaved repeats; ratios come from the same run. lrkit / numpy is the median of
the ratios of back-to-back pairs (alternating which goes first), with the ratio of the fastest
runs after it: the machine's speed changes as other jobs come and go, and a pair sees one phase.

Run from the repository root:

    python bench/curve.py            # about a minute on 2 cores
    python bench/curve.py --quick    # fewer repeats, a smoke test
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

import lrkit
from lrkit import cosine, warmup
from lrkit.schedules import Schedule

N = 1_000_000
LR = 0.1

# warmup + cosine: 5% linear warmup from 1% of the peak, then a cosine to 10% of the peak.
W = N // 20
WARM_START = 0.01
FLOOR = 0.1
# restarts: SGDR cycles of 10k, 20k, 40k, ... steps.
T0 = 10_000


@dataclass
class Curve:
    name: str
    schedule: Schedule
    numpy: Callable[[np.ndarray], np.ndarray]  # steps -> lr
    torch: Callable[[torch.optim.Optimizer], object]  # optimizer -> scheduler
    torch_name: str


def np_cosine(t: np.ndarray) -> np.ndarray:
    return LR * (1.0 + np.cos(np.pi * t / N)) / 2.0


def np_warmup_cosine(t: np.ndarray) -> np.ndarray:
    ramp = WARM_START + (1.0 - WARM_START) * t / W
    decay = FLOOR + (1.0 - FLOOR) * (1.0 + np.cos(np.pi * (t - W) / (N - W))) / 2.0
    return LR * np.where(t < W, ramp, decay)


def np_one_cycle(t: np.ndarray) -> np.ndarray:
    # torch's OneCycleLR(max_lr=LR, total_steps=N): initial LR/25, final initial/1e4, cos annealing;
    # the phases end at the float steps 0.3 * N - 1 and N - 1.
    initial, final = LR / 25.0, LR / 25.0 / 1e4
    peak = 0.3 * N - 1.0
    up = t <= peak
    pct = np.where(up, t / peak, (t - peak) / (N - 1.0 - peak))
    start = np.where(up, initial, LR)
    end = np.where(up, LR, final)
    return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1.0)


def np_restarts(t: np.ndarray) -> np.ndarray:
    # torch's CosineAnnealingWarmRestarts(T_0=T0, T_mult=2): cycle i starts at T0 * (2**i - 1).
    cycle = np.floor(np.log2(t / T0 + 1.0))
    begin = T0 * (2.0**cycle - 1.0)
    return LR * (1.0 + np.cos(np.pi * (t - begin) / (T0 * 2.0**cycle))) / 2.0


def curves() -> list[Curve]:
    from torch.optim import lr_scheduler as ls

    from lrkit.schedules.one_cycle import one_cycle
    from lrkit.schedules.restarts import restarts

    return [
        Curve("cosine", cosine(), np_cosine, lambda o: ls.CosineAnnealingLR(o, T_max=N), "CosineAnnealingLR"),
        Curve(
            "warmup+cosine",
            warmup(cosine(end=FLOOR), steps=0.05, start=WARM_START),
            np_warmup_cosine,
            lambda o: ls.SequentialLR(
                o,
                [
                    ls.LinearLR(o, start_factor=WARM_START, total_iters=W),
                    ls.CosineAnnealingLR(o, T_max=N - W, eta_min=FLOOR * LR),
                ],
                milestones=[W],
            ),
            "SequentialLR(LinearLR, CosineAnnealingLR)",
        ),
        Curve(
            "one-cycle",
            one_cycle(steps=N - 1, peak_at=(0.3 * N - 1) / (N - 1)),
            np_one_cycle,
            lambda o: ls.OneCycleLR(o, max_lr=LR, total_steps=N, cycle_momentum=False),
            "OneCycleLR (cycle_momentum=False)",
        ),
        Curve(
            "restarts",
            restarts(cosine(steps=T0), period=T0, mult=2),
            np_restarts,
            lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=T0, T_mult=2),
            "CosineAnnealingWarmRestarts(T_mult=2)",
        ),
    ]


def lrkit_curve(schedule: Schedule, steps: np.ndarray) -> np.ndarray:
    return LR * schedule.resolve(N, base=LR)(steps)


def torch_curve(make: Callable[[torch.optim.Optimizer], object], points: int) -> np.ndarray:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    scheduler = make(optimizer)
    group = optimizer.param_groups[0]
    out = [group["lr"]]
    step = scheduler.step  # type: ignore[attr-defined]
    for _ in range(points - 1):
        step()
        out.append(group["lr"])
    return np.asarray(out)


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def spread(samples: list[float]) -> str:
    q = np.percentile(samples, [25, 75])
    return f"[{q[0] * 1e3:.3g}-{q[1] * 1e3:.3g}]"


def bench_curves(repeats: int, torch_repeats: int, torch_points: int) -> bool:
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)  # torch's "step before optimizer.step"
    steps = np.arange(N, dtype=np.float64)
    items = curves()
    ok = True
    print(f"## Curve evaluation: N = {N:,} steps, torch stepped on {torch_points:,} points")
    print()
    # Warm up: the first SGD construction imports torch._dynamo (about a second).
    for item in items:
        torch_curve(item.torch, 10)
        lrkit_curve(item.schedule, steps[:10])
    times: dict[str, dict[str, list[float]]] = {
        c.name: {"lrkit": [], "numpy": [], "torch": [], "pair": []} for c in items
    }
    for rep in range(max(repeats, torch_repeats)):
        for item in items:
            if rep < repeats:
                # Back to back, in alternating order: the ratio of a pair cancels the machine's phase.
                ours = timed(partial(lrkit_curve, item.schedule, steps)) if rep % 2 == 0 else None
                formula = timed(partial(item.numpy, steps))
                if ours is None:
                    ours = timed(partial(lrkit_curve, item.schedule, steps))
                times[item.name]["lrkit"].append(ours)
                times[item.name]["numpy"].append(formula)
                times[item.name]["pair"].append(ours / formula)
            if rep < torch_repeats:
                elapsed = timed(partial(torch_curve, item.torch, torch_points))
                times[item.name]["torch"].append(elapsed / torch_points * N)  # scaled to N points
    print(
        "| curve | lrkit ms [p25-p75] | numpy ms [p25-p75] | torch us/point | torch for N, s (scaled) "
        "| **torch / lrkit** | torch / numpy | **lrkit / numpy** (pairs; min/min) "
        "| max rel diff vs torch | max abs diff vs numpy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for item in items:
        t = times[item.name]
        ours, formula, stepping = (statistics.median(t[k]) for k in ("lrkit", "numpy", "torch"))
        got = lrkit_curve(item.schedule, steps)
        reference = torch_curve(item.torch, torch_points)
        head = got[:torch_points]
        mask = np.abs(reference) > 1e-12 * LR
        rel = float(np.max(np.abs(head[mask] - reference[mask]) / np.abs(reference[mask])))
        absolute = float(np.max(np.abs(got - item.numpy(steps))))
        speedup, overhead = stepping / ours, statistics.median(t["pair"])
        best = min(t["lrkit"]) / min(t["numpy"])
        ok &= speedup >= 200 and overhead <= 1.5 and rel < 1e-9 and absolute < 1e-12
        print(
            f"| {item.name} | {ours * 1e3:.3g} {spread(t['lrkit'])} "
            f"| {formula * 1e3:.3g} {spread(t['numpy'])} "
            f"| {stepping / N * 1e6:.2f} | {stepping:.2f} | **{speedup:.0f}x** | {stepping / formula:.0f}x "
            f"| **{overhead:.2f}x**; {best:.2f}x "
            f"| {rel:.1e} | {abs(absolute):.1e} |"
        )
    print()
    print("torch schedulers: " + "; ".join(f"{c.name}: {c.torch_name}" for c in items))
    print("targets: torch / lrkit >= 200x, lrkit / numpy <= 1.5x")
    return ok


def bench_previews(repeats: int) -> bool:
    spec = "warmup(cosine(end=0.1), steps=0.05)"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        f'lrkit table "{spec}" --steps 1000': [
            sys.executable,
            "-m",
            "lrkit",
            "table",
            spec,
            "--steps",
            "1000",
        ],
        f'lrkit plot "{spec}" --steps 1000': [sys.executable, "-m", "lrkit", "plot", spec, "--steps", "1000"],
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the file cache
        subprocess.run(argv, check=True, capture_output=True)
    for _ in range(repeats):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - start)
    torch_time = statistics.median(samples['python -c "import torch"'])
    print()
    print(f"## Preview wall time (fresh processes, {repeats} interleaved rounds)")
    print()
    print("| command | wall ms median [p25-p75] | / import torch |")
    print("|---|---|---|")
    ok = True
    for name, values in samples.items():
        median = statistics.median(values)
        if name.startswith("lrkit"):
            ok &= median < 0.5
        print(f"| `{name}` | {median * 1e3:.0f} {spread(values)} | {median / torch_time:.2f} |")
    print()
    print("target: a preview answers in < 500 ms")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--torch-points", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    repeats, torch_repeats, process_repeats = (3, 1, 3) if args.quick else (25, 5, 9)
    print(
        f"lrkit {lrkit.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"Python {sys.version.split()[0]}"
    )
    print()
    ok = bench_curves(repeats, torch_repeats, args.torch_points)
    ok &= bench_previews(process_repeats)
    print()
    print("all targets met" if ok else "SOME TARGETS MISSED (see the tables)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
