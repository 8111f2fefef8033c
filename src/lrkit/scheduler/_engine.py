"""The engine of `Scheduler`: from the counters to the values in the param groups.

Its one job is the per-write path shared by every other part: the position of the next update
(`_position_of`, `_eval_position`: the unit, the offset, the end of the run, `extend`), resolving
the tracks against the run (`_resolve_all`), re-binding the param groups (`_sync_groups`), and
writing each track's values (`_apply`: factor times base, the anneal, a transform, the
momentum/betas range and the finiteness checks), plus choosing the fast path `Scheduler.step`
takes when nothing of that general path is needed (`_refresh_fast`).

`Engine` also declares every attribute the parts of the scheduler share, so that each part
(`_adapter`, `_observe`, `_plans`, `_record`, `_scheduler`) is a small class over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from torch.optim.lr_scheduler import LRScheduler

from lrkit.scheduler._detect import SkipDetector
from lrkit.scheduler._timeline import Anneal, Extension, stretch
from lrkit.scheduler._track import NonFiniteValueError, Track
from lrkit.schedules._base import Schedule
from lrkit.schedules.plateau import Plateau

__all__ = ["OWNER", "Engine", "Transform"]

OWNER = "Scheduler"

#: ``transform(key, values) -> values``: see `Scheduler.set_transform`.
Transform = Callable[[str, list[float]], list[float]]


def _transformed(transform: Transform, key: str, values: list[float]) -> list[float]:
    """The values a `Scheduler.set_transform` callable returns for `key`, checked for their length."""
    out = [float(v) for v in transform(key, list(values))]
    if len(out) != len(values):
        raise ValueError(
            f"The transform of Scheduler.set_transform() returned {len(out)} values for {key!r}; "
            f"it must return one per param group ({len(values)})"
        )
    return out


def _check_betas(key: str, values: list[float], p: float) -> None:
    """Momentum and betas must stay in [0, 1) (an optimizer would silently misbehave otherwise)."""
    for i, v in enumerate(values):
        if not 0.0 <= v < 1.0:
            raise ValueError(
                f"The scheduled {key!r} of param group {i} is {v!r} at position {p!r}; "
                f"momentum and betas must stay in [0, 1)"
            )


class Engine(LRScheduler):
    """The state every part of `Scheduler` shares, and the path from counters to written values."""

    optimizer: torch.optim.Optimizer
    # the run (see `_build.RunArgs`)
    _unit: str
    _total: int | None
    _spe: int | None
    _update_size: int | None
    _after_end: str
    _skip_zero_start: bool
    #: False lets momentum and betas leave [0, 1), as torch's CyclicLR and OneCycleLR allow (a
    #: subclass setting; `lrkit.compat` uses it). Default True: they must stay in [0, 1).
    check_betas: ClassVar[bool] = True
    #: False lets infinite and NaN values be written, as torch writes them (e.g. a LambdaLR factor
    #: of ``inf``): `on_nonfinite` is called before such a write instead of raising
    #: `NonFiniteValueError` (a subclass setting; `lrkit.compat` uses it). Default True.
    check_finite: ClassVar[bool] = True
    # what is scheduled
    _tracks: list[Track]
    _lr: Track
    _pg: list[dict[str, Any]]
    _n: int
    _has_plateau: bool
    # the counters (see `_timeline`)
    _updates: int
    _amount: int
    _offset: int
    _skipped: int
    _warned: bool
    _end: float | None
    _extensions: list[Extension]
    _anneal: Anneal | None
    # per-step options
    _detector: SkipDetector
    _detect: bool
    _transform: Transform | None
    _record: bool
    _hooks: list[Callable[[Any], None]]
    #: `step`'s fast path: (the one lr schedule or None for "every track", bases, group dicts).
    _fast: tuple[Schedule | None, list[float], list[dict[str, Any]], float] | None
    _floats_only: bool
    # torch's LRScheduler surface
    last_epoch: int
    _step_count: int
    base_lrs: list[float | torch.Tensor]

    def _resolve_all(self) -> None:
        groups = self.optimizer.param_groups
        for track in self._tracks:
            track.resolve(self._total)
            track.plan(groups)
        self._pg = groups
        self._n = len(groups)
        distinct = {id(s): s for track in self._tracks for s in track.resolved}.values()
        self._has_plateau = any(isinstance(node, Plateau) for s in distinct for _, node in s.walk())
        conflicts = self._lr.shared_tensor_conflicts()
        if conflicts:
            a, b = conflicts[0]
            raise ValueError(
                f"Param groups {a} and {b} share one lr tensor object but follow different schedules, so "
                f"that tensor cannot carry both rates (SGD(groups, lr=torch.tensor(...)) gives every group "
                f"the same tensor). Give each group its own tensor, e.g. {{'params': ..., "
                f"'lr': torch.tensor(0.1)}}, or use float lrs with tensor_lr=True"
            )
        if self._total is not None and self.check_betas:
            self._check_betas_over_run(self._total)

    def _check_betas_over_run(self, total: int) -> None:
        """Momentum and betas must stay in [0, 1) over the run (each distinct schedule once)."""
        grid = np.linspace(0.0, float(total), min(total + 1, 100_001))
        for track in self._tracks:
            if not track.is_beta:
                continue
            peaks: dict[int, float] = {}
            for i, (schedule, base) in enumerate(zip(track.resolved, track.bases, strict=True)):
                if id(schedule) not in peaks:
                    peaks[id(schedule)] = float(np.max(schedule._over(grid)))
                peak = peaks[id(schedule)] * base
                if not 0.0 <= peak < 1.0:
                    raise ValueError(
                        f"Argument `hparams` of {OWNER}() schedules {track.key!r} up to {peak!r} for "
                        f"param group {i} (base {base!r}); momentum and betas must stay in [0, 1)"
                    )

    def _position_of(self, updates: int, amount: int) -> float:
        if self._unit == "update":
            return float(updates + self._offset)
        if self._unit == "epoch":
            return (updates + self._offset) / self._spe  # type: ignore[operator]
        return float(amount + self._offset)

    @property
    def position(self) -> float:
        """The position of the next update, in the scheduler's unit (see `Scheduler`'s table)."""
        return self._position_of(self._updates, self._amount)

    def _sync_groups(self) -> None:
        """Re-bind after `optimizer.load_state_dict` (new group dicts) or `add_param_group`."""
        groups = self.optimizer.param_groups
        if len(groups) < self._n:
            raise ValueError(
                f"The optimizer has {len(groups)} param groups, fewer than the {self._n} this scheduler "
                f"schedules; build a new Scheduler for the new optimizer layout"
            )
        added: list[tuple[Track, Schedule, float]] = []  # checked first: on an error nothing changes
        for track in self._tracks:
            for i in range(self._n, len(groups)):
                track.access.check_group(i, groups[i])
                name = groups[i].get("name")
                if track.default is None:
                    raise ValueError(
                        f"Param group {i} (name={name!r}) was added to the optimizer, but the {track.key!r} "
                        f"schedules were given as a list (or come from a pasted spec's per-group lists or "
                        f"cycled momentum), so there is no default for it: give a schedule for every group "
                        f'as a dict with a "default" entry, or build a new Scheduler'
                    )
                definition, base = self.added_group(track.key, i, track.default, track.access.read(groups[i]))
                added.append((track, definition, base))
        for track, definition, base in added:
            track.definitions.append(definition)
            track.bases.append(base)
            track.plateaus.append({})
        if len(groups) > self._n:
            self._resolve_all()
            self.base_lrs = [*self._lr.bases]
        else:
            for track in self._tracks:
                track.plan(groups)
            self._pg = groups
            conflicts = self._lr.shared_tensor_conflicts()
            if conflicts:
                raise ValueError(
                    f"Param groups {conflicts[0]} now share one lr tensor but follow different schedules"
                )

    def added_group(self, key: str, index: int, default: Schedule, value: float) -> tuple[Schedule, float]:
        """The schedule and base of param group `index`, added with ``add_param_group`` (`value`: the
        `key` value it holds). Default: the `default` schedule with `value` as its base; a subclass
        may choose otherwise (`lrkit.compat` continues from `value`, as torch's chainable forms)."""
        return default, value

    def sync(self) -> None:
        """Pick up param groups added with ``optimizer.add_param_group`` now.

        A new group follows the default schedule (see `schedule`) with its current lr as its base.
        `step` does this by itself, but only after the new group's first update; call `sync` right
        after ``add_param_group`` so that this first update uses the scheduled rate.
        """
        self._sync_groups()
        self._apply()

    # -- the clock ---------------------------------------------------------------------------------

    def _eval_position(self, p: float) -> float:
        end = self._end
        if end is not None and p > end and self._after_end != "continue":
            p = end
        return stretch(self._extensions, p) if self._extensions else p

    def _apply(self) -> None:
        pg = self.optimizer.param_groups
        if pg is not self._pg or len(pg) != self._n:
            self._sync_groups()
        p = self._position_of(self._updates, self._amount)
        end = self._end
        if end is not None and p > end and self._after_end != "continue":
            p = end
        t = stretch(self._extensions, p) if self._extensions else p
        transform = self._transform
        # Every value is computed and checked before any is written: on an error nothing changes.
        planned = []
        strict = self.check_finite
        try:
            for track in self._tracks:
                values = track.compute(t, strict)
                if track is self._lr and self._anneal is not None and p >= self._anneal.at:
                    values = self._anneal.values(p)
                if transform is not None:
                    values = _transformed(transform, track.key, values)
                    if strict and not all(map(math.isfinite, values)):
                        raise NonFiniteValueError(
                            f"lrkit.Scheduler: the transform of set_transform() returned non-finite "
                            f"{track.key!r} values {values!r} at position {p!r}; nothing was written"
                        )
                if track.is_beta and self.check_betas:
                    _check_betas(track.key, values, p)
                if not strict and not all(map(math.isfinite, values)):
                    self.on_nonfinite(track.key, p, values)
                planned.append(values)
        except NonFiniteValueError as error:
            raise NonFiniteValueError(f"{error} (for update #{self._updates}, 0-based)") from None
        for track, values in zip(self._tracks, planned, strict=True):
            track.write(values)
        self._refresh_fast()

    def on_nonfinite(self, key: str, position: float, values: list[float]) -> None:
        """Called with ``check_finite`` False before non-finite `values` of `key` are written.

        `position` is that of the next update. The default does nothing; `lrkit.compat` warns once.
        An exception raised here stops the write (nothing changes).
        """

    def _apply_nonfinite(self, u: int) -> None:
        """The fast path met a non-finite or negative value: the general path's error (nothing
        written), or, with ``check_finite`` False, its `on_nonfinite` call and the write of every track."""
        updates = self._updates
        self._updates = u
        try:
            self._apply()
        finally:
            self._updates = updates

    def _floats_fast(self, p: float, u: int) -> bool:
        """`step`'s fast path for several tracks, each one schedule over float groups (a pasted
        OneCycleLR/CyclicLR: the lr and its cycled momentum): `Track.compute`, the [0, 1) check of
        momentum and `Track.write` inlined, every track computed before any is written. False when
        a track is not of that kind (the caller takes the general way)."""
        rows = []
        check = self.check_betas
        for track in self._tracks:
            single = track._single
            if single is None or not track.fast_floats:
                return False
            f = single._at(p)
            x = f * track.peak
            if x - x != 0.0 or f < 0.0:  # inf, NaN or negative: the general path's error or write
                self._apply_nonfinite(u)
                return True
            values = [b * f for b in track.bases]
            if check and track.is_beta:
                for v in values:
                    if not 0.0 <= v < 1.0:
                        _check_betas(track.key, values, p)  # raises
            rows.append(values)
        for track, values in zip(self._tracks, rows, strict=True):
            track.values = values
            key = track.access.key
            for group, v in zip(track._groups, values, strict=True):
                group[key] = v
        return True

    def _refresh_fast(self) -> None:
        """Choose `step`'s fast path: possible when the position is a plain count of updates.

        `_fast` is ``(schedule, bases, groups)`` when one lr schedule is shared by float groups and
        nothing else is scheduled (no method call at all per step); ``(None, [], [])`` for any
        tracks (other hyperparameters, tensor values), evaluated directly (inlined by `Scheduler._floats_fast`
        when `_floats_only`: every track is one schedule over float groups); None for the general path
        (another unit, an extension or anneal, history or hooks, a scaler or wrapper flag to read, a
        transform). With the step watch of `_detect`, `step` takes the fast path only after an
        ``optimizer.step()`` call that got no GradScaler verdict.
        """
        lr = self._lr
        simple = self._unit == "update" and not self._extensions and self._anneal is None
        simple = simple and not self._record and not self._hooks
        simple = simple and not (self._detect and self._detector.active)
        simple = simple and self._transform is None
        if not simple:
            self._fast = None
        elif len(self._tracks) == 1 and lr._single is not None and lr.fast_floats:
            self._fast = (lr._single, lr.bases, lr._groups, lr.peak)
        else:
            self._fast = (None, [], [], 0.0)
        # several tracks, each one schedule over float groups: `Scheduler._floats_fast` (which checks
        # it again at each step)
        self._floats_only = all(t._single is not None and t.fast_floats for t in self._tracks)
