"""`lrkit.Scheduler` from a pasted torch OneCycleLR/CyclicLR: per-group lists and the cycled momentum.

Every group's lr and momentum (SGD's ``momentum``, Adam's ``betas[0]``) at every update equals torch
2.13's own class run side by side (relative 1e-12); a resumed run equals an uninterrupted one bit
for bit; the errors are torch's (a list of the wrong length, ``cycle_momentum`` without a momentum).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrkit import Scheduler

L = torch.optim.lr_scheduler
STEPS = 60
CASES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def make(kind: str, groups: int) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1 / (i + 1)} for i in range(groups)]
    if kind == "adam":
        return torch.optim.Adam(params, lr=0.1)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=0.1)
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def momentum_of(group: dict) -> float:
    return float(group["betas"][0]) if "betas" in group else float(group["momentum"])


def rows(opt: torch.optim.Optimizer, sched, steps: int) -> np.ndarray:
    """Each update's lrs then momenta, as the optimizer uses them (with a real update in between)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            out.append(
                [float(g["lr"]) for g in opt.param_groups] + [momentum_of(g) for g in opt.param_groups]
            )
            for group in opt.param_groups:
                for p in group["params"]:
                    p.grad = torch.ones_like(p)
            opt.step()
            sched.step()
    return np.array(out, dtype=np.float64)


def spec_of(name: str, kwargs: dict) -> str:
    return f"torch.optim.lr_scheduler.{name}(optimizer, {', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


def per_group(draw, values, groups):
    return draw(st.one_of(values, st.lists(values, min_size=groups, max_size=groups)))


@st.composite
def configurations(draw):
    groups = draw(st.sampled_from([1, 3]))
    kind = draw(st.sampled_from(["sgd", "adam", "adamw"]))
    momenta = st.floats(0.5, 0.99)
    if draw(st.booleans()):
        name = "OneCycleLR"
        kwargs = {
            "max_lr": per_group(draw, st.floats(0.001, 1.0), groups),
            "total_steps": draw(st.integers(20, STEPS)),
            "pct_start": draw(st.floats(0.15, 0.45)),
            "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
            "three_phase": draw(st.booleans()),
            "base_momentum": per_group(draw, st.floats(0.0, 0.85), groups),
            "max_momentum": per_group(draw, momenta, groups),
            "div_factor": draw(st.floats(2.0, 50.0)),
        }
    else:
        name = "CyclicLR"
        low = draw(st.floats(0.0, 0.01))
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        kwargs = {
            "base_lr": low if groups == 1 or draw(st.booleans()) else [low / (i + 1) for i in range(groups)],
            "max_lr": per_group(draw, st.floats(0.01, 1.0), groups),
            "step_size_up": draw(st.integers(1, 10)),
            "step_size_down": draw(st.one_of(st.none(), st.integers(1, 10))),
            "mode": mode,
            "gamma": draw(st.floats(0.8, 1.0)) if mode == "exp_range" else 1.0,
            "base_momentum": per_group(draw, st.floats(0.0, 0.85), groups),
            "max_momentum": per_group(draw, momenta, groups),
        }
    return name, kwargs, kind, groups


def relative(ours: np.ndarray, ref: np.ndarray) -> float:
    """The largest relative difference, counting as equal a difference within 1e-15 of the column's
    largest value (the rounding of another arithmetic form near 0, as in tests/compat)."""
    diff = np.abs(ours - ref)
    atol = 1e-15 * np.max(np.abs(ref), axis=0)
    return float(np.max(np.where(diff <= atol, 0.0, diff / np.maximum(np.abs(ref), 1e-300))))


@CASES
@given(config=configurations())
def test_pasted_call_sets_every_groups_lr_and_momentum_as_torch(config):
    name, kwargs, kind, groups = config
    steps = kwargs.get("total_steps", STEPS)  # torch's OneCycleLR raises past its last step
    torch_opt = make(kind, groups)
    ref = rows(torch_opt, getattr(L, name)(torch_opt, **kwargs), steps)
    opt = make(kind, groups)
    # skip_zero_start=False: a CyclicLR from base_lr=0 then keeps torch's table (see docs/scheduler.md)
    ours = rows(opt, Scheduler(opt, spec_of(name, kwargs), skip_zero_start=False), steps)
    assert ours.shape == ref.shape
    assert relative(ours, ref) <= 1e-12, (name, kwargs, kind)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(
    "spec",
    [
        "OneCycleLR(optimizer, max_lr=[0.1, 0.01, 0.05], total_steps=30, base_momentum=[0.8, 0.85, 0.7])",
        "CyclicLR(opt, base_lr=[0.01, 0.001, 0.0], max_lr=[0.1, 0.02, 0.05], step_size_up=4)",
        "OneCycleLR(optimizer, max_lr=0.1, total_steps=30)",
    ],
)
@pytest.mark.parametrize("cut", [1, 7, 13])
def test_resume_mid_run_equals_the_uninterrupted_run_bit_for_bit(spec, kind, cut):
    opt = make(kind, 3)
    whole = rows(opt, Scheduler(opt, spec, skip_zero_start=False), 30)
    opt = make(kind, 3)
    first = Scheduler(opt, spec, skip_zero_start=False)
    head = rows(opt, first, cut)
    saved = {"opt": opt.state_dict(), "sched": first.state_dict()}
    opt2 = make(kind, 3)  # a new process: fresh optimizer, momentum and betas back at their defaults
    second = Scheduler(opt2, spec, skip_zero_start=False)
    opt2.load_state_dict(saved["opt"])
    second.load_state_dict(saved["sched"])
    tail = rows(opt2, second, 30 - cut)
    assert np.array_equal(np.concatenate([head, tail]), whole)


def test_the_momentum_is_a_scheduled_hyperparameter_only_when_cycled():
    opt = make("sgd", 2)
    sched = Scheduler(opt, "OneCycleLR(optimizer, max_lr=0.1, total_steps=10)")
    assert list(sched.scheduled_keys) == ["lr", "momentum"]
    assert sched.values_for_next_update("momentum") == [0.95, 0.95]
    for spec in ["OneCycleLR(optimizer, 0.1, 10, cycle_momentum=False)", "warmup(cosine(), steps=2)"]:
        opt = make("sgd", 2)
        sched = Scheduler(opt, spec, total=10)
        assert list(sched.scheduled_keys) == ["lr"]
        assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]


LENGTH_CASES = [
    ("OneCycleLR", {"max_lr": [0.1, 0.01], "total_steps": 10}),
    ("CyclicLR", {"base_lr": [0.01, 0.001, 0.0, 0.0], "max_lr": 0.1}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "base_momentum": [0.8, 0.7]}),
]


@pytest.mark.parametrize(("name", "kwargs"), LENGTH_CASES)
def test_a_list_of_the_wrong_length_is_torchs_error_at_construction(name, kwargs):
    with pytest.raises(ValueError, match="must have the same length") as torch_error:
        getattr(L, name)(make("sgd", 3), **kwargs)
    torch_text = str(torch_error.value).rstrip(".")  # "max_lr must have ... param_groups has 3"
    opt = make("sgd", 3)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="must have the same length") as caught:
        Scheduler(opt, spec_of(name, kwargs))
    first, _, rest = torch_text.partition(". ")
    assert first in str(caught.value)
    assert rest in str(caught.value)
    assert [dict(g) for g in opt.param_groups] == before  # nothing written


@pytest.mark.parametrize(
    "spec", ["OneCycleLR(optimizer, max_lr=0.1, total_steps=10)", "CyclicLR(opt, 0.01, 0.1)"]
)
def test_cycle_momentum_without_a_momentum_is_torchs_error(spec):
    def adagrad():
        return torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    name = spec.split("(")[0]
    build = {
        "OneCycleLR": lambda: L.OneCycleLR(adagrad(), 0.1, 10),
        "CyclicLR": lambda: L.CyclicLR(adagrad(), 0.01, 0.1),
    }
    with pytest.raises(ValueError, match="momentum or beta1") as torch_error:
        build[name]()
    with pytest.raises(ValueError, match="momentum or beta1") as caught:
        Scheduler(adagrad(), spec)
    assert str(torch_error.value) in str(caught.value)
    assert "cycle_momentum=False" in str(caught.value)
    Scheduler(adagrad(), spec.replace(")", ", cycle_momentum=False)"))  # as torch accepts it


def test_the_momentum_cannot_be_scheduled_twice():
    with pytest.raises(ValueError, match="cycles the momentum already"):
        Scheduler(make("sgd", 1), "OneCycleLR(optimizer, 0.1, 10)", hparams={"momentum": "constant()"})
    Scheduler(
        make("sgd", 1),
        "OneCycleLR(optimizer, 0.1, 10, cycle_momentum=False)",
        hparams={"momentum": "constant()"},
    )


def test_a_plain_spec_keeps_the_one_schedule_fast_path():
    opt = make("sgd", 3)
    sched = Scheduler(opt, "warmup(cosine(), steps=2)", total=10)
    sched.step()
    assert sched._fast is not None
    assert sched._fast[0] is not None  # one lr schedule: evaluated inline


@pytest.mark.parametrize(
    "schedule",
    [
        ["OneCycleLR(optimizer, max_lr=0.1, total_steps=10)", "constant()"],
        {"default": "CyclicLR(opt, 0.01, 0.1)"},
    ],
)
def test_a_cycled_momentum_inside_a_list_or_dict_is_an_error_not_dropped(schedule):
    with pytest.raises(ValueError, match="cycles the momentum"):
        Scheduler(make("sgd", 2), schedule)
    calm = (
        [schedule[0].replace(")", ", cycle_momentum=False)"), "constant()"]
        if isinstance(schedule, list)
        else {"default": "CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)"}
    )
    Scheduler(make("sgd", 2), calm)


@pytest.mark.parametrize("groups", [1, 3])
def test_the_several_track_fast_path_equals_the_general_path_bit_for_bit(groups):
    # history=True takes the general path (Track.compute, _check_betas, Track.write) at every step
    spec = "OneCycleLR(optimizer, max_lr=0.1, total_steps=40, three_phase=True)"
    fast_opt, slow_opt = make("sgd", groups), make("sgd", groups)
    fast, slow = Scheduler(fast_opt, spec), Scheduler(slow_opt, spec, history=True)
    got, want = rows(fast_opt, fast, 40), rows(slow_opt, slow, 40)
    # one group: every track is one schedule over float groups, inlined (`_floats_fast`); three
    # groups with other base rates resolve one schedule per group: the general path
    assert fast._fast is not None
    assert fast._floats_only == (groups == 1)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("history", [False, True])
def test_a_momentum_leaving_0_1_mid_run_stops_the_step_with_nothing_written(history):
    # no total: the run-wide check cannot run, so the step checks: 0.9 * (1 + 0.2 * t / 8) reaches 1
    # first at t = 5 (history=True takes the general path, False the inlined one)
    opt = make("sgd", 2)
    sched = Scheduler(
        opt, "cosine(steps=100)", hparams={"momentum": "linear(start=1.0, end=1.2, steps=8)"}, history=history
    )
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p)
    for _ in range(4):
        opt.step()
        sched.step()
    before = [(g["lr"], g["momentum"]) for g in opt.param_groups]
    assert before[0][1] == pytest.approx(0.9 * (1 + 0.2 * 4 / 8))
    opt.step()
    with pytest.raises(ValueError, match=r"momentum and betas must stay in \[0, 1\)"):
        sched.step()
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == before  # neither lr nor momentum written
