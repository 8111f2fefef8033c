"""One sweep of the range test: raise the rate update by update, record each update's loss.

`sweep` runs the updates of one repeat (batches, accumulation, autocast, a GradScaler, the
distributed loss average, the early stop); `find_lr` (`lrkit.finder._run`) checks the arguments,
takes the `Snapshot`, repeats the sweep and reads the suggestions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from lrkit.schedules import Schedule, linear
from lrkit.schedules.exponential import exponential

__all__ = ["Plan", "rates_of", "sweep"]


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


def rates_of(mode: str, start: float, end: float, steps: int) -> Schedule:
    """The sweep's rate at update i: exponential or linear from `start` (i = 0) to `end` (i = steps - 1)."""
    return _sweep(mode, start, end, steps)


@dataclasses.dataclass(frozen=True)
class Plan:
    """The settings of a sweep, checked by `find_lr`."""

    schedule: Schedule
    steps: int
    ratios: tuple[float, ...]
    accumulate: int
    smoothing: float
    diverge: float | None
    loss_fn: Callable[[Any, Any], torch.Tensor] | None
    step: Callable[[nn.Module, Any], torch.Tensor] | None
    scaler: Any
    autocast: torch.dtype | None
    device: torch.device | None
    device_type: str
    synced: bool


def sweep(
    plan: Plan, model: nn.Module, optimizer: torch.optim.Optimizer, cycle: _Cycle, bar: _Progress
) -> tuple[list[float], list[float], str, int]:
    """Run one sweep from the current state: ``(rates, losses, stop reason, updates skipped by AMP)``."""
    steps, ratios, accumulate = plan.steps, plan.ratios, plan.accumulate
    smoothing, diverge, scaler, autocast = plan.smoothing, plan.diverge, plan.scaler, plan.autocast
    step, loss_fn, target, synced = plan.step, plan.loss_fn, plan.device, plan.synced
    skipped = 0
    lrs: list[float] = []
    losses: list[float] = []
    reason = "completed"
    best = math.inf
    average = 0.0
    misses = 0
    i = 0
    while i < steps:
        lr = float(plan.schedule(i))
        _set_rates(optimizer, lr, ratios)
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        finite = True
        for _ in range(accumulate):
            batch = _to(cycle.next(), target)
            context = (
                torch.autocast(device_type=plan.device_type, dtype=autocast)
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
                f"diverged: the smoothed loss {smoothed:.4g} > {diverge:g} x best {best:.4g} at lr {lr:.3g}"
            )
            break
    return lrs, losses, reason, skipped
