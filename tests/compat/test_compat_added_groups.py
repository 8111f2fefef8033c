"""A param group added with ``add_param_group`` under a chainable scheduler, compared live with torch.

torch's StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR and PolynomialLR multiply every
group's rate by their step's ratio, a group added later too: it continues from the rate it was
added with. compat gives it the base ``lr / f(t)`` so that its closed form says the same.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _compat_harness import COMPAT, RTOL, TORCH

import lrkit.compat as C  # noqa: N812

BUILDS = {
    "StepLR": lambda o, ns: ns.StepLR(o, 2, 0.5),
    "StepLR growth": lambda o, ns: ns.StepLR(o, 3, 1.5),
    "MultiStepLR": lambda o, ns: ns.MultiStepLR(o, [2, 5, 9], 0.5),
    "MultiStepLR negative": lambda o, ns: ns.MultiStepLR(o, [0, 4], -0.5),
    "ConstantLR": lambda o, ns: ns.ConstantLR(o, 0.25, total_iters=5),
    "LinearLR": lambda o, ns: ns.LinearLR(o, 0.5, total_iters=6),
    "LinearLR to 0": lambda o, ns: ns.LinearLR(o, 1.0, 0.0, total_iters=3),
    "ExponentialLR": lambda o, ns: ns.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o, ns: ns.PolynomialLR(o, total_iters=6, power=2.0),
    # a gamma of 0: a group added once the factor is 0 keeps its rate until torch's next decay
    "StepLR gamma 0": lambda o, ns: ns.StepLR(o, 3, 0.0),
    "MultiStepLR gamma 0": lambda o, ns: ns.MultiStepLR(o, [2, 6], 0.0),
    "MultiStepLR gamma 0, no later milestone": lambda o, ns: ns.MultiStepLR(o, [1], 0.0),
    "ExponentialLR gamma 0": lambda o, ns: ns.ExponentialLR(o, 0.0),
}
#: (step, lr) of each added group: before any step, mid-run, two at once, after a decay ended.
ADDS = {"at 0": [(0, 0.05)], "at 3": [(3, 0.05)], "two at 4": [(4, 0.05), (4, 0.2)], "at 8": [(8, 0.3)]}


def _run(ns, build, adds, kind, bases=(0.1,), steps=12):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + len(adds))]
    groups = [{"params": [params[i]], "lr": b} for i, b in enumerate(bases)]
    opt = torch.optim.Adam(groups) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build(opt, ns)
        extra = iter(params[len(bases) :])
        for t in range(steps):
            for at, lr in adds:
                if at == t:
                    opt.add_param_group({"params": [next(extra)], "lr": lr})
            opt.step()
            sched.step()
            rows.append(
                [float(g["lr"]) for g in opt.param_groups]
                + [float(v) for v in sched.get_last_lr()]
                + [np.nan] * (2 * (len(bases) + len(adds) - len(opt.param_groups)))
            )
    return np.array(rows)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("bases", [(0.1,), (0.1, 0.03, 1.0)], ids=["1 group", "3 groups"])
@pytest.mark.parametrize("adds", list(ADDS.values()), ids=list(ADDS))
@pytest.mark.parametrize("name", list(BUILDS))
def test_an_added_group_continues_as_in_torch(name, adds, bases, kind):
    ours = _run(COMPAT, BUILDS[name], adds, kind, bases)
    ref = _run(TORCH, BUILDS[name], adds, kind, bases)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-15, equal_nan=True)


def test_a_group_added_where_a_constant_lr_factor_is_0_is_refused_clearly():
    # torch keeps the added group's rate, then divides every rate by the factor 0 at total_iters
    # (ZeroDivisionError); compat refuses the group at once.
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}])
    sched = C.ConstantLR(opt, 0.0, total_iters=5)
    for _ in range(2):
        opt.step()
        sched.step()
    opt.add_param_group({"params": [params[1]], "lr": 0.05})
    opt.step()
    with pytest.raises(ValueError, match=r"ConstantLR: param group 1 was added .* factor is 0"):
        sched.step()
    torch_opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}])
    reference = TORCH.ConstantLR(torch_opt, 0.0, total_iters=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_opt.add_param_group({"params": [params[1]], "lr": 0.05})
        for _ in range(4):
            reference.step()
        with pytest.raises(ZeroDivisionError):
            reference.step()


def _run_until_error(ns, build, adds, kind, bases, steps=24):
    """Rows until the first exception (torch's step fails at a restart), and the step it came at."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + len(adds))]
    groups = [{"params": [params[i]], "lr": b} for i, b in enumerate(bases)]
    opt = torch.optim.Adam(groups) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
    rows, extra = [], iter(params[len(bases) :])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build(opt, ns)
        for t in range(steps):
            for at, lr in adds:
                if at == t:
                    opt.add_param_group({"params": [next(extra)], "lr": lr})
            opt.step()
            try:
                sched.step()
            except ValueError:
                return rows, t
            rows.append([float(g["lr"]) for g in opt.param_groups] + [float(v) for v in sched.get_last_lr()])
    return rows, None


COSINES = {
    "T_max=5": lambda o, ns: ns.CosineAnnealingLR(o, 5),
    "T_max=6, eta_min": lambda o, ns: ns.CosineAnnealingLR(o, 6, 0.002),
    "T_max=30": lambda o, ns: ns.CosineAnnealingLR(o, 30, 0.001),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(
    "bases", [(0.1,), (0.1, 0.1, 0.1), (0.1, 0.03, 1.0)], ids=["1", "3 equal", "3 distinct"]
)
@pytest.mark.parametrize("adds", list(ADDS.values()), ids=list(ADDS))
@pytest.mark.parametrize("name", list(COSINES))
def test_a_group_added_under_cosine_annealing_follows_torchs_recursion(name, adds, bases, kind):
    # torch's recursive cosine moves the added group towards eta_min from the rate it was added
    # with, then fails at the step where its period restarts (zip() over base_lrs); so does compat.
    ours, our_error = _run_until_error(COMPAT, COSINES[name], adds, kind, bases)
    ref, ref_error = _run_until_error(TORCH, COSINES[name], adds, kind, bases)
    assert our_error == ref_error
    assert (ref_error is None) == (name == "T_max=30")
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)


FAILING_ALONE = {
    "LambdaLR": lambda o, ns: ns.LambdaLR(o, lambda e: 0.9**e),
    "LambdaLR, one function per group": lambda o, ns: ns.LambdaLR(
        o, [lambda e: 0.9**e] * len(o.param_groups)
    ),
    "MultiplicativeLR": lambda o, ns: ns.MultiplicativeLR(o, lambda e: 0.9),
    "CyclicLR": lambda o, ns: ns.CyclicLR(o, 0.01, 0.2, 3),
    "OneCycleLR": lambda o, ns: ns.OneCycleLR(o, 0.5, total_steps=30),
    "CosineAnnealingWarmRestarts": lambda o, ns: ns.CosineAnnealingWarmRestarts(o, 4),
    "SWALR": lambda o, ns: ns.SWALR(o, 0.02, anneal_epochs=3),
}


@pytest.mark.parametrize("bases", [(0.1,), (0.1, 0.03, 1.0)], ids=["1 group", "3 groups"])
@pytest.mark.parametrize("name", list(FAILING_ALONE))
def test_where_torchs_next_step_fails_on_an_added_group_so_does_compats(name, bases):
    # their torch steps read lists of one entry per original group (zip() ValueError) or keys the
    # added group lacks (KeyError): the step after add_param_group fails, with the same type.
    def run(ns):
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + 1)]
        opt = torch.optim.SGD(
            [{"params": [p], "lr": b} for p, b in zip(params, bases, strict=False)], momentum=0.9
        )
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = FAILING_ALONE[name](opt, ns)
            for t in range(8):
                if t == 3:
                    opt.add_param_group({"params": [params[-1]], "lr": 0.05})
                opt.step()
                try:
                    sched.step()
                except (ValueError, KeyError) as error:
                    return rows, t, type(error)
                rows.append([float(g["lr"]) for g in opt.param_groups])
        return rows, None, None

    ours, ref = run(COMPAT), run(TORCH)
    assert ours[1:] == ref[1:] == (3, KeyError if name in ("OneCycleLR", "SWALR") else ValueError)
    np.testing.assert_allclose(ours[0], ref[0], rtol=RTOL)


@pytest.mark.parametrize(
    "build",
    [
        lambda o, ns: [ns.StepLR(o, 2, 0.5)],
        lambda o, ns: [ns.CosineAnnealingLR(o, 30)],
        lambda o, ns: [ns.LinearLR(o, 0.5, total_iters=4), ns.ExponentialLR(o, 0.9)],
    ],
    ids=["StepLR", "CosineAnnealingLR", "LinearLR, ExponentialLR side by side"],
)
def test_base_lrs_keep_the_groups_the_scheduler_was_built_with(build):
    def run(ns):
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
        opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.3}])
        shown = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schedulers = build(opt, ns)
            for t in range(5):
                if t == 2:
                    opt.add_param_group({"params": [params[2]], "lr": 0.05})
                opt.step()
                for s in schedulers:
                    s.step()
                shown.append([[float(b) for b in s.base_lrs] for s in schedulers])
            later = ns.ExponentialLR(opt, 0.9)  # built with the added group: it lists it
            shown.append([[float(b) for b in later.base_lrs]])
        return shown

    ours, ref = run(COMPAT), run(TORCH)
    assert [[len(b) for b in row] for row in ours] == [[len(b) for b in row] for row in ref]
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(np.concatenate(a), np.concatenate(b), rtol=RTOL)


CHAINS = {
    "StepLR, ExponentialLR": lambda o, ns: [ns.StepLR(o, 2, 0.5), ns.ExponentialLR(o, 0.9)],
    "ConstantLR, LinearLR": lambda o, ns: [ns.ConstantLR(o, 0.5, 4), ns.LinearLR(o, 0.2, 1.0, 6)],
    "MultiStepLR, PolynomialLR": lambda o, ns: [ns.MultiStepLR(o, [3, 5], 0.5), ns.PolynomialLR(o, 9, 2.0)],
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("bases", [(0.1,), (0.1, 0.03, 1.0)], ids=["1 group", "3 groups"])
@pytest.mark.parametrize("adds", list(ADDS.values()), ids=list(ADDS))
@pytest.mark.parametrize("plateau", [False, True], ids=["alone", "side by side with ReduceLROnPlateau"])
@pytest.mark.parametrize("name", list(CHAINS))
def test_a_group_added_under_a_chain_of_chainable_schedulers_continues_as_in_torch(
    name, plateau, adds, bases, kind
):
    # torch's ChainedScheduler steps every child on every group, an added one too: each chainable
    # child multiplies it by its ratio, so it continues from the rate it was added with.
    def run(ns):
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(len(bases) + len(adds))]
        groups = [{"params": [params[i]], "lr": b} for i, b in enumerate(bases)]
        opt = torch.optim.Adam(groups) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
        extra, rows = iter(params[len(bases) :]), []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inner = CHAINS[name](opt, ns)
            chain = ns.ChainedScheduler(inner)
            reduce = ns.ReduceLROnPlateau(opt, factor=0.5, patience=1) if plateau else None
            for t in range(12):
                for at, lr in adds:
                    if at == t:
                        opt.add_param_group({"params": [next(extra)], "lr": lr})
                opt.step()
                chain.step()
                if reduce is not None:
                    reduce.step(1.0)  # never improves: a reduction every other step
                shown = [float(v) for s in [chain, *inner] for v in s.get_last_lr()]
                rows.append([float(g["lr"]) for g in opt.param_groups] + shown)
        return rows

    ours, ref = run(COMPAT), run(TORCH)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)


SEQUENCES = {
    "LinearLR, ExponentialLR [6]": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, 0.5, 1.0, 4), m.ExponentialLR(o, 0.9)], [6]
    ),
    "LinearLR, StepLR [2]": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, 0.5, 1.0, 4), m.StepLR(o, 2, 0.5)], [2]
    ),
    "ConstantLR, ExponentialLR, PolynomialLR [3, 7]": lambda o, m: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, 2), m.ExponentialLR(o, 0.9), m.PolynomialLR(o, 6, 2.0)], [3, 7]
    ),
    "unsorted [1, 2, 0] (a takeover without restart)": lambda o, m: m.SequentialLR(
        o,
        [m.LinearLR(o, 0.5, 1.0, 3), m.ExponentialLR(o, 0.9), m.StepLR(o, 2, 0.7), m.ExponentialLR(o, 0.8)],
        [1, 2, 0],
    ),
    "LinearLR, LambdaLR [5]": lambda o, m: m.SequentialLR(
        o, [m.LinearLR(o, 0.5, 1.0, 4), m.LambdaLR(o, lambda e: 0.9**e)], [5]
    ),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("bases", [(0.1,), (0.1, 0.03, 1.0)], ids=["1 group", "3 groups"])
@pytest.mark.parametrize("at", [0, 1, 3, 5, 8])
@pytest.mark.parametrize("name", list(SEQUENCES))
def test_a_group_added_under_a_sequential_lr_continues_as_in_torch(name, at, bases, kind):
    # torch steps the added group with the active child (chainable: from the rate it was added
    # with) and fails at a later milestone that restarts a child (its step(0) reads base_lrs), or at
    # the first step of a LambdaLR phase; compat gives the same rates and fails at the same step.
    ours, our_error = _run_until_error(COMPAT, lambda o, m: SEQUENCES[name](o, m), [(at, 0.05)], kind, bases)
    ref, ref_error = _run_until_error(TORCH, lambda o, m: SEQUENCES[name](o, m), [(at, 0.05)], kind, bases)
    assert our_error == ref_error
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)


def test_a_group_added_before_a_cosine_phase_of_a_sequential_lr_is_refused_clearly():
    # torch moves it with the recursive cosine from its rate; compat does not reproduce that here.
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}])
    sched = C.SequentialLR(opt, [C.LinearLR(opt, 0.5, 1.0, 4), C.CosineAnnealingLR(opt, 10)], [4])
    for _ in range(5):
        opt.step()
        sched.step()
    opt.add_param_group({"params": [params[1]], "lr": 0.05})
    opt.step()
    with pytest.raises(ValueError, match=r"SequentialLR.step\(\): param group 1 was added"):
        sched.step()
