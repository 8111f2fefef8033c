"""The adapter surface of `Scheduler` (seek, set_definitions, set_bases, load_plateau_state,
set_transform, factors, has_plateau, scheduled_keys, detect_skips), checked against torch's own
schedulers and against formulas written from the docs, and for "on an error nothing changes"."""

import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import lrs, run, sgd

from lrkit import Scheduler, cosine, exponential, linear, plateau, warmup
from lrkit.scheduler import to_float


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _cos(base, i, T):
    return base * (1 + math.cos(math.pi * i / T)) / 2


@settings(max_examples=30, deadline=None)
@given(k=st.integers(0, 37), n_groups=st.integers(1, 3))
def test_seek_equals_stepping_and_torch(k, n_groups):
    T = 40
    bases = [0.1 * (g + 1) for g in range(n_groups)]
    opt_a, opt_b, opt_t = sgd(*bases), sgd(*bases), sgd(*bases)
    a = Scheduler(opt_a, cosine(), total=T)
    b = Scheduler(opt_b, cosine(), total=T)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt_t, T_max=T)
    for _ in range(k):
        opt_a.step()
        a.step()
        opt_t.step()
        ref.step()
    b.seek(k)
    assert lrs(opt_b) == lrs(opt_a)
    assert b.updates == k
    assert isinstance(b.updates, int)
    assert b.last_epoch == k == ref.last_epoch
    assert b.lr_for_next_update() == pytest.approx(lrs(opt_t), rel=1e-12, abs=1e-15)
    assert lrs(opt_b) == pytest.approx([_cos(base, k, T) for base in bases], rel=1e-12, abs=1e-15)
    # the continuation is the same too
    assert run(opt_b, b, 3) == run(opt_a, a, 3)


def test_seek_fraction_write_false_and_errors():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0), total=10)
    sched.seek(2.5)
    assert sched.last_epoch == 2
    assert sched.position == 2.5
    assert lrs(opt) == [pytest.approx(0.75)]
    sched.seek(6, write=False)
    assert lrs(opt) == [pytest.approx(0.75)]  # not written
    assert sched.lr_for_next_update() == [pytest.approx(0.75)]
    sched.step()  # counts from 6
    assert lrs(opt) == [pytest.approx(0.3)]
    assert sched.updates == 7
    state = sched.state_dict()
    for bad, kind in ((-1, ValueError), (math.nan, ValueError), ("3", TypeError), (math.inf, ValueError)):
        with pytest.raises(kind, match="updates"):
            sched.seek(bad)
    assert sched.state_dict() == state


def test_seek_amount_in_samples():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0), total=1000, unit="sample")
    sched.seek(3, amount=300)
    assert sched.position == 300.0
    assert lrs(opt) == [pytest.approx(0.7)]
    with pytest.raises(ValueError, match="amount"):
        sched.seek(3, amount=-1)


def test_set_definitions_equals_a_fresh_scheduler_and_keeps_position():
    T = 20
    opt = sgd(0.1, 0.2)
    sched = Scheduler(opt, cosine(), total=T)
    run(opt, sched, 5)
    sched.set_definitions([linear(1.0, 0.0), exponential(0.9)])
    assert sched.definitions() == [linear(1.0, 0.0), exponential(0.9)]
    # written at once: the rates of position 5 under the new plan, base times the documented formulas
    assert lrs(opt) == pytest.approx([0.1 * (1 - 5 / T), 0.2 * 0.9**5], rel=1e-12)
    ref_opt = sgd(0.1, 0.2)
    ref = Scheduler(ref_opt, [linear(1.0, 0.0), exponential(0.9)], total=T)
    ref.seek(5)
    assert run(opt, sched, 6) == run(ref_opt, ref, 6)


def test_set_definitions_failure_changes_nothing():
    opt = sgd(0.1, 0.2)
    sched = Scheduler(opt, cosine(), total=20)
    run(opt, sched, 3)
    state, before = sched.state_dict(), lrs(opt)
    with pytest.raises(ValueError, match="one schedule per param group"):
        sched.set_definitions([cosine()])
    with pytest.raises(TypeError):
        sched.set_definitions(42)
    with pytest.raises(KeyError, match="momentum"):
        sched.set_definitions(cosine(), key="momentum")
    opt2 = sgd(0.1)
    sched2 = Scheduler(opt2, exponential(0.5))
    state2 = sched2.state_dict()
    with pytest.raises(ValueError, match="total"):
        sched2.set_definitions(cosine())  # no total to resolve cosine's length against
    assert sched2.state_dict() == state2
    assert lrs(opt2) == [0.1]
    assert sched.state_dict() == state
    assert lrs(opt) == before


def test_set_bases_equals_a_fresh_scheduler_built_on_those_rates():
    T = 12
    opt = sgd(0.1, 0.2)
    sched = Scheduler(opt, cosine(), total=T)
    run(opt, sched, 4)
    sched.set_bases([0.5, torch.tensor(0.25)])
    assert sched.bases() == [0.5, 0.25]
    assert sched.base_lrs == [0.5, 0.25]
    ref_opt = sgd(0.5, 0.25)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=T)
    for _ in range(4):
        ref_opt.step()
        ref.step()
    for _ in range(8):
        assert lrs(opt) == pytest.approx(lrs(ref_opt), rel=1e-12, abs=1e-15)
        opt.step()
        sched.step()
        ref_opt.step()
        ref.step()


def test_set_bases_failure_changes_nothing():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.5)
    sched = Scheduler(opt, cosine(), total=10, hparams={"momentum": linear(1.0, 1.5)})
    state, before = sched.state_dict(), (lrs(opt), opt.param_groups[0]["momentum"])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        sched.set_bases([0.9], key="momentum")  # 0.9 * 1.5 leaves [0, 1)
    with pytest.raises(ValueError, match="per param group"):
        sched.set_bases([0.1, 0.2])
    with pytest.raises(ValueError, match=r"bases\[0\]"):
        sched.set_bases([math.inf])
    with pytest.raises(TypeError):
        sched.set_bases(0.1)
    assert sched.state_dict() == state
    assert (lrs(opt), opt.param_groups[0]["momentum"]) == before


def test_accessors():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = Scheduler(opt, cosine(), total=10, hparams={"momentum": linear(1.0, 0.5)})
    assert sched.scheduled_keys == ("lr", "momentum")
    assert not sched.has_plateau
    assert sched.definitions("momentum") == [linear(1.0, 0.5)]
    assert sched.bases("momentum") == [0.9]
    sched.seek(4)
    assert sched.factors() == [pytest.approx((1 + math.cos(math.pi * 0.4)) / 2)]
    assert sched.factors("momentum") == [pytest.approx(0.8)]
    with pytest.raises(KeyError):
        sched.factors("beta2")
    assert Scheduler(sgd(0.1), warmup(plateau(), steps=3)).has_plateau
    assert to_float(torch.tensor(0.1, dtype=torch.float64)) == 0.1


def test_load_plateau_state_restores_the_reductions_and_counters():
    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9]
    opt_a, opt_b = sgd(0.1), sgd(0.1)
    a = Scheduler(opt_a, plateau(factor=0.5, patience=1))
    b = Scheduler(opt_b, plateau(factor=0.5, patience=1))
    for m in metrics[:6]:
        a.observe(m)
    b.load_plateau_state(a.plateau_state())
    assert b.plateau_state() == a.plateau_state()
    assert lrs(opt_b) == lrs(opt_a)
    # against torch's ReduceLROnPlateau fed the same metrics
    ref_opt = sgd(0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=1)
    for m in metrics[:6]:
        ref.step(m)
    assert lrs(opt_b) == pytest.approx(lrs(ref_opt), rel=1e-12)
    for m in metrics[6:]:
        assert a.observe(m) == b.observe(m)
        ref.step(m)
        assert lrs(opt_b) == lrs(opt_a) == pytest.approx(lrs(ref_opt), rel=1e-12)


def test_load_plateau_state_rejects_bad_rows_and_changes_nothing():
    opt = sgd(0.1)
    sched = Scheduler(opt, plateau(factor=0.5, patience=0))
    sched.observe(1.0)
    sched.observe(2.0)
    rows = sched.plateau_state()
    state, before = sched.state_dict(), lrs(opt)
    bad = [
        [{**rows[0], "group": 3}],
        [{**rows[0], "key": "momentum"}],
        [{**rows[0], "path": ["nowhere"]}],
        [{**rows[0], "bad": -1}],
        [{k: v for k, v in rows[0].items() if k != "best"}],
        [{**rows[0], "best": math.nan}],
    ]
    for rows_bad in bad:
        with pytest.raises((ValueError, TypeError)):
            sched.load_plateau_state(rows_bad)
        assert sched.state_dict() == state
        assert lrs(opt) == before
    with pytest.raises(TypeError):
        sched.load_plateau_state("rows")


def test_set_transform_decides_the_written_values_and_off_restores_the_fast_path():
    opt, ref_opt = sgd(0.1, 0.2), sgd(0.1, 0.2)
    sched = Scheduler(opt, cosine(), total=10)
    ref = Scheduler(ref_opt, cosine(), total=10)
    seen = []

    def half(key, values):
        seen.append(key)
        return [v / 2 for v in values]

    sched.set_transform(half)
    assert lrs(opt) == [0.05, 0.1]  # written at once
    used = run(opt, sched, 4)
    expected = run(ref_opt, ref, 4)
    assert used == [[v / 2 for v in row] for row in expected]
    assert sched.get_last_lr() == [v / 2 for v in expected[-1]]
    assert set(seen) == {"lr"}
    sched.set_transform(None)
    assert sched._fast is not None  # the one-schedule fast path is back
    assert run(opt, sched, 3) == run(ref_opt, ref, 3)
    with pytest.raises(TypeError):
        sched.set_transform(3)
    state = sched.state_dict()
    with pytest.raises(ValueError, match="one per param group"):
        sched.set_transform(lambda key, values: values[:1])
    assert sched.state_dict() == state
    assert lrs(opt) == lrs(ref_opt)


@pytest.mark.parametrize("order", ["warmup first", "decay first"])
def test_transform_composes_side_by_side_like_torch(order):
    """Two schedulers on one optimizer, each multiplying in the other's factor, reproduce torch's
    LinearLR + ExponentialLR stepped side by side (the hook `lrkit.compat` builds on)."""
    opt, ref_opt = sgd(0.1, 0.3), sgd(0.1, 0.3)
    torch_warm = torch.optim.lr_scheduler.LinearLR(ref_opt, start_factor=0.25, total_iters=4)
    torch_decay = torch.optim.lr_scheduler.ExponentialLR(ref_opt, gamma=0.9)
    warm = Scheduler(opt, linear(0.25, 1.0, steps=4), detect_skips=False)
    decay = Scheduler(opt, exponential(0.9), detect_skips=False)
    decay.set_bases(warm.bases())  # built second, it read the warmup's first rate as its base
    warm.set_transform(lambda key, values: [v * f for v, f in zip(values, decay.factors(), strict=True)])
    decay.set_transform(lambda key, values: [v * f for v, f in zip(values, warm.factors(), strict=True)])
    first, second = (warm, decay) if order == "warmup first" else (decay, warm)
    t_first, t_second = (torch_warm, torch_decay) if order == "warmup first" else (torch_decay, torch_warm)
    for _ in range(10):
        assert lrs(opt) == pytest.approx(lrs(ref_opt), rel=1e-12)
        opt.step()
        ref_opt.step()
        first.step()
        second.step()
        t_first.step()
        t_second.step()


def test_detect_skips_false_counts_every_step():
    def one(detect):
        p = torch.nn.Parameter(torch.ones(1))
        opt = torch.optim.SGD([p], lr=0.1)
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)
        sched = Scheduler(opt, cosine(), total=10, scaler=scaler, detect_skips=detect)
        for i in range(4):
            opt.zero_grad()
            scaler.scale((p * p).sum()).backward()
            if i == 1:
                p.grad.fill_(math.inf)
            scaler.step(opt)
            scaler.update()
            sched.step()
        return sched.updates, sched.skipped

    assert one(True) == (3, 1)
    assert one(False) == (4, 0)
    with pytest.raises(TypeError, match="detect_skips"):
        Scheduler(sgd(0.1), cosine(), total=3, detect_skips=1)
