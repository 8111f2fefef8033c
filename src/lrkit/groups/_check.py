"""Checking parameter groups (built by lrkit or by hand) and printing them as a table."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from lrkit._validate import check_choice, fail

__all__ = ["UNASSIGNED", "GroupRow", "GroupTable", "check_groups", "summary"]

UNASSIGNED = ("error", "warn", "ignore")


def _groups_of(owner: str, groups: Any) -> tuple[list[Mapping[str, Any]], Mapping[str, Any] | None]:
    """The groups as a list of mappings, and the optimizer's defaults when given an optimizer."""
    if isinstance(groups, torch.optim.Optimizer):
        return list(groups.param_groups), groups.defaults
    if isinstance(groups, (str, bytes, Mapping)) or not isinstance(groups, Iterable):
        raise fail(
            owner, "groups", type(groups).__name__, "an optimizer or a list of group dicts", kind=TypeError
        )
    items = list(groups)
    for i, group in enumerate(items):
        if not isinstance(group, Mapping) or "params" not in group:
            raise fail(
                owner,
                "groups",
                f"item {i}: {type(group).__name__}",
                "a list of dicts with a 'params' entry (torch's parameter-group format)",
                kind=TypeError,
            )
    return items, None


def _label(group: Mapping[str, Any], index: int) -> str:
    name = group.get("name")
    return f"group {index} ({name!r})" if name is not None else f"group {index} (no name)"


def _rate(value: Any) -> float | None:
    if isinstance(value, torch.Tensor):
        return float(value.item())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _params(group: Mapping[str, Any]) -> list[torch.Tensor]:
    params = group["params"]
    if isinstance(params, torch.Tensor):
        return [params]
    return list(params)


def check_groups(
    groups: Any,
    model: nn.Module | None = None,
    *,
    unassigned: str = "error",
    default_lr: float | None = None,
    _lr_optional: bool = False,
) -> list[dict[str, Any]]:
    """Check parameter groups, built by hand or by lrkit, before (or after) they reach an optimizer.

    Checks, each with a message that names the group, the parameter or module and the fix:

    * a group with no parameters (built from an ``nn.ReLU``, a pattern matching nothing, or a
      generator that was already read);
    * a parameter in two groups, and a parameter that is not the model's (with `model`);
    * a trainable parameter of the model in no group (with `model`; `unassigned` says whether
      that is an error, a warning or fine);
    * a group without ``lr`` when no default is known (for a list of dicts and no `default_lr`);
    * a negative or non-finite ``lr``;
    * frozen parameters (``requires_grad=False``) in a group with a rate > 0;
    * two groups with the same ``name``.

    Args:
        groups: an optimizer, or a list of group dicts (torch's format; ``params`` may be a
            generator: it is read once, so use the returned list).
        model: the model, to name parameters and find those in no group. Optional.
        unassigned: "error", "warn" or "ignore", for trainable parameters of `model` in no group.
        default_lr: the optimizer's default rate, for groups without ``lr`` (lists of dicts only).

    Returns:
        The groups as new dicts whose ``params`` are lists (the input is not modified).

    Raises:
        ValueError: any of the problems above.
        TypeError: `groups` is not an optimizer or a list of dicts with ``params``.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
        >>> check_groups([{"params": net[0].parameters(), "lr": 1e-3},
        ...               {"params": net[1].parameters(), "lr": 1e-2}], net)
        Traceback (most recent call last):
        ...
        ValueError: group 1 (no name) has no parameters...
    """
    owner = "check_groups"
    check_choice(owner, "unassigned", unassigned, UNASSIGNED)
    items, defaults = _groups_of(owner, groups)
    names: dict[int, str] = {}
    if model is not None:
        if not isinstance(model, nn.Module):
            raise fail(owner, "model", type(model).__name__, "a torch.nn.Module", kind=TypeError)
        names = {id(p): name for name, p in model.named_parameters()}

    def called(p: torch.Tensor) -> str:
        return repr(names[id(p)]) if id(p) in names else f"a tensor of shape {tuple(p.shape)}"

    out: list[dict[str, Any]] = []
    owner_of: dict[int, str] = {}
    seen_names: dict[str, int] = {}
    for i, group in enumerate(items):
        label = _label(group, i)
        params = _params(group)
        if not params:
            raise ValueError(
                f"{label} has no parameters. A group built from a module without parameters (an "
                f"activation such as nn.ReLU, a pooling or dropout layer), from a pattern that "
                f"matches nothing, or from a generator that was already read is empty. Fix: build "
                f"it from a module that has parameters (e.g. the Linear or Conv next to it) or drop it"
            )
        for p in params:
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"{label} holds a {type(p).__name__}, not a tensor. Fix: pass parameters")
            if id(p) in owner_of:
                raise ValueError(
                    f"The parameter {called(p)} is in two groups: {owner_of[id(p)]} and {label}. "
                    f"Fix: keep it in one of them (an optimizer would update it twice, with two rates)"
                )
            owner_of[id(p)] = label
            if model is not None and id(p) not in names:
                raise ValueError(
                    f"{label} holds {called(p)}, which is not a parameter of the model. "
                    f"Fix: build the groups from the model you train"
                )
        name = group.get("name")
        if name is not None:
            if not isinstance(name, str) or not name:
                raise ValueError(f"{label} has the name {name!r}; a group name must be a non-empty string")
            if name in seen_names:
                raise ValueError(
                    f"{label} has the same name as group {seen_names[name]}. Fix: give each group its "
                    f"own name (schedules are given to groups by name)"
                )
            seen_names[name] = i
        if "lr" in group:
            lr = _rate(group["lr"])
        elif defaults is not None:
            lr = _rate(defaults.get("lr"))
        elif default_lr is not None:
            lr = _rate(default_lr)
        elif _lr_optional:
            lr = 0.0  # the optimizer's default applies; it is checked by the optimizer
        else:
            raise ValueError(
                f"{label} has no `lr`, and no default is known. Fix: give the group an 'lr', or "
                f"pass the optimizer's lr as default_lr= (torch gives such a group the optimizer's "
                f"lr silently)"
            )
        if lr is None or not math.isfinite(lr) or lr < 0.0:
            shown = group.get("lr", default_lr)
            raise ValueError(f"{label} has lr={shown!r}; an lr must be a finite number >= 0")
        frozen = [p for p in params if not p.requires_grad]
        if frozen and lr > 0.0:
            raise ValueError(
                f"{label} has lr={lr!r} but holds {len(frozen)} frozen parameters "
                f"(requires_grad=False), e.g. {called(frozen[0])}. Fix: give frozen parameters "
                f"their own group with lr 0 (lrkit.groups.freeze, param_groups(frozen=...)), leave "
                f"them out of the optimizer, or unfreeze them (lrkit.groups.GradualUnfreezing)"
            )
        copy = dict(group)
        copy["params"] = params
        out.append(copy)

    if model is not None:
        missing = [name for name, p in model.named_parameters() if p.requires_grad and id(p) not in owner_of]
        if missing:
            shown = ", ".join(repr(n) for n in missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            message = (
                f"{len(missing)} trainable parameters of the model are in no group: {shown}. They "
                f"will never be updated. Fix: add them to a group (param_groups(default=...)) or "
                f"freeze them (requires_grad=False)"
            )
            if unassigned == "error":
                raise ValueError(message + ", or pass unassigned='warn'")
            if unassigned == "warn":
                warnings.warn(message, UserWarning, stacklevel=2)
    return out


@dataclasses.dataclass(frozen=True)
class GroupRow:
    """One parameter group in a `GroupTable`."""

    name: str
    tensors: int
    parameters: int
    lr: float | None
    weight_decay: float | None
    frozen: str


@dataclasses.dataclass(frozen=True)
class GroupTable:
    """A printable table of parameter groups: group, tensors, parameters, lr, weight decay, frozen."""

    rows: tuple[GroupRow, ...]

    def __str__(self) -> str:
        header = ("group", "tensors", "parameters", "lr", "weight decay", "frozen")
        lines = [header]
        for row in self.rows:
            lines.append(
                (
                    row.name,
                    str(row.tensors),
                    f"{row.parameters:,}",
                    "-" if row.lr is None else f"{row.lr:.4g}",
                    "-" if row.weight_decay is None else f"{row.weight_decay:.4g}",
                    row.frozen,
                )
            )
        total_tensors = sum(r.tensors for r in self.rows)
        total_params = sum(r.parameters for r in self.rows)
        lines.append(("total", str(total_tensors), f"{total_params:,}", "", "", ""))
        widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
        text = []
        for k, line in enumerate(lines):
            cells = [
                cell.ljust(widths[c]) if c == 0 or c == 5 else cell.rjust(widths[c])
                for c, cell in enumerate(line)
            ]
            text.append("  ".join(cells).rstrip())
            if k == 0 or k == len(lines) - 2:
                text.append("  ".join("-" * w for w in widths))
        return "\n".join(text)

    def __repr__(self) -> str:
        return str(self)


def summary(groups: Any, model: nn.Module | None = None) -> GroupTable:
    """A table of the parameter groups: name, tensors, parameters, lr, weight decay, frozen.

    Args:
        groups: an optimizer, or a list of group dicts (generators are not accepted here:
            they would be read).
        model: unused by the table itself; given, the groups are checked first (`check_groups`
            with ``unassigned="warn"``).

    Raises:
        ValueError: the groups fail `check_groups` (only when `model` is given).

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from lrkit.groups import param_groups, summary
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
        >>> opt = torch.optim.AdamW(param_groups(net, {"3": 1e-2}, default=1e-3, no_decay=True),
        ...                         weight_decay=0.05)
        >>> print(summary(opt))
        group             tensors  parameters     lr  weight decay  frozen
        ----------------  -------  ----------  -----  ------------  ------
        3                       1          16   0.01          0.05  no
        3/no_decay              1           2   0.01             0  no
        default                 1          32  0.001          0.05  no
        default/no_decay        3          24  0.001             0  no
        ----------------  -------  ----------  -----  ------------  ------
        total                   6          74
    """
    if model is not None:
        check_groups(groups, model, unassigned="warn")
    items, defaults = _groups_of("summary", groups)
    rows = []
    for i, group in enumerate(items):
        params = group["params"]
        if not isinstance(params, (list, tuple, torch.Tensor)):
            raise fail(
                "summary",
                "groups",
                f"group {i} params",
                "lists of parameters (not generators)",
                kind=TypeError,
            )
        tensors: Sequence[torch.Tensor] = [params] if isinstance(params, torch.Tensor) else list(params)
        lr = _rate(group.get("lr", None if defaults is None else defaults.get("lr")))
        wd = _rate(group.get("weight_decay", None if defaults is None else defaults.get("weight_decay")))
        frozen_count = sum(1 for p in tensors if not p.requires_grad)
        frozen = (
            "no"
            if frozen_count == 0
            else "yes"
            if frozen_count == len(tensors)
            else f"{frozen_count}/{len(tensors)}"
        )
        rows.append(
            GroupRow(
                name=str(group.get("name", f"group {i}")),
                tensors=len(tensors),
                parameters=sum(p.numel() for p in tensors),
                lr=lr,
                weight_decay=wd,
                frozen=frozen,
            )
        )
    return GroupTable(tuple(rows))
