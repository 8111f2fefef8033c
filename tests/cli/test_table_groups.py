"""``lrkit table`` with torch's per-group lists (``max_lr=[0.1, 0.01]``): one column per group, as torch."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from lrkit.cli import main

L = torch.optim.lr_scheduler
STEPS = 30

CASES = [
    ("OneCycleLR", {"max_lr": [0.1, 0.01], "total_steps": STEPS}),
    (
        "OneCycleLR",
        {"max_lr": [0.5, 0.05], "total_steps": STEPS, "base_momentum": [0.8, 0.7], "max_momentum": 0.95},
    ),
    ("CyclicLR", {"base_lr": [0.01, 0.001], "max_lr": [0.1, 0.02], "step_size_up": 4}),
    ("CyclicLR", {"base_lr": [0.01, 0.001], "max_lr": 0.1, "step_size_up": 3, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": [0.1, 0.05], "step_size_up": 3, "cycle_momentum": False}),
]


def torch_columns(name, kwargs, groups=2):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1} for _ in range(groups)]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    sched = getattr(L, name)(opt, **kwargs)
    lrs = [[g["lr"] for g in opt.param_groups]]
    momenta = [[g["momentum"] for g in opt.param_groups]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(STEPS - 1):
            opt.step()
            sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            momenta.append([g["momentum"] for g in opt.param_groups])
    return np.array(lrs), np.array(momenta)


def spec_of(name, kwargs):
    return f"torch.optim.lr_scheduler.{name}(optimizer, {', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_one_column_per_group_equals_torch(capsys, name, kwargs):
    status = main(["table", spec_of(name, kwargs), "--lr", "0.1", "--steps", str(STEPS), "--format", "json"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    data = json.loads(out)
    lrs, momenta = torch_columns(name, kwargs)
    np.testing.assert_allclose(np.array(data["lr"]), lrs, rtol=1e-12, atol=1e-15)
    if kwargs.get("cycle_momentum", True):
        np.testing.assert_allclose(np.array(data["momentum"]), momenta, rtol=1e-12, atol=1e-15)
    else:
        assert "momentum" not in data


def test_text_header_names_each_group(capsys):
    assert main(["table", "OneCycleLR(optimizer, max_lr=[0.1, 0.01], total_steps=10)", "--steps", "2"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["step", "lr0", "lr1", "momentum0", "momentum1"]


@pytest.mark.parametrize(
    ("spec", "lr", "message"),
    [
        ("CyclicLR(optimizer, [0.01, 0.001], [0.1, 0.01, 0.2])", "0.1", "max_lr has 3 values, base_lr has 2"),
        (
            "OneCycleLR(optimizer, max_lr=[0.1, 0.01], total_steps=10)",
            "0.1,0.1,0.1",
            "max_lr has 2 values, param_groups has 3",
        ),
    ],
)
def test_a_length_mismatch_is_torchs_error_in_one_line(capsys, spec, lr, message):
    assert main(["table", spec, "--lr", lr, "--steps", "3"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "must have the same length as optimizer.param_groups" in err
    assert message in err
    with pytest.raises(ValueError, match=r"must have the same length as optimizer\.param_groups"):
        torch_columns("OneCycleLR", {"max_lr": [0.1, 0.01], "total_steps": 10}, groups=3)


def test_parse_says_where_per_group_lists_go():
    from lrkit import SpecError, parse

    with pytest.raises(SpecError, match=r"per-group lists .* one column per group"):
        parse("OneCycleLR(optimizer, max_lr=[0.1, 0.01], total_steps=10)")


@pytest.mark.parametrize("name", ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"])
def test_eta_min_list_is_refused_as_torch_refuses_it(name):
    """torch's eta_min is one float: CosineAnnealingWarmRestarts refuses a list, CosineAnnealingLR fails."""
    from lrkit import SpecError, parse

    arg = "T_max" if name == "CosineAnnealingLR" else "T_0"
    with pytest.raises(SpecError, match=r"Argument `eta_min`.*Received: eta_min=\[0\.01, 0\.001\]"):
        parse(f"{name}(optimizer, {arg}=10, eta_min=[0.01, 0.001])")
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(2)]
    opt = torch.optim.SGD(params, lr=0.1)

    def run_torch():
        sched = getattr(L, name)(opt, **{arg: 10}, eta_min=[0.01, 0.001])
        opt.step()
        sched.step()

    with pytest.raises((ValueError, TypeError)):
        run_torch()
