"""Configs: schedules as plain data (JSON, YAML, TOML) and back, without executing anything."""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
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


def _from_plain(data: Any) -> Any:
    if isinstance(data, dict):
        if "type" not in data:
            raise ValueError(f"a config object needs a 'type' key naming a schedule. Received: {data!r}")
        kwargs = {str(k): _from_plain(v) for k, v in data.items() if k != "type"}
        return build(str(data["type"]), [], kwargs)
    if isinstance(data, list):
        return [_from_plain(item) for item in data]
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    raise TypeError(f"a config holds only dicts, lists, numbers, strings and None. Received: {data!r}")


def from_config(config: dict[str, Any] | str) -> Schedule:
    """Rebuild a schedule from `Schedule.to_config()` data, or from its JSON text.

    Only registered schedule names are called; nothing in the config is executed.

    Example:
        >>> from lrkit import cosine, from_config
        >>> s = cosine(end=0.1, steps=10)
        >>> from_config(s.to_config()) == s
        True
    """
    if isinstance(config, str):
        config = json.loads(config)
    schedule = _from_plain(config)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"a config must describe a schedule. Received: {config!r}")
    return schedule


def to_config(schedule: Schedule) -> dict[str, Any]:
    """Plain JSON data for `schedule` (the same as `schedule.to_config()`)."""
    return schedule.to_config()


def fingerprint(schedule: Schedule | Absolute) -> str:
    """A short, stable hash of a schedule's definition (its config), for checkpoints."""
    text = json.dumps(schedule.to_config(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
