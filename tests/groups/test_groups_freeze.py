"""Freezing, unfreezing, and gradual unfreezing driven by lrkit.Scheduler with fresh optimizer state."""

import math

import pytest
import torch
from torch import nn

from lrkit import Scheduler, cosine
from lrkit.groups import GradualUnfreezing, check_groups, freeze, param_groups, unfreeze


def model3():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


def test_freeze_and_unfreeze_with_the_optimizer():
    model = model3()
    opt = torch.optim.Adam(param_groups(model, {"0": 1e-3, "2": 1e-3, "4": 1e-2}))
    model(torch.ones(2, 4)).sum().backward()
    opt.step()
    assert model[0].weight in opt.state
    assert freeze(model, model[0], optimizer=opt) == ["0.weight", "0.bias"]
    assert opt.param_groups[0]["lr"] == 0.0
    assert model[0].weight.grad is None
    assert model[0].weight not in opt.state  # no stale moments kept
    check_groups(opt, model)  # frozen with lr 0: valid
    assert unfreeze(model, "0", optimizer=opt) == ["0.weight", "0.bias"]
    assert model[0].weight.requires_grad


def test_freeze_refuses_to_split_a_group():
    model = model3()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"group 0 .* 2 frozen and 4 trainable parameters.*Fix"):
        freeze(model, model[0], optimizer=opt)
    assert all(p.requires_grad for p in model.parameters())  # nothing changed


def test_freeze_a_relu_is_named():
    model = model3()
    with pytest.raises(ValueError, match=r"module '1' \(ReLU\), which has no parameters"):
        freeze(model, model[1])


def run_plan(skip_zero_start, steps=8, join=3):
    model = model3()
    opt = torch.optim.Adam(param_groups(model, {"4": 1e-2, "2": 1e-3, "0": 1e-4}), betas=(0.9, 0.99))
    # Train everything first: the parts get Adam moments that must not survive the frozen period.
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(3, 4)).pow(2).mean().backward()
        opt.step()
    plan = GradualUnfreezing(opt, {"0": join, "2": 1})
    schedule = cosine()
    sched = Scheduler(opt, plan.schedules(schedule), total=steps, skip_zero_start=skip_zero_start)
    plan.attach(sched, model)
    rows = []
    for _ in range(steps):
        opt.zero_grad()
        before = model[0].weight.detach().clone()
        position = sched.position
        model(torch.randn(3, 4)).pow(2).mean().backward()
        lr = opt.param_groups[2]["lr"]
        grad = None if model[0].weight.grad is None else model[0].weight.grad.clone()
        state_before = dict(opt.state.get(model[0].weight, {}))
        opt.step()
        rows.append((position, lr, grad, before, model[0].weight.detach().clone(), state_before))
        sched.step()
    return rows, opt


@pytest.mark.parametrize("skip_zero_start", [False, True])
def test_gradual_unfreezing_part_joins_at_its_step_with_fresh_state(skip_zero_start):
    join = 3
    rows, _ = run_plan(skip_zero_start, join=join)
    first = None
    for k, (position, lr, grad, before, after, state) in enumerate(rows):
        if position < join:
            assert lr == 0.0
            assert grad is None  # frozen: no gradient, so no update and no optimizer state
            assert torch.equal(before, after)
        else:
            # base 1e-4 times the cosine over the run, at this update's position
            steps = 8
            assert lr == pytest.approx(1e-4 * (1 + math.cos(math.pi * position / steps)) / 2, rel=1e-12)
            assert grad is not None
            if first is None:
                first = k
                assert state == {}  # no moments from before the frozen period
                # The first update equals a fresh Adam's first update with the same gradient.
                clone = before.clone().requires_grad_(True)
                fresh = torch.optim.Adam([clone], lr=lr, betas=(0.9, 0.99))
                clone.grad = grad
                fresh.step()
                assert torch.equal(clone.detach(), after)
    assert first is not None
    assert rows[first][0] >= join
    assert rows[first - 1][0] < join


def test_schedules_cover_every_group():
    model = model3()
    opt = torch.optim.SGD(param_groups(model, {"4": 1e-2, "2": 1e-3, "0": 1e-4}))
    plan = GradualUnfreezing(opt, {"0": 10, "2": 0})
    schedules = plan.schedules(cosine(end=0.1))
    assert set(schedules) == {"4", "2", "0"}
    assert schedules["4"] == cosine(end=0.1)
    assert schedules["2"] == cosine(end=0.1)  # joins at 0: trained from the start
    s = schedules["0"].resolve(total=100)
    assert s(9) == 0.0
    assert s(10) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 10 / 100)) / 2)  # global clock
    local = (
        GradualUnfreezing(opt, {"0": 10}, clock="local").schedules(cosine(end=0.1))["0"].resolve(total=100)
    )
    assert local(10) == 1.0  # local clock: the part's schedule starts when it joins
    assert plan.frozen == ["0"]
    assert not model[0].weight.requires_grad


def test_plan_errors():
    model = model3()
    opt = torch.optim.SGD(param_groups(model, {"4": 1e-2}, default=1e-3))
    with pytest.raises(
        ValueError, match=r"names the group 'backbone', which the optimizer does not have.*\['4', 'default'\]"
    ):
        GradualUnfreezing(opt, {"backbone": 10})
    with pytest.raises(
        ValueError, match=r"Argument `plan\['4'\]` of GradualUnfreezing\(\) must be an int >= 0"
    ):
        GradualUnfreezing(opt, {"4": -1})
    plan = GradualUnfreezing(opt, {"default": 5})
    other = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"same optimizer"):
        plan.attach(Scheduler(other, cosine(), total=10), model)
    with pytest.raises(TypeError, match=r"an lrkit.Scheduler"):
        plan.attach(object(), model)
    with pytest.raises(TypeError, match=r"Argument `schedule` of GradualUnfreezing.schedules\(\)"):
        plan.schedules("cosine()")
