"""The learning-rate range test: sweep the rate over N updates, record the loss, restore everything."""

from __future__ import annotations

import contextlib
import copy
import math
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.finder._result import RangeTestResult
from lrkit.finder._suggest import combine, smooth, suggest, suggestion_curve
from lrkit.schedules import Schedule, linear
from lrkit.schedules.exponential import exponential

__all__ = ["Snapshot", "find_lr"]

MODES = ("exponential", "linear")


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return copy.deepcopy(value)


class Snapshot:
    """Everything a range test changes, copied so that it can be put back exactly.

    The model's parameters (values, gradients, ``requires_grad``), buffers (batch-norm running
    statistics and counters, persistent or not), train/eval modes, the optimizer's state and every
    group option (rates included; tensor rates are refilled in place), a GradScaler's state, and the
    random number generators of torch (CPU and CUDA), numpy and Python.

    Example:
        >>> import torch
        >>> net = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> before = net.weight.clone()
        >>> snap = Snapshot(net, opt)
        >>> with torch.no_grad():
        ...     _ = net.weight.add_(1.0)
        >>> snap.restore_model()
        >>> torch.equal(net.weight, before)
        True
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, scaler: Any = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.params = [
            (p, p.detach().clone(), None if p.grad is None else p.grad.detach().clone(), p.requires_grad)
            for p in model.parameters()
        ]
        self.buffers = [
            (module, name, buffer, buffer.detach().clone())
            for module in model.modules()
            for name, buffer in module._buffers.items()
            if buffer is not None
        ]
        self.modes = [(module, module.training) for module in model.modules()]
        self.state = {p: {k: _clone(v) for k, v in s.items()} for p, s in optimizer.state.items()}
        self.groups = [{k: _clone(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.torch_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        self.numpy_rng = np.random.get_state()
        self.python_rng = random.getstate()

    def restore_model(self) -> None:
        """Put back the parameters, gradients, buffers, modes, optimizer and scaler (not the RNGs)."""
        with torch.no_grad():
            for p, value, grad, requires_grad in self.params:
                p.copy_(value)
                p.grad = None if grad is None else grad.clone()  # type: ignore[assignment]
                p.requires_grad_(requires_grad)
            for module, name, buffer, value in self.buffers:
                current = module._buffers.get(name)
                if current is buffer:
                    buffer.copy_(value)
                else:  # the module replaced its buffer: put the original object back
                    buffer.copy_(value)
                    module._buffers[name] = buffer
        for module, training in self.modes:
            module.training = training
        self.optimizer.state.clear()
        for tensor, saved_state in self.state.items():
            self.optimizer.state[tensor] = {k: _clone(v) for k, v in saved_state.items()}
        for group, saved in zip(self.optimizer.param_groups, self.groups, strict=True):
            for key in [k for k in group if k != "params" and k not in saved]:
                del group[key]
            for key, value in saved.items():
                current = group.get(key)
                if isinstance(current, torch.Tensor) and isinstance(value, torch.Tensor):
                    current.copy_(value)
                else:
                    group[key] = _clone(value)
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(copy.deepcopy(self.scaler_state))

    def restore_rng(self) -> None:
        """Put back the random number generators of torch, numpy and Python."""
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        np.random.set_state(self.numpy_rng)
        random.setstate(self.python_rng)

    def restore(self) -> None:
        """Put back everything."""
        self.restore_model()
        self.restore_rng()


def _to(batch: Any, device: torch.device | None) -> Any:
    if device is None:
        return batch
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(item, device) for item in batch)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


class _Cycle:
    """Batches from a loader, starting it again when it ends (a loader shorter than the sweep)."""

    def __init__(self, loader: Iterable[Any]) -> None:
        self.loader = loader
        self.iterator: Iterator[Any] = iter(loader)
        self.cycles = 0

    def next(self) -> Any:
        try:
            return next(self.iterator)
        except StopIteration:
            self.iterator = iter(self.loader)
            self.cycles += 1
            try:
                return next(self.iterator)
            except StopIteration:
                raise ValueError(
                    "Argument `loader` of find_lr() yields no batch: give a non-empty loader"
                ) from None


class _Progress:
    """tqdm when it is installed, else a line every 10% on stderr; nothing when disabled."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.done, self.bar = total, enabled, 0, None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="lrkit find", unit="update", leave=False)
            except ImportError:
                self.bar = None

    def update(self, lr: float, loss: float) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix(lr=f"{lr:.2e}", loss=f"{loss:.4g}", refresh=False)
            self.bar.update(1)
        elif self.done % max(1, self.total // 10) == 0 or self.done == self.total:
            print(f"lrkit find: {self.done}/{self.total} lr={lr:.2e} loss={loss:.4g}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _sweep(mode: str, start: float, end: float, steps: int) -> Schedule:
    if mode == "exponential":
        return exponential(start=start, end=end, steps=steps - 1)
    return linear(start, end, steps=steps - 1)


def _set_rates(optimizer: torch.optim.Optimizer, lr: float, ratios: tuple[float, ...]) -> None:
    for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
        value = lr * ratio
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(value)
        else:
            group["lr"] = value


def _all_ranks(value: float, device: torch.device) -> float:
    """The mean of `value` over the ranks of the default process group; NaN if any rank's is not finite."""
    bad = not math.isfinite(value)
    data = torch.tensor([0.0 if bad else value, 1.0 if bad else 0.0], dtype=torch.float64, device=device)
    torch.distributed.all_reduce(data)
    if data[1].item() > 0:
        return math.nan
    return float(data[0].item()) / torch.distributed.get_world_size()


def _float(value: Any) -> float:
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


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
    (the one with the largest rate); the others keep their ratio to it. Each update's loss (the
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
            across repeats. Default 1.
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
    sweep = _sweep(mode, start, end, steps)
    first = next(iter(model.parameters()), None)
    device_type = first.device.type if first is not None else "cpu"

    snapshot = Snapshot(model, optimizer, scaler)
    cycle = _Cycle(loader)
    bar = _Progress(steps * repeats, progress)
    curves: list[tuple[np.ndarray, np.ndarray]] = []
    runs = []
    reasons: list[str] = []
    skipped = 0
    try:
        for _ in range(repeats):
            snapshot.restore_model()
            model.train()
            lrs: list[float] = []
            losses: list[float] = []
            reason = "completed"
            best = math.inf
            average = 0.0
            misses = 0
            i = 0
            while i < steps:
                lr = float(sweep(i))
                _set_rates(optimizer, lr, ratios)
                optimizer.zero_grad(set_to_none=True)
                total = 0.0
                finite = True
                for _ in range(accumulate):
                    batch = _to(cycle.next(), target)
                    context = (
                        torch.autocast(device_type=device_type, dtype=autocast)
                        if autocast is not None
                        else contextlib.nullcontext()
                    )
                    with context:
                        if step is not None:
                            loss = step(model, batch)
                        else:
                            if not isinstance(batch, (list, tuple)) or len(batch) != 2:
                                raise ValueError(
                                    "find_lr() reads batches as (inputs, targets) pairs. Received: a "
                                    f"{type(batch).__name__}. Fix: pass step=lambda model, batch: <loss>"
                                )
                            loss = loss_fn(model(batch[0]), batch[1])  # type: ignore[misc]
                    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                        raise ValueError(
                            f"The loss must be a scalar tensor. Received: {type(loss).__name__}"
                            + (f" of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else "")
                        )
                    value = float(loss.detach().float())
                    if synced:
                        value = _all_ranks(value, loss.device)
                    if not math.isfinite(value):
                        finite = False
                        total = value
                        break
                    total += value
                    scaled = loss / accumulate
                    if scaler is not None:
                        scaler.scale(scaled).backward()
                    else:
                        scaled.backward()  # type: ignore[no-untyped-call]
                if not finite:
                    reason = f"non-finite loss ({total}) at lr {lr:.3g}"
                    break
                if scaler is not None:
                    before = float(scaler.get_scale())
                    scaler.step(optimizer)
                    scaler.update()
                    if float(scaler.get_scale()) < before:  # the scaler backed off: the update was skipped
                        skipped += 1
                        misses += 1
                        if misses > steps:
                            reason = f"the GradScaler skipped more than {steps} updates in a row"
                            break
                        continue
                    misses = 0
                else:
                    optimizer.step()
                loss_value = total / accumulate
                lrs.append(lr)
                losses.append(loss_value)
                average = smoothing * average + (1.0 - smoothing) * loss_value
                smoothed = average / (1.0 - smoothing ** len(losses))
                best = min(best, smoothed)
                bar.update(lr, loss_value)
                i += 1
                if diverge is not None and smoothed > diverge * best:
                    reason = (
                        f"diverged: the smoothed loss {smoothed:.4g} > {diverge:g} x best {best:.4g} "
                        f"at lr {lr:.3g}"
                    )
                    break
            x = np.asarray(lrs, dtype=np.float64)
            y = np.asarray(losses, dtype=np.float64)
            curves.append((x, y))
            reasons.append(reason)
            runs.append(suggest(x, y, beta=smoothing, skip_start=skip_start, skip_end=skip_end))
    finally:
        bar.close()
        snapshot.restore()

    x, y = curves[0]
    found = combine(runs)
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
        curves=tuple(curves),
    )
