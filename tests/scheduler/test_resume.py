"""Resume: bit-identical rates after a save at every step, in any construction order; policies."""

import copy
import itertools
import json
import math
import subprocess
import sys
import textwrap

import pytest
import torch
from sched_helpers import params, roundtrip

from lrkit import Scheduler, constant, cosine, linear, one_cycle, plateau, warmup
from lrkit.scheduler import ResumeError, ScheduleEndWarning
from lrkit.schedules.restarts import restarts

N = 30
METRICS = [5, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def make_opt(tensor=False):
    lr = (lambda v: torch.tensor(v, dtype=torch.float64)) if tensor else (lambda v: v)
    return torch.optim.SGD(
        [{"params": params(), "lr": lr(0.1)}, {"params": params(), "lr": lr(0.03)}], momentum=0.9
    )


CASES = {
    "warmup_cosine": (lambda: warmup(cosine(end=0.1), steps=5), {"total": N}),
    "one_cycle": (lambda: one_cycle(), {"total": N}),
    "restarts": (lambda: restarts(cosine(end=0.05), period=6, mult=1.5, limit=3), {"total": N}),
    "plateau": (lambda: warmup(plateau(factor=0.5, patience=1, cooldown=1), steps=3), {}),
    "epochs": (lambda: warmup(cosine(), steps=0.2), {"total": 10, "unit": "epoch", "steps_per_epoch": 3}),
    "samples": (
        lambda: warmup(linear(1.0, 0.1), steps=64),
        {"total": 16 * N, "unit": "sample", "update_size": 16},
    ),
    "momentum_tensor": (
        lambda: cosine(),
        {"total": N, "hparams": {"momentum": linear(1.0, 0.9)}, "tensor_lr": True},
    ),
}


def one_step(opt, sched, i, kwargs):
    used = [float(g["lr"]) for g in opt.param_groups] + [g["momentum"] for g in opt.param_groups]
    opt.step()
    sched.step(samples=16) if kwargs.get("unit") == "sample" else sched.step()
    if any(isinstance(node, type(plateau())) for _, node in sched.schedules()[0].walk()):
        sched.observe(METRICS[i])
    return used


def reference(name):
    build, kwargs = CASES[name]
    opt = make_opt()
    sched = Scheduler(opt, build(), **kwargs)
    return [one_step(opt, sched, i, kwargs) for i in range(N)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_resume_at_every_step_is_bit_identical(name):
    build, kwargs = CASES[name]
    expected = reference(name)
    for k in range(N + 1):
        opt = make_opt()
        sched = Scheduler(opt, build(), **kwargs)
        used = [one_step(opt, sched, i, kwargs) for i in range(k)]
        opt_state, sched_state = roundtrip(opt.state_dict()), roundtrip(sched.state_dict())
        opt = make_opt()
        order = k % 3
        if order == 0:  # the order torch's docs ask for
            sched = Scheduler(opt, build(), **kwargs)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(sched_state)
        elif order == 1:  # optimizer state first: the constructor sees mid-run rates
            opt.load_state_dict(opt_state)
            sched = Scheduler(opt, build(), **kwargs)
            sched.load_state_dict(sched_state)
        else:  # scheduler state first
            sched = Scheduler(opt, build(), **kwargs)
            sched.load_state_dict(sched_state)
            opt.load_state_dict(opt_state)
        used += [one_step(opt, sched, i, kwargs) for i in range(k, N)]
        assert used == expected, f"{name}: resumed at step {k} (order {order})"


def test_resume_in_a_new_process(tmp_path):
    expected = reference("plateau")
    build, kwargs = CASES["plateau"]
    opt = make_opt()
    sched = Scheduler(opt, build(), **kwargs)
    used = [one_step(opt, sched, i, kwargs) for i in range(13)]
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt.pt")
    script = textwrap.dedent(
        f"""
        import json, torch
        from lrkit import Scheduler, plateau, warmup
        METRICS = {METRICS!r}
        ps = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
        groups = [{{"params": [ps[0]], "lr": 0.1}}, {{"params": [ps[1]], "lr": 0.03}}]
        opt = torch.optim.SGD(groups, momentum=0.9)
        ckpt = torch.load({str(tmp_path / "ckpt.pt")!r}, weights_only=True)
        opt.load_state_dict(ckpt["opt"])
        sched = Scheduler(opt, warmup(plateau(factor=0.5, patience=1, cooldown=1), steps=3))
        sched.load_state_dict(ckpt["sched"])
        out = []
        for i in range(13, {N}):
            out.append([float(g["lr"]) for g in opt.param_groups] + [g["momentum"] for g in opt.param_groups])
            opt.step(); sched.step(); sched.observe(METRICS[i])
        print(json.dumps([[v.hex() for v in row] for row in out]))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    rest = [[float.fromhex(v) for v in row] for row in json.loads(result.stdout)]
    assert used + rest == expected


def test_state_is_plain_data_and_loading_is_pure():
    opt = make_opt()
    sched = Scheduler(opt, warmup(plateau(patience=0), steps=2))
    for m in [3.0, 2.0, 2.0, 2.0]:
        opt.step()
        sched.step()
        sched.observe(m)
    state = sched.state_dict()
    assert json.loads(json.dumps(state)) == state  # JSON round trip (inf is written as Infinity)
    frozen = copy.deepcopy(state)
    other = Scheduler(make_opt(), warmup(plateau(patience=0), steps=2))
    other.load_state_dict(state)
    other.load_state_dict(state)  # twice
    assert state == frozen
    assert other.lr_for_next_update() == sched.lr_for_next_update()
    assert other.plateau_state() == sched.plateau_state()


def test_fingerprint_mismatch_is_a_clear_error():
    opt = make_opt()
    sched = Scheduler(opt, cosine(), total=N)
    state = sched.state_dict()
    with pytest.raises(ResumeError, match="total: saved 30, now 60") as error:
        Scheduler(make_opt(), cosine(), total=2 * N).load_state_dict(state)
    assert "policy='keep'" in str(error.value)
    with pytest.raises(ResumeError, match="schedule definition of param groups") as error:
        Scheduler(make_opt(), cosine(end=0.1), total=N).load_state_dict(state)
    # both specs are shown (issue 18), as `repr` writes them (a spec that parses back)
    assert f"saved {cosine()!r}, now {cosine(end=0.1)!r}" in str(error.value)
    with pytest.raises(ValueError, match="Argument `policy`"):
        Scheduler(make_opt(), cosine(), total=N).load_state_dict(state, policy="restart")
    with pytest.raises(ValueError, match=r"needs a state from lrkit\.Scheduler"):
        Scheduler(make_opt(), cosine(), total=N).load_state_dict({"last_epoch": 3})


def run_for(sched, opt, n):
    used = []
    for _ in range(n):
        used.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return used


def saved_at(k, schedule, total):
    opt = make_opt()
    sched = Scheduler(opt, schedule, total=total)
    run_for(sched, opt, k)
    return sched.state_dict(), sched.lr_for_next_update()[0]


def test_policy_keep_continues_the_saved_plan():
    state, _ = saved_at(10, cosine(), N)
    opt = make_opt()
    sched = Scheduler(opt, linear(), total=2 * N)
    sched.load_state_dict(state, policy="keep")
    assert sched.total == N
    rest = run_for(sched, opt, N - 10)
    assert rest == pytest.approx([0.1 * (1 + math.cos(math.pi * t / N)) / 2 for t in range(10, N)], rel=1e-12)


def test_policy_adopt_switches_at_the_same_position():
    state, _ = saved_at(10, cosine(), N)
    opt = make_opt()
    sched = Scheduler(opt, linear(1.0, 0.0), total=2 * N)
    sched.load_state_dict(state, policy="adopt")
    assert sched.position == 10
    assert run_for(sched, opt, 2) == pytest.approx([0.1 * (1 - 10 / 60), 0.1 * (1 - 11 / 60)])


def test_policy_extend_is_continuous_and_ends_at_the_new_total():
    k = 10
    state, rate = saved_at(k, cosine(end=0.1), N)
    opt = make_opt()
    sched = Scheduler(opt, cosine(end=0.1), total=2 * N)
    sched.load_state_dict(state, policy="extend")
    assert sched.total == 2 * N
    rest = run_for(sched, opt, 2 * N - k + 1)
    assert rest[0] == rate  # continuous: the next rate is unchanged
    assert all(a >= b for a, b in itertools.pairwise(rest))  # still decaying
    assert rest[2 * N - k] == pytest.approx(0.1 * 0.1)  # the floor is reached at the new total
    t = 35  # the old plan at k + (t - k) * (30 - 10) / (60 - 10)
    mapped = k + (t - k) * (N - k) / (2 * N - k)
    assert rest[t - k] == pytest.approx(
        0.1 * (0.1 + 0.9 * (1 + math.cos(math.pi * mapped / N)) / 2), rel=1e-12
    )


def test_extend_and_anneal_during_a_run():
    opt = make_opt()
    sched = Scheduler(opt, warmup(constant(), steps=2), total=20)
    run_for(sched, opt, 8)
    sched.extend(40)
    assert sched.total == 40
    run_for(sched, opt, 2)
    sched.anneal(5, end=0.1, shape="linear")
    with pytest.warns(ScheduleEndWarning):
        rates = run_for(sched, opt, 7)
    assert rates[0] == pytest.approx(0.1)
    assert rates[:6] == pytest.approx([0.1 * (1 - 0.9 * i / 5) for i in range(6)])  # floor exactly 5 later
    assert sched.total == 10 + 1 + 5  # the position at the anneal (skip_zero_start) + 5
    with pytest.raises(ValueError, match=r"Argument `steps` of Scheduler\.anneal"):
        sched.anneal(0)
    with pytest.raises(ValueError, match="cannot stretch an anneal"):
        sched.extend(100)


def test_anneal_state_resumes_exactly():
    opt = make_opt()
    sched = Scheduler(opt, constant(), total=100)
    run_for(sched, opt, 5)
    sched.anneal(10, shape="1-sqrt")
    run_for(sched, opt, 3)
    state = roundtrip(sched.state_dict())
    with pytest.warns(ScheduleEndWarning):
        expected = run_for(sched, opt, 10)
    opt2 = make_opt()
    sched2 = Scheduler(opt2, constant(), total=100)
    sched2.load_state_dict(state)
    with pytest.warns(ScheduleEndWarning):
        assert run_for(sched2, opt2, 10) == expected
    assert expected[7] == 0.0  # 5 + 3 + 7 = 15 = 5 + 10: the end of the anneal
