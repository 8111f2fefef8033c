"""Each library's presets accept exactly the library's own arguments, with its defaults.

For every preset ``<library>.<Name>`` that mirrors a class or function of optax, transformers,
Keras, fvcore or timm, the preset's arguments (names, order, defaults; the optimizer left out) equal
the library's signature: read live from the installed library where it imports, and always from
``reference/signatures.json`` (written by ``reference/generate.py signatures`` from the real
libraries, versions recorded) so that CI checks them without the libraries.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from lrkit.schedules import REGISTRY

HERE = Path(__file__).resolve().parent / "reference"


@cache
def generate() -> Any:
    spec = importlib.util.spec_from_file_location("lrkit_reference_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def stored() -> dict[str, Any]:
    return json.loads((HERE / "signatures.json").read_text())


STORED = [(lib, name) for lib, data in stored().items() for name in data["entries"]]


def _number(text: str) -> str:
    """A default as written, with numbers as floats (torch's ``min_lr=0`` is lrkit's ``0.0``)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else text


def normal(params: list[list[str]]) -> list[list[str]]:
    return [[name, _number(default)] for name, default in params]


def expected(theirs: list[list[str]]) -> list[list[str]]:
    """A library signature that forwards ``**kwargs`` (to torch's ReduceLROnPlateau) means torch's."""
    if theirs == [["**kwargs", "<forwarded>"]]:
        import torch

        theirs = generate().parameters(torch.optim.lr_scheduler.ReduceLROnPlateau)
    return normal(theirs)


@pytest.mark.parametrize(("library", "name"), STORED, ids=[f"{lib}.{name}" for lib, name in STORED])
def test_preset_arguments_equal_the_stored_signature(library, name):
    ours = normal(generate().parameters(REGISTRY[f"{library}.{name}"]))
    assert ours == expected(stored()[library]["entries"][name])


#: Libraries read live here (Keras with the numpy backend, as the ``test`` extra installs it).
LIVE = {
    "optax": "optax",
    "transformers": "transformers",
    "fvcore": "fvcore",
    "timm": "timm",
    "keras": "keras",
}


@pytest.mark.parametrize("library", sorted(LIVE))
def test_preset_arguments_equal_the_installed_library(library):
    gen = generate()
    try:
        if library == "timm":  # timm's top level needs torchvision: load timm.scheduler alone
            gen._timm_scheduler_package()
        elif library == "keras":  # a backend must be chosen before Keras is first imported
            os.environ.setdefault("KERAS_BACKEND", "numpy")
            importlib.import_module("keras")
        else:
            importlib.import_module(LIVE[library])
    except ImportError as error:
        pytest.skip(f"{library} does not import here: {error}")
    checked = 0
    for key in sorted(REGISTRY):
        lib, _, name = key.partition(".")
        if lib != library:
            continue
        entry = gen.library_entry(library, name)
        if entry is None:
            continue
        assert normal(gen.parameters(REGISTRY[key])) == expected(gen.parameters(entry)), key
        checked += 1
    assert checked == len(stored()[library]["entries"])


def test_every_mirrored_entry_point_is_stored():
    """Every preset named after a library's own class or function has a stored signature."""
    mirrored = {
        "optax": [n for n in REGISTRY if n.startswith("optax.")],
        "keras": [n for n in REGISTRY if n.startswith("keras.")],
        "timm": [n for n in REGISTRY if n.startswith("timm.")],
        "transformers": [n for n in REGISTRY if n.startswith("transformers.get_")],
        "fvcore": [n for n in REGISTRY if n.startswith("fvcore.") and n != "fvcore.WarmupParamScheduler"],
    }
    for library, names in mirrored.items():
        assert sorted(f"{library}.{n}" for n in stored()[library]["entries"]) == sorted(names), library
