"""`lrkit.compat` is imported on demand (`import lrkit` stays free of torch) and mirrors torch's names."""

from __future__ import annotations

import subprocess
import sys

import torch

import lrkit.compat


def test_import_lrkit_does_not_import_compat_or_torch():
    code = "import sys, lrkit; print('lrkit.compat' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_both_import_forms_work():
    code = "from lrkit import compat; import lrkit.compat as lr_scheduler; print(compat is lr_scheduler)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_every_torch_scheduler_class_has_a_compat_twin_with_its_signature():
    import inspect

    names = [
        name
        for name, obj in vars(torch.optim.lr_scheduler).items()
        if isinstance(obj, type)
        and issubclass(obj, torch.optim.lr_scheduler.LRScheduler)
        and not name.startswith("_")
        and name != "LRScheduler"
    ]
    assert len(names) == 15
    for name in names:
        ours, theirs = getattr(lrkit.compat, name), getattr(torch.optim.lr_scheduler, name)
        assert issubclass(ours, torch.optim.lr_scheduler.LRScheduler)
        mine = [
            (p.name, p.default)
            for p in inspect.signature(ours).parameters.values()
            if p.kind != p.KEYWORD_ONLY
        ]
        torchs = [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
        assert mine == torchs, name
    swa = inspect.signature(torch.optim.swa_utils.SWALR).parameters
    assert list(inspect.signature(lrkit.compat.SWALR).parameters) == list(swa)


def test_all_is_sorted_and_complete():
    public = {
        n for n in dir(lrkit.compat) if not n.startswith("_") and isinstance(getattr(lrkit.compat, n), type)
    }
    # ruff's isort-style order (RUF022): all-caps names first, then the others.
    assert sorted(lrkit.compat.__all__, key=lambda n: (not n.isupper(), n)) == lrkit.compat.__all__
    assert public <= set(lrkit.compat.__all__)
