"""Configs: schedules as plain data (JSON, YAML, TOML) and back, without executing anything."""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import reprlib
from typing import Any

import lrkit.presets  # noqa: F401  (registers other libraries' names: StepLR, transformers.cosine, ...)
from lrkit.schedules import REGISTRY, Absolute, Schedule

__all__ = ["build", "fingerprint", "from_config", "to_config"]


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def build(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the registered builder `name` with checked arguments.

    Raises:
        ValueError: `name` is not registered, or an argument name is unknown or missing (the
            message lists the known names closest to the typo).
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown schedule {name!r}{_suggest(name, sorted(REGISTRY))}")
    fn = REGISTRY[name]
    signature = inspect.signature(fn)
    known = [p for p in signature.parameters if p != "self"]
    for key in kwargs:
        if key not in known:
            hint = _suggest(key, known) or f"; known arguments: {', '.join(known)}"
            raise ValueError(f"unknown argument {key!r} for {name}(){hint}")
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        raise ValueError(f"bad arguments for {name}(): {error}") from None
    return fn(*args, **kwargs)


#: The deepest config accepted: as deep as a spec can be (Python's parser stops at 200 nested
#: parentheses). Deeper data, or data that contains itself, is a ValueError, not a RecursionError.
MAX_DEPTH = 200
_TOO_DEEP = f"a config is nested at most {MAX_DEPTH} levels deep (dicts and lists)"
_CYCLE = "a config must not contain itself: a dict or list in it refers back to one that holds it"


def _from_plain(data: Any, depth: int = 0, path: tuple[int, ...] = ()) -> Any:
    if isinstance(data, (dict, list)):
        if id(data) in path:
            raise ValueError(
                "a config must not contain itself: a dict or list in it refers back to one that holds it"
            )
        if depth >= MAX_DEPTH:
            raise ValueError(_TOO_DEEP)
        path = (*path, id(data))
    if isinstance(data, dict):
        if "type" not in data:
            raise ValueError(
                f"a config object needs a 'type' key naming a schedule. Received: {_brief(data)}"
            )
        kwargs = {str(k): _from_plain(v, depth + 1, path) for k, v in data.items() if k != "type"}
        if not isinstance(data["type"], str):
            raise TypeError(
                f"the 'type' of a config object is a schedule's name (a str). Received: {_brief(data)}"
            )
        return build(data["type"], [], kwargs)
    if isinstance(data, list):
        return [_from_plain(item, depth + 1, path) for item in data]
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    raise TypeError(f"a config holds only dicts, lists, numbers, strings and None. Received: {_brief(data)}")


def _brief(data: Any) -> str:
    """A repr short enough for one line of an error message (a config can be long)."""
    try:
        text = reprlib.repr(data)
    except (RecursionError, ValueError):  # a self-referencing container; an int over 4300 digits
        text = f"<a {type(data).__name__}>"
    return text


def from_config(config: dict[str, Any] | str) -> Schedule:
    """Rebuild a schedule from `Schedule.to_config()` data, or from its JSON text.

    Only registered schedule names are called; nothing in the config is executed.

    Raises:
        ValueError: invalid JSON, an unknown schedule or argument, a bad value, data nested more
            than 200 levels deep or containing itself.
        TypeError: a value of a type a config cannot hold, or of the wrong type for its argument.

    Example:
        >>> from lrkit import cosine, from_config
        >>> s = cosine(end=0.1, steps=10)
        >>> from_config(s.to_config()) == s
        True
    """
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except RecursionError:  # json's decoder recurses once per level
            raise ValueError(
                f"a config is nested at most {MAX_DEPTH} levels deep (dicts and lists)"
            ) from None
    schedule = _from_plain(config)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"a config must describe a schedule. Received: {_brief(config)}")
    return schedule


def to_config(schedule: Schedule) -> dict[str, Any]:
    """Plain JSON data for `schedule` (the same as `schedule.to_config()`)."""
    return schedule.to_config()


def fingerprint(schedule: Schedule | Absolute) -> str:
    """A short, stable hash of a schedule's definition (its config), for checkpoints."""
    text = json.dumps(schedule.to_config(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
