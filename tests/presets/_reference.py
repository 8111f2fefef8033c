"""Helpers for the preset tests: the stored reference curves and how to compare with them.

The curves in ``reference/<library>.json`` were written by ``reference/generate.py`` from the real
libraries (the file records each library's version). A case holds the library's own call
(``name``, ``kwargs``), so the lrkit preset ``<library>.<name>(**kwargs)`` is built from the same
data, and the values the library returned at steps 0..N.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lrkit import from_config, parse
from lrkit.schedules import REGISTRY, Schedule
from lrkit.schedules.plateau import Plateau

HERE = Path(__file__).resolve().parent / "reference"

#: Relative tolerance against the libraries' float64 values.
RTOL = 1e-12
#: Absolute tolerance for values near 0, where two float64 formulas of the same curve differ by
#: rounding (a cosine's argument rounded differently gives 1 + cos(x) ~ 1e-32 instead of 0).
ATOL = 1e-15


@cache
def load(library: str) -> dict[str, Any]:
    return json.loads((HERE / f"{library}.json").read_text())


def cases(library: str, *names: str, plateau: bool = False) -> list[Any]:
    """The stored cases of `library` (those named, or all), as pytest params with readable ids."""
    out = []
    for i, case in enumerate(load(library)["cases"]):
        if names and case["name"] not in names:
            continue
        if ("metrics" in case) != plateau:
            continue
        args = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
        out.append(pytest.param(case, id=f"{i}-{case['name']}({args})"[:120]))
    return out


def build(library: str, case: dict[str, Any]) -> Schedule:
    """The lrkit preset for a stored case: ``<library>.<name>(**kwargs)`` from the registry."""
    return REGISTRY[f"{library}.{case['name']}"](**case["kwargs"])


def curve(schedule: Schedule, case: dict[str, Any]) -> np.ndarray:
    """The preset's rates at steps 0..N as the library counts them, on both evaluation paths."""
    base = float(case.get("lr", 1.0))
    total = case.get("total")
    resolved = schedule.resolve(total, base=base)
    steps = np.arange(len(case["values"]), dtype=np.float64)
    scalar = np.array([resolved(float(t)) for t in steps])
    vector = resolved(steps)
    np.testing.assert_allclose(vector, scalar, rtol=4e-16, atol=1e-300)
    return base * scalar


def assert_matches(actual: np.ndarray, expected: list[float], rtol: float = RTOL, atol: float = ATOL) -> None:
    """Every value within `rtol` relative (or `atol` absolute near 0) of the library's."""
    want = np.asarray(expected, dtype=np.float64)
    assert actual.shape == want.shape
    bad = ~np.isclose(actual, want, rtol=rtol, atol=atol)
    if bad.any():
        rows = [f"t={t}: lrkit {actual[t]!r} != {want[t]!r}" for t in np.flatnonzero(bad)[:8]]
        raise AssertionError("\n".join(rows))


def replay_plateau(schedule: Schedule, metrics: list[float], base: float) -> list[float]:
    """The rate after each metric, for a schedule that is a plateau node, judged as the scheduler does.

    Uses the node's own `judge` and `reduced`; a reduction that changes the rate by no more than
    `eps` is skipped, as the plateau documents.
    """
    assert isinstance(schedule, Plateau)
    node = schedule
    counters = node.start()
    out = []
    for metric in metrics:
        counters, reduce = node.judge(counters, metric)
        if reduce:
            lower = node.reduced()
            before = base * node.resolve(base=base)(0)
            after = base * lower.resolve(base=base)(0)
            if before - after > node.eps:
                node = lower
        out.append(base * node.resolve(base=base)(0))
    return out


def assert_round_trips(schedule: Schedule, library: str, case: dict[str, Any]) -> None:
    """The preset survives repr -> parse, to_config -> from_config, and a prefixed config or spec."""
    assert parse(repr(schedule)) == schedule
    assert from_config(json.loads(json.dumps(schedule.to_config()))) == schedule
    name = f"{library}.{case['name']}"
    prefixed = {"type": name, **json.loads(json.dumps(case["kwargs"]))}
    assert from_config(prefixed) == schedule
    args = ", ".join(f"{k}={_literal(v)}" for k, v in case["kwargs"].items())
    assert parse(f"{name}({args})") == schedule


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        raise TypeError("the spec language has no dict literal")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(value)
    return repr(value)
