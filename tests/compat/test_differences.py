"""The documented differences from torch (docs/compat.md), each one tested; and the constructor errors."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch
from _compat_harness import make_optimizer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit.compat as C  # noqa: N812
from lrkit.compat._base import ORDER_WARNING
from lrkit.compat._cyclic import OneCycleEndWarning
from lrkit.schedules.function import function

T = torch.optim.lr_scheduler

#: name -> (builder(optimizer), needs metrics); every class, containers included.
BUILDERS = {
    "LambdaLR": lambda o: C.LambdaLR(o, lambda e: 0.97**e),
    "MultiplicativeLR": lambda o: C.MultiplicativeLR(o, lambda e: 0.99),
    "StepLR": lambda o: C.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda o: C.MultiStepLR(o, [5, 5, 30], 0.5),
    "ConstantLR": lambda o: C.ConstantLR(o, 0.5, 10),
    "LinearLR": lambda o: C.LinearLR(o, 0.1, 1.0, 20),
    "ExponentialLR": lambda o: C.ExponentialLR(o, 0.97),
    "PolynomialLR": lambda o: C.PolynomialLR(o, 60, 2.0),
    "CosineAnnealingLR": lambda o: C.CosineAnnealingLR(o, 30, 0.001),
    "CosineAnnealingWarmRestarts": lambda o: C.CosineAnnealingWarmRestarts(o, 10, 2, 0.001),
    "CyclicLR": lambda o: C.CyclicLR(o, 0.01, 0.2, 7, mode="triangular2"),
    "OneCycleLR": lambda o: C.OneCycleLR(o, 0.5, total_steps=100, three_phase=True),
    "SequentialLR": lambda o: C.SequentialLR(
        o, [C.LinearLR(o, 0.1, 1.0, 10), C.CosineAnnealingLR(o, 90)], [10]
    ),
    "ChainedScheduler": lambda o: C.ChainedScheduler([C.ConstantLR(o, 0.5, 10), C.ExponentialLR(o, 0.98)]),
    "ReduceLROnPlateau": lambda o: C.ReduceLROnPlateau(
        o, factor=0.5, patience=2, cooldown=1, min_lr=[0.0, 1e-3, 0.01]
    ),
    "SWALR": lambda o: C.SWALR(o, 0.05, anneal_epochs=20),
    "SequentialLR with a plateau": lambda o: C.SequentialLR(
        o, [C.LinearLR(o, 0.1, 1.0, 10), C.ReduceLROnPlateau(o, factor=0.5, patience=1)], [10]
    ),
}


def metric(i: int) -> float:
    """A loss that improves, then stalls (so that plateaus reduce)."""
    return 1.0 / (1 + i) if i < 15 else 0.06 + 0.001 * (i % 3)


def drive(scheduler, opt, start: int, stop: int) -> list[list[float]]:
    rows = []
    for i in range(start, stop):
        opt.step()
        if isinstance(scheduler, C.ReduceLROnPlateau) or scheduler._has_plateau:
            scheduler.step(metric(i))
        else:
            scheduler.step()
        rows.append(
            [float(g["lr"]) for g in opt.param_groups]
            + [float(g.get("momentum", 0)) for g in opt.param_groups]
        )
    return rows


def roundtrip(state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


# -- state and resume ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_state_is_plain_data_that_loads_with_weights_only(name):
    opt = make_optimizer()
    scheduler = BUILDERS[name](opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drive(scheduler, opt, 0, 5)
    state = scheduler.state_dict()

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (int, float, str, bool)

    assert plain(state), state
    assert roundtrip(state) == state


@pytest.mark.parametrize("name", sorted(BUILDERS))
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(at=st.integers(0, 99), optimizer_first=st.booleans())
def test_resume_is_bit_identical_in_either_order(name, at, optimizer_first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = make_optimizer()
        scheduler = BUILDERS[name](opt)
        whole = drive(scheduler, opt, 0, 100)

        opt = make_optimizer()
        scheduler = BUILDERS[name](opt)
        drive(scheduler, opt, 0, at)
        saved_opt, saved = roundtrip(opt.state_dict()), roundtrip(scheduler.state_dict())

        opt = make_optimizer()
        if optimizer_first:
            opt.load_state_dict(saved_opt)
            scheduler = BUILDERS[name](opt)
        else:
            scheduler = BUILDERS[name](opt)
            opt.load_state_dict(saved_opt)
        scheduler.load_state_dict(saved)
        rest = drive(scheduler, opt, at, 100)
    assert rest == whole[at:]


@pytest.mark.parametrize("name", ["SequentialLR", "OneCycleLR", "ReduceLROnPlateau"])
def test_resume_with_the_scheduler_state_alone(name):
    # torch's chainable classes read the optimizer's current lr and drift when only the scheduler
    # state is loaded (baseline 4D); lrkit.compat keeps its bases in its own state.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = make_optimizer()
        scheduler = BUILDERS[name](opt)
        whole = drive(scheduler, opt, 0, 60)
        opt = make_optimizer()
        scheduler = BUILDERS[name](opt)
        drive(scheduler, opt, 0, 37)
        saved = roundtrip(scheduler.state_dict())
        opt = make_optimizer()
        scheduler = BUILDERS[name](opt)
        scheduler.load_state_dict(saved)
        assert drive(scheduler, opt, 37, 60) == whole[37:]


def test_resume_in_a_new_process_is_bit_identical(tmp_path):
    script = textwrap.dedent(
        """
        import sys, torch, warnings
        import lrkit.compat as C  # noqa: N812
        warnings.simplefilter("ignore")
        def build():
            params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
            opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.02}],
                                  momentum=0.9)
            warm = C.LinearLR(opt, 0.1, 1.0, 10)
            return opt, C.SequentialLR(opt, [warm, C.CosineAnnealingLR(opt, 90)], [10])
        opt, sched = build()
        path, mode = sys.argv[1], sys.argv[2]
        if mode == "save":
            for _ in range(37):
                opt.step(); sched.step()
            torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, path)
            steps = 0
        else:
            state = torch.load(path, weights_only=True)
            opt.load_state_dict(state["opt"]); sched.load_state_dict(state["sched"])
            steps = 63
        if mode == "whole":
            opt, sched = build()
            steps = 100
        rates = []
        for _ in range(steps):
            opt.step(); sched.step(); rates.append([g["lr"] for g in opt.param_groups])
        print(repr(rates[-63:] if rates else []))
        """
    )
    path = str(tmp_path / "ckpt.pt")
    program = tmp_path / "resume.py"
    program.write_text(script)

    def call(mode):
        return subprocess.run(
            [sys.executable, str(program), path, mode], capture_output=True, text=True, check=True
        ).stdout

    call("save")
    assert call("load") == call("whole")


def test_lambda_lr_says_that_functions_are_not_saved():
    opt = make_optimizer()
    scheduler = C.LambdaLR(opt, lambda e: 0.9**e)
    opt.step()
    scheduler.step()
    state = roundtrip(scheduler.state_dict())
    assert state["extra"] == {"functions_saved": False}
    again = C.LambdaLR(make_optimizer(), lambda e: 0.9**e)
    with pytest.warns(UserWarning, match="holds no functions"):
        again.load_state_dict(state)
    assert again.get_last_lr() == scheduler.get_last_lr()


def test_the_function_schedule_refuses_to_become_a_config():
    with pytest.raises(TypeError, match="functions are not saved"):
        function(lambda t: 1.0).to_config()


def test_loading_does_not_modify_the_state_and_may_be_repeated():
    opt = make_optimizer()
    scheduler = BUILDERS["SequentialLR"](opt)
    for _ in range(12):
        opt.step()
        scheduler.step()
    state = scheduler.state_dict()
    copy = roundtrip(state)
    fresh = BUILDERS["SequentialLR"](make_optimizer())
    fresh.load_state_dict(state)
    fresh.load_state_dict(state)
    assert state == copy
    assert fresh.get_last_lr() == scheduler.get_last_lr()


def test_a_state_of_another_class_is_refused():
    state = C.StepLR(make_optimizer(), 3).state_dict()
    with pytest.raises(ValueError, match="must be the state of a ExponentialLR"):
        C.ExponentialLR(make_optimizer(), 0.9).load_state_dict(state)


def test_torch_state_dicts_load_into_the_step_classes():
    opt = make_optimizer()
    ref = T.StepLR(opt, 3, 0.5)
    for _ in range(7):
        opt.step()
        ref.step()
    ours = C.StepLR(make_optimizer(), 3, 0.5)
    ours.load_state_dict(ref.state_dict())
    assert ours.last_epoch == 7
    assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-15)


# -- ReduceLROnPlateau in containers; nesting ----------------------------------------------------------


def test_reduce_lr_on_plateau_inside_sequential_lr():
    opt = make_optimizer(bases=(1.0,))
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        T.SequentialLR(opt, [T.LinearLR(opt, 0.5, 1.0, 2), T.ReduceLROnPlateau(opt, patience=0)], [2])
    opt = make_optimizer(bases=(1.0,))
    plateau = C.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    sched = C.SequentialLR(opt, [C.LinearLR(opt, 0.5, 1.0, 2), plateau], [2])
    rates = [sched.get_last_lr()[0]]
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0]:  # flat: every evaluation in the plateau phase is bad
        opt.step()
        sched.step()
        plateau.step(loss)  # feeds the container's plateau phase
        rates.append(sched.get_last_lr()[0])
    # warmup 0.5 -> 0.75 -> 1.0 (metrics ignored), then the first metric sets `best`, each later one
    # is bad and (patience 0) halves the rate.
    assert rates == [0.5, 0.75, 1.0, 0.5, 0.25, 0.125]


def test_reduce_lr_on_plateau_inside_chained_scheduler():
    opt = make_optimizer(bases=(1.0,))
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        T.ChainedScheduler([T.ExponentialLR(opt, 0.5), T.ReduceLROnPlateau(opt)])
    opt = make_optimizer(bases=(1.0,))
    sched = C.ChainedScheduler([C.ExponentialLR(opt, 0.5), C.ReduceLROnPlateau(opt, factor=0.1, patience=0)])
    for loss in [3.0, 3.0]:
        opt.step()
        sched.step(loss)
    # two halvings, one reduction (the second metric does not improve): 0.25 * 0.1
    assert sched.get_last_lr() == [pytest.approx(0.025, rel=1e-15)]


def test_sequential_lr_nests():
    opt = make_optimizer(bases=(1.0,))
    inner = C.SequentialLR(opt, [C.ConstantLR(opt, 0.5, 10), C.ExponentialLR(opt, 0.5)], [2])
    outer = C.SequentialLR(opt, [inner, C.ConstantLR(opt, 0.1, 100)], [4])
    rates = [outer.get_last_lr()[0]]
    for _ in range(5):
        opt.step()
        outer.step()
        rates.append(outer.get_last_lr()[0])
    assert rates == [0.5, 0.5, 1.0, 0.5, 0.1, 0.1]


def test_a_child_cannot_be_stepped_on_its_own():
    opt = make_optimizer()
    child = C.ExponentialLR(opt, 0.5)
    C.SequentialLR(opt, [C.LinearLR(opt, 0.5, 1.0, 2), child], [2])
    with pytest.raises(RuntimeError, match="part of a SequentialLR"):
        child.step()


def test_containers_name_a_torch_child():
    opt = make_optimizer()
    with pytest.raises(TypeError, match=r"lrkit\.compat\.StepLR"):
        C.ChainedScheduler([T.StepLR(opt, 2)])


def test_cyclic_lr_after_another_scheduler_starts_at_base_lr():
    # torch starts at the stale `initial_lr` the first scheduler left (pytorch#21965).
    opt = make_optimizer(bases=(0.1,))
    T.StepLR(opt, 5)
    assert T.CyclicLR(opt, 0.01, 0.2, 5).get_last_lr() == [0.1]
    opt = make_optimizer(bases=(0.1,))
    C.StepLR(opt, 5)
    assert C.CyclicLR(opt, 0.01, 0.2, 5).get_last_lr() == [0.01]


# -- OneCycleLR past its end -------------------------------------------------------------------------


def test_one_cycle_holds_its_final_rate_with_one_warning():
    opt = make_optimizer(bases=(0.1,))
    sched = C.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    for _ in range(9):
        opt.step()
        sched.step()
    final = sched.get_last_lr()
    assert final == [pytest.approx(0.1 / 25 / 1e4, rel=1e-12)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            opt.step()
            sched.step()
    assert [type(w.message) for w in caught] == [OneCycleEndWarning]
    assert "holds the final rate" in str(caught[0].message)
    assert sched.get_last_lr() == final


def test_one_cycle_past_end_error_restores_torchs_error():
    opt = make_optimizer(bases=(0.1,))
    ref = T.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    sched = C.OneCycleLR(make_optimizer(bases=(0.1,)), max_lr=0.1, total_steps=10, past_end="error")
    for _ in range(10):
        ref.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step") as theirs:
        ref.step()
    with pytest.raises(ValueError, match="Tried to step") as ours:
        sched.step()
    assert (
        str(ours.value)
        == str(theirs.value)
        == "Tried to step 11 times. The specified number of total steps is 10"
    )


# -- the ordering warning ------------------------------------------------------------------------------


def _amp_step(opt, scaler, params, bad: bool) -> None:
    loss = sum((p * 2.0).sum() for p in params)
    scaler.scale(loss).backward()
    if bad:
        params[0].grad.fill_(float("inf"))
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()


@pytest.mark.parametrize("cls", ["ExponentialLR", "StepLR"])
def test_no_false_ordering_warning_when_gradscaler_skips_the_first_update(cls):
    def build(ns, opt):
        return ns.ExponentialLR(opt, 0.5) if cls == "ExponentialLR" else ns.StepLR(opt, 2)

    for ns, expected in ((T, 1), (C, 0)):
        params = [torch.nn.Parameter(torch.ones(2))]
        opt = torch.optim.SGD(params, lr=0.1)
        scaler = torch.amp.GradScaler("cpu")
        sched = build(ns, opt)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = (params[0] * 2.0).sum()
            scaler.scale(loss).backward()
            params[0].grad.fill_(float("inf"))
            scaler.step(opt)
            scaler.update()
            sched.step()
        ordering = [w for w in caught if "before `optimizer.step()`" in str(w.message)]
        assert len(ordering) == expected, (ns, [str(w.message) for w in caught])


def test_a_real_misordering_is_still_reported_with_torchs_text():
    opt = make_optimizer()
    sched = C.ExponentialLR(opt, 0.9)
    with pytest.warns(UserWarning, match="before") as caught:
        sched.step()
    assert str(caught[0].message) == ORDER_WARNING
    ref = T.ExponentialLR(make_optimizer(), 0.9)
    with pytest.warns(UserWarning, match="before") as theirs:
        ref.step()
    assert str(theirs[0].message) == ORDER_WARNING


def test_optimizer_step_is_not_wrapped():
    opt = make_optimizer()
    step = opt.step
    C.StepLR(opt, 2)
    assert opt.step == step
    assert not hasattr(opt.step, "_wrapped_by_lr_sched")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        C.StepLR(opt, 2).step()  # an optimizer that already stepped: no warning


# -- constructor errors ----------------------------------------------------------------------------------


ERRORS = [
    ("ConstantLR", {"factor": 1.5}),
    ("LinearLR", {"start_factor": 0.0}),
    ("LinearLR", {"end_factor": 1.5}),
    ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "sawtooth"}),
    ("CyclicLR", {"base_lr": [0.1, 0.1], "max_lr": 1.0}),
    ("OneCycleLR", {"max_lr": 0.1}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "pct_start": 1.5}),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "anneal_strategy": "exp"}),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 0}),
    ("ReduceLROnPlateau", {"factor": 1.0}),
    ("ReduceLROnPlateau", {"mode": "minimum"}),
    ("ReduceLROnPlateau", {"threshold_mode": "relative"}),
    ("ReduceLROnPlateau", {"min_lr": [0.0, 0.1]}),
    ("LambdaLR", {"lr_lambda": [lambda e: 1.0]}),
    ("SWALR", {"swa_lr": 0.05, "anneal_strategy": "exp"}),
    ("SWALR", {"swa_lr": 0.05, "anneal_epochs": -1}),
]


@pytest.mark.parametrize(("name", "kwargs"), ERRORS, ids=[f"{n}-{sorted(k)}" for n, k in ERRORS])
def test_constructor_errors_where_torch_raises_them_naming_the_argument(name, kwargs):
    torch_cls = torch.optim.swa_utils.SWALR if name == "SWALR" else getattr(T, name)
    with pytest.raises((ValueError, TypeError)):
        torch_cls(make_optimizer(), **kwargs)
    with pytest.raises((ValueError, TypeError)) as ours:
        getattr(C, name)(make_optimizer(), **kwargs)
    message = str(ours.value)
    assert re.search(r"`\w+`", message), message  # names the argument
    assert "Received" in message, message


def test_sequential_lr_checks_its_milestones_and_optimizer():
    opt = make_optimizer()
    children = [C.LinearLR(opt, 0.5, 1.0, 2), C.ExponentialLR(opt, 0.5)]
    with pytest.raises(ValueError, match="`milestones`"):
        C.SequentialLR(opt, children, [2, 4])
    other = make_optimizer()
    with pytest.raises(ValueError, match="same optimizer"):
        C.SequentialLR(other, children, [2])


def test_cycle_momentum_needs_momentum_or_betas():
    opt = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        T.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="`cycle_momentum`"):
        C.CyclicLR(opt, 0.01, 0.1)


def test_numpy_arguments_give_a_weights_only_state():
    # torch stores numpy hyperparameters as-is, and weights_only loading then fails (baseline 4C).
    import numpy as np

    opt = make_optimizer()
    sched = C.CosineAnnealingLR(opt, T_max=np.int64(100), eta_min=np.float64(0.0))
    one = C.OneCycleLR(make_optimizer(), max_lr=np.float64(0.1), total_steps=np.int64(50))
    for scheduler in (sched, one):
        state = roundtrip(scheduler.state_dict())
        assert state == scheduler.state_dict()


# -- smaller differences ------------------------------------------------------------------------------


def test_get_lr_warns_as_torch_and_returns_the_current_rates():
    opt = make_optimizer()
    sched = C.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        assert sched.get_lr() == [g["lr"] for g in opt.param_groups]


def test_tensor_rates_stay_the_same_tensors_and_get_last_lr_gives_copies():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    tensors = [torch.tensor(0.1), torch.tensor(0.02)]
    opt = torch.optim.SGD([{"params": [p], "lr": t} for p, t in zip(params, tensors, strict=True)])
    sched = C.StepLR(opt, 1, 0.5)
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == tensors  # the same objects, updated in place
    assert all(g["lr"] is t for g, t in zip(opt.param_groups, tensors, strict=True))
    last = sched.get_last_lr()
    assert [float(v) for v in last] == [pytest.approx(0.05), pytest.approx(0.01)]
    assert all(isinstance(v, torch.Tensor) for v in last)  # as torch: copies, never the group's tensor
    assert all(v is not g["lr"] for v, g in zip(last, opt.param_groups, strict=True))
    assert all(type(v) is float for v in sched.state_dict()["_last_lr"])


def test_multiplicative_step_epoch_goes_to_the_closed_form():
    opt = make_optimizer(bases=(1.0,))
    sched = C.MultiplicativeLR(opt, lambda e: 0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(3)
    assert sched.get_last_lr() == [0.125]
    assert sched.last_epoch == 3


def test_fractional_warm_restart_positions_resume_exactly():
    positions = [e + i / 4 for e in range(12) for i in range(4)]

    def rates(sched, opt, feed):
        out = []
        for p in feed:
            opt.step()
            sched.step(p)
            out.append([g["lr"] for g in opt.param_groups])
        return out

    opt = make_optimizer()
    whole = rates(C.CosineAnnealingWarmRestarts(opt, 3, 2), opt, positions)
    opt = make_optimizer()
    sched = C.CosineAnnealingWarmRestarts(opt, 3, 2)
    rates(sched, opt, positions[:18])
    saved = roundtrip(sched.state_dict())
    assert saved["position"] == positions[17]
    opt = make_optimizer()
    again = C.CosineAnnealingWarmRestarts(opt, 3, 2)
    again.load_state_dict(saved)
    assert again.get_last_lr() == whole[17]
    assert rates(again, opt, positions[18:]) == whole[18:]


def test_rates_are_a_function_of_the_step():
    opt = make_optimizer(bases=(1.0,))
    sched = C.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 123.0  # set by hand: torch's recursion would continue from it
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.25


def test_plateau_counts_a_nan_metric_as_bad_as_torch_does():
    for ns in (T, C):
        opt = make_optimizer(bases=(1.0,))
        sched = ns.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        for metric in [1.0, math.nan, math.nan]:
            sched.step(metric)
        assert opt.param_groups[0]["lr"] == 0.5, ns


def test_plateau_counts_minus_inf_as_bad_where_torch_takes_it_as_best():
    opt = make_optimizer(bases=(1.0,))
    sched = C.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for metric in [1.0, -math.inf, -math.inf]:
        sched.step(metric)
    assert opt.param_groups[0]["lr"] == 0.5
    opt = make_optimizer(bases=(1.0,))
    ref = T.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for metric in [1.0, -math.inf, -math.inf]:
        ref.step(metric)
    assert opt.param_groups[0]["lr"] == 1.0


def test_an_exactly_sized_one_cycle_loop_does_not_warn():
    # total_steps = updates, with the customary step after the last update: no rate past the end
    # is used by an update, so no warning (torch is silent too); the next update would use one.
    opt = make_optimizer(bases=(0.1,))
    sched = C.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(10):
            opt.step()
            sched.step()
    opt.step()  # this update used the rate held past the end
    with pytest.warns(OneCycleEndWarning):
        sched.step()


@pytest.mark.parametrize("torch_format", [False, True])
def test_an_impossible_last_epoch_in_a_state_is_refused(torch_format):
    opt = make_optimizer()
    sched = C.StepLR(opt, 3)
    state = T.StepLR(make_optimizer(), 3).state_dict() if torch_format else sched.state_dict()
    state["last_epoch"] = -5
    with pytest.raises(ValueError, match="impossible last_epoch=-5"):
        C.StepLR(make_optimizer(), 3).load_state_dict(state)


def test_a_state_of_another_class_is_refused_with_its_name():
    state = C.ExponentialLR(make_optimizer(), 0.9).state_dict()
    with pytest.raises(ValueError, match="state of a 'ExponentialLR'"):
        C.StepLR(make_optimizer(), 3).load_state_dict(state)
