"""Construction of a `Scheduler`: the run's arguments checked, one `Track` per hyperparameter, the offset.

Everything here runs once, in `Scheduler.__init__`; nothing here runs per update.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from lrkit._validate import check_choice, check_int, fail
from lrkit.scheduler._binding import Access, bind
from lrkit.scheduler._engine import OWNER
from lrkit.scheduler._timeline import UNITS
from lrkit.scheduler._track import Track
from lrkit.schedules._base import Schedule

__all__ = ["AFTER_END", "Run", "build_tracks", "check_run", "choose_offset"]

AFTER_END = ("hold", "error", "continue")


@dataclasses.dataclass(frozen=True)
class Run:
    """The run's checked arguments (see `Scheduler`)."""

    total: int | None
    unit: str
    steps_per_epoch: int | None
    update_size: int | None
    after_end: str


def check_run(
    total: Any, unit: Any, steps_per_epoch: Any, update_size: Any, after_end: Any, flags: Mapping[str, Any]
) -> Run:
    """Check the run's arguments and the boolean `flags` (named); raise naming the argument."""
    unit = check_choice(OWNER, "unit", unit, UNITS)
    total = None if total is None else check_int(OWNER, "total", total, low=1)
    if unit == "epoch":
        if steps_per_epoch is None:
            raise fail(OWNER, "steps_per_epoch", None, "an int >= 1 with unit='epoch'", kind=TypeError)
        steps_per_epoch = check_int(OWNER, "steps_per_epoch", steps_per_epoch, low=1)
    elif steps_per_epoch is not None:
        raise fail(OWNER, "steps_per_epoch", steps_per_epoch, f"None with unit={unit!r} (epochs only)")
    if update_size is not None:
        if unit not in ("sample", "token"):
            raise fail(OWNER, "update_size", update_size, f"None with unit={unit!r} (samples/tokens only)")
        update_size = check_int(OWNER, "update_size", update_size, low=1)
    after_end = check_choice(OWNER, "after_end", after_end, AFTER_END)
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise fail(OWNER, name, flag, "True or False", kind=TypeError)
    return Run(total, unit, steps_per_epoch, update_size, after_end)


def build_tracks(
    groups: Sequence[dict[str, Any]],
    schedule: Any,
    hparams: Any,
    tensor_lr: bool,
    defaults: Mapping[str, Any] | None = None,
) -> list[Track]:
    """One `Track` per scheduled hyperparameter, ``"lr"`` first, with each group's base value.

    A spec string pasted from torch (`lrkit.spec.group_schedules`) may give one schedule per group
    (per-group lists) and a cycled momentum: a ``"momentum"`` track right after ``"lr"``, whose
    schedules are momentum values (bases 1.0). `defaults` is the optimizer's (torch's check that
    it has a momentum or betas). With `tensor_lr`, float lrs become 0-dim views of one buffer (read
    before, so the bases are exact).
    """
    if hparams is not None and not isinstance(hparams, Mapping):
        raise fail(OWNER, "hparams", hparams, "a dict {name: schedule}", kind=TypeError)
    hparams = dict(hparams or {})
    if "lr" in hparams:
        raise fail(OWNER, "hparams", list(hparams), "other hyperparameters than 'lr' (give it as `schedule`)")
    schedule, cycled = _pasted(groups, schedule, hparams, defaults)
    lr_access = Access("lr", groups)
    lr_bases = [lr_access.read(group) for group in groups]  # before tensor_lr rounds them
    if tensor_lr:
        floats = [group for group in groups if not isinstance(group["lr"], torch.Tensor)]
        # NOTE: the tensors are 0-dim views of one buffer, so one `copy_` writes every group's
        # rate (and bumps the shared version counter autograd checks); see `Track.plan`.
        packed = torch.tensor([float(group["lr"]) for group in floats], dtype=torch.get_default_dtype())
        for k, group in enumerate(floats):
            group["lr"] = packed[k]
    tracks: list[Track] = []
    for key, spec in [("lr", schedule), *hparams.items()]:
        if not isinstance(key, str):
            raise fail(
                OWNER, "hparams", list(hparams), "a dict keyed by hyperparameter names", kind=TypeError
            )
        access = Access(key, groups)
        definitions, default = bind("schedule" if key == "lr" else f"hparams[{key!r}]", spec, groups)
        track = Track(key, access, definitions, default)
        track.bases = lr_bases if key == "lr" else [access.read(group) for group in groups]
        track.plateaus = [{} for _ in groups]
        tracks.append(track)
        if key == "lr" and cycled is not None:
            momentum = Track("momentum", Access("momentum", groups), cycled, None)
            momentum.bases = [1.0] * len(groups)  # the schedules give the values themselves
            momentum.plateaus = [{} for _ in groups]
            tracks.append(momentum)
    return tracks


def _pasted(
    groups: Sequence[dict[str, Any]], schedule: Any, hparams: Mapping[str, Any], defaults: Any
) -> tuple[Any, list[Schedule] | None]:
    """For a spec string: the lr schedule(s) per group and the cycled momentum (None: not cycled).

    Anything else is returned as given. The momentum is torch's (OneCycleLR/CyclicLR with
    ``cycle_momentum=True``): refused, as torch refuses it, for an optimizer without a momentum or
    betas, and next to a ``"momentum"``/``"beta1"`` entry of `hparams` (it would be scheduled twice).
    """
    from lrkit.spec import group_schedules

    if not isinstance(schedule, str):
        return schedule, None
    rates, cycled = group_schedules(schedule, len(groups))
    one: Any = rates[0] if all(r is rates[0] for r in rates) else rates
    if cycled is None:
        return one, None
    if defaults is not None and "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled (torch's "
            f"rule: the spec {schedule!r} cycles the momentum, torch's default cycle_momentum=True). "
            "Received: an optimizer without `momentum` or `betas`; add cycle_momentum=False to the spec"
        )
    twice = [key for key in ("momentum", "beta1") if key in hparams]
    if twice:
        raise fail(
            OWNER,
            "hparams",
            sorted(hparams),
            f"no {twice[0]!r} entry: the spec {schedule!r} cycles the momentum already "
            "(cycle_momentum=True, torch's default); drop the entry or add cycle_momentum=False to the spec",
        )
    return one, cycled


def choose_offset(run: Run, lr_schedules: Sequence[Schedule], skip_zero_start: bool) -> int:
    """0, or one update's worth when `skip_zero_start` applies (a warmup from 0; see `Scheduler`)."""
    if not skip_zero_start:
        return 0
    # A warmup from 0: the factor is 0 at position 0 and positive one update in. A group that
    # stays at 0 for a while (a frozen part joining later) does not move the others.
    if run.unit == "update":
        one_in = 1.0
    elif run.unit == "epoch":
        one_in = 1.0 / float(run.steps_per_epoch or 1)
    else:
        one_in = float(run.update_size or 1)
    zero = any(s._at(0.0) == 0.0 and s._at(one_in) > 0.0 for s in lr_schedules)
    if not zero:
        return 0
    if run.unit in ("update", "epoch"):
        return 1
    if run.update_size is None:
        raise ValueError(
            f"Argument `update_size` of {OWNER}() is needed with unit={run.unit!r}: a schedule starts "
            f"at 0, and skip_zero_start places the first update one update in ({run.unit}s per "
            f"update). Received: update_size=None; give update_size=<{run.unit}s per update> or "
            f"skip_zero_start=False"
        )
    return run.update_size
