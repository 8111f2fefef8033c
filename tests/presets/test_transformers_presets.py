"""transformers.<name> presets against transformers' own schedules.

Two oracles: the curves stored in ``reference/transformers.json`` (written by
``reference/generate.py`` with transformers 5.23.0, the version is in the file) and, when
transformers is importable, ``transformers.get_scheduler`` itself, run live on a torch optimizer.
Values must agree to 1e-12 relative (1e-15 absolute near 0, where the cosine's argument is rounded
differently).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _reference import assert_matches, assert_round_trips, build, cases, curve, load, replay_plateau
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import parse
from lrkit.presets import transformers as T  # noqa: N812

LIBRARY = "transformers"


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert data["library"] == LIBRARY
    assert data["version"].count(".") >= 2


def unsupported(case):
    """The part of the error lrkit raises for a stored case it refuses (and why), or None."""
    return None


@pytest.mark.parametrize("case", cases(LIBRARY))
def test_matches_stored_curve(case):
    refused = unsupported(case)
    if refused:
        with pytest.raises(ValueError, match=refused):
            build(LIBRARY, case)
        return
    assert_matches(curve(build(LIBRARY, case), case), case["values"])


@pytest.mark.parametrize(
    "case", [c for c in cases(LIBRARY) + cases(LIBRARY, plateau=True) if not unsupported(c.values[0])]
)
def test_round_trips(case):
    assert_round_trips(build(LIBRARY, case), LIBRARY, case)


@pytest.mark.parametrize("case", cases(LIBRARY, plateau=True))
def test_plateau_matches_stored_rates(case):
    schedule = build(LIBRARY, case)
    got = replay_plateau(schedule, case["metrics"], case["lr"])
    assert_matches(np.array(got), case["values"])


def _live(name, steps, lr=1.0, **kwargs):
    transformers = pytest.importorskip("transformers")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    top = {k: kwargs.pop(k) for k in ("num_warmup_steps", "num_training_steps") if k in kwargs}
    sched = transformers.get_scheduler(name, opt, scheduler_specific_kwargs=kwargs, **top)
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return rates


@settings(max_examples=25, deadline=None)
@given(
    w=st.integers(0, 20),
    d=st.integers(1, 60),
    name=st.sampled_from(["linear", "cosine", "cosine_with_min_lr", "polynomial"]),
    lr=st.sampled_from([1.0, 0.1, 3e-4]),
)
def test_matches_live_transformers(w, d, name, lr):
    """Live: random warmups and lengths, 10 steps past the end."""
    kwargs = {"num_warmup_steps": w, "num_training_steps": w + d}
    if name == "cosine_with_min_lr":
        kwargs["min_lr_rate"] = 0.05
    if name == "polynomial":
        kwargs.update(lr_end=lr / 10, power=1.5)
    expected = _live(name, w + d + 10, lr=lr, **dict(kwargs))
    case = {"name": name, "kwargs": kwargs, "lr": lr, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


@settings(max_examples=15, deadline=None)
@given(w=st.integers(0, 10), s=st.integers(0, 10), d=st.integers(1, 12), m=st.sampled_from([0.0, 0.1, 0.5]))
def test_wsd_matches_live_transformers(w, s, d, m):
    kwargs = {
        "num_warmup_steps": w,
        "num_stable_steps": s,
        "num_decay_steps": d,
        "min_lr_ratio": m,
        "warmup_type": "1-sqrt",
        "decay_type": "1-sqrt",
    }
    expected = _live("warmup_stable_decay", w + s + d + 3, **dict(kwargs))
    case = {"name": "warmup_stable_decay", "kwargs": kwargs, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


def test_cosine_rises_after_the_end_like_transformers():
    """transformers' cosine is not clamped: 10 steps after T it is 0.5 * (1 + cos(pi * 18/8))."""
    s = T.cosine(num_warmup_steps=2, num_training_steps=10)
    assert s(10) == pytest.approx(0.0, abs=1e-15)
    assert s(20) == pytest.approx(0.5 * (1 + math.cos(math.pi * 18 / 8)), rel=1e-12)


def test_linear_holds_zero_after_the_end():
    s = T.linear(num_warmup_steps=0, num_training_steps=4)
    assert [s(t) for t in (4, 5, 1000)] == [0.0, 0.0, 0.0]


def test_spec_with_prefix():
    s = parse("transformers.cosine(num_warmup_steps=100, num_training_steps=1000)")
    assert s(100) == 1.0
    assert s == T.cosine(100, 1000)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: T.linear(num_warmup_steps=-1, num_training_steps=10),
            "Argument `num_warmup_steps` of transformers.linear() must be an int >= 0. "
            "Received: num_warmup_steps=-1",
        ),
        (
            lambda: T.linear(num_warmup_steps=5, num_training_steps=3),
            "Argument `num_training_steps` of transformers.linear() must be >= num_warmup_steps=5. "
            "Received: num_training_steps=3",
        ),
        (lambda: T.cosine(0, 10, num_cycles=0.0), "Argument `num_cycles` of transformers.cosine() must be"),
        (lambda: T.cosine_with_restarts(0, 10, num_cycles=0), "Argument `num_cycles` of"),
        (lambda: T.cosine_with_min_lr(0, 10, min_lr=0.1, min_lr_rate=0.1), "Argument `min_lr` of"),
        (
            lambda: T.warmup_stable_decay(2, 4, num_training_steps=5),
            "must be >= num_warmup_steps + num_decay_steps",
        ),
        (lambda: T.warmup_stable_decay(2, 4, 10, warmup_type="exp"), "Argument `warmup_type`"),
        (lambda: T.cosine_warmup_with_min_lr(0, 10, min_lr_rate=0.1, warmup_lr_rate=2.0), "`warmup_lr_rate`"),
        (lambda: T.polynomial(2, 10, power=0.0), "Argument `power` of transformers.polynomial()"),
        (lambda: T.reduce_lr_on_plateau(mode="up"), "Argument `mode` of transformers.reduce_lr_on_plateau()"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match="Argument `") as info:
        call()
    assert message in str(info.value)


def test_missing_floor_is_a_type_error():
    with pytest.raises(TypeError, match="min_lr_rate"):
        T.cosine_with_min_lr(2, 10)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("linear", {"num_warmup_steps": 3, "num_training_steps": 12}),
        ("cosine_with_min_lr", {"num_warmup_steps": 2, "num_training_steps": 10, "min_lr_rate": 0.1}),
        ("warmup_stable_decay", {"num_warmup_steps": 2, "num_decay_steps": 3, "num_training_steps": 9}),
    ],
)
def test_lrkit_scheduler_steps_like_the_transformers_scheduler(name, kwargs):
    """End to end on two parameter groups: lrkit.Scheduler(preset) gives transformers' rates."""
    transformers = pytest.importorskip("transformers")
    import lrkit

    def rates(make):
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
        opt = torch.optim.SGD(
            [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.02}], lr=0.1
        )
        sched = make(opt)
        out = [[g["lr"] for g in opt.param_groups]]
        for _ in range(15):
            opt.step()
            sched.step()
            out.append([g["lr"] for g in opt.param_groups])
        return np.array(out)

    top = {k: kwargs[k] for k in ("num_warmup_steps", "num_training_steps") if k in kwargs}
    rest = {k: v for k, v in kwargs.items() if k not in top}
    want = rates(lambda o: transformers.get_scheduler(name, o, scheduler_specific_kwargs=rest, **top))
    spec = f"transformers.{name}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    got = rates(lambda o: lrkit.Scheduler(o, lrkit.parse(spec), skip_zero_start=False))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", cases(LIBRARY, plateau=True))
def test_plateau_through_lrkit_scheduler_observe(case):
    """End to end: Scheduler.observe(metric) after each step gives the stored transformers rates."""
    import lrkit

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=case["lr"])
    sched = lrkit.Scheduler(opt, build(LIBRARY, case))
    got = []
    for metric in case["metrics"]:
        opt.step()
        sched.step()
        sched.observe(metric)
        got.append(opt.param_groups[0]["lr"])
    assert_matches(np.array(got), case["values"])


def test_cosine_warmup_with_min_lr_one_warmup_step_and_a_warmup_rate():
    """transformers: step 0 is warmup_lr_rate, step t >= 1 the cosine at t / (T - 1)."""
    s = T.cosine_warmup_with_min_lr(1, 11, min_lr_rate=0.2, warmup_lr_rate=0.1)
    assert s(0) == 0.1
    for t in (1, 5, 10, 12):
        want = 0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * t / 10))
        assert s(t) == pytest.approx(want, rel=1e-12)


def test_cosine_warmup_with_min_lr_without_warmup_is_one_step_ahead():
    """transformers, W = 0: r + (1 - r) * 0.5 * (1 + cos(pi * (t + 1) / T)) (anchors: shifted one step)."""
    s = T.cosine_warmup_with_min_lr(0, 10, min_lr_rate=0.1)
    assert "shift(" in repr(s)
    for t in (0, 1, 8, 9, 10, 15):
        want = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (t + 1) / 10))
        assert s(t) == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert s(9) == pytest.approx(0.1, abs=1e-15)  # the floor one step before T
    expected = _live(
        "cosine_warmup_with_min_lr", 20, num_warmup_steps=0, num_training_steps=10, min_lr_rate=0.1
    )
    case = {
        "name": "cosine_warmup_with_min_lr",
        "kwargs": {"num_warmup_steps": 0, "num_training_steps": 10, "min_lr_rate": 0.1},
        "values": expected,
    }
    assert_matches(curve(build(LIBRARY, case), case), expected)


@settings(max_examples=25, deadline=None)
@given(
    w=st.integers(0, 8),
    d=st.integers(1, 40),
    cycles=st.sampled_from([0.3, 0.7, 1.25, 2.0 / 3.0, 0.45, 1.7]),
    name=st.sampled_from(["cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"]),
)
def test_real_half_periods_match_live_transformers(w, d, cycles, name):
    """Live: cosines whose half period is not a whole number of steps (`stretch`), past the end."""
    kwargs = {"num_warmup_steps": w, "num_training_steps": w + d, "num_cycles": cycles}
    if name != "cosine":
        kwargs["min_lr_rate"] = 0.1
    expected = _live(name, w + d + 15, **dict(kwargs))
    case = {"name": name, "kwargs": kwargs, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


def test_real_half_period_is_transformers_formula():
    s = T.cosine(num_warmup_steps=2, num_training_steps=12, num_cycles=0.3)
    assert "stretch(" in repr(s)
    for t in range(2, 30):
        expected = 0.5 * (1.0 + math.cos(math.pi * 0.3 * 2.0 * (t - 2) / 10))
        assert s(t) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@settings(max_examples=25, deadline=None)
@given(w=st.integers(0, 8), d=st.integers(1, 40), n=st.integers(1, 7))
def test_restarts_that_do_not_divide_match_live_transformers(w, d, n):
    """Live: hard restarts whose cycles are not whole steps (`stretch` of whole-step cycles).

    Where ``n * t / D`` is a whole number transformers' float ``(n * p) % 1`` may land just below
    1 (a value near 0) where lrkit restarts exactly (1.0): those steps are compared with the formula
    in exact arithmetic instead.
    """
    kwargs = {"num_warmup_steps": w, "num_training_steps": w + d, "num_cycles": n}
    expected = _live("cosine_with_restarts", w + d + 5, **dict(kwargs))
    got = curve(build(LIBRARY, {"name": "cosine_with_restarts", "kwargs": kwargs}), {"values": expected})
    for t, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        if t >= w and t < w + d and (n * (t - w)) % d == 0:
            assert mine == pytest.approx(1.0)  # an exact restart
        else:
            assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_restart_is_exact_where_transformers_float_modulo_falls_short():
    """transformers' ``(n * (t / D)) % 1`` is 0.99999... at D = 22, n = 22, t = 15: a rate of 0.

    lrkit restarts exactly (1.0); everywhere else the two agree.
    """
    n, d = 22, 22
    s = T.cosine_with_restarts(num_warmup_steps=0, num_training_steps=d, num_cycles=n)
    for t in range(d):
        theirs = 0.5 * (1.0 + math.cos(math.pi * ((float(n) * (float(t) / float(d))) % 1.0)))
        assert s(t) == 1.0
        if t == 15:
            assert theirs == pytest.approx(0.0, abs=1e-20)
        else:
            assert theirs == 1.0
