# ruff: noqa: E501  (pasted calls read best one per line)
"""Paste torch's schedulers as they appear in code: every class, full signature, compared with torch.

Each call is written the way training code writes it: the qualified name
(``torch.optim.lr_scheduler.X``, ``lr_scheduler.X``, ``optim.lr_scheduler.X``), the optimizer as the
first positional argument, and every argument of torch's own signature (read from the installed
torch with `inspect.signature`) spelled out with its default unless the case sets it. The parsed
spec's rates must equal the rates torch writes into a real optimizer, step by step.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from _reference import assert_matches, replay_plateau

import lrkit
from lrkit import SpecError, parse
from lrkit.schedules import REGISTRY

L = torch.optim.lr_scheduler
STEPS = 40
BASE = 0.1
MODULES = ["torch.optim.lr_scheduler", "lr_scheduler", "optim.lr_scheduler"]

#: One case per torch class: the arguments the case sets (the rest are torch's defaults).
CASES: dict[str, dict[str, object]] = {
    "StepLR": {"step_size": 3, "gamma": 0.5},
    "MultiStepLR": {"milestones": [2, 5, 5, 9], "gamma": 0.5},
    "ConstantLR": {},
    "LinearLR": {"start_factor": 0.25, "total_iters": 7},
    "ExponentialLR": {"gamma": 0.9},
    "PolynomialLR": {"total_iters": 12, "power": 2.0},
    "CosineAnnealingLR": {"T_max": 9, "eta_min": 0.001},
    "CosineAnnealingWarmRestarts": {"T_0": 4, "T_mult": 2, "eta_min": 0.002},
    "CyclicLR": {
        "base_lr": 0.01,
        "max_lr": 0.1,
        "step_size_up": 3,
        "step_size_down": 5,
        "mode": "triangular2",
    },
    "OneCycleLR": {"max_lr": 0.5, "total_steps": STEPS, "three_phase": True},
}


def _literal(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def full_call(name: str, module: str, given: dict[str, object], cls: type | None = None) -> str:
    """`module.name(optimizer, <every argument of torch's signature>)`, defaults spelled out."""
    signature = inspect.signature(cls or getattr(L, name))
    names = list(signature.parameters)
    before = names[: names.index("optimizer")]  # positional, as code must write them then
    parts = []
    for param in signature.parameters.values():
        if param.name == "optimizer":
            parts.append("optimizer")
            continue
        if param.name in given:
            text = _literal(given[param.name])
        elif isinstance(given.get(param.name + "!"), str):
            text = str(given[param.name + "!"])
        elif param.default is not inspect.Parameter.empty:
            text = _literal(param.default)
        else:
            continue
        parts.append(text if param.name in before else f"{param.name}={text}")
    return f"{module}.{name}({', '.join(parts)})"


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE, momentum=0.9)


def torch_rates(make, steps: int = STEPS) -> list[float]:
    opt = _optimizer()
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps - 1):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0]["lr"])
    return out


def lrkit_rates(spec: str, steps: int = STEPS) -> np.ndarray:
    schedule = parse(spec).resolve(base=BASE)
    return np.array([BASE * schedule(float(t)) for t in range(steps)])


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_pasted_full_signature_equals_torch(name, module):
    spec = full_call(name, module, CASES[name])
    assert "optimizer, " in spec
    assert "last_epoch=-1" in spec
    expected = torch_rates(lambda opt: getattr(L, name)(opt, **CASES[name]))
    assert_matches(lrkit_rates(spec), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("module", MODULES)
def test_pasted_sequential_and_chained_with_nested_pastes_equal_torch(module):
    warm = {"start_factor": 0.1, "total_iters": 4}
    cos = {"T_max": 20, "eta_min": 0.001}
    inner = [full_call("LinearLR", module, warm), full_call("CosineAnnealingLR", module, cos)]
    sequential = full_call(
        "SequentialLR", module, {"milestones": [4], "schedulers!": f"[{', '.join(inner)}]"}
    )
    expected = torch_rates(
        lambda opt: L.SequentialLR(
            opt, [L.LinearLR(opt, **warm), L.CosineAnnealingLR(opt, **cos)], milestones=[4]
        )
    )
    assert_matches(lrkit_rates(sequential), expected, rtol=1e-12, atol=1e-15)

    gamma = {"gamma": 0.9}
    const = {"factor": 0.5, "total_iters": 3}
    inner = [full_call("ConstantLR", module, const), full_call("ExponentialLR", module, gamma)]
    chained = full_call("ChainedScheduler", module, {"schedulers!": f"[{', '.join(inner)}]"})
    expected = torch_rates(
        lambda opt: L.ChainedScheduler(
            [L.ConstantLR(opt, **const), L.ExponentialLR(opt, **gamma)], optimizer=opt
        )
    )
    assert_matches(lrkit_rates(chained), expected, rtol=1e-12, atol=1e-15)


def test_pasted_reduce_lr_on_plateau_equals_torch():
    given = {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.01}
    spec = full_call("ReduceLROnPlateau", "torch.optim.lr_scheduler", given)
    metrics = [0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    opt = _optimizer()
    sched = L.ReduceLROnPlateau(opt, **given)
    expected = []
    for metric in metrics:
        opt.step()
        sched.step(metric)
        expected.append(opt.param_groups[0]["lr"])
    got = replay_plateau(parse(spec), metrics, BASE)
    assert_matches(np.array(got), expected)


def test_every_torch_scheduler_class_is_covered():
    """Every public scheduler class of the installed torch is pasted above, or refused with a reason."""
    classes = {
        name
        for name, obj in vars(L).items()
        if inspect.isclass(obj)
        and issubclass(obj, (L.LRScheduler, L.ReduceLROnPlateau))
        and not name.startswith("_")
    }
    covered = set(CASES) | {
        "SequentialLR",
        "ChainedScheduler",
        "ReduceLROnPlateau",
        "LambdaLR",
        "MultiplicativeLR",
    }
    assert classes - {"LRScheduler", "_LRScheduler"} <= covered


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_function_classes_say_why_and_what_instead(name):
    with pytest.raises(
        SpecError, match=r"runs the Python function `lr_lambda`.*never runs.*lrkit.compat.LambdaLR"
    ):
        parse(f"torch.optim.lr_scheduler.{name}(optimizer, lr_lambda=lambda e: 0.95 ** e, last_epoch=-1)")


def test_callable_scale_fn_says_why_and_what_instead():
    with pytest.raises(SpecError, match=r"`scale_fn` holds a Python function.*mode='triangular'"):
        parse("lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, scale_fn=my_scale, scale_mode='cycle')")
    with pytest.raises(SpecError, match=r"`scale_fn` holds a Python function"):
        parse("lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, scale_fn=lambda x: 1.0)")


def test_accepted_arguments_equal_torchs_signature():
    """Names, order and defaults of every preset equal torch's constructor (without the optimizer)."""
    for name in [*CASES, "SequentialLR", "ReduceLROnPlateau"]:
        theirs = [
            (p.name, p.default) for p in list(inspect.signature(getattr(L, name)).parameters.values())[1:]
        ]
        ours = [(p.name, p.default) for p in inspect.signature(REGISTRY[name]).parameters.values()]
        assert ours == theirs, name
    theirs = [p.name for p in inspect.signature(L.ChainedScheduler).parameters.values()]
    assert theirs == ["schedulers", "optimizer"]  # torch's optimizer comes second (optional)
    assert list(inspect.signature(REGISTRY["ChainedScheduler"]).parameters) == ["schedulers"]


def test_last_epoch_other_than_minus_one_is_refused_with_torchs_reason():
    with pytest.raises(SpecError, match=r"`last_epoch`.*'initial_lr'.*Received: last_epoch=4"):
        parse("StepLR(optimizer, step_size=2, last_epoch=4)")
    opt = _optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(opt, step_size=2, last_epoch=4)


def test_positional_arguments_after_the_optimizer_follow_torchs_order():
    spec = "torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.5, 30, None, None, 0.25, 'linear', True, 0.8, 0.9, 10.0)"
    expected = torch_rates(
        lambda opt: L.OneCycleLR(opt, 0.5, 30, None, None, 0.25, "linear", True, 0.8, 0.9, 10.0), 30
    )
    assert_matches(lrkit_rates(spec, 30), expected, rtol=1e-12, atol=1e-15)


def test_the_optimizer_may_be_any_name_or_attribute_chain_or_keyword():
    want = parse("StepLR(step_size=5, gamma=0.5)")
    for spec in [
        "StepLR(optimizer, step_size=5, gamma=0.5)",
        "StepLR(self.optimizer, 5, 0.5)",
        "lr_scheduler.StepLR(trainer.model.opt, 5, gamma=0.5)",
        "StepLR(optimizer=opt, step_size=5, gamma=0.5)",
    ]:
        assert parse(spec) == want, spec
    assert math.isclose(lrkit.parse("StepLR(opt, 5, 0.5)")(5), 0.5)


#: Values torch accepts at the edges: growth (gamma > 1, as in a range test), gamma = 0, zero lengths.
EDGE_CASES = [
    ("StepLR", {"step_size": 3, "gamma": 2.0}),
    ("StepLR", {"step_size": 2, "gamma": 0.0}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 3.0}),
    ("ExponentialLR", {"gamma": 1.1}),
    ("ExponentialLR", {"gamma": 0.0}),
    # Zero (and negative) lengths: torch applies the first factor forever.
    ("LinearLR", {"start_factor": 0.25, "total_iters": 0}),
    ("LinearLR", {"start_factor": 0.5, "total_iters": -2}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 0}),
]


@pytest.mark.parametrize(("name", "given"), EDGE_CASES, ids=[f"{n}-{g}" for n, g in EDGE_CASES])
def test_pasted_edge_values_equal_torch(name, given):
    spec = full_call(name, "torch.optim.lr_scheduler", given)
    expected = torch_rates(lambda opt: getattr(L, name)(opt, **given))
    assert_matches(lrkit_rates(spec), expected, rtol=1e-12, atol=1e-15)


def test_growth_past_the_float_range_is_an_error_naming_the_step():
    """torch writes inf into the optimizer (lr = 0.1 * 2 ** 1024); lrkit refuses, naming step 1024."""
    opt = _optimizer()
    sched = L.ExponentialLR(opt, gamma=2.0)
    for _ in range(1030):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == math.inf
    spec = full_call("ExponentialLR", "torch.optim.lr_scheduler", {"gamma": 2.0})
    with pytest.raises(
        ValueError, match=r"exponential\(rate=2.0\) grows past the largest float .* step 1024"
    ):
        parse(spec).resolve(total=1030)
    with pytest.raises(ValueError, match=r"from step 1024 on \(evaluated at step 1029.0\)"):
        parse(spec)(1029)
