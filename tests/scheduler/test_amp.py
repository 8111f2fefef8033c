"""Only applied updates count: GradScaler skips (plain and fused optimizers), accumulation."""

import warnings

import pytest
import torch

from lrkit import Scheduler, cosine, linear, warmup

OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1),
    "adam_fused": lambda ps: torch.optim.Adam(ps, lr=0.1, fused=True),
}


def amp_run(make, n, inf_at, schedule, *, total, before_update=False):
    """n iterations with GradScaler, inf gradients at `inf_at`: (rates of applied updates, sched)."""
    w = torch.nn.Parameter(torch.ones(3))
    opt = make([w])
    scaler = torch.amp.GradScaler("cpu")
    sched = Scheduler(opt, schedule, total=total, scaler=scaler)
    applied_lrs = []
    for i in range(n):
        loss = (w * w).sum()
        scaler.scale(loss).backward()
        if i in inf_at:
            w.grad.fill_(float("inf"))
        before = w.detach().clone()
        rate = float(opt.param_groups[0]["lr"])
        scaler.step(opt)
        if before_update:
            sched.step()
            scaler.update()
        else:
            scaler.update()
            sched.step()
        opt.zero_grad()
        changed = not torch.equal(before, w.detach())
        assert changed == (i not in inf_at)  # the forced infs really skipped the update
        if changed:
            applied_lrs.append(rate)
    return applied_lrs, sched


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("before_update", [False, True])
def test_skipped_updates_do_not_advance(name, before_update):
    schedule = warmup(cosine(end=0.1), steps=3)
    inf_at = {0, 5, 6}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "step order" warning, no other warning
        used, sched = amp_run(OPTIMIZERS[name], 16, inf_at, schedule, total=16, before_update=before_update)
    assert sched.updates == 16 - len(inf_at)
    assert sched.skipped == len(inf_at)
    # The same as a run without the skipped iterations.
    clean, _ = amp_run(
        OPTIMIZERS[name], 16 - len(inf_at), set(), schedule, total=16, before_update=before_update
    )
    resolved = schedule.resolve(total=16)
    assert used == clean
    assert used == pytest.approx([0.1 * resolved(i + 1) for i in range(len(used))], rel=1e-12)


def test_disabled_scaler_counts_every_step():
    w = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=1.0)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=4), total=4, scaler=scaler)
    for _ in range(2):
        opt.step()
        sched.step()
    assert sched.updates == 2


def test_explicit_applied_flag():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=4), total=4)
    sched.step(applied=False)
    assert (sched.updates, sched.skipped) == (0, 1)
    with pytest.raises(TypeError, match="Argument `applied`"):
        sched.step(applied=1)


def test_scaler_type_is_checked():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    with pytest.raises(TypeError, match="Argument `scaler` of Scheduler"):
        Scheduler(opt, linear(), total=4, scaler="amp")


@pytest.mark.parametrize("accumulation", [1, 2, 3])
def test_gradient_accumulation_counts_optimizer_updates(accumulation):
    loader_length, epochs = 10, 3  # 10 is not divisible by 3: a partial window each epoch
    per_epoch = -(-loader_length // accumulation)  # the last partial window is flushed
    total = per_epoch * epochs
    w = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.AdamW([w], lr=0.1)
    sched = Scheduler(opt, linear(1.0, 0.25, steps=None), total=total)
    updates = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(epochs):
            for batch in range(loader_length):
                (w.sum() / accumulation).backward()
                if (batch + 1) % accumulation == 0 or batch + 1 == loader_length:
                    opt.step()
                    opt.zero_grad()
                    sched.step()
                    updates += 1
    assert sched.updates == updates == total
    # The last update used the schedule at total - 1; the rate now is the end value.
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1.0 - 0.75 * (total - 1) / total))
    assert sched.lr_for_next_update()[0] == pytest.approx(0.1 * 0.25)


def test_resume_with_a_scaler_does_not_read_the_loaded_scale_as_a_skip():
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    sched = Scheduler(opt, linear(1.0, 0.0, steps=10), total=10, scaler=scaler)

    def iteration(opt, scaler, sched, inf=False):
        scaler.scale((w * w).sum()).backward()
        if inf:
            w.grad.fill_(float("inf"))
        scaler.step(opt)
        scaler.update()
        sched.step()
        opt.zero_grad()

    for i in range(4):
        iteration(opt, scaler, sched, inf=i in (0, 1))  # the scale drops to 16384
    assert sched.updates == 2
    state = {"scaler": scaler.state_dict(), "sched": sched.state_dict(), "opt": opt.state_dict()}
    opt2 = torch.optim.SGD([w], lr=0.1)
    scaler2 = torch.amp.GradScaler("cpu")  # built with the default scale 65536
    sched2 = Scheduler(opt2, linear(1.0, 0.0, steps=10), total=10, scaler=scaler2)
    scaler2.load_state_dict(state["scaler"])  # loaded after the scheduler was built
    opt2.load_state_dict(state["opt"])
    sched2.load_state_dict(state["sched"])
    iteration(opt2, scaler2, sched2)
    assert sched2.updates == 3
    assert sched2.skipped == 2
