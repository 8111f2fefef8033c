"""How often a call runs: once per batch (optimizer update) or once per epoch.

A loop is an **epoch loop** when each of its iterations runs many updates: it contains a batch
loop, or calls a function of the file that loops over batches (or one named like
``train_one_epoch``), or its header speaks of epochs and it updates nothing itself. It is a
**batch loop** when its header iterates over data (``loader``, ``batch``) or steps, or when it
updates the optimizer directly inside another loop. A loop whose header speaks of epochs and that
updates the optimizer directly (full-batch training) is both, and cadence rules stay silent there.

Outside any loop, the hooks of Lightning and transformers' callbacks give the cadence
(``training_step`` runs per batch, ``on_train_epoch_end`` per epoch).
"""

from __future__ import annotations

from lrkit.lint._facts import Func, Loop, Site
from lrkit.lint._model import Model

__all__ = ["BATCH", "BOTH", "EPOCH", "Cadence"]

EPOCH = "epoch"
BATCH = "batch"
BOTH = "both"

_BATCH_HOOKS = frozenset(
    {
        "training_step",
        "on_train_batch_end",
        "on_train_batch_start",
        "on_before_optimizer_step",
        "optimizer_step",
        "on_step_end",
        "train_step",
        "training_step_end",
    }
)
_EPOCH_HOOKS = frozenset(
    {
        "on_train_epoch_end",
        "on_train_epoch_start",
        "training_epoch_end",
        "on_epoch_end",
        "on_validation_epoch_end",
        "validation_epoch_end",
    }
)


def _is_batch_token(token: str) -> bool:
    if "epoch" in token:
        return False
    return (
        "loader" in token
        or "batch" in token
        or token in ("dl", "data", "dataset", "data_iter", "iterator")
        or token.endswith(("_dl", "_data", "_dataset", "_iter"))
        or "step" in token
        or token in ("it", "iteration", "iters", "iterations")
    )


class Cadence:
    """Classifies the loops of one model (memoized)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._kinds: dict[int, str | None] = {}
        self._direct: set[int] = set()
        for site, _ in model.optimizer_steps():
            if site.loops:
                self._direct.add(id(site.loops[-1]))
        self._epoch_funcs = {
            func.name for func in model.funcs if func.node is not None and self._trains(func.loops)
        }

    def _trains(self, loops: list[Loop]) -> bool:
        return any(id(loop) in self._direct or self._trains(loop.children) for loop in loops)

    def updates_directly(self, loop: Loop) -> bool:
        """True if the loop body itself (not a nested loop) steps an optimizer."""
        return id(loop) in self._direct

    def kind(self, loop: Loop) -> str | None:
        """EPOCH, BATCH, BOTH, or None when the loop's cadence cannot be told."""
        key = id(loop)
        if key not in self._kinds:
            self._kinds[key] = None  # guards against cycles while computing
            self._kinds[key] = self._classify(loop)
        return self._kinds[key]

    def _classify(self, loop: Loop) -> str | None:
        epochish = any("epoch" in token for token in loop.header)
        batchish = any(_is_batch_token(token) for token in loop.header)
        direct = self.updates_directly(loop)
        if direct and (loop.parent is not None or batchish):
            # The loop that updates the optimizer is the batch loop, whatever loops it holds
            # (``for k, v in batch.items()``, a VAE-slicing loop, a micro-batch loop).
            return BOTH if epochish and not batchish else BATCH
        if any(self.kind(child) == BATCH for child in loop.children):
            return EPOCH
        calls_epoch = any("epoch" in name.lower() or name in self._epoch_funcs for name in loop.called)
        if calls_epoch and not direct:
            return EPOCH
        if epochish and not batchish:
            return BOTH if direct else EPOCH
        if batchish and not epochish:
            return BATCH
        return None

    def of(self, site: Site) -> str | None:
        """The cadence of a call site: its innermost loop's, or its hook's outside loops."""
        if site.loops:
            return self.kind(site.loops[-1])
        return self.of_function(site.func)

    @staticmethod
    def of_function(func: Func) -> str | None:
        """The cadence at which a framework calls a hook method (None for other functions)."""
        if func.cls is None:
            return None
        if func.name in _BATCH_HOOKS:
            return BATCH
        if func.name in _EPOCH_HOOKS:
            return EPOCH
        return None
