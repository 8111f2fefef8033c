"""`Scheduler`: drives a torch optimizer's learning rates (and other hyperparameters) from schedules.

The class is assembled from parts with one job each (see docs/design.md): `_engine` (counters to
written values), `_adapter` (the documented surface other code drives it through), `_observe`
(plateau metrics), `_plans` (extend, anneal), `_record` (history, hooks), `_detect` (skipped
updates), `_resume` (state). This module holds the constructor, `step` (the per-update
bookkeeping, written once for the fast and the general path), the read accessors and the state
entry points.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from lrkit._validate import check_int, fail
from lrkit.scheduler import _resume, _state
from lrkit.scheduler._adapter import Adapter
from lrkit.scheduler._build import AFTER_END, build_tracks, check_run, choose_offset
from lrkit.scheduler._detect import AMOUNTS, SkipDetector
from lrkit.scheduler._engine import OWNER, _check_betas
from lrkit.scheduler._observe import Observing
from lrkit.scheduler._plans import PlanChanges
from lrkit.scheduler._record import Record, Recording
from lrkit.scheduler._track import NegativeValueError, NonFiniteValueError
from lrkit.schedules._base import Schedule

__all__ = ["AFTER_END", "Record", "ScheduleEndError", "ScheduleEndWarning", "Scheduler"]


class ScheduleEndWarning(UserWarning):
    """The run went past its `total` (emitted once per scheduler)."""


class ScheduleEndError(RuntimeError):
    """The run went past its `total` with ``after_end="error"``."""


class Scheduler(Adapter, Observing, PlanChanges, Recording):
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
    ``step(tokens=n)`` in those units). Only applied updates count: a step hook on the optimizer
    sees `torch.amp.GradScaler` skips, no ``scaler=`` needed (`lrkit.scheduler._detect` has the
    rules and the one `UncountedStepWarning`). ``optimizer.step`` is never wrapped and no key (no
    ``initial_lr``) is written into the groups but the scheduled values (tensors: in place).

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
        scaler: a `torch.amp.GradScaler` to read skips from instead (optional, see above).
        history: keep a `Record` per update in `history`. Default False.
        detect_skips: False counts every ``step()`` call (except ``step(applied=False)``), as torch's
            schedulers count, and registers no hook; `lrkit.compat` uses it. Default True.

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
        hparams: Any = None,
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
        flags = {
            "skip_zero_start": skip_zero_start,
            "tensor_lr": tensor_lr,
            "history": history,
            "detect_skips": detect_skips,
        }
        run = check_run(total, unit, steps_per_epoch, update_size, after_end, flags)
        self._unit, self._total, self._after_end = run.unit, run.total, run.after_end
        self._spe, self._update_size = run.steps_per_epoch, run.update_size
        self._skip_zero_start = skip_zero_start
        self._tracks = build_tracks(optimizer.param_groups, schedule, hparams, tensor_lr, optimizer.defaults)
        self._lr = self._tracks[0]

        self._updates = 0
        self._amount = 0
        self._skipped = 0
        self._warned = False
        self._extensions = []
        self._anneal = None
        self._end = None if self._total is None else float(self._total)
        self._resolve_all()
        self._offset = choose_offset(run, self._lr.resolved, skip_zero_start)

        self._detector = SkipDetector(optimizer, scaler, watch=detect_skips)
        self._detect = detect_skips
        self._transform = None
        self._record = history
        self._history = []
        self._hooks = []
        self._fast = None
        self._floats_only = False
        # The part of torch's LRScheduler surface that trainers read.
        self.last_epoch = 0
        self._step_count = 1
        self.base_lrs = [*self._lr.bases]
        self._apply()
        self._last_lr = list(self._lr.values)

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
            applied: whether the update was applied; None (default) detects it (see above), True
                counts it, False skips it.

        Raises:
            TypeError: ``epoch`` given, or a wrong type for ``samples``/``tokens``/``applied``.
            ValueError: ``samples``/``tokens`` missing or given in the wrong unit.
            ScheduleEndError: the update just made ran past ``total`` with ``after_end="error"``
                (it is counted; it used the value at the end).
        """
        # Two ways to the values of the next update, then one bookkeeping for both. The fast way
        # (see `_refresh_fast`): unit "update", no argument, nothing detected or recorded, inside
        # the run, the same group dicts; it evaluates and writes directly (no method call at all
        # for one lr schedule over float groups).
        u = self._updates + 1
        last = self._lr.values
        n = 0
        fast = self._fast
        wrote = False
        if fast is not None and epoch is None and samples is None and tokens is None and applied is None:
            p = float(u + self._offset)
            end = self._end
            pg = self.optimizer.param_groups
            watch = self._detector.watch  # with one, only an optimizer.step() without GradScaler's verdict
            ok = watch is None or (watch.pending and watch.found_inf is None)
            if ok and (end is None or p <= end) and pg is self._pg and len(pg) == self._n:
                schedule, bases, groups, peak = fast
                if schedule is not None:
                    f = schedule._at(p)
                    x = f * peak
                    if x - x != 0.0 or f < 0.0:  # inf, NaN or negative: see Track.compute (nothing written)
                        self._apply_nonfinite(u)  # raises, or (check_finite False) writes them
                    values = [b * f for b in bases]
                    for group, v in zip(groups, values, strict=True):
                        group["lr"] = v
                    self._lr.values = values
                elif self._floats_only and self._floats_fast(p, u):
                    pass  # several single-schedule float tracks (lr and a cycled momentum), written
                else:
                    planned: list[list[float]] | None
                    try:
                        planned = [track.compute(p) for track in self._tracks]
                    except (NonFiniteValueError, NegativeValueError):
                        self._apply_nonfinite(u)  # raises, or (check_finite False) wrote every track
                        planned = None
                    if planned is not None:
                        for track, values in zip(self._tracks, planned, strict=True):
                            if track.is_beta and self.check_betas:
                                _check_betas(track.key, values, p)
                        for track, values in zip(self._tracks, planned, strict=True):
                            track.write(values)
                wrote = True
                if watch is not None:
                    watch.pending = False
        if not wrote:
            if epoch is not None:
                raise TypeError(
                    f"Scheduler.step() takes no epoch (torch's deprecated argument). Received: "
                    f"epoch={epoch!r}; the position counts applied updates (unit={self._unit!r})"
                )
            if samples is not None or tokens is not None or self._unit not in ("update", "epoch"):
                n = self._amount_of(samples, tokens)
            if not self._detector.decide(applied, self._detect, self._unit in AMOUNTS):
                self._skipped += 1
                return
            used = self._position_of(self._updates, self._amount)
            past = self._end is not None and used > self._end
            if self._record or self._hooks:
                self._emit()
        # The bookkeeping of a counted update (the one copy).
        self._last_lr = last  # type: ignore[assignment]  # floats (torch: float | Tensor)
        self._updates = u
        self._amount += n
        self.last_epoch = u
        self._step_count += 1
        if not wrote:
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

    # -- reading the rates and the run ----------------------------------------------------------

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
