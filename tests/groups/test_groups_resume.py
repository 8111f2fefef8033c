"""GradualUnfreezing resumes exactly: weights, optimizer state and rates equal an uninterrupted run's.

The reference is the same training run without interruption (torch's AdamW doing every update).
A checkpoint is saved at several points (before any part joins, at a join, between joins, after
all joins), written with ``torch.save`` and read with ``torch.load(weights_only=True)``, and the run
is rebuilt in every order the docs allow: the optimizer's state loaded before or after the plan,
the scheduler or `attach`, and the scheduler's state loaded before or after `attach`. The
uninterrupted run trains every part before the plan is built (its Adam moments must not survive
the frozen period), and the groups are split with ``no_decay=True`` so that the plan's parent keys
cover the ``/no_decay`` halves.
"""

import io
import itertools

import pytest
import torch
from torch import nn

from lrkit import Scheduler, cosine, warmup
from lrkit.groups import GradualUnfreezing, param_groups

TOTAL = 32
PLAN = {"blocks.1": 8, "blocks.0": 20}  # "head" trains from the start
SCHEDULE = warmup(cosine(end=0.1), steps=4)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(
            [nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8)), nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))]
        )
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        for block in self.blocks:
            x = torch.tanh(block(x))
        return self.head(x)


def build():
    torch.manual_seed(0)
    net = Net()
    groups = param_groups(net, {"head": 3e-2, "blocks.1": 2e-2, "blocks.0": 1e-2}, no_decay=True)
    return net, torch.optim.AdamW(groups, weight_decay=0.1, betas=(0.9, 0.99))


BATCHES = [torch.randn(5, 4, generator=torch.Generator().manual_seed(k)) for k in range(TOTAL + 2)]


def train(net, opt, sched, batches, manual=None):
    rates = []
    for x in batches:
        if manual is not None:
            manual.step(sched.position, updates=sched.updates)
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        rates.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return rates


def pretrain(net, opt):
    # Every part trains before the plan exists: Adam moments the frozen parts must not keep.
    for x in BATCHES[TOTAL:]:
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()


def uninterrupted(skip_zero_start):
    net, opt = build()
    pretrain(net, opt)
    plan = GradualUnfreezing(opt, PLAN)
    sched = Scheduler(opt, plan.schedules(SCHEDULE), total=TOTAL, skip_zero_start=skip_zero_start)
    plan.attach(sched, net)
    rates = train(net, opt, sched, BATCHES[:TOTAL])
    return net, opt, sched, rates


def checkpoint(at, skip_zero_start, manual=False):
    net, opt = build()
    pretrain(net, opt)
    plan = GradualUnfreezing(opt, PLAN)
    sched = Scheduler(opt, plan.schedules(SCHEDULE), total=TOTAL, skip_zero_start=skip_zero_start)
    if not manual:
        plan.attach(sched, net)
    rates = train(net, opt, sched, BATCHES[:at], manual=plan if manual else None)
    buffer = io.BytesIO()
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)
    return buffer.getvalue(), rates


def load(saved):
    # A fresh copy for every resume: torch's Optimizer.load_state_dict keeps the loaded tensors
    # (same dtype and device), so training would change a checkpoint that is loaded twice.
    return torch.load(io.BytesIO(saved), weights_only=True)


def orders():
    """Every order of the rebuild that the docs allow (the plan before the scheduler before attach)."""
    steps = ("plan", "sched", "attach", "load_opt", "load_sched")
    for order in itertools.permutations(steps):
        i = order.index
        if i("plan") < i("sched") < i("attach") and i("sched") < i("load_sched"):
            yield order


ORDERS = list(orders())


def resume(saved, order, skip_zero_start):
    ckpt = load(saved)
    net, opt = build()
    net.load_state_dict(ckpt["model"])
    made = {}
    for step in order:
        if step == "plan":
            made["plan"] = GradualUnfreezing(opt, PLAN)
        elif step == "sched":
            made["sched"] = Scheduler(
                opt, made["plan"].schedules(SCHEDULE), total=TOTAL, skip_zero_start=skip_zero_start
            )
        elif step == "attach":
            made["plan"].attach(made["sched"], net)
        elif step == "load_opt":
            opt.load_state_dict(ckpt["opt"])
        elif step == "load_sched":
            made["sched"].load_state_dict(ckpt["sched"])
    return net, opt, made["sched"], made["plan"]


def assert_same_run(a, b):
    net_a, opt_a, sched_a = a
    net_b, opt_b, sched_b = b
    for (name, x), (_, y) in zip(net_a.state_dict().items(), net_b.state_dict().items(), strict=True):
        assert torch.equal(x, y), f"weights of {name} differ by {(x - y).abs().max().item():.3g}"
    for p, q in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert p.requires_grad == q.requires_grad
    state_a, state_b = opt_a.state_dict(), opt_b.state_dict()
    assert state_a["state"].keys() == state_b["state"].keys()
    for index, entry in state_a["state"].items():
        other = state_b["state"][index]
        assert entry.keys() == other.keys(), f"optimizer state of parameter {index}"
        for key, value in entry.items():
            assert torch.equal(value, other[key]), f"optimizer state {key!r} of parameter {index} differs"
    assert state_a["param_groups"] == state_b["param_groups"]  # rates, names, decay: exactly
    assert sched_a.state_dict() == sched_b.state_dict()


def test_orders_cover_the_documented_ones():
    assert len(ORDERS) == 10
    assert ("load_opt", "plan", "sched", "load_sched", "attach") in ORDERS  # optimizer first
    assert ("plan", "sched", "attach", "load_opt", "load_sched") in ORDERS  # everything built first


@pytest.mark.parametrize("skip_zero_start", [False, True])
@pytest.mark.parametrize("at", [3, 8, 13, 27])
def test_resume_in_every_order_equals_the_uninterrupted_run(at, skip_zero_start):
    reference = uninterrupted(skip_zero_start)
    ref_net, ref_opt, ref_sched, ref_rates = reference
    saved, first = checkpoint(at, skip_zero_start)
    ckpt = load(saved)
    # The checkpoint is meaningful: the part joined at 8 has Adam state from after it joined.
    joined_state = ckpt["opt"]["state"]
    names = [g["name"] for g in ckpt["opt"]["param_groups"]]
    halves = [[name, f"{name}/no_decay"] for name in ("head", "blocks.1", "blocks.0")]
    assert names == [name for pair in halves for name in pair]
    block1 = ckpt["opt"]["param_groups"][2]["params"][0]
    assert (block1 in joined_state) == (at > 8 - skip_zero_start)
    for order in ORDERS:
        net, opt, sched, _ = resume(saved, order, skip_zero_start)
        rest = train(net, opt, sched, BATCHES[at:TOTAL])
        assert first + rest == ref_rates, order
        assert_same_run((net, opt, sched), (ref_net, ref_opt, ref_sched))


def test_resume_with_manual_steps():
    ref_net, ref_opt, ref_sched, _ = uninterrupted(False)
    ckpt, _ = checkpoint(13, False, manual=True)
    for order in ORDERS:
        order = tuple(step for step in order if step != "attach")
        net, opt, sched, plan = resume(ckpt, order, False)
        train(net, opt, sched, BATCHES[13:TOTAL], manual=plan)
        assert_same_run((net, opt, sched), (ref_net, ref_opt, ref_sched))


def test_the_checkpoint_state_of_a_joined_part_is_kept():
    # What the defect did: the part that joined at 8 lost its AdamW state (step 5 -> empty) on resume.
    ckpt, _ = checkpoint(13, False)
    net, opt, _, _ = resume(ckpt, ("load_opt", "plan", "sched", "load_sched", "attach"), False)
    net(BATCHES[13])  # the first forward pass decides: a resumed run
    weight = net.blocks[1][0].weight
    assert weight.requires_grad
    assert opt.state[weight]["step"].item() == 13 - 8
    assert not net.blocks[0][0].weight.requires_grad
    assert net.blocks[0][0].weight not in opt.state


def test_a_fresh_run_drops_the_state_from_before_the_plan():
    net, opt = build()
    pretrain(net, opt)
    weight = net.blocks[0][0].weight
    plan = GradualUnfreezing(opt, PLAN)
    assert weight not in opt.state  # put aside while frozen
    sched = Scheduler(opt, plan.schedules(SCHEDULE), total=TOTAL, skip_zero_start=False)
    plan.attach(sched, net)
    train(net, opt, sched, BATCHES[:21])
    assert opt.state[weight]["step"].item() == 1  # one update since it joined, no moments from before


def test_manual_step_needs_updates_when_it_cannot_tell():
    net, opt = build()
    pretrain(net, opt)
    plan = GradualUnfreezing(opt, PLAN)
    with pytest.raises(ValueError, match=r"cannot tell a fresh run .* Fix: pass updates="):
        plan.step(0)
    bad = r"Argument `updates` of GradualUnfreezing.step\(\) must be an int >= 0"
    with pytest.raises(ValueError, match=bad):
        plan.step(0, updates=-1)
    assert plan.step(8, updates=0) == ["blocks.1", "blocks.1/no_decay"]
    assert net.blocks[1][0].weight not in opt.state
