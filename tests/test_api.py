"""The public API: `__all__` is sorted and complete, and the core never imports torch."""

import subprocess
import sys

import lrkit


def test_all_is_sorted_and_unique():
    names = [n for n in lrkit.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    assert len(set(lrkit.__all__)) == len(lrkit.__all__)


def test_every_name_in_all_resolves():
    for name in lrkit.__all__:
        assert getattr(lrkit, name) is not None, name


def test_every_registered_core_builder_is_exported():
    from lrkit.schedules import REGISTRY

    core = {name for name, fn in REGISTRY.items() if fn.__module__.startswith("lrkit.schedules.")}
    missing = sorted(name for name in core if name not in lrkit.__all__ and "." not in name)
    assert not missing, f"registered but not exported from lrkit: {missing}"


def test_import_lrkit_and_parse_do_not_import_torch():
    code = (
        "import sys, lrkit, lrkit.schedules, lrkit.spec, lrkit.config\n"
        "lrkit.parse('warmup(cosine(end=0.1), steps=2)').resolve(total=10)(3)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
