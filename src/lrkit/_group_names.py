"""Which entry of a dict keyed by group name covers a param group: its own name, else its parent's.

`lrkit.groups` splits a group ``name`` into ``name`` and ``name/no_decay`` (``no_decay=``). A dict
keyed by group name (`lrkit.Scheduler`'s per-group schedules, `lrkit.groups.GradualUnfreezing`'s
plan) that names ``"head"`` covers ``"head/no_decay"`` too, unless it names ``"head/no_decay"``
itself: the half without weight decay is the same part of the model and follows the same plan.
This rule lives here, below both the scheduler and the groups (standard library only).

Example:
    >>> lookup({"head": 1, "default": 0}, "head/no_decay")
    'head'
    >>> lookup({"head": 1, "head/no_decay": 2}, "head/no_decay")
    'head/no_decay'
    >>> lookup({"head": 1}, "body") is None
    True
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

__all__ = ["NO_DECAY", "covered", "lookup", "parent"]

NO_DECAY = "/no_decay"


def parent(name: str) -> str | None:
    """The group a ``"<name>/no_decay"`` half was split from; None for any other name."""
    if name.endswith(NO_DECAY) and len(name) > len(NO_DECAY):
        return name[: -len(NO_DECAY)]
    return None


def lookup(keys: Collection[object], name: str | None) -> str | None:
    """The key of `keys` that covers the group `name`: the name itself, else its parent; else None."""
    if name is None:
        return None
    if name in keys:
        return name
    up = parent(name)
    if up is not None and up in keys:
        return up
    return None


def covered(key: object, names: Iterable[str | None]) -> bool:
    """Whether `key` covers some group of `names` (it is one of them, or the parent of a half)."""
    return any(name is not None and lookup((key,), name) == key for name in names)
