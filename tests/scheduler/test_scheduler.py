"""Scheduler: the update-i table, skip_zero_start, torch surface, groups, after-end, accessors."""

import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import lrs, params, run, sgd

from lrkit import Scheduler, constant, cosine, linear, warmup
from lrkit.scheduler import ScheduleEndError, ScheduleEndWarning


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_update_i_uses_schedule_at_i_and_matches_torch():
    T = 12
    opt = sgd(0.1)
    used = run(opt, Scheduler(opt, cosine(), total=T), T)
    ref_opt = sgd(0.1)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=T)
    expected = []
    for _ in range(T):
        expected.append(lrs(ref_opt))
        ref_opt.step()
        ref.step()
    for i in range(T):
        assert used[i][0] == pytest.approx(0.1 * (1 + math.cos(math.pi * i / T)) / 2, rel=1e-12)
        assert used[i][0] == pytest.approx(expected[i][0], rel=1e-12, abs=1e-15)


def test_skip_zero_start_shifts_by_one_update():
    W, T = 4, 10
    opt = sgd(1.0)
    used = [u[0] for u in run(opt, Scheduler(opt, warmup(constant(), steps=W), total=T), T)]
    assert used[:W] == pytest.approx([(i + 1) / W for i in range(W)])  # no update at rate 0
    assert used[W - 1] == 1.0  # the peak is reached at update W - 1 (position W)
    opt = sgd(1.0)
    used = [
        u[0] for u in run(opt, Scheduler(opt, warmup(constant(), steps=W), total=T, skip_zero_start=False), T)
    ]
    assert used[:W] == pytest.approx([i / W for i in range(W)])
    assert used[0] == 0.0


def test_skip_zero_start_needs_a_zero_start():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.5, steps=10), total=10)
    assert sched.position == 0.0
    assert lrs(opt) == [1.0]


def test_last_update_of_a_skipped_warmup_uses_the_end_value():
    T = 8
    opt = sgd(1.0)
    used = run(opt, Scheduler(opt, warmup(cosine(end=0.1), steps=2), total=T), T)
    assert used[-1][0] == pytest.approx(0.1)


def test_no_initial_lr_no_wrapped_step_no_order_warning():
    opt = sgd(0.1)
    step = opt.step
    keys = set(opt.param_groups[0])
    sched = Scheduler(opt, cosine(), total=5)
    assert opt.step == step
    assert not hasattr(opt.step, "_wrapped_by_lr_sched")
    assert set(opt.param_groups[0]) == keys
    # Stepping the scheduler before the optimizer is not warned about (warnings are errors here).
    sched.step()
    opt.step()
    sched.step()
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert sched.last_epoch == 2
    assert sched.base_lrs == [0.1]
    assert sched.optimizer is opt


def test_get_last_lr_and_next_rates_are_copies():
    opt = sgd(1.0, 0.5)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=4), total=4)
    assert sched.get_last_lr() == [1.0, 0.5]
    opt.step()
    sched.step()
    last = sched.get_last_lr()
    assert last == [1.0, 0.5]  # what update 0 used
    assert sched.lr_for_next_update() == [0.75, 0.375] == lrs(opt)
    last[0] = 99.0
    sched.lr_for_next_update()[0] = 99.0
    assert sched.get_last_lr() == [1.0, 0.5]
    assert lrs(opt) == [0.75, 0.375]


def test_history_and_hook_are_indexed_by_the_update_that_used_the_values():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=4), total=4, history=True)
    seen = []
    remove = sched.add_hook(seen.append)
    used = run(opt, sched, 4)
    assert [r.update for r in sched.history] == [0, 1, 2, 3]
    assert [r.lr for r in sched.history] == used
    assert [r.position for r in sched.history] == [0.0, 1.0, 2.0, 3.0]
    assert seen == sched.history
    remove()
    opt.step()
    sched.step()
    assert len(seen) == 4
    with pytest.raises(RuntimeError, match="history=True"):
        _ = Scheduler(sgd(1.0), cosine(), total=3).history


def test_list_and_dict_bind_groups():
    opt = torch.optim.SGD(
        [
            {"params": params(), "lr": 1.0, "name": "backbone"},
            {"params": params(), "lr": 0.5, "name": "head"},
            {"params": params(), "lr": 0.25},
        ]
    )
    Scheduler(opt, {"head": constant(0.5), "default": constant(0.1)})
    assert lrs(opt) == pytest.approx([0.1, 0.25, 0.025])
    opt2 = sgd(1.0, 2.0)
    Scheduler(opt2, [constant(0.5), "constant(0.25)"])
    assert lrs(opt2) == [0.5, 0.5]


def test_binding_errors():
    opt = torch.optim.SGD([{"params": params(), "lr": 1.0, "name": "a"}, {"params": params(), "lr": 1.0}])
    with pytest.raises(ValueError, match="names groups that the optimizer does not have"):
        Scheduler(opt, {"b": constant(), "default": constant()})
    with pytest.raises(ValueError, match="no schedule for param group 1"):
        Scheduler(opt, {"a": constant()})
    with pytest.raises(ValueError, match="one schedule per param group"):
        Scheduler(opt, [constant()])
    with pytest.raises(TypeError, match="Argument `schedule` of Scheduler"):
        Scheduler(opt, 0.1)
    with pytest.raises(TypeError, match="Argument `optimizer` of Scheduler"):
        Scheduler("sgd", constant())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"total": 0}, "total"),
        ({"unit": "steps"}, "unit"),
        ({"unit": "epoch"}, "steps_per_epoch"),
        ({"steps_per_epoch": 10}, "steps_per_epoch"),
        ({"update_size": 32}, "update_size"),
        ({"after_end": "wrap"}, "after_end"),
        ({"tensor_lr": 1}, "tensor_lr"),
        ({"hparams": {"lr": "constant()"}}, "hparams"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=f"Argument `{name}` of Scheduler"):
        Scheduler(sgd(0.1), cosine(steps=5), **kwargs)


def test_fraction_needs_a_total():
    with pytest.raises(ValueError, match="needs the run's length"):
        Scheduler(sgd(0.1), warmup(cosine(), steps=0.1))


def test_after_end_hold_warns_once_and_holds():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.5, steps=4), total=4)
    with pytest.warns(ScheduleEndWarning, match="past the end of the run") as record:
        used = run(opt, sched, 10)
    assert len(record) == 1
    assert [u[0] for u in used[4:]] == [0.5] * 6


def test_after_end_continue_keeps_evaluating():
    from lrkit import extrapolate

    opt = sgd(1.0)
    sched = Scheduler(opt, extrapolate(cosine(steps=4)), total=4, after_end="continue")
    with pytest.warns(ScheduleEndWarning):
        used = run(opt, sched, 8)
    assert used[6][0] == pytest.approx((1 + math.cos(math.pi * 6 / 4)) / 2)


def test_after_end_error_raises_at_the_first_update_past_the_end():
    opt = sgd(1.0)
    sched = Scheduler(opt, cosine(), total=3, after_end="error")
    run(opt, sched, 4)  # updates at positions 0..3: position 3 is the end, still inside
    opt.step()
    with pytest.raises(ScheduleEndError, match="past the end"):
        sched.step()


def test_step_rejects_an_epoch():
    sched = Scheduler(sgd(0.1), cosine(), total=3)
    with pytest.raises(TypeError, match="takes no epoch"):
        sched.step(3)


def test_groups_added_later_follow_the_default():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=10), total=10)
    run(opt, sched, 2)
    opt.add_param_group({"params": params(), "lr": 0.5})
    sched.sync()
    assert lrs(opt) == pytest.approx([0.8, 0.4])
    run(opt, sched, 1)
    assert lrs(opt) == pytest.approx([0.7, 0.35])
    assert sched.base_lrs == [1.0, 0.5]


def test_groups_added_later_are_picked_up_by_step_and_rejected_without_default():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=10), total=10)
    opt.add_param_group({"params": params(), "lr": 0.5})
    opt.step()
    sched.step()
    assert lrs(opt) == pytest.approx([0.9, 0.45])
    opt = sgd(1.0)
    sched = Scheduler(opt, [linear(1.0, 0.0, steps=10)], total=10)
    opt.add_param_group({"params": params(), "lr": 0.5})
    with pytest.raises(ValueError, match="no default"):
        sched.sync()


def test_optimizer_load_state_dict_rebinds_new_group_dicts():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=10), total=10)
    run(opt, sched, 3)
    opt.load_state_dict(opt.state_dict())  # new group dicts
    opt.step()
    sched.step()
    assert lrs(opt) == pytest.approx([0.6])


def test_spec_string_and_repr():
    sched = Scheduler(sgd(0.1), "warmup(cosine(), steps=2)", total=10)
    assert "warmup(cosine(), steps=2)" in repr(sched)


@settings(max_examples=40, deadline=None)
@given(
    bases=st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=4),
    applied=st.lists(st.booleans(), min_size=1, max_size=25),
)
def test_property_skips_and_group_ratios(bases, applied):
    # Whatever updates are skipped, the applied ones use consecutive positions, and every group's
    # rate is its base times the same factor (the ratios between groups are kept).
    schedule = warmup(cosine(end=0.05), steps=3)
    opt = sgd(*bases)
    sched = Scheduler(opt, schedule, total=30)
    resolved = schedule.resolve(total=30)
    position = 1  # skip_zero_start: the warmup starts at 0
    for flag in applied:
        for base, lr in zip(bases, lrs(opt), strict=True):
            assert lr == base * resolved(position)
        opt.step()
        sched.step(applied=flag)
        position += flag
    assert sched.updates == sum(applied)
