"""A ``"<name>/no_decay"`` half follows its parent's key, in Scheduler dicts and in GradualUnfreezing plans.

Expected rates are written from the definition (``base * factor``), with the factors of the
schedules computed by hand (a constant, a linear ramp), never read back from lrkit.
"""

import pytest
import torch
from torch import nn

from lrkit import Scheduler, constant, linear
from lrkit.groups import GradualUnfreezing, param_groups


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 2))


def optimizer(net):
    groups = param_groups(net, {"2": 1e-2, "1": 5e-3}, default=1e-3, no_decay=True, weight_decay=0.05)
    return torch.optim.AdamW(groups)


NAMES = ["2", "2/no_decay", "1/no_decay", "default", "default/no_decay"]  # the norm has no decayed half
BASES = [1e-2, 1e-2, 5e-3, 1e-3, 1e-3]


def rates(opt):
    return [g["lr"] for g in opt.param_groups]


def test_groups_split_as_documented():
    opt = optimizer(model())
    assert [g["name"] for g in opt.param_groups] == NAMES


def test_a_half_follows_its_parents_schedule():
    opt = optimizer(model())
    Scheduler(opt, {"2": constant(0.5), "default": constant(0.25)}, total=10)
    # The defect: "2/no_decay" fell to the default (0.25) instead of following "2" (0.5).
    assert rates(opt) == [1e-2 * 0.5, 1e-2 * 0.5, 5e-3 * 0.25, 1e-3 * 0.25, 1e-3 * 0.25]


def test_a_half_named_itself_keeps_its_own_entry():
    opt = optimizer(model())
    Scheduler(opt, {"2": constant(0.5), "2/no_decay": constant(0.75), "default": constant(0.25)}, total=10)
    assert rates(opt)[:2] == [1e-2 * 0.5, 1e-2 * 0.75]


def test_a_parent_key_whose_decayed_half_is_empty():
    # The LayerNorm "1" has only parameters without decay: its group is "1/no_decay" alone.
    opt = optimizer(model())
    sched = Scheduler(
        opt, {"1": linear(start=1.0, end=0.0), "default": constant(1.0)}, total=4, skip_zero_start=False
    )
    seen = []
    for _ in range(4):
        seen.append(opt.param_groups[2]["lr"])
        opt.step()
        sched.step()
    assert seen == [5e-3 * (1 - k / 4) for k in range(4)]


def test_other_hyperparameters_follow_the_parent_too():
    opt = optimizer(model())
    Scheduler(
        opt,
        constant(1.0),
        hparams={"weight_decay": {"2": constant(0.5), "default": constant(1.0)}},
        total=10,
    )
    decay = [g["weight_decay"] for g in opt.param_groups]
    assert decay == [0.05 * 0.5, 0.0, 0.0, 0.05, 0.0]  # the halves' base decay is 0


def test_without_default_the_error_points_at_the_parent_not_into_the_trap():
    opt = optimizer(model())
    with pytest.raises(ValueError, match="has no schedule") as info:
        Scheduler(opt, {"2": constant(0.5), "1": constant(1.0)}, total=10)
    message = str(info.value)
    assert "param group 3 (name='default')" in message
    assert 'add a "default" entry for every group it does not name' in message
    # A half alone (its parent's key missing) is pointed at the parent's key first.
    groups = param_groups(model(), {"1": 5e-3, "2": 1e-2, "0": 1e-3}, no_decay=True)
    opt = torch.optim.AdamW(groups)
    with pytest.raises(ValueError, match="has no schedule") as info:
        Scheduler(opt, {"2": constant(1.0), "0": constant(1.0)}, total=10)
    assert (
        "param group 0 (name='1/no_decay'). Received: schedule keys ['2', '0']; add an entry for '1' "
        "(it covers '1/no_decay' too) or '1/no_decay', or a \"default\" entry" in str(info.value)
    )
    # A decayed group with a half is told that its entry covers the half.
    net = model()
    opt = torch.optim.AdamW(param_groups(net, {"2": 1e-2, "0": 1e-3}, no_decay=True, unassigned="ignore"))
    covers = r"add an entry for '0' \(it covers '0/no_decay' too\), or a \"default\""
    with pytest.raises(ValueError, match=covers):
        Scheduler(opt, {"2": constant(0.5)}, total=10)


def test_a_key_that_covers_nothing_is_still_refused():
    opt = optimizer(model())
    with pytest.raises(ValueError, match=r"names groups that the optimizer does not have: \['head'\]"):
        Scheduler(opt, {"head": constant(0.5), "default": constant(1.0)}, total=10)
    with pytest.raises(ValueError, match=r"does not have: \['2/no_decay/no_decay'\]"):
        Scheduler(opt, {"2/no_decay/no_decay": constant(0.5), "default": constant(1.0)}, total=10)


def test_a_plan_entry_covers_the_half():
    net = model()
    opt = optimizer(net)
    plan = GradualUnfreezing(opt, {"2": 5, "1": 3})
    assert plan.plan == {"2": 5, "2/no_decay": 5, "1/no_decay": 3}
    assert plan.frozen == ["2", "2/no_decay", "1/no_decay"]
    assert not net[2].bias.requires_grad  # the bias is in "2/no_decay": frozen with its layer
    schedules = plan.schedules(constant(1.0))
    for name, step in (("2", 5), ("2/no_decay", 5), ("1/no_decay", 3)):
        resolved = schedules[name].resolve(total=10)
        assert [resolved(t) for t in range(10)] == [0.0] * step + [1.0] * (10 - step)
    assert schedules["default/no_decay"] == constant(1.0)
    assert plan.step(3) == ["1/no_decay"]
    assert plan.step(5) == ["2", "2/no_decay"]
    assert net[2].bias.requires_grad


def test_a_plan_can_name_a_half_itself():
    opt = optimizer(model())
    plan = GradualUnfreezing(opt, {"2": 5, "2/no_decay": 0})
    assert plan.frozen == ["2"]
    with pytest.raises(ValueError, match=r"names the group 'head', which the optimizer does not have"):
        GradualUnfreezing(opt, {"head": 5})
