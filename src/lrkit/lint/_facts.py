"""The records of a script model: functions, loops, call sites, bindings, and constructor classes.

`classify` tells what a constructor's qualified name builds (a torch or lrkit scheduler, an
optimizer, an ``nn.Sequential``, a GradScaler); the dataclasses are what `lrkit.lint._model.Model`
fills in while it walks a file.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

__all__ = ["SCHEDULER_FAMILIES", "Binding", "Func", "Loop", "Site", "classify", "exclusive"]

SCHEDULER_FAMILIES = frozenset({"torch", "compat", "lrkit", "hf", "timm", "unknown-scheduler"})

_HF_SCHEDULES = frozenset(
    {
        "get_scheduler",
        "get_linear_schedule_with_warmup",
        "get_cosine_schedule_with_warmup",
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        "get_polynomial_decay_schedule_with_warmup",
        "get_constant_schedule_with_warmup",
        "get_constant_schedule",
        "get_inverse_sqrt_schedule",
        "get_wsd_schedule",
        "get_cosine_with_min_lr_schedule_with_warmup",
    }
)


def classify(qualname: str | None) -> tuple[str, str] | None:
    """(family, class) of a constructor's qualified name, for schedulers, optimizers and models.

    >>> classify("torch.optim.lr_scheduler.OneCycleLR")
    ('torch', 'OneCycleLR')
    >>> classify("torch.optim.AdamW")
    ('optimizer', 'AdamW')
    """
    if qualname is None:
        return None
    module, _, last = qualname.rpartition(".")
    if module == "torch.optim.lr_scheduler" or qualname == "torch.optim.swa_utils.SWALR":
        return ("torch", last)
    if module.startswith("lrkit.compat"):
        return ("compat", last)
    if qualname in ("lrkit.Scheduler", "lrkit.scheduler.Scheduler"):
        return ("lrkit", "Scheduler")
    if last in _HF_SCHEDULES and module.startswith(("transformers", "diffusers")):
        return ("hf", last)
    if module.startswith("timm.scheduler"):
        return ("timm", last)
    if last == "GradScaler":
        return ("scaler", last)
    if last == "Sequential" and module in ("torch.nn", "nn", "torch.nn.modules.container"):
        return ("sequential", last)
    if (
        module.startswith("torch.optim") or module in ("optim", "transformers", "bitsandbytes.optim")
    ) and last[:1].isupper():
        return ("optimizer", last)
    return None


@dataclasses.dataclass(eq=False)
class Func:
    """A function (or the module body, `node` None) and what the rules need to know about it."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | None
    name: str
    cls: str | None
    loops: list[Loop] = dataclasses.field(default_factory=list)
    returns: list[ast.expr] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class Loop:
    """A ``for`` or ``while`` loop inside one function."""

    node: ast.For | ast.AsyncFor | ast.While
    parent: Loop | None
    func: Func
    header: set[str]
    range_args: list[ast.expr] | None
    children: list[Loop] = dataclasses.field(default_factory=list)
    called: set[str] = dataclasses.field(default_factory=set)
    #: The calls of functions by name in the loop body (nested loops included), with their branches.
    call_sites: list[tuple[str, ast.Call, tuple[tuple[int, int], ...]]] = dataclasses.field(
        default_factory=list
    )
    opaque: bool = False
    exits: bool = False
    sites: list[Site] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class Site:
    """A call ``receiver.method(...)`` with its place: function, loops (outer first), branches."""

    key: str
    method: str
    call: ast.Call
    func: Func
    loops: tuple[Loop, ...]
    branches: tuple[tuple[int, int], ...]
    conditional: bool
    #: The tests of the ``if`` statements around the call, with the side taken (0: body, 1: else).
    guards: tuple[tuple[ast.expr, int], ...] = ()
    #: Inside ``with accelerator.accumulate(...)``.
    accumulate: bool = False

    @property
    def position(self) -> tuple[int, int]:
        """(line, column) for ordering."""
        return (self.call.lineno, self.call.col_offset)


@dataclasses.dataclass(eq=False)
class Binding:
    """``key = <call>`` where the call builds a scheduler, optimizer, model or scaler."""

    key: str
    call: ast.Call
    family: str
    cls: str
    func: Func
    branches: tuple[tuple[int, int], ...]
    optimizer: str | None = None
    #: The loops around the constructor call (a scheduler rebuilt for each fold restarts).
    loops: tuple[Loop, ...] = ()
    #: The model of the file that built it (its names give the values of the arguments), if not the
    #: file where it is used.
    owner: Any = None

    @property
    def is_scheduler(self) -> bool:
        """True for every kind of learning-rate scheduler."""
        return self.family in SCHEDULER_FAMILIES

    def argument(self, index: int, name: str) -> ast.expr | None:
        """The constructor argument at position `index` or keyword `name`."""
        for keyword in self.call.keywords:
            if keyword.arg == name:
                return keyword.value
        if index < len(self.call.args) and not any(
            isinstance(a, ast.Starred) for a in self.call.args[: index + 1]
        ):
            return self.call.args[index]
        return None


def exclusive(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """True if two branch paths are in different branches of one ``if`` (never both run)."""
    first = dict(a)
    return any(node in first and first[node] != side for node, side in b)
