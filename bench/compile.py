"""Benchmark: a ``torch.compile``d optimizer step driven by lrkit.Scheduler (recompiles, time per step).

For SGD (momentum 0.9) and Adam, a small MLP (32-256-256-10, 76,810 parameters, batch 64; --hidden)
is trained with its optimizer step compiled by inductor (``torch.compile`` of a function calling
``optimizer.step()``), copies side by side in one process:

* **lrkit**: ``lrkit.Scheduler(opt, warmup(cosine(end=0.1), steps=20), total=...)``, so the
  rate changes at every update; with ``tensor_lr=True`` (the lr is a 0-dim tensor, updated in
  place) or, for contrast, with a float lr;
* **torch** (tensor lr only, for context): torch's LambdaLR with a similar warmup + cosine;
* **fill_ floor** (tensor lr only): a bare ``lr.fill_(v)`` after each update, the least any
  scheduler of a tensor lr can do;
* **constant**: the same model and optimizer with the same kind of lr, never changed.

After a warm-up of 3 updates each (the first compile, and the recompile torch makes when the
optimizer state appears), 200 updates of each copy are made in interleaved blocks of 10 (the
order rotates). Reported:

* recompilations after the warm-up, counted from ``torch._dynamo.utils.counters`` (graphs
  compiled) and from the ``recompiles`` log of ``torch._logging`` (the guard that failed, shown);
  whether dynamo hit its recompile limit (then the step runs uncompiled);
* the time of the compiled ``optimizer.step()`` and of ``scheduler.step()``, measured in place in
  the training loop, and of the whole update (forward, backward, both steps, zero_grad); ratios
  to the constant copy: median [p25-p75] of the per-block ratios;
* whether the lr tensor stayed the same object, and whether the rates equal an eager run's.

Targets (tensor lr): 0 recompiles after warm-up; within 5% of the constant lr.

Each configuration runs in its own process (dynamo's caches and counters are per process), one
torch thread each. The machine may be shared and noisy: trust the ratios more than the absolute
microseconds.

    python bench/compile.py            # about a minute on 2 cores (4 processes, ~5 s compiles each)
    python bench/compile.py --quick    # 60 updates per copy
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
import torch._dynamo
import torch._dynamo.utils
import torch._logging
import torch.nn.functional as F  # noqa: N812

from lrkit import cosine, warmup
from lrkit.scheduler import Scheduler

OPTIMIZERS = ("SGD", "Adam")
KINDS = ("tensor", "float")
WARM = 3  # warm-up updates per copy
BLOCK = 10  # updates per timed block

Stepper = Callable[[], object]


class Capture(logging.Handler):
    """Keeps the messages of dynamo's recompile log and of its recompile-limit warning."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


HIDDEN = [256]  # the MLP's width; --hidden changes it


def model_and_optimizer(name: str, tensor: bool, seed: int) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """The MLP and its optimizer; a constant tensor lr is given directly, a scheduled one by lrkit."""
    torch.manual_seed(seed)
    h = HIDDEN[0]
    model = torch.nn.Sequential(
        torch.nn.Linear(32, h),
        torch.nn.ReLU(),
        torch.nn.Linear(h, h),
        torch.nn.ReLU(),
        torch.nn.Linear(h, 10),
    )
    lr: float | torch.Tensor = 0.05 if name == "SGD" else 1e-3
    if tensor:
        lr = torch.tensor(lr)
    opt: torch.optim.Optimizer
    if name == "SGD":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    return model, opt


def reference_rates(name: str, n: int, total: int) -> list[float]:
    """The rates of the first `n` updates of the same schedule, in eager mode on a float lr."""
    _, opt = model_and_optimizer(name, False, 0)
    sched = Scheduler(opt, warmup(cosine(end=0.1), steps=20), total=total)
    rates = []
    for _ in range(n):
        rates.append(float(opt.param_groups[0]["lr"]))
        sched.step()
    return rates


def compiled_step(opt: torch.optim.Optimizer) -> Callable[[], None]:
    """``optimizer.step()`` compiled by inductor (the pattern of torch's compiled-optimizer recipe)."""

    @torch.compile(fullgraph=False)
    def step() -> None:
        opt.step()

    return step


def child(name: str, kind: str, updates: int) -> dict[str, Any]:
    """One configuration in this process: returns the counts and timings as plain data."""
    torch.set_num_threads(1)
    capture = Capture()
    for logger in ("torch._dynamo.guards.__recompiles", "torch._dynamo.convert_frame", "torch._dynamo"):
        logging.getLogger(logger).addHandler(capture)
    torch._logging.set_logs(recompiles=True)  # type: ignore[attr-defined]
    tensor = kind == "tensor"
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(1))

    model_s, opt_s = model_and_optimizer(name, False, 0)
    sched = Scheduler(opt_s, warmup(cosine(end=0.1), steps=20), total=WARM + updates, tensor_lr=tensor)
    lr_object = opt_s.param_groups[0]["lr"]
    copies: dict[str, tuple[torch.nn.Module, torch.optim.Optimizer, Callable[[], None], Stepper | None]] = {
        "lrkit": (model_s, opt_s, compiled_step(opt_s), sched.step)
    }
    if tensor:  # for context: torch's LambdaLR, and the floor: one bare fill_ of the lr tensor
        model_t, opt_t = model_and_optimizer(name, tensor, 0)
        lambda_lr = torch.optim.lr_scheduler.LambdaLR(opt_t, _torch_factor(WARM + updates))
        copies["torch"] = (model_t, opt_t, compiled_step(opt_t), lambda_lr.step)
        model_f, opt_f = model_and_optimizer(name, tensor, 0)
        floor_lr: torch.Tensor = opt_f.param_groups[0]["lr"]
        floor_value = float(floor_lr)
        copies["fill_ floor"] = (model_f, opt_f, compiled_step(opt_f), lambda: floor_lr.fill_(floor_value))
    model_c, opt_c = model_and_optimizer(name, tensor, 0)
    copies["constant"] = (model_c, opt_c, compiled_step(opt_c), None)
    rates: list[float] = []

    def block(which: str, n: int) -> tuple[float, float, float]:
        model, opt, step, scheduler = copies[which]
        opt_ns = sched_ns = 0
        gc.disable()
        begin = time.perf_counter_ns()
        for _ in range(n):
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # type: ignore[no-untyped-call]
            t0 = time.perf_counter_ns()
            step()
            t1 = time.perf_counter_ns()
            if scheduler is not None:
                if which == "lrkit":
                    rates.append(float(opt.param_groups[0]["lr"]))
                scheduler()
            t2 = time.perf_counter_ns()
            opt_ns += t1 - t0
            sched_ns += t2 - t1
            opt.zero_grad()
        total = time.perf_counter_ns() - begin
        gc.enable()
        return opt_ns / n / 1000.0, sched_ns / n / 1000.0, total / n / 1000.0

    counters = torch._dynamo.utils.counters
    begin = time.perf_counter()
    for which in copies:
        block(which, WARM)
    warm_seconds = time.perf_counter() - begin
    graphs_warm = counters["stats"]["unique_graphs"]
    breaks = dict(counters["graph_break"])
    capture.messages.clear()

    names = list(copies)
    samples: dict[str, list[tuple[float, float, float]]] = {which: [] for which in names}
    graphs = dict.fromkeys(names, 0)
    for r in range(updates // BLOCK):
        for which in names[r % len(names) :] + names[: r % len(names)]:
            before = counters["stats"]["unique_graphs"]
            samples[which].append(block(which, BLOCK))
            graphs[which] += counters["stats"]["unique_graphs"] - before
    reasons = [m for m in capture.messages if "Recompiling" in m or "recompile_limit" in m]
    expected = reference_rates(name, len(rates), WARM + updates)
    return {
        "optimizer": name,
        "lr": kind,
        "warm_seconds": warm_seconds,
        "graphs_during_warmup": graphs_warm,
        "graph_breaks_during_warmup": sum(breaks.values()),
        "graph_break_reasons": [reason.splitlines()[0][:160] for reason in breaks],
        "recompiles": graphs,
        "limit_hit": any("recompile_limit" in m for m in capture.messages),
        "reasons": reasons[:3],
        "same_lr_object": opt_s.param_groups[0]["lr"] is lr_object,
        "lr_tensor": isinstance(lr_object, torch.Tensor),
        "rates_match": all(abs(a - b) <= 1e-6 * abs(b) for a, b in zip(rates, expected, strict=True)),
        "opt_us": {k: [s[0] for s in v] for k, v in samples.items()},
        "sched_us": {k: [s[1] for s in v] for k, v in samples.items()},
        "step_us": {k: [s[0] + s[1] for s in v] for k, v in samples.items()},
        "update_us": {k: [s[2] for s in v] for k, v in samples.items()},
    }


def _torch_factor(total: int) -> Callable[[int], float]:
    """A warmup + cosine for torch's LambdaLR (context only: its cost, not its exact values)."""

    def factor(step: int) -> float:
        return min(1.0, (step + 1) / 20) * (0.55 + 0.45 * math.cos(math.pi * step / total))

    return factor


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """Median, p25 and p75."""
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[1], q[0], q[2]


def cell(values: list[float], digits: int = 0) -> str:
    """``median [p25-p75]``."""
    m, lo, hi = quartiles(values)
    return f"{m:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def ratios(result: dict[str, Any], key: str, which: str) -> list[float]:
    """Per-block `which` / constant ratios (the blocks are interleaved)."""
    s, c = result[key][which], result[key]["constant"]
    return [a / b for a, b in zip(s, c, strict=True)]


def verdict(ok: bool) -> str:
    """ "met" or "MISSED"."""
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    """Run each configuration in a child process and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="60 updates per copy instead of 200")
    parser.add_argument("--updates", type=int, default=None, help="timed updates per copy (default 200)")
    parser.add_argument("--hidden", type=int, default=256, help="the MLP's width (default 256)")
    parser.add_argument("--child", nargs=2, metavar=("OPTIMIZER", "LR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    updates = args.updates or (60 if args.quick else 200)
    HIDDEN[0] = args.hidden
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], updates)))
        return 0
    results = []
    for name in OPTIMIZERS:
        for kind in KINDS:
            command = [sys.executable, __file__, "--child", name, kind, "--updates", str(updates)]
            command += ["--hidden", str(args.hidden)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{name}/{kind} failed:\n{done.stderr[-3000:]}")
                return 1
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    params = sum(p.numel() for p in model_and_optimizer("SGD", False, 0)[0].parameters())
    print(
        f"torch {torch.__version__}, inductor, 1 thread; MLP 32-{args.hidden}-{args.hidden}-10 ({params} "
        f"parameters), batch 64; {updates} timed updates per copy, blocks of {BLOCK}"
    )
    print(
        "\n| optimizer | lr | scheduler | recompiles after warm-up | limit hit | optimizer.step() us | "
        "scheduler.step() us | both / constant | whole update / constant |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    targets = []
    for r in results:
        for which in r["recompiles"]:
            step_ratio = ratios(r, "step_us", which)
            update_ratio = ratios(r, "update_us", which)
            sched_cell = "-" if which == "constant" else cell(r["sched_us"][which], 1)
            if which == "fill_ floor":
                sched_cell += " (fill_)"
            print(
                f"| {r['optimizer']} | {r['lr']} | {which} | {r['recompiles'][which]} | "
                f"{'yes' if r['limit_hit'] and which == 'lrkit' else 'no'} | {cell(r['opt_us'][which])} | "
                f"{sched_cell} | **{cell(step_ratio, 3)}** | {cell(update_ratio, 3)} |"
            )
    print(
        "\nWhat the scheduler adds: the median of scheduler.step() measured in place, against the medians of"
        "\nthe constant copy's compiled optimizer.step() and whole update (less noisy than the ratios above,"
        "\nsince the compiled optimizer step is the same code in every copy):\n"
    )
    print("| optimizer | lr | scheduler | scheduler.step() us | / optimizer.step() | / whole update |")
    print("|---|---|---|---|---|---|")
    for r in results:
        opt_c = statistics.median(r["opt_us"]["constant"])
        update_c = statistics.median(r["update_us"]["constant"])
        for which in r["recompiles"]:
            if which == "constant":
                continue
            added = statistics.median(r["sched_us"][which])
            print(
                f"| {r['optimizer']} | {r['lr']} | {which} | {added:.1f} | "
                f"{added / opt_c:.1%} of {opt_c:.0f} us | {added / update_c:.1%} of {update_c:.0f} us |"
            )
    for r in results:
        if r["lr"] == "tensor":
            m = statistics.median(ratios(r, "step_us", "lrkit"))
            u = statistics.median(ratios(r, "update_us", "lrkit"))
            n = r["recompiles"]["lrkit"]
            added = statistics.median(r["sched_us"]["lrkit"]) / statistics.median(r["opt_us"]["constant"])
            targets.append(
                f"{r['optimizer']}, tensor lr: {n} recompiles after warm-up ({verdict(n == 0)}); "
                f"optimizer.step() + scheduler.step() {m:.3f}x constant ({verdict(m <= 1.05)}), "
                f"whole update {u:.3f}x ({verdict(u <= 1.05)}); lr tensor kept: "
                f"{'yes' if r['same_lr_object'] else 'NO'}; rates as scheduled (eager reference): "
                f"{'yes' if r['rates_match'] else 'NO'}; scheduler.step() in place adds {added:.1%} of the "
                f"compiled optimizer step ({verdict(added <= 0.05)})"
            )
    print("\nWarm-up (first compiles and the optimizer-state recompile), graphs and graph breaks:\n")
    for r in results:
        print(
            f"- {r['optimizer']}/{r['lr']}: {r['warm_seconds']:.1f} s, {r['graphs_during_warmup']} graphs, "
            f"{r['graph_breaks_during_warmup']} graph breaks"
        )
        for reason in r["graph_break_reasons"]:
            print(f"  - graph break: {reason}")
        for reason in r["reasons"]:
            guards = [line.strip() for line in reason.splitlines() if re.match(r"\s*- \d+/\d+: ", line)]
            print(f"  - recompile after warm-up, newest failed guard: {(guards or [reason])[0][:160]}")
    print("\n### Targets\n")
    for line in targets:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
