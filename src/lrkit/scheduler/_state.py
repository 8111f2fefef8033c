"""The scheduler's state as plain data, its fingerprint, and the policies for a changed definition.

`state_dict()` holds only ints, floats, strings, bools, None, lists and dicts, so it loads with
``torch.load(..., weights_only=True)`` and round-trips through JSON. It records a fingerprint of
the schedule definitions (every group's schedule config, per hyperparameter) and of the run
(``total``, ``unit``, ``steps_per_epoch``, ``update_size``). Loading under another fingerprint
raises `ResumeError` unless a policy is chosen:

* ``"keep"``: continue with the saved definitions and run, ignoring the new ones;
* ``"adopt"``: the new definitions and run, at the saved position (the rate may jump);
* ``"extend"``: the saved definitions, with the rest of the run stretched so that it ends at the
  new ``total`` (continuous at the current position; see `Scheduler.extend`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lrkit.config import fingerprint, from_config
from lrkit.schedules._base import Path, Schedule

__all__ = ["FORMAT", "POLICIES", "ResumeError", "decode_path", "encode_path", "run_fingerprint"]

FORMAT = "lrkit.Scheduler"
VERSION = 1
POLICIES = ("keep", "adopt", "extend")


class ResumeError(ValueError):
    """A state saved under another schedule definition, loaded without a policy."""


def encode_path(path: Path) -> list[Any]:
    """A tree path as plain data."""
    return [list(key) if isinstance(key, tuple) else key for key in path]


def decode_path(data: list[Any]) -> Path:
    """A tree path from plain data."""
    return tuple((str(key[0]), int(key[1])) if isinstance(key, list) else str(key) for key in data)


def run_fingerprint(definitions: dict[str, list[Schedule]], run: dict[str, Any]) -> dict[str, Any]:
    """Fingerprints of every group's definition per hyperparameter, of the run, and of the whole."""
    memo: dict[int, str] = {}

    def one(schedule: Schedule) -> str:
        key = id(schedule)
        if key not in memo:
            memo[key] = fingerprint(schedule)
        return memo[key]

    groups = {key: [one(s) for s in schedules] for key, schedules in definitions.items()}
    text = json.dumps({"groups": groups, "run": run}, sort_keys=True, separators=(",", ":"))
    return {"all": hashlib.sha256(text.encode()).hexdigest()[:16], "groups": groups, "run": dict(run)}


def describe_mismatch(
    saved: dict[str, Any],
    current: dict[str, Any],
    saved_definitions: dict[str, list[Schedule]] | None = None,
    current_definitions: dict[str, list[Schedule]] | None = None,
) -> str:
    """What differs between two fingerprints, in words (with both specs when the definitions are given)."""
    parts = []
    for key in sorted(set(saved["run"]) | set(current["run"])):
        old, new = saved["run"].get(key), current["run"].get(key)
        if old != new:
            parts.append(f"{key}: saved {old!r}, now {new!r}")
    for key in sorted(set(saved["groups"]) | set(current["groups"])):
        old_list, new_list = saved["groups"].get(key), current["groups"].get(key)
        if old_list is None or new_list is None:
            parts.append(f"{key!r} schedules: {'not saved' if old_list is None else 'no longer given'}")
            continue
        changed = [i for i, (a, b) in enumerate(zip(old_list, new_list, strict=False)) if a != b]
        if len(old_list) != len(new_list):
            parts.append(f"{key!r}: {len(old_list)} groups saved, {len(new_list)} now")
        elif changed:
            text = f"{key!r} schedule definition of param groups {changed}"
            if saved_definitions is not None and current_definitions is not None:
                specs = [
                    f"group {i}: saved {saved_definitions[key][i]!r}, now {current_definitions[key][i]!r}"
                    for i in changed[:3]
                ]
                more = f" (and {len(changed) - 3} more groups)" if len(changed) > 3 else ""
                text += " (" + "; ".join(specs) + more + ")"
            parts.append(text)
    return "; ".join(parts) or "the definitions"


def saved_definitions(state: dict[str, Any]) -> dict[str, list[Schedule]]:
    """The per-group definitions stored in a state dict, rebuilt from their configs."""
    configs = [from_config(config) for config in state["definitions"]]
    return {key: [configs[i] for i in track["definitions"]] for key, track in state["tracks"].items()}


def check_state(state: Any) -> dict[str, Any]:
    """Raise unless `state` looks like a state dict of this scheduler's format."""
    found = state.get("format") if isinstance(state, dict) else None
    if not isinstance(state, dict) or found != FORMAT:
        raise ValueError(
            f"Scheduler.load_state_dict() needs a state from lrkit.Scheduler.state_dict(). "
            f"Received: {type(state).__name__} with format {found!r}"
        )
    if state.get("version") != VERSION:
        raise ValueError(
            f"Scheduler.load_state_dict() reads state version {VERSION}. "
            f"Received: version={state.get('version')!r}"
        )
    return state
