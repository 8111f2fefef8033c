"""Saving and loading a Scheduler's state, with the policies for a changed definition.

See `lrkit.scheduler._state` for the format, the fingerprint and the policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrkit._validate import check_choice
from lrkit.scheduler._binding import Access
from lrkit.scheduler._schema import check_loadable
from lrkit.scheduler._state import (
    FORMAT,
    POLICIES,
    VERSION,
    ResumeError,
    check_state,
    describe_mismatch,
    run_fingerprint,
)
from lrkit.scheduler._timeline import Anneal, Extension
from lrkit.scheduler._track import Track
from lrkit.schedules._base import Schedule
from lrkit.schedules.plateau import Plateau

if TYPE_CHECKING:
    from lrkit.scheduler._scheduler import Scheduler

__all__ = ["dump", "load"]


def dump(sched: Scheduler) -> dict[str, Any]:
    """`Scheduler.state_dict`: plain data only."""
    configs: list[dict[str, Any]] = []
    index: dict[int, int] = {}
    tracks: dict[str, Any] = {}
    for track in sched._tracks:
        ids = []
        for definition in track.definitions:
            if id(definition) not in index:
                index[id(definition)] = len(configs)
                configs.append(definition.to_config())
            ids.append(index[id(definition)])
        tracks[track.key] = {
            "definitions": ids,
            "bases": list(track.bases),
            "plateaus": track.plateaus_to_plain(),
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": run_fingerprint({t.key: t.definitions for t in sched._tracks}, sched._run()),
        "run": sched._run(),
        "definitions": configs,
        "tracks": tracks,
        "updates": sched._updates,
        "amount": sched._amount,
        "offset": sched._offset,
        "skipped": sched._skipped,
        "warned": sched._warned,
        "end": sched._end,
        "extensions": [e.to_plain() for e in sched._extensions],
        "anneal": None if sched._anneal is None else sched._anneal.to_plain(),
        "last_lr": [float(v) for v in sched._last_lr],
        "scaler_scale": sched._detector.last_scale,
    }


def load(sched: Scheduler, state_dict: dict[str, Any], policy: str | None) -> None:
    """`Scheduler.load_state_dict` (see its docstring); never modifies `state_dict`.

    The whole state is checked first (`_schema.check_loadable`); then it is applied as one
    transaction: if anything still fails (a saved plan that no longer resolves, momentum leaving
    [0, 1), an impossible extend), the scheduler and the param groups are restored as they were.
    """
    state = check_state(state_dict)
    if policy is not None:
        check_choice("Scheduler.load_state_dict", "policy", policy, POLICIES)
    saved_defs = check_loadable(state, sched._n)
    current = run_fingerprint({t.key: t.definitions for t in sched._tracks}, sched._run())
    saved = state["fingerprint"]
    same = saved["all"] == current["all"]
    if not same and policy is None:
        differs = describe_mismatch(saved, current, saved_defs, _current(sched))
        raise ResumeError(
            f"The saved scheduler state was made with another schedule definition "
            f"({differs}). Choose a policy: "
            f"load_state_dict(state, policy='keep') continues the saved plan, 'adopt' switches to the "
            f"new one at the saved position (the rate may jump), 'extend' stretches the saved plan to "
            f"the new total"
        )
    if policy == "extend" and not same and sched._total is None:
        raise ValueError("policy='extend' needs the new Scheduler to have a total to extend to")
    if not (same or policy in ("keep", "extend")) and state["run"]["unit"] != sched._unit:
        raise ValueError(
            f"policy='adopt' keeps the saved position, which needs the same unit: saved "
            f"{state['run']['unit']!r}, now {sched._unit!r}"
        )
    snapshot = dict(sched.__dict__)
    tracks = [(track, dict(track.__dict__)) for track in sched._tracks]
    try:
        _apply_state(sched, state, policy, same, saved_defs)
    except BaseException:
        sched.__dict__.clear()
        sched.__dict__.update(snapshot)
        for track, saved_track in tracks:
            track.__dict__.clear()
            track.__dict__.update(saved_track)
        sched._apply()
        raise


def _apply_state(
    sched: Scheduler,
    state: dict[str, Any],
    policy: str | None,
    same: bool,
    definitions: dict[str, list[Schedule]],
) -> None:
    new_total = sched._total
    use_saved = same or policy in ("keep", "extend")
    if use_saved:
        run = state["run"]
        if set(definitions) != {t.key for t in sched._tracks}:
            sched._tracks = _tracks_for(sched, definitions)
            sched._lr = sched._tracks[0]
        else:
            for track in sched._tracks:
                track.definitions = list(definitions[track.key])
        sched._unit, sched._total = run["unit"], run["total"]
        sched._spe, sched._update_size = run["steps_per_epoch"], run["update_size"]
    for track in sched._tracks:
        saved_track = state["tracks"].get(track.key)
        if saved_track is None:
            track.plateaus = [{} for _ in range(sched._n)]
            continue
        track.bases = [float(b) for b in saved_track["bases"]]
        track.plateaus_from_plain(saved_track["plateaus"])
    sched._updates, sched._amount = int(state["updates"]), int(state["amount"])
    sched._offset, sched._skipped = int(state["offset"]), int(state["skipped"])
    sched._warned = bool(state["warned"])
    if use_saved:
        sched._end = None if state["end"] is None else float(state["end"])
        sched._extensions = [Extension(*map(float, e)) for e in state["extensions"]]
        sched._anneal = None if state["anneal"] is None else Anneal.from_plain(state["anneal"])
    else:
        sched._end = None if sched._total is None else float(sched._total)
        sched._extensions, sched._anneal = [], None
    if not use_saved:
        _drop_missing_plateaus(sched)
    sched._resolve_all()
    sched.base_lrs = [*sched._lr.bases]
    sched.last_epoch = sched._updates
    sched._last_lr = [float(v) for v in state["last_lr"]]
    if state.get("scaler_scale") is not None and sched._detector.scaler is not None:
        sched._detector.last_scale = float(state["scaler_scale"])
    sched._apply()
    if policy == "extend" and not same:
        assert new_total is not None  # checked before anything changed
        sched.extend(new_total)


def _tracks_for(sched: Scheduler, definitions: dict[str, list[Schedule]]) -> list[Track]:
    groups = sched.optimizer.param_groups
    tracks = []
    for key in ["lr", *[k for k in definitions if k != "lr"]]:
        access = Access(key, groups)
        track = Track(key, access, list(definitions[key]), None)
        track.bases = [access.read(group) for group in groups]
        track.plateaus = [{} for _ in groups]
        tracks.append(track)
    return tracks


def _drop_missing_plateaus(sched: Scheduler) -> None:
    """With a new definition, keep only the counters of plateaus still at the same place."""
    for track in sched._tracks:
        for g, entries in enumerate(track.plateaus):
            nodes = dict(track.definitions[g].walk())
            for path in list(entries):
                if not isinstance(nodes.get(path), Plateau):
                    del entries[path]


def _current(sched: Scheduler) -> dict[str, list[Schedule]]:
    return {t.key: t.definitions for t in sched._tracks}
