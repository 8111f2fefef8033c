"""Plateau as a phase of a schedule, driven by Scheduler.observe."""

import pytest
import torch
from sched_helpers import lrs, params, sgd

from lrkit import Scheduler, absolute, constant, cosine, floor, plateau, product, sequence, warmup

# One metric per update (observed after the update), scripted: improving, then flat.
METRICS = [9, 9, 9, 9, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
W = 5  # warmup updates


def lrkit_run(schedule, base=1.0, **kwargs):
    opt = sgd(base)
    sched = Scheduler(opt, schedule, skip_zero_start=False, **kwargs)
    used = []
    for metric in METRICS:
        used.append(lrs(opt)[0])
        opt.step()
        sched.step()
        sched.observe(metric)
    return used, sched


def torch_plateau_rates(metrics, base=1.0, **kwargs):
    """torch's lr after each metric (the rate of the next update)."""
    opt = sgd(base)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(lrs(opt)[0])
    return out


def test_warmup_then_plateau_then_floor_matches_torch():
    schedule = warmup(floor(plateau(factor=0.5, patience=2), 0.1), steps=W)
    used, _sched = lrkit_run(schedule)
    # During the warmup the metrics are ignored: the rate follows the ramp.
    assert used[:W] == pytest.approx([i / W for i in range(W)])
    # From update W on, the plateau has seen the metrics observed at positions >= W: the one after
    # update W - 1 onwards (metrics[W - 1:]). torch's ReduceLROnPlateau on the same metrics:
    expected = torch_plateau_rates(METRICS[W - 1 :], factor=0.5, patience=2, min_lr=0.1)
    for i in range(W + 1, len(METRICS)):
        assert used[i] == pytest.approx(expected[i - W], rel=1e-12)
    # By hand: metrics 4 at updates 6..8 are bad (best 4 at update 5): 3rd bad after update 8,
    # so update 9 runs at 0.5; 3 at update 9 improves; 3rd bad after update 12 -> 0.25 from update
    # 13; then 0.125 from update 16 and the floor 0.1 from update 19.
    assert used[8:10] == [1.0, 0.5]
    assert used[12:14] == [0.5, 0.25]
    assert used[15:17] == [0.25, 0.125]
    assert used[18:20] == [0.125, 0.1]
    assert used[-1] == 0.1


def test_plateau_min_absolute_per_group():
    opt = torch.optim.SGD([{"params": params(), "lr": 1.0}, {"params": params(), "lr": 0.1}])
    sched = Scheduler(opt, plateau(factor=0.1, patience=0, min=absolute(0.05)))
    for m in [1.0, 1.0, 1.0]:
        sched.observe(m)
    assert lrs(opt) == pytest.approx([0.05, 0.05])
    ref = torch_plateau_rates([1.0, 1.0, 1.0], base=1.0, factor=0.1, patience=0, min_lr=0.05)
    assert lrs(opt)[0] == pytest.approx(ref[-1])


def test_eps_skips_tiny_reductions_like_torch():
    opt = sgd(1e-8)
    sched = Scheduler(opt, plateau(factor=0.5, patience=0))
    for m in [1.0, 1.0, 1.0]:
        sched.observe(m)
    expected = torch_plateau_rates([1.0, 1.0, 1.0], base=1e-8, factor=0.5, patience=0)
    assert lrs(opt) == pytest.approx([expected[-1]])
    assert lrs(opt) == [1e-8]


def test_plateau_inside_a_sequence_and_a_product():
    schedule = sequence([constant(1.0), product([plateau(factor=0.5, patience=0), cosine(steps=20)])], [3])
    opt = sgd(1.0)
    sched = Scheduler(opt, schedule, total=23)
    for _ in range(3):
        assert not sched.observe(1.0)  # first phase: no plateau active
        opt.step()
        sched.step()
    assert sched.observe(1.0) is False  # first evaluation sets best
    assert sched.observe(1.0) is True
    assert lrs(opt) == pytest.approx([0.5])  # cosine at its local step 0 is 1
    opt.step()
    sched.step()
    assert lrs(opt)[0] == pytest.approx(0.5 * cosine(steps=20)(1))


def test_observe_without_a_plateau_is_an_error():
    sched = Scheduler(sgd(1.0), cosine(), total=3)
    with pytest.raises(ValueError, match="none of this scheduler's schedules has one"):
        sched.observe(1.0)


def test_nan_metric_raises_by_default():
    sched = Scheduler(sgd(1.0), plateau())
    with pytest.raises(ValueError, match="non-finite metric"):
        sched.observe(float("nan"))
    sched.observe(torch.tensor(1.0))  # tensors are accepted


def test_counters_are_exposed_and_reductions_are_in_the_schedule():
    _used, sched = lrkit_run(warmup(floor(plateau(factor=0.5, patience=2), 0.1), steps=W))
    [state] = sched.plateau_state()
    # Reductions at evaluations 4, 8, 11, 14, 17, 20, 23 (of 26): it keeps counting below the floor.
    assert state["reductions"] == 7
    assert state["best"] == 3.0
    assert state["evaluations"] == len(METRICS) - (W - 1)
    assert "reductions=7" in repr(sched.schedules()[0])


def test_eps_is_per_group_like_torch():
    groups = lambda: [{"params": params(), "lr": 1.0}, {"params": params(), "lr": 1e-8}]  # noqa: E731
    opt = torch.optim.SGD(groups())
    sched = Scheduler(opt, plateau(factor=0.5, patience=0))
    ref_opt = torch.optim.SGD(groups())
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=0)
    for m in [1.0, 1.0, 1.0, 1.0]:
        sched.observe(m)
        ref.step(m)
    assert lrs(opt) == lrs(ref_opt) == [0.125, 1e-8]  # the tiny group never moves
