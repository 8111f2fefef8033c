"""Side-by-side runs of a torch scheduler and its lrkit.compat twin (shared by the compat tests)."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import lrkit.compat as compat

#: torch's namespace with SWALR added, so that one builder serves both libraries.
TORCH = types.SimpleNamespace(**vars(torch.optim.lr_scheduler), SWALR=torch.optim.swa_utils.SWALR)
COMPAT = compat
BASES = (0.1, 0.03, 1.0)
RTOL = 1e-12


def make_optimizer(bases: Sequence[float] = BASES, kind: str = "sgd") -> torch.optim.Optimizer:
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in bases]
    groups = [{"params": [p], "lr": b} for p, b in zip(params, bases, strict=True)]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.5)
    return torch.optim.SGD(groups, lr=0.5, momentum=0.9)


def _momentum(group: dict[str, Any]) -> float:
    return float(group["betas"][0]) if "betas" in group else float(group.get("momentum", 0.0))


def run(
    build: Callable[[torch.optim.Optimizer, Any], Any],
    ns: Any,
    steps: int,
    *,
    bases: Sequence[float] = BASES,
    kind: str = "sgd",
    metrics: Sequence[float] | None = None,
) -> np.ndarray:
    """Rows: after construction, then after each step; columns: every group's lr, then momentum."""
    opt = make_optimizer(bases, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = build(opt, ns)
        rows = [[float(g["lr"]) for g in opt.param_groups] + [_momentum(g) for g in opt.param_groups]]
        for i in range(steps):
            opt.step()
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[i])
            rows.append([float(g["lr"]) for g in opt.param_groups] + [_momentum(g) for g in opt.param_groups])
    return np.array(rows, dtype=np.float64)


def relative_difference(ours: np.ndarray, ref: np.ndarray) -> float:
    """The largest relative difference, counting as equal what torch's recursive forms leave at
    about zero (within 1e-15 of each column's largest value, e.g. LinearLR ending at -1.7e-17)."""
    atol = 1e-15 * np.max(np.abs(ref), axis=0)
    diff = np.abs(ours - ref)
    rel = np.where(diff <= atol, 0.0, diff / np.maximum(np.abs(ref), 1e-300))
    return float(np.max(rel)) if rel.size else 0.0


#: Class name -> (largest relative difference seen, configurations compared); printed at the end.
WORST: dict[str, tuple[float, int]] = {}


def record(name: str, difference: float) -> None:
    worst, count = WORST.get(name, (0.0, 0))
    WORST[name] = (max(worst, difference), count + 1)
