"""Benchmark: microseconds per ``scheduler.step()``, lrkit.Scheduler against torch's schedulers.

For 1, 10, 100 and 1000 parameter groups, with float and with tensor learning rates, it times
``step()`` of:

* the floors: a bare loop ``g["lr"] = v`` (float) or ``g["lr"].fill_(v)`` (tensor), the least any
  scheduler can do;
* torch: CosineAnnealingLR, OneCycleLR (with and without its default momentum cycling),
  SequentialLR(LinearLR -> CosineAnnealingLR), a LambdaLR with the same warmup + cosine, and
  MultiStepLR;
* lrkit.Scheduler with the same curves written in lrkit (``cosine()``, ``one_cycle(...)``,
  ``warmup(cosine(), steps=10, start=0.01)``, ``multi_step([30, 80])``). After the timing, the
  rates of the cases that follow the same curve are checked to agree, so the comparison is between
  equivalent schedulers.

Method (as in the baseline measurements of torch): one SGD optimizer per case, each group holding
one ``torch.zeros(1)`` parameter; ``optimizer.step()`` is called once and not timed; horizons are
1e9 steps, so nothing ends during timing; torch uses one thread. A sample is a block of K
consecutive ``step()`` calls with the garbage collector off (K = 2000/1000/200/25 for 1/10/100/1000
groups, halved for tensor lrs); the blocks of all cases are interleaved (the order rotates every
repeat), 21 repeats. Cells are medians with the p25-p75 spread and the minimum; ratios torch / lrkit
are the ratio of the medians from the same run, with the p25-p75 of the per-repeat ratios in
brackets and the ratio of the minima (the least disturbed samples) in parentheses. The machine may
be shared and noisy: trust the ratios more than the absolute microseconds.

The timed blocks call ``step()`` with no ``optimizer.step()`` between calls, which lrkit's skip
detection would read as skipped updates (see ``lrkit.scheduler._detect``); so the lrkit cases are
built with ``detect_skips=False``. In a training loop, where ``optimizer.step()`` comes first, the
same fast path runs, plus one check of the step hook's flag.

Targets: lrkit no slower than torch at 1 group; at least 5x faster at 1000 groups, float and tensor.

    python bench/step_overhead.py            # a few minutes on 2 cores
    python bench/step_overhead.py --quick    # fewer and shorter blocks, a smoke test
    python bench/step_overhead.py --families floor torch lrkit --groups 1 1000 --lr tensor

Cases are registered by family: each function in `FAMILIES` returns a list of `Case`; `PAIRS` lists
the ratio rows. To add a family (say, lrkit.compat's classes), write a function returning cases,
append it to `FAMILIES` and add its ratio rows to `PAIRS`.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.optim import lr_scheduler as tls

from lrkit import absolute, cosine, multi_step, one_cycle, warmup
from lrkit.scheduler import Scheduler

T = 10**9  # horizon of every schedule: nothing ends during timing
LR = 0.1
WARMUP = 10  # warmup steps of the warmup + cosine cases (timing starts after them)
WARM_START = 0.01  # the warmup's first factor
MILESTONES = [30, 80]
PCT = 0.3  # OneCycleLR's pct_start
BASE_MOMENTUM, MAX_MOMENTUM = 0.85, 0.95
GROUPS = (1, 10, 100, 1000)
BLOCK = {1: 2000, 10: 1000, 100: 200, 1000: 25}  # K for float lrs; halved for tensors

Stepper = Callable[[], object]


@dataclass(frozen=True)
class Case:
    """One timed row: ``build(optimizer, horizon)`` returns the function called once per step.

    ``horizon`` is the run's length in steps (1e9 when timing). ``curve`` names the learning-rate
    curve the case follows: the cases of one curve must give the same rates (and momentum, when
    ``momentum`` is set) after every step of a short run, which `check_agreement` verifies.
    A ``tensor_only`` case is timed with tensor lrs only.
    """

    name: str
    build: Callable[[torch.optim.Optimizer, int], Stepper]
    curve: str | None = None
    momentum: bool = False
    tensor_only: bool = False


# -- the case families ---------------------------------------------------------------------------


def floor_cases() -> list[Case]:
    """The bare loops: the cheapest possible update of every group."""

    def build(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        groups = opt.param_groups
        if isinstance(groups[0]["lr"], torch.Tensor):

            def fill() -> None:
                for g in groups:
                    g["lr"].fill_(LR)

            return fill

        def assign() -> None:
            for g in groups:
                g["lr"] = LR

        return assign

    def numpy_views(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        # What writing CPU tensor lrs without torch's dispatcher would cost (no version-counter bump).
        views = [g["lr"].numpy() for g in opt.param_groups]

        def write() -> None:
            for view in views:
                view[()] = LR

        return write

    return [
        Case("floor (g['lr'] = v / fill_)", build),
        Case("floor, tensors written through numpy views", numpy_views, tensor_only=True),
    ]


def _warmup_cosine(horizon: int) -> Callable[[int], float]:
    """The warmup + cosine of the SequentialLR case, as one function of the step count."""

    def factor(step: int) -> float:
        if step < WARMUP:
            return WARM_START + (1.0 - WARM_START) * step / WARMUP
        return 0.5 * (1.0 + math.cos(math.pi * (step - WARMUP) / (horizon - WARMUP)))

    return factor


def _api_cases(api: Any, label: str) -> list[Case]:
    """torch.optim.lr_scheduler's constructor calls, made on `api` (torch's module or lrkit.compat,
    which takes the same calls), timed with a horizon of 1e9 steps."""

    def cos(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return api.CosineAnnealingLR(opt, T_max=horizon).step

    def onecycle(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return api.OneCycleLR(opt, max_lr=LR, total_steps=horizon, pct_start=PCT, cycle_momentum=False).step

    def onecycle_momentum(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        cycle = api.OneCycleLR(
            opt,
            max_lr=LR,
            total_steps=horizon,
            pct_start=PCT,
            base_momentum=BASE_MOMENTUM,
            max_momentum=MAX_MOMENTUM,
        )
        return cycle.step

    def sequential(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        ramp = api.LinearLR(opt, start_factor=WARM_START, total_iters=WARMUP)
        decay = api.CosineAnnealingLR(opt, T_max=horizon - WARMUP)
        return api.SequentialLR(opt, [ramp, decay], milestones=[WARMUP]).step

    def lambda_(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return api.LambdaLR(opt, _warmup_cosine(horizon)).step

    def multistep(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return api.MultiStepLR(opt, MILESTONES).step

    fns = (cos, onecycle, onecycle_momentum, sequential, lambda_, multistep)
    return [
        Case(f"{label} {name}", fn, curve, momentum=curve == "one-cycle+momentum")
        for name, fn, curve in zip(API_NAMES, fns, API_CURVES, strict=True)
    ]


#: The torch-API cases: their names (after "torch " or "compat "), curves and ratio-row labels.
API_NAMES = [
    "CosineAnnealingLR",
    "OneCycleLR(cycle_momentum=False)",
    "OneCycleLR (momentum cycling)",
    "SequentialLR(LinearLR, CosineAnnealingLR)",
    "LambdaLR(warmup + cosine)",
    "MultiStepLR",
]
API_CURVES = ["cosine", "one-cycle", "one-cycle+momentum", "warmup+cosine", "warmup+cosine", "multi-step"]
API_ROWS = [
    "CosineAnnealingLR",
    "OneCycleLR",
    "OneCycleLR + momentum",
    "SequentialLR",
    "LambdaLR",
    "MultiStepLR",
]


def torch_cases() -> list[Case]:
    """torch.optim.lr_scheduler's classes (timed with a horizon of 1e9 steps)."""
    return _api_cases(tls, "torch")


def _one_cycle_shape(horizon: int, **values: Any) -> Any:
    # torch's phases end at the float steps pct * N - 1 and N - 1 (see lrkit.presets.pytorch.OneCycleLR).
    return one_cycle(steps=horizon - 1, peak_at=(PCT * horizon - 1) / (horizon - 1), **values)


def _lrkit(opt: torch.optim.Optimizer, schedule: Any, horizon: int, **kwargs: Any) -> Stepper:
    """lrkit.Scheduler as a user makes it. For tensor lrs that is ``tensor_lr=True`` on float
    groups (lrkit makes one 0-dim tensor per group, as views of one buffer, and writes them all
    with one ``copy_``); torch's cases get a tensor per group, the only way torch has."""
    tensor = isinstance(opt.param_groups[0]["lr"], torch.Tensor)
    if tensor:
        for g in opt.param_groups:
            g["lr"] = float(g["lr"])
    return Scheduler(opt, schedule, total=horizon, tensor_lr=tensor, detect_skips=False, **kwargs).step


def lrkit_cases() -> list[Case]:
    """lrkit.Scheduler with the same curves, written as a user would write them in lrkit."""

    def cos(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return _lrkit(opt, cosine(), horizon)

    def cos_own_tensors(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        # The user's own tensor per group (as torch needs): one fill_ per group.
        return Scheduler(opt, cosine(), total=horizon, detect_skips=False).step

    def onecycle(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return _lrkit(opt, _one_cycle_shape(horizon), horizon)

    def onecycle_momentum(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        for g in opt.param_groups:
            g["momentum"] = BASE_MOMENTUM
        cycle = _one_cycle_shape(horizon, start=absolute(MAX_MOMENTUM), end=absolute(MAX_MOMENTUM))
        return _lrkit(opt, _one_cycle_shape(horizon), horizon, hparams={"momentum": cycle})

    def warm(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return _lrkit(opt, warmup(cosine(), steps=WARMUP, start=WARM_START), horizon)

    def multistep(opt: torch.optim.Optimizer, horizon: int) -> Stepper:
        return _lrkit(opt, multi_step(MILESTONES), horizon)

    return [
        Case("lrkit cosine(), the user's own tensors", cos_own_tensors, "cosine", tensor_only=True),
        Case("lrkit cosine()", cos, "cosine"),
        Case("lrkit one_cycle()", onecycle, "one-cycle"),
        Case("lrkit one_cycle() + momentum", onecycle_momentum, "one-cycle+momentum", momentum=True),
        Case("lrkit warmup(cosine())", warm, "warmup+cosine"),
        Case("lrkit multi_step()", multistep, "multi-step"),
    ]


#: The case families, in the order of the tables. Append a function to add a family.
FAMILIES: list[Callable[[], list[Case]]] = [floor_cases, torch_cases, lrkit_cases]

#: Ratio rows: (label, numerator case, denominator case); the ratio is numerator / denominator.
PAIRS: list[tuple[str, str, str]] = [
    ("cosine", "torch CosineAnnealingLR", "lrkit cosine()"),
    ("one-cycle", "torch OneCycleLR(cycle_momentum=False)", "lrkit one_cycle()"),
    ("one-cycle + momentum", "torch OneCycleLR (momentum cycling)", "lrkit one_cycle() + momentum"),
    (
        "warmup+cosine: Sequential",
        "torch SequentialLR(LinearLR, CosineAnnealingLR)",
        "lrkit warmup(cosine())",
    ),
    ("warmup+cosine: LambdaLR", "torch LambdaLR(warmup + cosine)", "lrkit warmup(cosine())"),
    ("multi-step", "torch MultiStepLR", "lrkit multi_step()"),
]

#: The target checks: (label, pairs, groups, lowest acceptable torch / lrkit ratio).
TARGETS: list[tuple[str, list[str], int, float]] = [
    ("no slower than torch at 1 group", [p[0] for p in PAIRS], 1, 1.0),
    (">= 5x faster than torch at 1000 groups", [p[0] for p in PAIRS], 1000, 5.0),
]


# -- lrkit.compat: torch's constructor calls with the import changed --------------------------------


def compat_cases() -> list[Case]:
    """lrkit.compat's classes, built exactly as the torch cases (same arguments, same curves)."""
    from lrkit import compat

    return _api_cases(compat, "compat")


FAMILIES.append(compat_cases)
# Appended after TARGETS on purpose: the targets are lrkit.Scheduler's; these rows are reported only.
PAIRS.extend(
    (f"compat: {row}", f"torch {name}", f"compat {name}")
    for row, name in zip(API_ROWS, API_NAMES, strict=True)
)


# -- measurement ---------------------------------------------------------------------------------


def make_optimizer(n_groups: int, tensor: bool) -> torch.optim.Optimizer:
    """SGD over `n_groups` groups of one zero parameter each; float or per-group tensor lrs."""
    groups: list[dict[str, Any]] = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": torch.tensor(LR) if tensor else LR}
        for _ in range(n_groups)
    ]
    return torch.optim.SGD(groups, lr=LR, momentum=0.9)


def start(case: Case, n_groups: int, tensor: bool, horizon: int) -> tuple[torch.optim.Optimizer, Stepper]:
    """A fresh optimizer and the case's step function; one untimed optimizer step, as in training."""
    opt = make_optimizer(n_groups, tensor)
    step = case.build(opt, horizon)
    opt.step()
    return opt, step


def time_block(step: Stepper, k: int) -> float:
    """Microseconds per call over `k` consecutive calls, with the garbage collector off."""
    gc.disable()
    try:
        begin = time.perf_counter_ns()
        for _ in range(k):
            step()
        end = time.perf_counter_ns()
    finally:
        gc.enable()
    return (end - begin) / k / 1000.0


def measure(cases: list[Case], n_groups: int, tensor: bool, repeats: int, k: int) -> dict[str, list[float]]:
    """Per case, `repeats` samples (us per step) of interleaved blocks of `k` steps."""
    steps = {case.name: start(case, n_groups, tensor, T)[1] for case in cases}
    for case in cases:  # warm-up: past the warmups and milestones, caches filled
        for _ in range(max(k, 2 * WARMUP, MILESTONES[-1] + 1)):
            steps[case.name]()
    samples: dict[str, list[float]] = {case.name: [] for case in cases}
    for r in range(repeats):
        shift = r % len(cases)
        for case in cases[shift:] + cases[:shift]:
            samples[case.name].append(time_block(steps[case.name], k))
    return samples


def check_agreement(cases: list[Case], tensor: bool, horizon: int = 200, n_groups: int = 2) -> list[str]:
    """The cases of one curve give the same rates (and momentum) after each of `horizon` steps.

    Run on a short horizon, where every part of the curves is visited; float32 tensor lrs and
    torch's recursive ("chainable") forms differ from the closed forms by rounding only.
    """
    tolerance = 1e-5 if tensor else 1e-9
    by_curve: dict[str, list[Case]] = {}
    for case in cases:
        if case.curve is not None:
            by_curve.setdefault(case.curve, []).append(case)
    problems = []
    for curve, members in by_curve.items():
        runs = [start(case, n_groups, tensor, horizon) for case in members]
        keys = ("lr", "momentum") if members[0].momentum else ("lr",)
        bad: set[str] = set()
        for i in range(horizon - 1):  # OneCycleLR refuses to step past its total
            for (opt, _), case in zip(runs, members, strict=True):
                for key in keys:
                    a, b = _values(runs[0][0], key), _values(opt, key)
                    same = (
                        math.isclose(x, y, rel_tol=tolerance, abs_tol=1e-12)
                        for x, y in zip(a, b, strict=True)
                    )
                    if case.name not in bad and not all(same):
                        bad.add(case.name)
                        problems.append(
                            f"{curve}, after {i} steps: {members[0].name} {key}={a[0]!r}, "
                            f"{case.name} {key}={b[0]!r}"
                        )
            for _, step in runs:
                step()
    return problems


def _values(opt: torch.optim.Optimizer, key: str) -> list[float]:
    return [float(g[key]) for g in opt.param_groups]


# -- report --------------------------------------------------------------------------------------


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """Median, p25 and p75."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[1], q[0], q[2]


def fmt(x: float) -> str:
    """Three significant figures (no exponent for the sizes seen here)."""
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def spread(values: list[float]) -> str:
    """``median [p25-p75] (min)``."""
    m, lo, hi = quartiles(values)
    return f"{fmt(m)} [{fmt(lo)}-{fmt(hi)}] ({fmt(min(values))})"


def ratio(
    cells: dict[int, dict[str, list[float]]], pair: tuple[str, str, str], n: int
) -> tuple[float, float, str]:
    """numerator / denominator: ratio of medians, the p25-p75 of the per-repeat ratios, ratio of minima.

    The minima are the least disturbed samples on a shared machine whose speed changes in phases.
    """
    _, num, den = pair
    a, b = cells[n][num], cells[n][den]
    value = statistics.median(a) / statistics.median(b)
    _, lo, hi = quartiles([x / y for x, y in zip(a, b, strict=True)])
    minima = min(a) / min(b)
    return value, minima, f"**{fmt(value)}** [{fmt(lo)}-{fmt(hi)}] ({fmt(minima)})"


def report(kind: str, cells: dict[int, dict[str, list[float]]], cases: list[Case]) -> list[str]:
    """Print the tables for one kind of lr; return the target lines."""
    groups = sorted(cells)
    head = "| case | " + " | ".join(f"{n} group{'s' if n > 1 else ''}" for n in groups) + " |"
    rule = "|---|" + "---|" * len(groups)
    print(f"\n### lr as a {kind}: us per step(), median [p25-p75] (min)\n")
    print(head)
    print(rule)
    for case in cases:
        print(f"| {case.name} | " + " | ".join(spread(cells[n][case.name]) for n in groups) + " |")
    names = {case.name for case in cases}
    pairs = [p for p in PAIRS if p[1] in names and p[2] in names]
    if not pairs:
        return []
    print(
        f"\n### lr as a {kind}: torch / lrkit, ratio of medians "
        "[p25-p75 of per-repeat ratios] (ratio of minima)\n"
    )
    print(head.replace("| case |", "| curve |"))
    print(rule)
    for pair in pairs:
        print(f"| {pair[0]} | " + " | ".join(ratio(cells, pair, n)[2] for n in groups) + " |")
    lines = []
    for label, wanted, n, low in TARGETS:
        if n not in cells:
            continue
        got = {p[0]: ratio(cells, p, n)[0] for p in pairs if p[0] in wanted}
        minima = {p[0]: ratio(cells, p, n)[1] for p in pairs if p[0] in wanted}
        if not got:
            continue
        worst = min(got, key=got.__getitem__)
        verdict = "met" if got[worst] >= low else "MISSED"
        least = min(minima, key=minima.__getitem__)
        lines.append(
            f"{kind} lr, {label}: {verdict} (lowest ratio of medians {fmt(got[worst])}, {worst}; "
            f"lowest ratio of minima {fmt(minima[least])}, {least})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every case family at every size, print the tables, the ratios and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 repeats of blocks 4x shorter")
    parser.add_argument("--repeats", type=int, default=None, help="blocks per case (default 21)")
    parser.add_argument("--groups", type=int, nargs="+", default=list(GROUPS), choices=GROUPS)
    parser.add_argument("--lr", choices=("float", "tensor", "both"), default="both")
    parser.add_argument(
        "--families", nargs="+", metavar="NAME", help="only these families (floor, torch, lrkit, ...)"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 21)
    torch.set_num_threads(1)
    families = [
        f for f in FAMILIES if not args.families or f.__name__.removesuffix("_cases") in args.families
    ]
    every = [case for family in families for case in family()]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread; {repeats} repeats; "
        f"{len(every)} cases; horizon {T:.0e} steps"
    )
    kinds = ("float", "tensor") if args.lr == "both" else (args.lr,)
    targets: list[str] = []
    for kind in kinds:
        cases = [case for case in every if kind == "tensor" or not case.tensor_only]
        cells = {}
        for n in args.groups:
            k = BLOCK[n] // (2 if kind == "tensor" else 1) // (4 if args.quick else 1)
            cells[n] = measure(cases, n, kind == "tensor", repeats, max(k, 1))
        targets += report(kind, cells, cases)
        problems = check_agreement(cases, kind == "tensor")
        targets += [f"{kind} lr: the rates DISAGREE: {p}" for p in problems]
        if not problems:
            targets.append(f"{kind} lr: the cases of each curve agree at every step of a 200-step run")
    print("\n### Targets\n")
    for line in targets:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
