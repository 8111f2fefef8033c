"""Which schedule each parameter group follows, and how a hyperparameter is read and written.

A schedule argument is one schedule (or spec string) for every group, a list with one per group, or
a dict keyed by the groups' ``"name"`` entries whose ``"default"`` entry covers the other groups
(a ``"<name>/no_decay"`` half follows ``"<name>"`` unless named itself: `lrkit._group_names`).
A hyperparameter is addressed by name: ``"lr"``, ``"weight_decay"`` or any numeric group key;
``"momentum"`` is ``betas[0]`` for Adam-family optimizers (groups with ``betas`` and no
``momentum``); ``"beta1"``/``"beta2"`` are ``betas[0]``/``betas[1]``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from lrkit._group_names import NO_DECAY, covered, lookup, parent
from lrkit.schedules._base import Schedule
from lrkit.spec import cycled_momentum, parse

__all__ = ["Access", "bind", "to_float", "to_schedule"]

OWNER = "Scheduler"
DEFAULT = "default"


def to_schedule(name: str, value: Any) -> Schedule:
    """A schedule object from a schedule or a spec string."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, str):
        schedule = parse(value)
        if cycled_momentum(value) is not None:
            # NOTE: only a whole `schedule` string carries a momentum (`_build._pasted`); an entry
            # of a list or dict, or a set_definitions string, would drop it silently.
            raise ValueError(
                f"Argument `{name}` of {OWNER}() is a torch call that cycles the momentum "
                f"(cycle_momentum=True, torch's default), which only a whole spec passed as "
                f"Scheduler(optimizer, spec) applies. Received: {name}={value!r}; pass the call as the "
                f"schedule (per-group lists give per-group values), or add cycle_momentum=False"
            )
        return schedule
    raise TypeError(
        f"Argument `{name}` of {OWNER}() must be a schedule or a spec string (or a list or dict of "
        f"them). Received: {name}={value!r}"
    )


def bind(name: str, spec: Any, groups: Sequence[Mapping[str, Any]]) -> tuple[list[Schedule], Schedule | None]:
    """One schedule per group, and the default one for groups added later (None: no default).

    Raises:
        ValueError: a list of the wrong length, a dict naming a group that does not exist, or a group
            that the dict does not cover and no ``"default"`` entry.
        TypeError: an entry that is neither a schedule nor a spec string.
    """
    n = len(groups)
    if isinstance(spec, (Schedule, str)):
        one = to_schedule(name, spec)
        return [one] * n, one
    if isinstance(spec, Mapping):
        names = [group.get("name") for group in groups]
        unknown = [key for key in spec if key != DEFAULT and not covered(key, names)]
        if unknown:
            raise ValueError(
                f"Argument `{name}` of {OWNER}() names groups that the optimizer does not have: "
                f"{unknown!r}. Received: {name} keys {list(spec)!r}; group names: {names!r} (a group's "
                f'name is its "name" entry; use "{DEFAULT}" for the other groups)'
            )
        built = {key: to_schedule(f"{name}[{key!r}]", value) for key, value in spec.items()}
        default = built.get(DEFAULT)
        out: list[Schedule] = []
        for i, group_name in enumerate(names):
            key = lookup(built, group_name)
            chosen = built[key] if key is not None else default
            if chosen is None:
                # NOTE: name the group first: a "default" entry would also catch a "/no_decay" half
                # the caller means to follow its parent, which is the trap this message must avoid.
                raise ValueError(
                    f"Argument `{name}` of {OWNER}() has no schedule for param group {i} "
                    f"(name={group_name!r}). Received: {name} keys {list(spec)!r}; add "
                    f"{_entry_for(group_name, names)}"
                )
            out.append(chosen)
        return out, default
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"Argument `{name}` of {OWNER}() must be a list with one schedule per param group "
                f"({n}). Received: {len(spec)} schedules"
            )
        return [to_schedule(f"{name}[{i}]", item) for i, item in enumerate(spec)], None
    raise TypeError(
        f"Argument `{name}` of {OWNER}() must be a schedule, a spec string, a list (one per group) or "
        f"a dict keyed by group name. Received: {name}={spec!r}"
    )


def _entry_for(group_name: str | None, names: Sequence[str | None]) -> str:
    """Which entry to add for an uncovered group (its parent's first, for a "/no_decay" half)."""
    fallback = f'a "{DEFAULT}" entry for every group it does not name'
    if group_name is None or DEFAULT in (group_name, parent(group_name)):
        return fallback
    up = parent(group_name)
    if up is not None:
        return f"an entry for {up!r} (it covers {group_name!r} too) or {group_name!r}, or {fallback}"
    half = group_name + NO_DECAY
    covers = f" (it covers {half!r} too)" if half in names else ""
    return f"an entry for {group_name!r}{covers}, or {fallback}"


def to_float(value: Any) -> float:
    """A number or a 1-element tensor as a Python float (a tensor is copied to the CPU as float64).

    The one helper lrkit's torch-side modules use to read a rate (`lrkit.compat` imports it too).

    Example:
        >>> import torch
        >>> from lrkit.scheduler import to_float
        >>> to_float(torch.tensor(0.5)), to_float(2)
        (0.5, 2.0)
    """
    if isinstance(value, torch.Tensor):
        return float(value.detach().to("cpu", torch.float64).item())
    return float(value)


class Access:
    """Reads and writes one hyperparameter of a param group (a float or a 0-dim tensor)."""

    def __init__(self, key: str, groups: Sequence[Mapping[str, Any]]) -> None:
        self.key = key
        self.field = key
        self.index: int | None = None
        if key in ("beta1", "beta2"):
            self.field, self.index = "betas", 0 if key == "beta1" else 1
        elif key == "momentum" and groups and "momentum" not in groups[0] and "betas" in groups[0]:
            self.field, self.index = "betas", 0
        for i, group in enumerate(groups):
            self.check_group(i, group)

    @property
    def is_beta(self) -> bool:
        """True for momentum/betas, whose values must stay in [0, 1)."""
        return self.index is not None or self.key == "momentum"

    def check_group(self, i: int, group: Mapping[str, Any]) -> None:
        """Raise if the group has no numeric value for this hyperparameter."""
        if self.field not in group:
            raise ValueError(
                f"Argument `hparams` of {OWNER}() schedules {self.key!r}, but param group {i} has no "
                f"{self.field!r} entry. Received: group keys {sorted(k for k in group if k != 'params')!r}"
            )
        value = self.raw(group)
        ok = isinstance(value, torch.Tensor) and value.dim() == 0 and value.is_floating_point()
        ok = ok or (isinstance(value, numbers.Real) and not isinstance(value, bool))
        if not ok or not math.isfinite(to_float(value)):
            raise ValueError(
                f"The scheduled hyperparameter {self.key!r} of param group {i} must be a finite number or "
                f"a 0-dim floating tensor. Received: {self.key}={value!r}"
            )

    def raw(self, group: Mapping[str, Any]) -> Any:
        """The value as stored in the group (a float or a tensor)."""
        value = group[self.field]
        return value if self.index is None else value[self.index]

    def read(self, group: Mapping[str, Any]) -> float:
        """The value as a Python float (a copy; a tensor is read once, at construction)."""
        return to_float(self.raw(group))

    def write(self, group: dict[str, Any], value: float) -> None:
        """Set the value: in place for a tensor (the same object stays), by assignment otherwise."""
        if self.index is None:
            current = group[self.field]
            if isinstance(current, torch.Tensor):
                current.fill_(value)
            else:
                group[self.field] = value
            return
        betas = group[self.field]
        current = betas[self.index]
        if isinstance(current, torch.Tensor):
            current.fill_(value)
            return
        items = list(betas)
        items[self.index] = value
        group[self.field] = type(betas)(items) if isinstance(betas, tuple) else items
