"""`Scheduler`: drives a torch optimizer's learning rates (and other hyperparameters) from schedules."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.optim.lr_scheduler import LRScheduler

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.scheduler import _resume, _state
from lrkit.scheduler._binding import Access, bind, to_float
from lrkit.scheduler._detect import SkipDetector
from lrkit.scheduler._state import decode_path, encode_path
from lrkit.scheduler._timeline import ANNEAL_SHAPES, UNITS, Anneal, Extension, stretch
from lrkit.scheduler._track import Track
from lrkit.schedules._base import Absolute, Path, Schedule
from lrkit.schedules.plateau import Plateau, PlateauCounters

__all__ = ["AFTER_END", "Record", "ScheduleEndError", "ScheduleEndWarning", "Scheduler"]

OWNER = "Scheduler"
AFTER_END = ("hold", "error", "continue")


def _transformed(
    transform: Callable[[str, list[float]], list[float]], key: str, values: list[float]
) -> list[float]:
    """The values a `Scheduler.set_transform` callable returns for `key`, checked for their length."""
    out = [float(v) for v in transform(key, list(values))]
    if len(out) != len(values):
        raise ValueError(
            f"The transform of Scheduler.set_transform() returned {len(out)} values for {key!r}; "
            f"it must return one per param group ({len(values)})"
        )
    return out


def _plateau_row(owner: str, r: int, row: Any, n: int) -> tuple[str, int, Path, PlateauCounters, int]:
    """One row of `Scheduler.plateau_state`, checked: key, group, path, counters, reductions."""
    fields = ("key", "group", "path", "best", "bad", "cooldown", "evaluations", "reductions")
    if not isinstance(row, Mapping) or any(f not in row for f in fields):
        raise ValueError(
            f"{owner}(): rows[{r}] must be a dict with the keys {list(fields)}. Received: {row!r}"
        )
    try:
        group = check_int(owner, f"rows[{r}]['group']", row["group"], low=0)
        if group >= n:
            raise fail(owner, f"rows[{r}]['group']", group, f"a param group index < {n}")
        best = row["best"]
        if isinstance(best, bool) or not isinstance(best, (int, float)) or math.isnan(best):
            raise fail(owner, f"rows[{r}]['best']", best, "a number (not NaN)", kind=TypeError)
        counters = PlateauCounters(
            float(best),
            check_int(owner, f"rows[{r}]['bad']", row["bad"], low=0),
            check_int(owner, f"rows[{r}]['cooldown']", row["cooldown"], low=0),
            check_int(owner, f"rows[{r}]['evaluations']", row["evaluations"], low=0),
        )
        reductions = check_int(owner, f"rows[{r}]['reductions']", row["reductions"], low=0)
        path = decode_path(row["path"])
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise ValueError(f"{owner}(): rows[{r}] is malformed: {error}") from None
    return str(row["key"]), group, path, counters, reductions


def _check_betas(key: str, values: list[float], p: float) -> None:
    """Momentum and betas must stay in [0, 1) (an optimizer would silently misbehave otherwise)."""
    for i, v in enumerate(values):
        if not 0.0 <= v < 1.0:
            raise ValueError(
                f"The scheduled {key!r} of param group {i} is {v!r} at position {p!r}; "
                f"momentum and betas must stay in [0, 1)"
            )


class ScheduleEndWarning(UserWarning):
    """The run went past its `total` (emitted once per scheduler)."""


class ScheduleEndError(RuntimeError):
    """The run went past its `total` with ``after_end="error"``."""


class Record(NamedTuple):
    """The values one update used: its index (0-based), its position, the lrs and other hparams."""

    update: int
    position: float
    lr: list[float]
    hparams: dict[str, list[float]]


class Scheduler(LRScheduler):
    """Sets each param group's lr to ``base_g * schedule_g(position)`` before every optimizer update.

    ``lr_g(update i) = base_g * f_g(p_i)`` where ``base_g`` is the group's lr when the scheduler is
    built (kept in the scheduler's state, never in the optimizer) and ``p_i`` is the position of
    update ``i`` (0-based) in the scheduler's unit:

    ================  ===================  =======================================================
    unit              ``p_i``              with ``skip_zero_start`` applied
    ================  ===================  =======================================================
    ``"update"``      ``i``                ``i + 1``
    ``"epoch"``       ``i / spe``          ``(i + 1) / spe`` (``spe = steps_per_epoch``)
    ``"sample"``      samples before i     samples before i + ``update_size``
    ``"token"``       tokens before i      tokens before i + ``update_size``
    ================  ===================  =======================================================

    ``skip_zero_start`` (default True) applies only when some group's factor is exactly 0 at
    position 0 and positive one update in (a warmup from 0; a group held at 0, such as a frozen
    part, does not trigger it): the first real update then uses the rate at one update in,
    instead of being wasted at rate 0, and update ``total - 1`` uses the schedule's end value.

    Call ``optimizer.step(); scheduler.step()`` once per optimizer update (``step(samples=n)`` or
    ``step(tokens=n)`` in those units). Only applied updates count: an update skipped by
    `torch.amp.GradScaler` (pass ``scaler=``) or flagged ``step(applied=False)`` does not advance
    the position. ``optimizer.step`` is never wrapped and no key (no ``initial_lr``) is written into
    the param groups other than the scheduled values; tensor values are updated in place.

    Args:
        optimizer: a `torch.optim.Optimizer`.
        schedule: a schedule or spec string for every group; a list with one per group; or a dict
            keyed by the groups' ``"name"`` entries, whose ``"default"`` entry covers unnamed or
            unlisted groups (without it, every group must be listed).
        total: the run's length in the scheduler's unit, an int >= 1, or None (then every length in
            the schedules must be in whole steps). Fractions and open lengths resolve against it.
        unit: "update" (default), "epoch", "sample" or "token".
        steps_per_epoch: updates per epoch, an int >= 1; required with ``unit="epoch"``, only then.
        update_size: samples or tokens per update, an int >= 1; with ``unit="sample"``/``"token"``,
            needed only when ``skip_zero_start`` applies.
        hparams: other hyperparameters to schedule, ``{"momentum": s, "weight_decay": s, "beta1": s,
            "beta2": s, "<any numeric group key>": s}`` (each a schedule, spec, list or dict as
            `schedule`). ``"momentum"`` is ``betas[0]`` for Adam-family optimizers. Bases are the
            groups' values at construction; momentum and betas must stay in [0, 1).
        after_end: past ``total``: "hold" (the value at ``total``, default), "continue" (keep
            evaluating the schedules) or "error" (raise `ScheduleEndError`). "hold" and "continue"
            warn once (`ScheduleEndWarning`).
        skip_zero_start: see above. Default True.
        tensor_lr: turn float lrs into per-group 0-dim tensors (for `torch.compile`: a changing float
            lr recompiles the optimizer step). Default False.
        scaler: the `torch.amp.GradScaler` whose skipped steps must not count.
        history: keep a `Record` per update in `history`. Default False.
        detect_skips: False counts every ``step()`` call (except ``step(applied=False)``), as torch's
            schedulers count; `lrkit.compat` uses it. Default True.

    Raises:
        TypeError: an optimizer or schedule of the wrong type.
        ValueError: a bad argument (named in the message), schedules that cannot be resolved against
            the run, one lr tensor shared by groups with different schedules, momentum or betas
            outside [0, 1), or a warmup from 0 in samples/tokens without ``update_size``.

    Example:
        >>> import torch
        >>> from lrkit import Scheduler, cosine, warmup
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = Scheduler(opt, warmup(cosine(), steps=2), total=6)
        >>> rates = []
        >>> for _ in range(6):
        ...     rates.append(round(opt.param_groups[0]["lr"], 4))
        ...     opt.step()
        ...     sched.step()
        >>> rates
        [0.05, 0.1, 0.0854, 0.05, 0.0146, 0.0]
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Any,
        *,
        total: int | None = None,
        unit: str = "update",
        steps_per_epoch: int | None = None,
        update_size: int | None = None,
        hparams: Mapping[str, Any] | None = None,
        after_end: str = "hold",
        skip_zero_start: bool = True,
        tensor_lr: bool = False,
        scaler: Any = None,
        history: bool = False,
        detect_skips: bool = True,
    ) -> None:
        # NOTE: torch's LRScheduler.__init__ is not called on purpose: it writes `initial_lr` into
        # the groups and wraps `optimizer.step`. The attributes its public surface needs are set here.
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(OWNER, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        self.optimizer = optimizer
        self._unit = check_choice(OWNER, "unit", unit, UNITS)
        self._total = None if total is None else check_int(OWNER, "total", total, low=1)
        if unit == "epoch":
            if steps_per_epoch is None:
                raise fail(OWNER, "steps_per_epoch", None, "an int >= 1 with unit='epoch'", kind=TypeError)
            steps_per_epoch = check_int(OWNER, "steps_per_epoch", steps_per_epoch, low=1)
        elif steps_per_epoch is not None:
            raise fail(OWNER, "steps_per_epoch", steps_per_epoch, f"None with unit={unit!r} (epochs only)")
        self._spe = steps_per_epoch
        if update_size is not None:
            if unit not in ("sample", "token"):
                raise fail(
                    OWNER, "update_size", update_size, f"None with unit={unit!r} (samples/tokens only)"
                )
            update_size = check_int(OWNER, "update_size", update_size, low=1)
        self._update_size = update_size
        self._after_end = check_choice(OWNER, "after_end", after_end, AFTER_END)
        for name, flag in (
            ("skip_zero_start", skip_zero_start),
            ("tensor_lr", tensor_lr),
            ("history", history),
            ("detect_skips", detect_skips),
        ):
            if not isinstance(flag, bool):
                raise fail(OWNER, name, flag, "True or False", kind=TypeError)
        if hparams is not None and not isinstance(hparams, Mapping):
            raise fail(OWNER, "hparams", hparams, "a dict {name: schedule}", kind=TypeError)
        hparams = dict(hparams or {})
        if "lr" in hparams:
            raise fail(
                OWNER, "hparams", list(hparams), "other hyperparameters than 'lr' (give it as `schedule`)"
            )
        self._skip_zero_start = skip_zero_start

        groups = optimizer.param_groups
        lr_access = Access("lr", groups)
        lr_bases = [lr_access.read(group) for group in groups]  # before tensor_lr rounds them
        if tensor_lr:
            floats = [group for group in groups if not isinstance(group["lr"], torch.Tensor)]
            # NOTE: the tensors are 0-dim views of one buffer, so one `copy_` writes every group's
            # rate (and bumps the shared version counter autograd checks); see `Track.plan`.
            packed = torch.tensor([float(group["lr"]) for group in floats], dtype=torch.get_default_dtype())
            for k, group in enumerate(floats):
                group["lr"] = packed[k]
        self._tracks: list[Track] = []
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
            self._tracks.append(track)
        self._lr = self._tracks[0]

        self._updates = 0
        self._amount = 0
        self._skipped = 0
        self._warned = False
        self._extensions: list[Extension] = []
        self._anneal: Anneal | None = None
        self._end: float | None = None if self._total is None else float(self._total)
        self._resolve_all()
        self._offset = self._choose_offset()

        self._detector = SkipDetector(optimizer, scaler)
        self._detect = detect_skips and self._detector.active
        self._transform: Callable[[str, list[float]], list[float]] | None = None
        self._record = history
        self._history: list[Record] = []
        self._hooks: list[Callable[[Record], None]] = []
        self._fast: tuple[Schedule, list[float], list[dict[str, Any]]] | None = None
        self._fast_tracks: tuple[Track, ...] | None = None
        # The part of torch's LRScheduler surface that trainers read.
        self.last_epoch = 0
        self._step_count = 1
        self.base_lrs: list[float | torch.Tensor] = [*self._lr.bases]
        self._apply()
        self._last_lr = list(self._lr.values)

    # -- set-up helpers ----------------------------------------------------------------------------

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
        if self._total is not None:
            self._check_betas(self._total)

    def _check_betas(self, total: int) -> None:
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

    def _choose_offset(self) -> int:
        if not self._skip_zero_start:
            return 0
        # A warmup from 0: the factor is 0 at position 0 and positive one update in. A group that
        # stays at 0 for a while (a frozen part joining later) does not move the others.
        if self._unit == "update":
            one_in = 1.0
        elif self._unit == "epoch":
            one_in = 1.0 / float(self._spe or 1)
        else:
            one_in = float(self._update_size or 1)
        zero = any(s._at(0.0) == 0.0 and s._at(one_in) > 0.0 for s in self._lr.resolved)
        if not zero:
            return 0
        if self._unit in ("update", "epoch"):
            return 1
        if self._update_size is None:
            raise ValueError(
                f"Argument `update_size` of {OWNER}() is needed with unit={self._unit!r}: a schedule starts "
                f"at 0, and skip_zero_start places the first update one update in ({self._unit}s per "
                f"update). Received: update_size=None; give update_size=<{self._unit}s per update> or "
                f"skip_zero_start=False"
            )
        return self._update_size

    def _position_of(self, updates: int, amount: int) -> float:
        if self._unit == "update":
            return float(updates + self._offset)
        if self._unit == "epoch":
            return (updates + self._offset) / self._spe  # type: ignore[operator]
        return float(amount + self._offset)

    def _sync_groups(self) -> None:
        """Re-bind after `optimizer.load_state_dict` (new group dicts) or `add_param_group`."""
        groups = self.optimizer.param_groups
        if len(groups) < self._n:
            raise ValueError(
                f"The optimizer has {len(groups)} param groups, fewer than the {self._n} this scheduler "
                f"schedules; build a new Scheduler for the new optimizer layout"
            )
        for track in self._tracks:
            for i in range(self._n, len(groups)):
                track.access.check_group(i, groups[i])
                name = groups[i].get("name")
                if track.default is None:
                    raise ValueError(
                        f"Param group {i} (name={name!r}) was added to the optimizer, but the {track.key!r} "
                        f"schedules were given as a list, so there is no default for it: give a schedule for "
                        f'every group as a dict with a "default" entry, or build a new Scheduler'
                    )
                track.definitions.append(track.default)
                track.bases.append(track.access.read(groups[i]))
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
        for track in self._tracks:
            values = track.compute(t)
            if track is self._lr and self._anneal is not None and p >= self._anneal.at:
                values = self._anneal.values(p)
            if transform is not None:
                values = _transformed(transform, track.key, values)
            if track.is_beta:
                _check_betas(track.key, values, p)
            track.write(values)
        self._refresh_fast()

    def _refresh_fast(self) -> None:
        """Enable `step`'s fast paths when the position is a plain count of updates.

        `_fast`: one lr schedule shared by float groups and nothing else (no method calls at all);
        `_fast_tracks`: any tracks (other hyperparameters, tensor values), evaluated directly.
        """
        lr = self._lr
        simple = self._unit == "update" and not self._extensions and self._anneal is None
        simple = simple and not self._record and not self._hooks and not self._detect
        simple = simple and self._transform is None
        if simple and len(self._tracks) == 1 and lr._single is not None and lr.fast_floats:
            self._fast = (lr._single, lr.bases, lr._groups)
            self._fast_tracks = None
        else:
            self._fast = None
            self._fast_tracks = tuple(self._tracks) if simple else None

    # -- the training-loop API ------------------------------------------------------------------

    def step(  # type: ignore[override]
        self,
        epoch: None = None,
        *,
        samples: Any = None,
        tokens: Any = None,
        applied: bool | None = None,
    ) -> None:
        """Count one optimizer update (if it was applied) and set the values for the next one.

        Args:
            epoch: not supported (torch's deprecated argument); raises TypeError if given.
            samples: with ``unit="sample"``, the samples in the update just made, an int >= 0.
            tokens: with ``unit="token"``, the tokens in the update just made, an int >= 0.
            applied: whether the update was applied; None (default) detects it (GradScaler, see
                ``scaler``; accelerate's ``step_was_skipped``), False skips it.

        Raises:
            TypeError: ``epoch`` given, or a wrong type for ``samples``/``tokens``/``applied``.
            ValueError: ``samples``/``tokens`` missing or given in the wrong unit.
            ScheduleEndError: the update just made ran past ``total`` with ``after_end="error"``
                (it is counted; it used the value at the end).
        """
        fast = self._fast
        if fast is not None and epoch is None and samples is None and tokens is None and applied is None:
            # The common case (one lr schedule shared by float groups, unit "update", nothing
            # detected or recorded), without method calls: see `_refresh_fast`.
            u = self._updates + 1
            p = float(u + self._offset)
            end = self._end
            pg = self.optimizer.param_groups
            if (end is None or p <= end) and pg is self._pg and len(pg) == self._n:
                schedule, bases, groups = fast
                f = schedule._at(p)
                values = [b * f for b in bases]
                for group, v in zip(groups, values, strict=True):
                    group["lr"] = v
                lr = self._lr
                self._last_lr = lr.values  # type: ignore[assignment]
                lr.values = values
                self._updates = u
                self.last_epoch = u
                self._step_count += 1
                return
        tracks = self._fast_tracks
        if tracks is not None and epoch is None and samples is None and tokens is None and applied is None:
            # Other hyperparameters or tensor values: the same shortcut, one call per track.
            u = self._updates + 1
            p = float(u + self._offset)
            end = self._end
            pg = self.optimizer.param_groups
            if (end is None or p <= end) and pg is self._pg and len(pg) == self._n:
                self._last_lr = self._lr.values  # type: ignore[assignment]
                for track in tracks:
                    values = track.compute(p)
                    if track.is_beta:
                        _check_betas(track.key, values, p)
                    track.write(values)
                self._updates = u
                self.last_epoch = u
                self._step_count += 1
                return
        if epoch is not None:
            raise TypeError(
                f"Scheduler.step() takes no epoch (torch's deprecated argument). Received: epoch={epoch!r}; "
                f"the position counts applied updates (unit={self._unit!r})"
            )
        n = (
            0
            if samples is None and tokens is None and self._unit in ("update", "epoch")
            else self._amount_of(samples, tokens)
        )
        if applied is None:
            applied = self._detector.applied() if self._detect else True
        elif not isinstance(applied, bool):
            raise fail("Scheduler.step", "applied", applied, "True, False or None", kind=TypeError)
        if not applied:
            self._skipped += 1
            return
        updates = self._updates + 1
        amount = self._amount + n
        used = self._position_of(self._updates, self._amount)
        past = self._end is not None and used > self._end
        if self._record or self._hooks:
            self._emit()
        self._updates = updates
        self._amount = amount
        self.last_epoch = updates
        self._step_count += 1
        self._last_lr = [*self._lr.values]
        self._apply()
        if past:
            self._past_end(used)

    def _past_end(self, used: float) -> None:
        """The update just made ran past the end of the run: raise, or warn once."""
        end = self._end
        if self._after_end == "error":
            raise ScheduleEndError(
                f"lrkit.Scheduler: an update ran past the end of the run (position {used!r} > total "
                f"{end!r} {self._unit}s, after_end='error'); it was counted and used the value at the end"
            )
        if not self._warned:
            self._warned = True
            what = "holds the value at the end" if self._after_end == "hold" else "continues the schedules"
            warnings.warn(
                f"lrkit.Scheduler: an update ran past the end of the run (position {used!r} > total "
                f"{end!r} {self._unit}s); the scheduler {what} (after_end={self._after_end!r}). "
                f"This warning is shown once",
                ScheduleEndWarning,
                stacklevel=3,
            )

    def _amount_of(self, samples: Any, tokens: Any) -> int:
        unit = self._unit
        wanted = {"sample": "samples", "token": "tokens"}.get(unit)
        for name, value in (("samples", samples), ("tokens", tokens)):
            if value is not None and name != wanted:
                raise ValueError(
                    f"Argument `{name}` of Scheduler.step() is for unit={name[:-1]!r}; this scheduler's unit "
                    f"is {unit!r}. Received: {name}={value!r}"
                )
        value = samples if unit == "sample" else tokens
        if value is None:
            raise ValueError(
                f"Scheduler.step() needs `{wanted}=<{wanted} in this update>` with unit={unit!r}. "
                f"Received: {wanted}=None"
            )
        if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
            value = int(value.item())
        return check_int("Scheduler.step", str(wanted), value, low=0)

    def _emit(self) -> None:
        record = Record(
            self._updates,
            self._position_of(self._updates, self._amount),
            list(self._lr.values),
            {track.key: list(track.values) for track in self._tracks[1:]},
        )
        if self._record:
            self._history.append(record)
        for hook in self._hooks:
            hook(record)

    def add_hook(self, hook: Callable[[Record], None]) -> Callable[[], None]:
        """Call ``hook(record)`` after each counted update with the values that update used.

        Returns:
            A function that removes the hook.
        """
        if not callable(hook):
            raise fail("Scheduler.add_hook", "hook", hook, "a callable", kind=TypeError)
        self._hooks.append(hook)
        self._refresh_fast()

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)
            self._refresh_fast()

        return remove

    @property
    def history(self) -> list[Record]:
        """A `Record` per counted update (index, position, values used), if ``history=True``."""
        if not self._record:
            raise RuntimeError(
                "Scheduler(history=False) keeps no history; pass history=True or use add_hook()"
            )
        return list(self._history)

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The lrs used by the last counted update (before any: those of the first update); a copy."""
        return [float(v) for v in self._last_lr]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The lrs the next update will use (same as `lr_for_next_update`)."""
        return list(self._lr.values)

    def lr_for_next_update(self) -> list[float]:
        """The lrs now in the param groups, which the next optimizer update will use; a copy."""
        return list(self._lr.values)

    def values_for_next_update(self, key: str = "lr") -> list[float]:
        """The values of the scheduled hyperparameter `key` for the next update; a copy."""
        for track in self._tracks:
            if track.key == key:
                return list(track.values)
        raise KeyError(f"{key!r} is not scheduled; scheduled: {[t.key for t in self._tracks]}")

    @property
    def position(self) -> float:
        """The position of the next update, in the scheduler's unit (see the table above)."""
        return self._position_of(self._updates, self._amount)

    @property
    def updates(self) -> int:
        """Applied optimizer updates counted so far."""
        return self._updates

    @property
    def skipped(self) -> int:
        """Updates reported or detected as skipped (not counted)."""
        return self._skipped

    @property
    def unit(self) -> str:
        """The unit of positions and of `total`."""
        return self._unit

    @property
    def total(self) -> float | None:
        """The end of the run in the scheduler's unit (after `extend` or `anneal`, the new end)."""
        return self._end

    def schedules(self, key: str = "lr") -> list[Schedule]:
        """The resolved schedule of every group for `key` (with the plateau reductions so far)."""
        for track in self._tracks:
            if track.key == key:
                return list(track.resolved)
        raise KeyError(f"{key!r} is not scheduled; scheduled: {[t.key for t in self._tracks]}")

    # -- the adapter surface (for lrkit.compat, resume and the integrations) -----------------------
    #
    # Every method here that changes the plan writes the values of the next update at once (except
    # ``seek(write=False)``), so the param groups always hold what the next update will use.

    @property
    def scheduled_keys(self) -> tuple[str, ...]:
        """The scheduled hyperparameters, ``"lr"`` first (then the `hparams` keys in their order)."""
        return tuple(track.key for track in self._tracks)

    @property
    def has_plateau(self) -> bool:
        """True when some schedule contains a `plateau` phase (then `observe` may be called)."""
        return self._has_plateau

    def _track(self, owner: str, key: str) -> Track:
        for track in self._tracks:
            if track.key == key:
                return track
        raise KeyError(
            f"Scheduler.{owner}(): {key!r} is not scheduled; scheduled: {list(self.scheduled_keys)}"
        )

    def definitions(self, key: str = "lr") -> list[Schedule]:
        """Each group's schedule as given (before resolving against the run); a copy of the list.

        Raises:
            KeyError: `key` is not scheduled.
        """
        return list(self._track("definitions", key).definitions)

    def bases(self, key: str = "lr") -> list[float]:
        """Each group's base value for `key` (the value its factors multiply); a copy.

        Raises:
            KeyError: `key` is not scheduled.
        """
        return list(self._track("bases", key).bases)

    def factors(self, key: str = "lr") -> list[float]:
        """Each group's factor at the position of the next update: its resolved schedule's value there.

        The value written is ``base * factor``, unless an `anneal` is in progress (lr) or a transform
        is set (see `set_transform`); neither is included here.

        Raises:
            KeyError: `key` is not scheduled.
        """
        track = self._track("factors", key)
        t = self._eval_position(self.position)
        return [schedule._at(t) for schedule in track.resolved]

    def seek(self, updates: float, *, amount: int | None = None, write: bool = True) -> None:
        """Move to a position: set the count of updates (and, in samples/tokens, the amount) directly.

        The next update then uses position ``updates + offset`` (unit "update"; see the class
        docstring for the other units); `last_epoch` becomes ``floor(updates)``. Nothing else changes:
        not the skipped count, not the plateau counters, not an `extend` or `anneal`. A fractional
        `updates` is allowed (torch's ``CosineAnnealingWarmRestarts.step(epoch=2.5)``).

        Args:
            updates: the number of updates counted so far, a finite number >= 0.
            amount: with ``unit="sample"``/``"token"``, the samples/tokens counted so far (an int >= 0);
                None keeps the current amount.
            write: write the values of the next update into the param groups (default True). False
                only moves the counters (the groups keep their values until the next write).

        Raises:
            ValueError: `updates` not a finite number >= 0, or `amount` not an int >= 0.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, linear
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = Scheduler(opt, linear(1.0, 0.0), total=10)
            >>> sched.seek(4)
            >>> sched.updates, sched.lr_for_next_update()
            (4, [0.6])
        """
        number = check_number("Scheduler.seek", "updates", updates, low=0.0)
        if isinstance(updates, numbers.Integral):
            number = int(updates)  # type: ignore[assignment]  # stays an int (no float rounding)
        if amount is not None:
            self._amount = check_int("Scheduler.seek", "amount", amount, low=0)
        self._updates = number  # type: ignore[assignment]  # an int unless a fraction was given
        self.last_epoch = math.floor(number)
        if write:
            self._apply()

    def set_definitions(self, schedule: Any, *, key: str = "lr") -> None:
        """Replace the schedules of `key`: one schedule (or spec) for every group, a list or a dict.

        The argument takes the forms of the constructor's `schedule`. The bases, the position and the
        plateau counters of plateaus still at the same place are kept; the new schedules are resolved
        against the run and the next update's values are written. On an error nothing changes.

        Raises:
            KeyError: `key` is not scheduled.
            TypeError, ValueError: as the constructor's `schedule` (the list's length, unresolvable
                schedules, momentum or betas outside [0, 1)).
        """
        track = self._track("set_definitions", key)
        groups = self.optimizer.param_groups[: self._n]
        definitions, default = bind("schedule" if key == "lr" else f"hparams[{key!r}]", schedule, groups)
        old = (track.definitions, track.default, track.plateaus)

        def restore() -> None:
            track.definitions, track.default, track.plateaus = old

        track.definitions, track.default = definitions, default
        track.plateaus = [
            {path: entry for path, entry in entries.items() if isinstance(nodes.get(path), Plateau)}
            for entries, nodes in zip(track.plateaus, (dict(d.walk()) for d in definitions), strict=True)
        ]
        self._replan(restore)

    def set_bases(self, bases: Any, *, key: str = "lr") -> None:
        """Replace the base values of `key`: a sequence with one finite number per group.

        The schedules' factors multiply the new bases from the next update on (already written at
        once). On an error nothing changes.

        Raises:
            KeyError: `key` is not scheduled.
            TypeError, ValueError: not one finite number per group, or momentum/betas leaving [0, 1).
        """
        track = self._track("set_bases", key)
        if isinstance(bases, (str, bytes)) or not isinstance(bases, (list, tuple)):
            raise fail(
                "Scheduler.set_bases",
                "bases",
                bases,
                f"a list with one number per group ({self._n})",
                kind=TypeError,
            )
        if len(bases) != self._n:
            raise fail("Scheduler.set_bases", "bases", bases, f"one number per param group ({self._n})")
        values = [
            check_number("Scheduler.set_bases", f"bases[{i}]", to_float(b)) for i, b in enumerate(bases)
        ]
        previous = track.bases

        def restore() -> None:
            track.bases = previous

        track.bases = values
        self._replan(restore)
        if track is self._lr:
            self.base_lrs = [*values]

    def _replan(self, restore: Callable[[], None]) -> None:
        """Resolve and write after a change of plan; on an error, `restore` the old plan and re-raise."""
        try:
            self._resolve_all()
            self._apply()
        except BaseException:
            restore()
            self._resolve_all()
            self._apply()
            raise

    def load_plateau_state(self, rows: Any) -> None:
        """Set every plateau's counters from rows of `plateau_state` (the others start afresh).

        Each row is ``{"key", "group", "path", "best", "bad", "cooldown", "evaluations",
        "reductions"}``; a plateau reduced ``reductions`` times is resolved so. On an error nothing
        changes.

        Raises:
            ValueError: a malformed row, an unscheduled key, a group out of range, or a path that is
                not a plateau of that group's schedule.
        """
        owner = "Scheduler.load_plateau_state"
        if not isinstance(rows, (list, tuple)):
            raise fail(owner, "rows", rows, "a list of rows from plateau_state()", kind=TypeError)
        by_key = {track.key: track for track in self._tracks}
        new: dict[str, list[dict[Path, tuple[PlateauCounters, int]]]] = {
            k: [{} for _ in range(self._n)] for k in by_key
        }
        for r, row in enumerate(rows):
            key, group, path, counters, reductions = _plateau_row(owner, r, row, self._n)
            if key not in by_key:
                raise ValueError(f"{owner}(): rows[{r}] has key {key!r}, which is not scheduled")
            node = dict(by_key[key].definitions[group].walk()).get(path)
            if not isinstance(node, Plateau):
                raise ValueError(
                    f"{owner}(): rows[{r}] names path {encode_path(path)!r} of param group {group}, which "
                    f"is not a plateau of that group's {key!r} schedule"
                )
            new[key][group][path] = (counters, reductions)
        old = {track.key: track.plateaus for track in self._tracks}

        def restore() -> None:
            for track in self._tracks:
                track.plateaus = old[track.key]

        for track in self._tracks:
            track.plateaus = new[track.key]
        self._replan(restore)

    def set_transform(self, transform: Callable[[str, list[float]], list[float]] | None) -> None:
        """Decide the values written to the groups: ``transform(key, values) -> values`` (or None).

        Every write (each `step`, `seek`, `observe`, ...) passes each scheduled key's computed values
        (one per group: ``base * factor``, or the anneal's) through `transform` and writes what it
        returns (a list of the same length). What it returns is what `get_last_lr`,
        `lr_for_next_update`, `history` and hooks report, and what the momentum/betas range check
        sees. `lrkit.compat` uses it to multiply the factors of several schedulers attached to one
        optimizer. While a transform is set, `step` takes its general path (about 2x the cost of the
        fast path with one group). The values are written at once.

        Raises:
            TypeError: `transform` neither callable nor None.
        """
        if transform is not None and not callable(transform):
            raise fail(
                "Scheduler.set_transform", "transform", transform, "a callable or None", kind=TypeError
            )
        previous = self._transform

        def restore() -> None:
            self._transform = previous

        self._transform = transform
        self._replan(restore)

    # -- plateau ---------------------------------------------------------------------------------

    def observe(self, metric: Any, *, reduce: str = "mean") -> bool:
        """Feed a metric to the plateau phases active at the current position.

        Each active `plateau` node updates its counters (best, bad count, cooldown) and, when it
        reduces, is replaced by the node with ``reductions + 1`` in that group's schedule (unless the
        change would not exceed its ``eps`` for that group). The new rates are written at once.
        Plateau nodes not active now (during a warmup before them) ignore the metric.

        With an initialized `torch.distributed` process group, the metric is first combined across
        the ranks (`lrkit.distributed.reduce_metric`), so every rank's plateau sees the same value
        and reduces at the same evaluation: then every rank must call ``observe``. Without a process
        group the metric is used as given.

        Args:
            metric: a real number (or a 1-element tensor).
            reduce: how ranks' metrics combine under a process group: "mean" (default), "max",
                "min", "rank0" (rank 0's metric), "verify" (raise unless all ranks agree) or
                "local" (no communication).

        Returns:
            True if a value was reduced.

        Raises:
            ValueError: no schedule contains a plateau, an unknown `reduce`, or a NaN/infinite
                metric (see ``plateau(nonfinite=...)``).

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, plateau
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
            >>> sched = Scheduler(opt, plateau(factor=0.5, patience=1))
            >>> [sched.observe(loss) for loss in [1.0, 0.9, 0.9, 0.9]]
            [False, False, False, True]
            >>> sched.lr_for_next_update()
            [0.05]
        """
        if isinstance(metric, torch.Tensor):
            metric = float(metric.detach().reshape(()).item())
        if not self._has_plateau:
            raise ValueError(
                "Scheduler.observe() feeds plateau phases, and none of this scheduler's schedules has one; "
                "add plateau(...) to a schedule, e.g. warmup(plateau(patience=5), steps=100)"
            )
        from lrkit.distributed._reduce import REDUCTIONS, reduce_metric

        metric = reduce_metric(metric, check_choice("Scheduler.observe", "reduce", reduce, REDUCTIONS))
        t = self._eval_position(self.position)
        changed = False
        for track in self._tracks:
            changed = track.observe(t, metric) or changed
        if changed:
            for track in self._tracks:
                track.plan(self.optimizer.param_groups)
            self._apply()
        return changed

    def plateau_state(self) -> list[dict[str, Any]]:
        """The counters of every plateau that has observed metrics: key, group, path and counters.

        Each entry holds ``best``, ``bad`` (consecutive bad evaluations), ``cooldown`` (evaluations
        left), ``evaluations`` and ``reductions``.
        """
        return [row for track in self._tracks for row in track.plateau_rows()]

    # -- changes of plan -------------------------------------------------------------------------

    def extend(self, total: float) -> None:
        """Make the run end at `total` instead, continuing smoothly from the current position.

        The rest of the run (from the current position ``k`` to the old end ``T``) is stretched to
        end at the new total ``T'``: position ``t > k`` evaluates the old plan at
        ``k + (t - k) * (T - k) / (T' - k)``. The next rate is unchanged, and the values reached at
        ``T`` are reached at ``T'``.

        Args:
            total: the new end, a number > the current position (in the scheduler's unit).

        Raises:
            ValueError: no total was set, the run already reached its end, an anneal is in
                progress, or `total` is not after the current position.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, linear
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = Scheduler(opt, linear(1.0, 0.0), total=10)
            >>> for _ in range(6):
            ...     sched.step()
            >>> sched.extend(14)  # the last 4 steps of the decay now take 8
            >>> rates = []
            >>> for _ in range(8):
            ...     rates.append(round(sched.lr_for_next_update()[0], 3))
            ...     sched.step()
            >>> rates
            [0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05]
        """
        p = self.position
        end = self._end
        new = check_number("Scheduler.extend", "total", total, low=p, low_open=True)
        if end is None:
            raise ValueError(
                "Scheduler.extend() needs a run with a total; this scheduler was built with total=None"
            )
        if self._anneal is not None:
            raise ValueError(
                "Scheduler.extend() cannot stretch an anneal in progress; call anneal() again instead"
            )
        if p >= end:
            raise ValueError(
                f"Scheduler.extend() stretches the rest of the run, and nothing is left: position {p!r} >= "
                f"end {end!r}; use anneal() or load with policy='adopt' to start a new plan"
            )
        self._extensions.append(Extension(p, end, new))
        self._end = new
        self._warned = False
        self._apply()

    def anneal(self, steps: float, *, end: Any = 0.0, shape: str = "linear") -> None:
        """Anneal the lr from its current value to `end` over the next `steps`, then end the run.

        ``lr_g(t) = start_g + (end_g - start_g) * w((t - k) / steps)`` for ``t >= k`` (the current
        position), with ``w(p) = p`` ("linear"), ``(1 - cos(pi p)) / 2`` ("cosine") or ``sqrt(p)``
        ("1-sqrt", the WSD cooldown of Hägele et al. 2024); ``start_g`` is the group's next lr and
        ``end_g = base_g * end`` (or the absolute value). The run's end becomes ``k + steps``.

        Args:
            steps: the anneal's length in the scheduler's unit, > 0.
            end: the final factor >= 0, or `absolute(v)`. Default 0.
            shape: "linear", "cosine" or "1-sqrt".

        Raises:
            ValueError: `steps` not > 0, `end` negative, or an unknown `shape`.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, constant
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = Scheduler(opt, constant(), total=1000)
            >>> for _ in range(300):
            ...     sched.step()
            >>> sched.anneal(4)  # cool down now, over 4 updates
            >>> rates = []
            >>> for _ in range(5):
            ...     rates.append(sched.lr_for_next_update()[0])
            ...     sched.step()
            >>> rates, sched.total
            ([1.0, 0.75, 0.5, 0.25, 0.0], 304.0)

        Reference: Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
        Durations", 2024 (warmup-stable-decay cooldowns).
        """
        steps = check_number("Scheduler.anneal", "steps", steps, low=0.0, low_open=True)
        check_choice("Scheduler.anneal", "shape", shape, ANNEAL_SHAPES)
        bases = self._lr.bases
        if isinstance(end, Absolute):
            ends = tuple(end.value for _ in bases)
        else:
            factor = check_number("Scheduler.anneal", "end", end, low=0.0)
            ends = tuple(b * factor for b in bases)
        p = self.position
        self._anneal = Anneal(p, steps, shape, tuple(self._lr.values), ends)
        self._end = p + steps
        self._warned = False
        self._apply()

    # -- state -------------------------------------------------------------------------------------

    def _run(self) -> dict[str, Any]:
        return {
            "total": self._total,
            "unit": self._unit,
            "steps_per_epoch": self._spe,
            "update_size": self._update_size,
        }

    def fingerprint(self) -> str:
        """A short hash of the schedule definitions (per group and hyperparameter) and of the run."""
        return str(_state.run_fingerprint({t.key: t.definitions for t in self._tracks}, self._run())["all"])

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (loads with ``torch.load(..., weights_only=True)``).

        It holds the position counters, the base values, the plateau counters, the definitions (as
        configs) with their fingerprint, and any `extend`/`anneal`; not the history.
        """
        return _resume.dump(self)

    def load_state_dict(self, state_dict: dict[str, Any], policy: str | None = None) -> None:
        """Continue from a saved state: bit-identical rates when the definition is unchanged.

        Works in any order relative to ``optimizer.load_state_dict`` (the bases come from the state,
        not from the optimizer). The input is not modified and may be loaded again.

        Args:
            state_dict: from `state_dict`.
            policy: what to do if the saved fingerprint differs from this scheduler's: None (raise
                `ResumeError`), "keep" (the saved definitions and run), "adopt" (the new ones at the
                saved position) or "extend" (the saved definitions, stretched to the new ``total``).

        Raises:
            ResumeError: the definitions differ and no policy is given.
            ValueError: a malformed state, another number of param groups, or an unusable policy.

        Example:
            >>> import torch
            >>> from lrkit import Scheduler, cosine
            >>> def build():
            ...     opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
            ...     return opt, Scheduler(opt, cosine(), total=10)
            >>> opt, sched = build()
            >>> for _ in range(4):
            ...     sched.step()
            >>> state = sched.state_dict()
            >>> opt2, sched2 = build()
            >>> sched2.load_state_dict(state)
            >>> sched2.lr_for_next_update() == sched.lr_for_next_update(), sched2.position
            (True, 4.0)
        """
        _resume.load(self, state_dict, policy)

    def __repr__(self) -> str:
        distinct = {id(s): s for s in self._lr.definitions}
        shown = repr(next(iter(distinct.values()))) if len(distinct) == 1 else f"[{len(distinct)} schedules]"
        return f"Scheduler({shown}, total={self._total!r}, unit={self._unit!r}, position={self.position!r})"
