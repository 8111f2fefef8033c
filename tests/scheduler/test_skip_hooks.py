"""GradScaler skips are not counted without ``scaler=``: the optimizer's step hooks see them.

The reference for every run with skipped iterations is an independent run that omits those
iterations: the same model and batches, no GradScaler, torch's own ``CosineAnnealingLR`` (the same
curve as ``cosine(end=0.1)``). Inf gradients are injected at chosen iterations after the backward.
"""

import copy
import gc
import math
import pickle
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Scheduler, cosine, linear
from lrkit.scheduler import UncountedStepWarning

LR, N, END = 0.1, 16, 0.1
OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.9),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=LR),
    "adam_fused": lambda ps: torch.optim.Adam(ps, lr=LR, fused=True),
}


def batches(n):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(4, 3, generator=g) for _ in range(n)]


def lrkit_run(name, inf_at, *, order="after_update", clear="start"):
    """N iterations under GradScaler (no ``scaler=``); the rate and parameters of each applied update.

    order: where ``sched.step()`` goes: "after_update" (after ``scaler.update()``) or
    "before_update" (between ``scaler.step`` and ``scaler.update``). clear: when the gradients are
    cleared: at the start of the iteration, or ("before_sched") with ``set_to_none`` right before
    ``sched.step()`` (then nothing but the missing ``optimizer.step()`` shows a plain skip).
    """
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(3))
    opt = OPTIMIZERS[name]([w])
    scaler = torch.amp.GradScaler("cpu")
    sched = Scheduler(opt, cosine(end=END), total=N - len(inf_at))
    used, params = [], []
    for i, x in enumerate(batches(N)):
        if clear == "start":
            opt.zero_grad()
        loss = ((x @ w) ** 2).mean()
        scaler.scale(loss).backward()
        if i in inf_at:
            w.grad[0] = float("inf")
        before = w.detach().clone()
        rate = float(opt.param_groups[0]["lr"])
        scaler.step(opt)
        if order == "before_update":
            sched.step()
            scaler.update()
        else:
            scaler.update()
            if clear == "before_sched":
                opt.zero_grad(set_to_none=True)
            sched.step()
        changed = not torch.equal(before, w.detach())
        assert changed == (i not in inf_at)  # the injected infs really skipped these updates
        if changed:
            used.append(rate)
            params.append(w.detach().clone())
    return used, params, sched


def reference_run(name, inf_at):
    """The same iterations without the skipped ones: no scaler, torch's CosineAnnealingLR."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(3))
    opt = OPTIMIZERS[name]([w])
    total = N - len(inf_at)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=LR * END)
    used, params = [], []
    for i, x in enumerate(batches(N)):
        if i in inf_at:
            continue
        opt.zero_grad()
        ((x @ w) ** 2).mean().backward()
        used.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
        params.append(w.detach().clone())
    return used, params


def check_against_reference(name, inf_at, used, params, sched):
    ref_used, ref_params = reference_run(name, inf_at)
    assert (sched.updates, sched.skipped) == (N - len(inf_at), len(inf_at))
    assert used == pytest.approx(ref_used, rel=1e-12, abs=1e-15)
    closed = [
        LR * (END + (1 - END) * (1 + math.cos(math.pi * k / (N - len(inf_at)))) / 2) for k in range(len(used))
    ]
    assert used == pytest.approx(closed, rel=1e-12)
    for got, want in zip(params, ref_params, strict=True):  # the same trajectory
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("order", ["after_update", "before_update"])
def test_skips_are_not_counted_without_scaler(name, order):
    inf_at = {0, 5, 6, 11}  # the first iteration too (before any optimizer.step())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no order warning, no UncountedStepWarning, nothing
        used, params, sched = lrkit_run(name, inf_at, order=order)
    check_against_reference(name, inf_at, used, params, sched)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_skips_with_gradients_cleared_before_the_scheduler(name):
    # Plain optimizers: only the missing optimizer.step() shows the skip, so it warns (once).
    # Fused: GradScaler's found_inf reaches the optimizer's step, so it is exact and silent.
    inf_at = {3, 5, 6}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        used, params, sched = lrkit_run(name, inf_at, clear="before_sched")
    uncounted = [w for w in caught if issubclass(w.category, UncountedStepWarning)]
    assert len(uncounted) == (0 if name == "adam_fused" else 1)
    assert [w for w in caught if w not in uncounted] == []
    if uncounted:
        assert uncounted[0].filename == __file__  # points at the user's step() call
        assert "optimizer.step()" in str(uncounted[0].message)
    check_against_reference(name, inf_at, used, params, sched)


def sgd():
    w = torch.nn.Parameter(torch.ones(2))
    return w, torch.optim.SGD([w], lr=1.0)


def test_a_scheduler_driven_alone_counts_every_call():
    _, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            sched.step()  # previewing or fast-forwarding: no optimizer.step() ever
    assert (sched.updates, sched.skipped) == (3, 0)
    assert sched.lr_for_next_update() == [pytest.approx(0.25)]


def test_a_second_call_per_update_is_not_counted_and_warns_once():
    w, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=4)
    w.grad = torch.ones(2)
    opt.step()
    sched.step()
    with pytest.warns(UncountedStepWarning, match="shown once per scheduler"):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # not counted, no second warning
        sched.step(applied=True)  # said outright: counted
    assert (sched.updates, sched.skipped) == (2, 2)


def test_explicit_applied_consumes_the_optimizer_step():
    w, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=4)
    w.grad = torch.ones(2)
    opt.step()
    sched.step(applied=False)  # the user says this update does not count
    w.grad = torch.full((2,), float("nan"))
    sched.step()  # no optimizer.step() since, and a NaN gradient: a skip, silently
    assert (sched.updates, sched.skipped) == (0, 2)


def test_samples_calls_sharing_one_update_add_up():
    # accelerate's AcceleratedScheduler calls step() once per process, each with its share.
    w, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=32, unit="sample")
    for _ in range(2):
        w.grad = torch.ones(2)
        opt.step()
        for _ in range(4):
            sched.step(samples=2)
    assert sched.position == 16.0
    w.grad = torch.full((2,), float("inf"))  # a GradScaler skip: no optimizer.step(), an inf gradient
    for _ in range(4):
        sched.step(samples=2)
    assert (sched.position, sched.skipped) == (16.0, 4)


def test_detect_skips_false_registers_no_hook_and_counts_every_call():
    w, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=4, detect_skips=False)
    assert len(opt._optimizer_step_post_hooks) == 0
    w.grad = torch.full((2,), float("inf"))
    sched.step()
    assert sched.updates == 1


def test_the_hook_goes_with_the_scheduler():
    _, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=4)
    assert len(opt._optimizer_step_post_hooks) == 1
    del sched
    gc.collect()
    assert len(opt._optimizer_step_post_hooks) == 0


def test_plain_loop_without_scaler_matches_torch():
    # The hook-fed fast path: rates as torch's CosineAnnealingLR, every update counted.
    w, opt = sgd()
    w2, opt2 = sgd()
    sched = Scheduler(opt, cosine(), total=10)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    for _ in range(10):
        assert opt.param_groups[0]["lr"] == pytest.approx(opt2.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        for p, o in ((w, opt), (w2, opt2)):
            p.grad = torch.ones(2)
            o.step()
        sched.step()
        ref.step()
    assert sched.updates == 10


@settings(max_examples=25, deadline=None)
@given(
    inf_at=st.sets(st.integers(0, N - 1), max_size=6),
    name=st.sampled_from(sorted(OPTIMIZERS)),
    order=st.sampled_from(["after_update", "before_update"]),
)
def test_any_skips_give_the_run_without_them(inf_at, name, order):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        used, params, sched = lrkit_run(name, inf_at, order=order)
    check_against_reference(name, inf_at, used, params, sched)


def test_a_first_skip_with_cleared_gradients_needs_the_scaler():
    # The documented limit: before the first optimizer.step(), with the gradients cleared before
    # sched.step(), nothing shows the skip to the hook, so it counts; scaler= reads it.
    counts = {}
    for scaler_arg in (False, True):
        w, opt = sgd()
        scaler = torch.amp.GradScaler("cpu")
        sched = Scheduler(opt, linear(1.0, 0.0), total=4, scaler=scaler if scaler_arg else None)
        scaler.scale((w * w).sum()).backward()
        w.grad.fill_(float("inf"))
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        sched.step()
        counts[scaler_arg] = (sched.updates, sched.skipped)
    assert counts == {False: (1, 0), True: (0, 1)}


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_scheduler_watches_the_copied_optimizer(how):
    w, opt = sgd()
    sched = Scheduler(opt, linear(1.0, 0.0), total=8)
    w.grad = torch.ones(2)
    opt.step()
    sched.step()
    sched2 = copy.deepcopy(sched) if how == "deepcopy" else pickle.loads(pickle.dumps(sched))
    opt2 = sched2.optimizer
    assert opt2 is not opt
    assert len(opt2._optimizer_step_post_hooks) == 1
    assert len(opt._optimizer_step_post_hooks) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            opt2.param_groups[0]["params"][0].grad = torch.ones(2)
            opt2.step()
            sched2.step()
    assert (sched2.updates, sched2.skipped) == (3, 0)
    assert sched.updates == 1
