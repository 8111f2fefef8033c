"""A track: one scheduled hyperparameter (the lr, momentum, ...) across every param group.

It holds, per group, the schedule definition, the base value, the resolved schedule (with its plateau
reductions) and the plateau counters; and it computes and writes the values fast: groups whose
resolved schedules are equal share one evaluation of `Schedule._at` per step, float values are
written in a tight loop, tensor values in place (``fill_`` on CPU, two `torch._foreach_*` calls
for all the tensors of an accelerator).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import torch

from lrkit.scheduler._binding import Access
from lrkit.scheduler._state import decode_path, encode_path
from lrkit.schedules._base import Path, Schedule
from lrkit.schedules.plateau import Plateau, PlateauCounters

__all__ = ["NonFiniteValueError", "Track"]


class NonFiniteValueError(ValueError):
    """A scheduled value became infinite or NaN; it was not written into the optimizer."""


class NegativeValueError(ValueError):
    """A scheduled value became negative (a schedule given a negative value); it was not written."""


#: torch's optimizers' words for a negative value of each hyperparameter ("Invalid learning rate").
_INVALID = {"lr": "Invalid learning rate", "momentum": "Invalid momentum value"}


def negative(key: str, schedule: Schedule, t: float, factor: float) -> NegativeValueError:
    """The error for a negative factor (a schedule given a negative value, as optax allows)."""
    words = _INVALID.get(key, f"Invalid {key} value")
    return NegativeValueError(
        f"lrkit.Scheduler: {words}: the {key!r} schedule {schedule!r} gives the negative factor "
        f"{factor!r} at position {t!r}; torch's optimizers refuse a negative {key!r}, so nothing was "
        f"written into the optimizer (`lrkit table` shows such values; a scheduler cannot apply them)"
    )


def nonfinite(key: str, schedule: Schedule, t: float, factor: float, peak: float) -> NonFiniteValueError:
    """The error for a factor whose product with a base is not finite (nothing is written)."""
    return NonFiniteValueError(
        f"lrkit.Scheduler: the {key!r} schedule {schedule!r} gives a non-finite value at position {t!r} "
        f"(factor {factor!r} times a base of magnitude up to {peak!r}); it was not written into the "
        f"optimizer. Bound the schedule (e.g. a smaller growth or decay > 1 over a shorter run)"
    )


class Track:
    """The schedules, bases and plateau state of one hyperparameter for every param group."""

    def __init__(
        self, key: str, access: Access, definitions: list[Schedule], default: Schedule | None
    ) -> None:
        self.key = key
        self.access = access
        self.definitions = definitions
        self.default = default
        self.bases: list[float] = []
        self.resolved: list[Schedule] = []
        #: Per group: plateau path -> (counters, reductions).
        self.plateaus: list[dict[Path, tuple[PlateauCounters, int]]] = []
        self.values: list[float] = []
        self._slots: list[tuple[Schedule, list[int], list[float], float]] = []
        self._single: Schedule | None = None
        #: max |base| of the single schedule's groups: factor * peak finite => every value finite.
        self.peak = 0.0
        self._floats: list[tuple[dict[str, Any], int]] = []
        self._tensors: list[torch.Tensor] = []
        self._tensor_index: list[int] = []
        self._groups: list[dict[str, Any]] = []
        self._cpu_tensors: list[tuple[torch.Tensor, int]] = []
        self._device_tensors: list[torch.Tensor] = []
        self._device_index: list[int] = []
        self.is_beta = access.is_beta
        self.fast_floats = False
        self._packed: tuple[torch.Tensor, list[int]] | None = None

    # -- set-up ---------------------------------------------------------------------------------

    def resolve(self, total: int | None) -> None:
        """Resolve every group's definition against the run and its base, then re-apply plateaus."""
        cache: dict[Any, Schedule] = {}
        resolved = []
        for i, (definition, base) in enumerate(zip(self.definitions, self.bases, strict=True)):
            key: Any = (definition, base)
            try:
                hash(key)
            except TypeError:  # a user schedule with an unhashable field: resolve it on its own
                key = (id(definition), base)
            if key not in cache:
                try:
                    cache[key] = definition.resolve(total, base=base)
                except ValueError as error:
                    raise ValueError(f"{error} (param group {i}, {self.key!r} with base {base!r})") from None
            node = cache[key]
            for path, (_, reductions) in self.plateaus[i].items():
                if reductions:
                    node = node.replace_at(path, _with_reductions(node, path, reductions))
            resolved.append(node)
        self.resolved = resolved

    def plan(self, groups: Sequence[dict[str, Any]]) -> None:
        """Precompute the evaluation slots and the write lists for these group dicts."""
        slots: dict[Any, tuple[Schedule, list[int], list[float]]] = {}
        for i, schedule in enumerate(self.resolved):
            key: Any = schedule
            try:
                hash(key)
            except TypeError:  # a user schedule with an unhashable field: its own slot
                key = id(schedule)
            _, index, bases = slots.setdefault(key, (schedule, [], []))
            index.append(i)
            bases.append(self.bases[i])
        self._slots = [
            (schedule, index, bases, max((abs(b) for b in bases), default=0.0))
            for schedule, index, bases in slots.values()
        ]
        self._single = self._slots[0][0] if len(self._slots) == 1 else None
        self.peak = self._slots[0][3] if self._single is not None else 0.0
        self._groups = list(groups)
        self._floats, self._tensors, self._tensor_index = [], [], []
        self._cpu_tensors, self._device_tensors, self._device_index = [], [], []
        plain = self.access.index is None
        for i, group in enumerate(self._groups):
            raw = self.access.raw(group)
            if plain and isinstance(raw, torch.Tensor):
                self._tensors.append(raw)
                self._tensor_index.append(i)
                # NOTE: on CPU a loop of fill_ is about 2x faster than _foreach_zero_ + _foreach_add_
                # (680 us vs 1310 us for 1000 groups); on an accelerator one foreach call avoids a
                # kernel launch per group.
                if raw.device.type == "cpu":
                    self._cpu_tensors.append((raw, i))
                else:
                    self._device_tensors.append(raw)
                    self._device_index.append(i)
            else:
                self._floats.append((group, i))
        self.is_beta = self.access.is_beta
        self.fast_floats = plain and not self._tensors and self.access.key == self.access.field
        self._packed = _packed(self._cpu_tensors)
        if self._packed is not None:
            self._cpu_tensors = []

    def shared_tensor_conflicts(self) -> list[tuple[int, int]]:
        """Pairs of groups that share one tensor but follow different schedules."""
        seen: dict[int, int] = {}
        conflicts = []
        for tensor, i in zip(self._tensors, self._tensor_index, strict=True):
            first = seen.setdefault(id(tensor), i)
            if first != i and (
                self.resolved[first] != self.resolved[i] or self.bases[first] != self.bases[i]
            ):
                conflicts.append((first, i))
        return conflicts

    # -- per step -------------------------------------------------------------------------------

    def compute(self, t: float, strict: bool = True) -> list[float]:
        """Every group's value at position `t`: base times the factor of its resolved schedule.

        With ``strict=False`` non-finite values are returned as they are (``check_finite`` False).

        Raises:
            NonFiniteValueError: `strict` and a value would be infinite or NaN (checked once per
                distinct schedule: ``factor * max|base|`` finite implies every ``factor * base`` finite).
            NegativeValueError: `strict` and a factor is negative (torch's "Invalid learning rate").
        """
        single = self._single
        if single is not None:
            f = single._at(t)
            x = f * self.peak
            if strict and (x - x != 0.0 or f < 0.0):
                raise (
                    nonfinite(self.key, single, t, f, self.peak)
                    if x - x != 0.0
                    else negative(self.key, single, t, f)
                )
            return [b * f for b in self.bases]
        values = [0.0] * len(self.bases)
        for schedule, index, bases, peak in self._slots:
            f = schedule._at(t)
            x = f * peak
            if strict and (x - x != 0.0 or f < 0.0):
                raise (
                    nonfinite(self.key, schedule, t, f, peak)
                    if x - x != 0.0
                    else negative(self.key, schedule, t, f)
                )
            for i, b in zip(index, bases, strict=True):
                values[i] = b * f
        return values

    def write(self, values: list[float]) -> None:
        """Put the values into the groups (tensors in place, same objects)."""
        self.values = values
        if self.fast_floats:
            key = self.access.key
            for group, v in zip(self._groups, values, strict=True):
                group[key] = v
            return
        write = self.access.write
        for group, i in self._floats:
            write(group, values[i])
        for tensor, i in self._cpu_tensors:
            tensor.fill_(values[i])
        if self._packed is not None:
            buffer, order = self._packed
            buffer.copy_(torch.tensor([values[i] for i in order], dtype=buffer.dtype))
        if self._device_tensors:
            torch._foreach_zero_(self._device_tensors)
            torch._foreach_add_(self._device_tensors, [values[i] for i in self._device_index])

    # -- plateaus -------------------------------------------------------------------------------

    def observe(self, t: float, metric: Any) -> bool:
        """Feed `metric` to the plateau nodes active at `t` in each group; True if one reduced."""
        changed = False
        for g, schedule in enumerate(self.resolved):
            for path, node in list(schedule.active(t)):
                if not isinstance(node, Plateau):
                    continue
                counters, reductions = self.plateaus[g].get(path, (node.start(), node.reductions))
                counters, reduce = node.judge(counters, metric)
                if reduce:
                    lower = node.reduced()
                    # NOTE: torch skips a reduction of at most eps in the group's own units.
                    if self.bases[g] * (node._at(0.0) - lower._at(0.0)) > node.eps:
                        self.resolved[g] = self.resolved[g].replace_at(path, lower)
                        reductions = lower.reductions
                        changed = True
                self.plateaus[g][path] = (counters, reductions)
        return changed

    def plateau_rows(self) -> list[dict[str, Any]]:
        """Every plateau's counters, one row per group and path."""
        return [
            {"key": self.key, "group": g, **row}
            for g, rows in enumerate(self.plateaus_to_plain())
            for row in rows
        ]

    def plateaus_to_plain(self) -> list[list[dict[str, Any]]]:
        """The plateau counters as plain data, per group."""
        return [
            [
                {
                    "path": encode_path(path),
                    "best": counters.best,
                    "bad": counters.bad,
                    "cooldown": counters.cooldown,
                    "evaluations": counters.evaluations,
                    "reductions": reductions,
                }
                for path, (counters, reductions) in entries.items()
            ]
            for entries in self.plateaus
        ]

    def plateaus_from_plain(self, data: list[list[dict[str, Any]]]) -> None:
        """Restore the plateau counters from `plateaus_to_plain` data."""
        self.plateaus = [
            {
                decode_path(item["path"]): (
                    PlateauCounters(
                        float(item["best"]), int(item["bad"]), int(item["cooldown"]), int(item["evaluations"])
                    ),
                    int(item["reductions"]),
                )
                for item in entries
            }
            for entries in data
        ]


def _packed(tensors: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, list[int]] | None:
    """The buffer and group order when every tensor is one element of one 1-d CPU buffer, in order.

    `Scheduler(tensor_lr=True)` makes such tensors: one ``copy_`` into the buffer then writes every
    group's value, instead of one ``fill_`` (one dispatch, about 0.7 us) per group.
    """
    if len(tensors) < 2:
        return None
    buffer = tensors[0][0]._base
    if buffer is None or buffer.dim() != 1 or buffer.numel() != len(tensors) or not buffer.is_contiguous():
        return None
    for k, (tensor, _) in enumerate(tensors):
        if tensor._base is not buffer or tensor.dim() != 0 or tensor.storage_offset() != k:
            return None
    return buffer, [i for _, i in tensors]


def _with_reductions(tree: Schedule, path: Path, reductions: int) -> Schedule:
    node: Any = tree
    for key in path:
        node = getattr(node, key[0])[key[1]] if isinstance(key, tuple) else getattr(node, key)
    replaced: Schedule = dataclasses.replace(node, reductions=reductions)
    return replaced
