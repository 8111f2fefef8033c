"""`find_lr`: check the arguments, snapshot, sweep (once per repeat), suggest, restore.

The parts live in their own modules: `_snapshot` (what is copied and put back), `_sweep` (one
sweep's updates), `_suggest` (reading the curve), `_result` (the result object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.finder._groups import differ, spread_of
from lrkit.finder._result import RangeTestResult
from lrkit.finder._snapshot import Snapshot
from lrkit.finder._suggest import Suggestion, combine, smooth, suggest, suggestion_curve
from lrkit.finder._sweep import Plan, _Cycle, _float, _Progress, rates_of, sweep

__all__ = ["Snapshot", "find_lr"]

MODES = ("exponential", "linear")


def find_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor] | None = None,
    loader: Iterable[Any] | None = None,
    *,
    step: Callable[[nn.Module, Any], torch.Tensor] | None = None,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    mode: str = "exponential",
    smoothing: float = 0.98,
    diverge: float | None = 4.0,
    accumulate: int = 1,
    scaler: Any = None,
    autocast: torch.dtype | None = None,
    device: torch.device | str | None = None,
    repeats: int = 1,
    skip_start: int | None = None,
    skip_end: int = 5,
    progress: bool = True,
    distributed: bool | None = None,
) -> RangeTestResult:
    """Run Smith's learning-rate range test, suggest rates, and restore everything exactly.

    The rate of update ``i`` (``i = 0 .. N-1``, ``N = steps``) is ``start * (end / start) **
    (i / (N - 1))`` (``mode="exponential"``, lrkit's ``exponential(start=start, end=end,
    steps=N-1)``) or ``start + (end - start) * i / (N - 1)`` (``"linear"``): the first update runs
    at `start`, the last at `end`. With several parameter groups the rate is the reference group's
    (the one with the largest rate); the others keep their ratio to it. When the trainable groups
    have different rates (differential rates, fine-tuning), a second sweep (as many updates) runs
    with every trainable group at the swept rate, and the suggestion combines both
    (`RangeTestResult.suggestion`, method "groups": see docs/finder.md). Each update's loss (the
    mean over `accumulate` micro-batches, measured before the update) is one point; the smoothed
    loss is a debiased moving average (`lrkit.finder.smooth`). The sweep stops early when the
    smoothed loss exceeds ``diverge`` times its best, or on a NaN/inf loss.

    Afterwards the model's parameters (bit for bit), gradients, buffers (batch-norm statistics),
    train/eval modes, the optimizer's state and rates, the scaler and the random number
    generators (torch, numpy, Python) are exactly as before, so a training run afterwards is the
    same as without the test.

    Batches: by default each batch is ``(inputs, targets)`` and the loss is
    ``loss_fn(model(inputs), targets)``. Anything else (dict batches, several inputs, a model
    that returns its loss) goes through `step`: ``step(model, batch) -> loss``, the forward pass
    only (the test does the backward pass, the scaling and the update). A loader shorter than the
    sweep is started again.

    Args:
        model: the model.
        optimizer: its optimizer (every parameter it updates must be the model's).
        loss_fn: ``loss_fn(outputs, targets) -> scalar``; not needed with `step`.
        loader: an iterable of batches (re-iterable to be cycled).
        step: ``step(model, batch) -> scalar loss tensor``, instead of the (inputs, targets)
            contract.
        start: the first rate, > 0. Default 1e-7.
        end: the last rate, > start. Default 10.
        steps: the number of updates N, >= 2 (points, unless it stops early). Default 100.
        mode: "exponential" or "linear".
        smoothing: the moving average's factor in [0, 1). Default 0.98.
        diverge: stop when the smoothed loss exceeds this multiple (> 1) of its best; None never
            stops on divergence (still on NaN/inf). Default 4.
        accumulate: micro-batches per update (gradient accumulation), >= 1: one point per update.
        scaler: a ``torch.amp.GradScaler`` for mixed precision; an update it skips (inf/NaN
            gradients) adds no point and does not advance the sweep.
        autocast: a dtype (``torch.float16``, ``torch.bfloat16``) to run the forward pass under
            ``torch.autocast``; None for none.
        device: move tensors of each batch there first; None leaves them where they are.
        repeats: run the sweep this many times (on successive batches, from the same starting
            state); the suggestions become the geometric median and the interval the spread
            across repeats. Default 1. (With different group rates, each of the two sweeps.)
        skip_start, skip_end: points left out of the suggestions (see `lrkit.finder.suggest`).
        progress: show a progress bar (tqdm if installed, else a line every 10% on stderr).
        distributed: average each micro-batch's loss over the ranks of the default
            ``torch.distributed`` process group (all ranks record the same curve, stop at the same
            update and suggest the same rates; a NaN/inf on any rank stops every rank before its
            backward pass, so DDP never waits on a rank that left). None (default): when a process
            group is initialized. Every rank must call `find_lr` with the same arguments.

    Returns:
        A `RangeTestResult`: ``lrs``, ``losses``, ``smoothed``, ``suggestions``, ``plot()``,
        ``apply(optimizer)``, ``schedule(kind)``.

    Raises:
        ValueError: a bad argument, an empty loader, a loss that is not a scalar, parameters
            of the optimizer that are not the model's.
        TypeError: arguments of the wrong type.

    Example:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(64, 4); y = (x.sum(1) > 0).long()
        >>> net = torch.nn.Linear(4, 2)
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> before = net.weight.clone()
        >>> loader = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
        >>> result = find_lr(net, opt, torch.nn.functional.cross_entropy, loader,
        ...                  start=1e-4, end=100.0, steps=60, progress=False)
        >>> torch.equal(net.weight, before), opt.param_groups[0]["lr"]
        (True, 0.1)
        >>> result.updates <= 60, float(result.lrs[0])
        (True, 0.0001)

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017.
    """
    owner = "find_lr"
    if not isinstance(model, nn.Module):
        raise fail(owner, "model", type(model).__name__, "a torch.nn.Module", kind=TypeError)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise fail(owner, "optimizer", type(optimizer).__name__, "a torch.optim.Optimizer", kind=TypeError)
    if step is None and not callable(loss_fn):
        raise fail(
            owner,
            "loss_fn",
            loss_fn,
            "a callable loss_fn(outputs, targets) (or give `step=`)",
            kind=TypeError,
        )
    if step is not None and not callable(step):
        raise fail(owner, "step", step, "a callable step(model, batch) -> loss", kind=TypeError)
    if loader is None or not isinstance(loader, Iterable) or isinstance(loader, (str, bytes)):
        raise fail(owner, "loader", type(loader).__name__, "an iterable of batches", kind=TypeError)
    start = check_number(owner, "start", start, low=0.0, low_open=True)
    end = check_number(owner, "end", end, low=start, low_open=True)
    steps = check_int(owner, "steps", steps, low=2)
    check_choice(owner, "mode", mode, MODES)
    smoothing = check_number(owner, "smoothing", smoothing, low=0.0, high=1.0, high_open=True)
    if diverge is not None:
        diverge = check_number(owner, "diverge", diverge, low=1.0, low_open=True)
    accumulate = check_int(owner, "accumulate", accumulate, low=1)
    repeats = check_int(owner, "repeats", repeats, low=1)
    if autocast is not None and not isinstance(autocast, torch.dtype):
        raise fail(
            owner,
            "autocast",
            autocast,
            "a torch dtype (torch.bfloat16, torch.float16) or None",
            kind=TypeError,
        )
    if scaler is not None and not all(hasattr(scaler, a) for a in ("scale", "step", "update", "get_scale")):
        raise fail(owner, "scaler", type(scaler).__name__, "a torch.amp.GradScaler or None", kind=TypeError)
    target = torch.device(device) if device is not None else None
    if distributed is None:
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    elif not isinstance(distributed, bool):
        raise fail(owner, "distributed", distributed, "True, False or None", kind=TypeError)
    elif distributed and not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        raise fail(owner, "distributed", distributed, "False or None without an initialized process group")
    synced = bool(distributed)

    own = {id(p) for p in model.parameters()}
    for i, group in enumerate(optimizer.param_groups):
        if any(id(p) not in own for p in group["params"]):
            raise ValueError(
                f"Optimizer group {i} ({group.get('name', 'no name')!r}) updates tensors that are not "
                f"parameters of the model, which find_lr() could not restore. Fix: pass the model "
                f"the optimizer was built for"
            )
    rates = [_float(g["lr"]) for g in optimizer.param_groups]
    reference = int(np.argmax(rates))
    ratios = tuple(r / rates[reference] if rates[reference] > 0 else 1.0 for r in rates)
    first = next(iter(model.parameters()), None)
    device_type = first.device.type if first is not None else "cpu"

    plan = Plan(
        schedule=rates_of(mode, start, end, steps),
        steps=steps,
        ratios=ratios,
        accumulate=accumulate,
        smoothing=smoothing,
        diverge=diverge,
        loss_fn=loss_fn,
        step=step,
        scaler=scaler,
        autocast=autocast,
        device=target,
        device_type=device_type,
        synced=synced,
    )
    snapshot = Snapshot(model, optimizer, scaler)
    cycle = _Cycle(loader)
    # NOTE: with different group rates, a second sweep with every trainable group (ratio > 0) at
    # one rate: the first sweep reads the group with the largest rate, the second the whole model.
    plans = [plan]
    if differ(ratios):
        one = tuple(1.0 if r > 0.0 else 0.0 for r in ratios)
        plans.append(dataclasses.replace(plan, ratios=one))
    bar = _Progress(steps * repeats * len(plans), progress)
    curves: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in plans]
    runs: list[list[dict[str, Suggestion]]] = [[] for _ in plans]
    reasons: list[str] = []
    skipped = 0
    try:
        for k, current in enumerate(plans):
            for _ in range(repeats):
                snapshot.restore_model()
                model.train()
                lrs, losses, reason, missed = sweep(current, model, optimizer, cycle, bar)
                skipped += missed
                x = np.asarray(lrs, dtype=np.float64)
                y = np.asarray(losses, dtype=np.float64)
                curves[k].append((x, y))
                if k == 0:
                    reasons.append(reason)
                runs[k].append(suggest(x, y, beta=smoothing, skip_start=skip_start, skip_end=skip_end))
    finally:
        bar.close()
        snapshot.restore()

    x, y = curves[0][0]
    found = combine(runs[0])
    sizes = [sum(p.numel() for p in g["params"] if p.requires_grad) for g in optimizer.param_groups]
    return RangeTestResult(
        lrs=x,
        losses=y,
        smoothed=smooth(y, smoothing) if y.size else y,
        centered=suggestion_curve(y, beta=smoothing, skip_start=skip_start, skip_end=skip_end),
        suggestions=found,
        stop_reason=reasons[0]
        if repeats == 1
        else "; ".join(f"repeat {k}: {r}" for k, r in enumerate(reasons)),
        updates=len(x),
        skipped=skipped,
        reference=reference,
        ratios=ratios,
        curves=tuple(curves[0]),
        together=combine(runs[1]) if len(plans) > 1 else None,
        together_curves=tuple(curves[1]) if len(plans) > 1 else (),
        spread=spread_of(ratios, sizes),
    )
