"""Validation of a saved state before anything is loaded (`Scheduler.load_state_dict`).

`check_loadable` reads the whole state first: the schema (every key present, of its type), the
ranges (counters >= 0 and below 2**53 so positions stay exact floats; a run's ``unit`` among the
units; finite values), the definitions rebuilt from their configs, the saved fingerprint recomputed
from the saved definitions (an edited definition is caught), and the plateau rows. It raises one
`ValueError` (`ResumeError` for a fingerprint) naming the field, so that loading changes nothing
on failure. Huge integers are refused by range, never converted (no `OverflowError`).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from lrkit.scheduler._state import ResumeError, decode_path, run_fingerprint, saved_definitions
from lrkit.scheduler._timeline import ANNEAL_SHAPES, UNITS
from lrkit.schedules._base import Schedule
from lrkit.schedules.plateau import Plateau

__all__ = ["MAX_COUNT", "check_loadable"]

#: Counters above this would lose exactness as float positions.
MAX_COUNT = 2**53
OWNER = "Scheduler.load_state_dict"


def _bad(field: str, value: Any, allowed: str) -> ValueError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ValueError(f"{OWNER}(): the state's field `{field}` must be {allowed}. Received: {shown}")


def _get(state: dict[str, Any], key: str, where: str = "") -> Any:
    if key not in state:
        raise ValueError(f"{OWNER}(): the state has no field `{where}{key}` (a truncated or edited state?)")
    return state[key]


def _int(field: str, value: Any, *, low: int = 0, none: bool = False) -> int | None:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _bad(field, value, f"an int in [{low}, 2**53]" + (" or None" if none else ""))
    if not low <= int(value) <= MAX_COUNT:
        raise _bad(field, value, f"an int in [{low}, 2**53]" + (" or None" if none else ""))
    return int(value)


def _num(
    field: str, value: Any, *, low: float = -math.inf, none: bool = False, positive: bool = False
) -> Any:
    if value is None and none:
        return None
    allowed = "a finite number" + (" > 0" if positive else f" >= {low:g}" if low > -math.inf else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _bad(field, value, allowed + (" or None" if none else ""))
    if isinstance(value, numbers.Integral) and abs(int(value)) > 2**1000:
        raise _bad(field, value, allowed)
    number = float(value)
    if not math.isfinite(number) or number < low or (positive and number <= 0):
        raise _bad(field, value, allowed + (" or None" if none else ""))
    return number


def _list(field: str, value: Any, n: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(field, value, "a list" if n is None else f"a list of {n} entries")
    if n is not None and len(value) != n:
        raise ValueError(
            f"{OWNER}(): the state's field `{field}` has {len(value)} entries; this optimizer has {n} "
            f"param groups"
        )
    return value


def check_loadable(state: dict[str, Any], n: int) -> dict[str, list[Schedule]]:
    """Check the whole state for `n` param groups; return the saved definitions, rebuilt."""
    run = _get(state, "run")
    if not isinstance(run, dict):
        raise _bad("run", run, "a dict")
    if _get(run, "unit", "run.") not in UNITS:
        raise _bad("run.unit", run["unit"], f"one of {', '.join(map(repr, UNITS))}")
    _int("run.total", _get(run, "total", "run."), low=1, none=True)
    spe = _int("run.steps_per_epoch", _get(run, "steps_per_epoch", "run."), low=1, none=True)
    if (run["unit"] == "epoch") != (spe is not None):
        raise _bad("run.steps_per_epoch", spe, "an int >= 1 exactly when run.unit is 'epoch'")
    _int("run.update_size", _get(run, "update_size", "run."), low=1, none=True)
    for key in ("updates", "amount", "offset", "skipped"):
        _int(key, _get(state, key))
    if not isinstance(_get(state, "warned"), bool):
        raise _bad("warned", state["warned"], "True or False")
    _num("end", _get(state, "end"), low=0.0, none=True)
    for i, e in enumerate(_list("extensions", _get(state, "extensions"))):
        at, old, new = (_num(f"extensions[{i}]", v, low=0.0) for v in _list(f"extensions[{i}]", e, 3))
        if not (at < old and at < new):
            raise _bad(f"extensions[{i}]", e, "[at, old_end, new_end] with at < old_end and at < new_end")
    anneal = _get(state, "anneal")
    if anneal is not None:
        if not isinstance(anneal, dict):
            raise _bad("anneal", anneal, "a dict or None")
        _num("anneal.at", _get(anneal, "at", "anneal."), low=0.0)
        _num("anneal.steps", _get(anneal, "steps", "anneal."), positive=True)
        if _get(anneal, "shape", "anneal.") not in ANNEAL_SHAPES:
            raise _bad("anneal.shape", anneal["shape"], f"one of {', '.join(map(repr, ANNEAL_SHAPES))}")
        for key in ("start", "end"):
            for g, v in enumerate(_list(f"anneal.{key}", _get(anneal, key, "anneal."), n)):
                _num(f"anneal.{key}[{g}]", v)
    for g, v in enumerate(_list("last_lr", _get(state, "last_lr"), n)):
        _num(f"last_lr[{g}]", v)
    _num("scaler_scale", state.get("scaler_scale"), positive=True, none=True)

    configs = _list("definitions", _get(state, "definitions"))
    tracks = _get(state, "tracks")
    if not isinstance(tracks, dict) or "lr" not in tracks:
        raise _bad("tracks", tracks, "a dict with an 'lr' entry")
    for key, track in tracks.items():
        where = f"tracks[{key!r}]"
        if not isinstance(key, str) or not isinstance(track, dict):
            raise _bad(where, track, "a dict keyed by hyperparameter names")
        for g, i in enumerate(_list(f"{where}.definitions", _get(track, "definitions", f"{where}."), n)):
            if _int(f"{where}.definitions[{g}]", i) >= len(configs):  # type: ignore[operator]
                raise _bad(f"{where}.definitions[{g}]", i, f"an index into definitions (< {len(configs)})")
        for g, b in enumerate(_list(f"{where}.bases", _get(track, "bases", f"{where}."), n)):
            _num(f"{where}.bases[{g}]", b)
        _list(f"{where}.plateaus", _get(track, "plateaus", f"{where}."), n)
    try:
        definitions = saved_definitions(state)
    except (TypeError, ValueError, KeyError, IndexError, RecursionError) as error:
        raise ValueError(
            f"{OWNER}(): the state's field `definitions` holds an unreadable config: {error}"
        ) from None

    fingerprint = _get(state, "fingerprint")
    if not isinstance(fingerprint, dict) or not all(k in fingerprint for k in ("all", "groups", "run")):
        raise _bad("fingerprint", fingerprint, "a dict with 'all', 'groups' and 'run'")
    recomputed = run_fingerprint(definitions, run)
    if recomputed["all"] != fingerprint["all"]:
        raise ResumeError(
            f"{OWNER}(): the state's `definitions` or `run` do not match its `fingerprint` (saved "
            f"{fingerprint['all']!r}, recomputed {recomputed['all']!r}): the state was edited or "
            f"corrupted after it was saved; it is not loaded"
        )
    for key, track in tracks.items():
        for g, rows in enumerate(track["plateaus"]):
            nodes = dict(definitions[key][g].walk())
            for r, row in enumerate(_list(f"tracks[{key!r}].plateaus[{g}]", rows)):
                where = f"tracks[{key!r}].plateaus[{g}][{r}]"
                if not isinstance(row, dict):
                    raise _bad(where, row, "a dict")
                try:
                    path = decode_path(_get(row, "path", f"{where}."))
                except (TypeError, ValueError, IndexError) as error:
                    raise _bad(f"{where}.path", row.get("path"), f"a tree path ({error})") from None
                if not isinstance(nodes.get(path), Plateau):
                    raise _bad(f"{where}.path", row["path"], "the path of a plateau in that group's schedule")
                best = _get(row, "best", f"{where}.")
                if isinstance(best, bool) or not isinstance(best, numbers.Real) or math.isnan(float(best)):
                    raise _bad(f"{where}.best", best, "a number (not NaN)")
                for field in ("bad", "cooldown", "evaluations", "reductions"):
                    _int(f"{where}.{field}", _get(row, field, f"{where}."))
    return definitions
