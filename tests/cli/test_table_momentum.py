"""``lrkit table`` shows the momentum torch's OneCycleLR/CyclicLR cycle, equal to torch's own."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from lrkit.cli import main
from lrkit.spec import cycled_momentum

L = torch.optim.lr_scheduler
STEPS = 40

CASES = [
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS, "three_phase": True, "base_momentum": 0.7}),
    ("OneCycleLR", {"max_lr": 0.5, "epochs": 4, "steps_per_epoch": 10, "anneal_strategy": "linear"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 5}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range", "gamma": 0.9}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "max_momentum": 0.99}),
]


def torch_values(name: str, kwargs: dict[str, object]) -> tuple[list[float], list[float]]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = getattr(L, name)(opt, **kwargs)
    lrs, momenta = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(STEPS - 1):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            momenta.append(opt.param_groups[0]["momentum"])
    return lrs, momenta


def spec_of(name: str, kwargs: dict[str, object]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"torch.optim.lr_scheduler.{name}(optimizer, {args})"


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_json_momentum_equals_torch(capsys, name, kwargs):
    status = main(["table", spec_of(name, kwargs), "--lr", "0.1", "--steps", str(STEPS), "--format", "json"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    data = json.loads(out)
    lrs, momenta = torch_values(name, kwargs)
    np.testing.assert_allclose(np.array(data["lr"])[:, 0], lrs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data["momentum"], momenta, rtol=1e-12, atol=1e-15)


def test_text_and_csv_have_a_momentum_column(capsys):
    spec = "OneCycleLR(optimizer, max_lr=0.1, total_steps=10)"
    assert main(["table", spec, "--steps", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["step", "lr", "momentum"]
    assert out[1].split()[-1] == "0.95"  # max_momentum where the rate is lowest
    assert main(["table", spec, "--steps", "2", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "step,lr,momentum"


@pytest.mark.parametrize(
    "spec",
    [
        "OneCycleLR(optimizer, max_lr=0.1, total_steps=10, cycle_momentum=False)",
        "CyclicLR(optimizer, 0.01, 0.1, cycle_momentum=False)",
        "StepLR(optimizer, step_size=2)",
        "warmup(cosine(), steps=2)",
    ],
)
def test_no_momentum_column_when_nothing_cycles_it(capsys, spec):
    assert cycled_momentum(spec) is None
    assert main(["table", spec, "--steps", "3", "--format", "json"]) == 0
    assert "momentum" not in json.loads(capsys.readouterr().out)
