"""Paste timm, optax, Keras, fvcore and transformers calls as they appear in code: full signatures.

Each stored reference case (the library's own call, and the values the real library returned,
``reference/<library>.json``; nested ones with their children pasted the same way) is pasted
the way training code writes it: the qualified name (``timm.scheduler.CosineLRScheduler``,
``optax.schedules.cosine_decay_schedule``, ``keras.optimizers.schedules.CosineDecay``,
``fvcore.common.param_scheduler.StepParamScheduler``,
``transformers.optimization.get_cosine_schedule_with_warmup``), the optimizer as the first
positional argument where the library takes one, and every argument of the library's signature
(``reference/signatures.json``, read from the real libraries) spelled out, with its default unless
the case sets it. The parsed spec must give the library's values.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from _reference import RTOL, assert_matches, cases, curve
from test_timm import SUPPORTED as TIMM_SUPPORTED
from test_timm import noisy
from test_timm import tolerance as timm_tolerance

from lrkit import parse
from lrkit.presets.transformers_functions import _TYPES

HERE = Path(__file__).resolve().parent / "reference"

#: How code names each library's schedules.
MODULES = {
    "timm": "timm.scheduler",
    "optax": "optax.schedules",
    "keras": "keras.optimizers.schedules",
    "fvcore": "fvcore.common.param_scheduler",
    "transformers": "transformers.optimization",
}
#: Entry points that take the optimizer first.
OPTIMIZER_FIRST = ("timm", "transformers")


@cache
def signatures() -> dict[str, Any]:
    return json.loads((HERE / "signatures.json").read_text())


class _Code(str):
    """Text written into the call as it is (a pasted child call)."""


def _literal(value: Any) -> str:
    if isinstance(value, _Code):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def entry_of(library: str, case: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The library's own entry point for a stored case, and the arguments the case sets."""
    if library != "transformers":
        return case["name"], dict(case["kwargs"])
    # transformers' cases are get_scheduler(name, ...): the function that name stands for.
    return _TYPES[case["name"]].__name__, dict(case["kwargs"])


#: Arguments that hold other schedules, stored as [name, kwargs] pairs (or lists of them).
NESTED = {"schedulers", "schedules", "scheduler"}


def _child(library: str, pair: list[Any]) -> str:
    text = pasted(library, {"name": pair[0], "kwargs": pair[1]})
    assert text is not None, pair
    return text


def pasted(library: str, case: dict[str, Any]) -> str | None:
    """The call as code writes it, every argument of the library's signature spelled out."""
    name, given = entry_of(library, case)
    for key in NESTED & set(given):  # children pasted the same way, as code nests them
        value = given[key]
        children = [value] if isinstance(value[0], str) else value
        texts = [_child(library, pair) for pair in children]
        given[key] = _Code(texts[0] if isinstance(value[0], str) else "[" + ", ".join(texts) + "]")
    if name == "WarmupParamScheduler":  # detectron2's, not on the package index: its own module
        args = ", ".join(f"{k}={_literal(v)}" for k, v in given.items())
        return f"detectron2.solver.WarmupParamScheduler({args})"
    params = signatures()[library]["entries"].get(name)
    if params is None or params == [["**kwargs", "<forwarded>"]]:
        return None
    module = "keras.callbacks" if name == "ReduceLROnPlateau" else MODULES[library]
    if name == "reduce_on_plateau":
        module = "optax.contrib"
    parts = ["optimizer"] if library in OPTIMIZER_FIRST else []
    for param, default in params:
        if param in given:
            parts.append(f"{param}={_literal(given.pop(param))}")
        elif default == "<required>":
            return None
        elif default.startswith("<"):
            return None  # a default that is not a literal (a function): not pasteable
        else:
            parts.append(f"{param}={default}")
    assert not given, f"{library}.{name}: arguments outside the library's signature: {given}"
    return f"{module}.{name}({', '.join(parts)})"


PARAMS = [
    pytest.param(library, c.values[0], id=f"{library}-{c.id}") for library in MODULES for c in cases(library)
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # optax's logged fallbacks, as warnings
@pytest.mark.parametrize(("library", "case"), PARAMS)
def test_pasted_full_signature_equals_the_library(library, case):
    rtol = RTOL
    if library == "timm":
        if case not in [c.values[0] for c in TIMM_SUPPORTED]:
            pytest.skip("refused by the timm preset (tests/presets/test_timm.py says why)")
        rtol = timm_tolerance(case)
        if noisy(case):  # timm draws its noise from torch's generator: the noise-free curve
            case = {**case, "kwargs": {**case["kwargs"], "noise_range_t": None}, "values": case["clean"]}
    spec = pasted(library, case)
    if spec is None:
        pytest.skip("a required argument or default with no literal (not a pasteable call)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schedule = parse(spec)
    assert_matches(curve(schedule, case), case["values"], rtol=rtol)


def test_every_library_has_pasted_cases():
    pasted_ok = {lib for lib, case in ((p.values[0], p.values[1]) for p in PARAMS) if pasted(lib, case)}
    assert pasted_ok == set(MODULES)


def test_transformers_names_map_to_transformers_functions():
    """get_scheduler's names stand for the functions transformers maps them to (live where installed)."""
    optimization = pytest.importorskip("transformers.optimization")
    theirs = {k.value: fn.__name__ for k, fn in optimization.TYPE_TO_SCHEDULER_FUNCTION.items()}
    ours = {k: fn.__name__ for k, fn in _TYPES.items()}
    assert {k: v for k, v in theirs.items() if k in ours} == ours
