"""The adapter surface of `Scheduler`: the documented way other code drives it.

`lrkit.compat`, resume and the integrations use only these members (never the private attributes),
so a change of the scheduler's internals cannot silently break them: move to a position (`seek`),
replace definitions (`set_definitions`) or bases (`set_bases`), restore plateau counters
(`load_plateau_state`), decide the values written (`set_transform`), and read what is scheduled
(`scheduled_keys`, `has_plateau`, `definitions`, `bases`, `factors`). Each change of plan writes
the next update's values at once and, on an error, changes nothing. Two subclass settings of the
engine relax the checks where torch is lenient: ``check_betas`` (momentum and betas may leave
[0, 1)) and ``check_finite`` (infinite and NaN values are written, after a call of `on_nonfinite`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from lrkit._validate import check_int, check_number, fail
from lrkit.scheduler._binding import bind, to_float
from lrkit.scheduler._engine import Engine, Transform
from lrkit.scheduler._state import decode_path, encode_path
from lrkit.scheduler._track import Track
from lrkit.schedules._base import Path, Schedule
from lrkit.schedules.plateau import Plateau, PlateauCounters

__all__ = ["Adapter"]


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


class Adapter(Engine):
    """The adapter surface (see the module docstring); every method is documented on `Scheduler`."""

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

    def set_transform(self, transform: Transform | None) -> None:
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
