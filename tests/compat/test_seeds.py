"""The seed documents' code examples run unchanged with lrkit.compat and print what they print with torch.

Each snippet in seeds/ runs twice in a fresh namespace: as written (torch), and with
``torch.optim.lr_scheduler`` replaced by ``lrkit.compat`` (``optim.lr_scheduler.X`` and
``from torch.optim import lr_scheduler`` included). Their printed output, the warnings they raise
and the exception they end with (if any) must be the same, and the seeds' answers are asserted.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

SEEDS = Path(__file__).parent / "seeds"

#: Names the snippets use without defining them.
PRELUDE = """
import torch
model = torch.nn.Linear(3, 1)
input = torch.ones(4, 3)
target = torch.zeros(4, 1)
loss_fn = torch.nn.MSELoss()
def train_one_epoch(model, optimizer):
    optimizer.step()
def validate(model):
    return 1.0
"""


def to_compat(code: str) -> str:
    """The one-line migration, applied to a snippet's text."""
    code = code.replace("from torch.optim import lr_scheduler", "import lrkit.compat as lr_scheduler")
    code = code.replace("torch.optim.lr_scheduler.", "lrkit.compat.")
    code = re.sub(r"\boptim\.lr_scheduler\.", "lrkit.compat.", code)
    return "import lrkit.compat\n" + code


def execute(code: str) -> tuple[str, list[str], str | None, dict[str, Any]]:
    """stdout, warning texts, the final exception (type: message) and the namespace."""
    torch.manual_seed(0)
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        exec(compile(PRELUDE + code, "<seed>", "exec"), namespace)
    return out.getvalue(), [str(w.message) for w in caught], None, namespace


def run_both(name: str) -> tuple[tuple[str, list[str], Any, dict[str, Any]], ...]:
    code = (SEEDS / name).read_text()
    results = []
    for text in (code, to_compat(code)):
        try:
            results.append(execute(text))
        except Exception as error:
            results.append(("", [], f"{type(error).__name__}: {error}", {}))
    return tuple(results)


NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def same_output(ours: str, theirs: str) -> bool:
    """Equal text; numbers equal to a relative 1e-12 (torch's recursive forms round differently in
    the last digits: its CosineAnnealingLR prints 0.10000000000000006 where lrkit's closed form
    gives 0.1; see docs/compat.md)."""
    if NUMBER.sub("#", ours) != NUMBER.sub("#", theirs):
        return False
    pairs = zip(NUMBER.findall(ours), NUMBER.findall(theirs), strict=True)
    return all(abs(float(a) - float(b)) <= 1e-12 * abs(float(b)) + 1e-15 for a, b in pairs)


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.py.txt")))
def test_every_seed_prints_warns_and_raises_the_same(name):
    theirs, ours = run_both(name)
    assert same_output(ours[0], theirs[0]), (ours[0], theirs[0])  # stdout
    assert ours[1] == theirs[1]  # warnings, in order, word for word
    assert ours[2] == theirs[2]  # the exception, if any


def test_the_migration_leaves_no_reference_to_torchs_schedulers():
    for path in SEEDS.glob("*.py.txt"):
        migrated = to_compat(path.read_text())
        assert "torch.optim.lr_scheduler" not in migrated
        assert "optim.lr_scheduler" not in migrated
        assert "from torch.optim import lr_scheduler" not in migrated


def test_outputs_are_compared_for_real():
    assert same_output("lr = 0.1", "lr = 0.10000000000000006")
    assert not same_output("lr = 0.1", "lr = 0.1001")
    assert not same_output("Epoch 1", "Epoch 2")


def test_step_lr_after_3_epochs_is_005():
    _, (out, _, _, _) = run_both("step_lr_after_3_epochs.py.txt")
    assert out == "Learning rate after 3 epochs: 0.05\n"


def test_step_lr_after_3_calls_without_optimizer_steps_is_005():
    _, (_, caught, _, namespace) = run_both("step_lr_3_calls.py.txt")
    assert namespace["current_lr"] == 0.05
    assert len(caught) == 1  # the ordering warning: the optimizer never stepped


def test_exponential_lr_before_optimizer_step_warns():
    _, (out, caught, _, _) = run_both("exponential_before_optimizer_step.py.txt")
    assert len(caught) == 1
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in caught[0]
    assert out.splitlines()[0] == "Epoch 0: lr = 0.009000000000000001"


def test_cosine_t_max_5_rises_again_after_5_epochs():
    _, (out, _, _, _) = run_both("cosine_t_max_5_over_10_epochs.py.txt")
    rates = [float(line.rsplit("=", 1)[1]) for line in out.splitlines()]
    assert rates[4] == pytest.approx(0.0, abs=1e-15)  # epoch 5: the bottom
    assert rates[5:] == sorted(rates[5:])  # then up again
    assert rates[9] == pytest.approx(0.1, rel=1e-12)  # back at the base rate after 2 * T_max


def test_step_lr_training_loop_prints_the_rates_after_each_step():
    # The seed claims 0.0500, 0.0500, 0.0250, 0.0250; torch (and lrkit.compat) print the rates after
    # 1..4 steps of StepLR(step_size=2, gamma=0.5).
    _, (out, _, _, _) = run_both("step_lr_training_loop.py.txt")
    expected = ["0.1000", "0.0500", "0.0500", "0.0250"]
    assert out.splitlines() == [f"Epoch {e} lr: {lr}" for e, lr in enumerate(expected, 1)]


def test_three_schedulers_seed_fails_on_verbose_in_both():
    # torch 2.13 removed ReduceLROnPlateau's `verbose`; the seed's code raises before its loop.
    theirs, ours = run_both("three_schedulers.py.txt")
    assert ours[2] == theirs[2]
    assert "unexpected keyword argument 'verbose'" in ours[2]
