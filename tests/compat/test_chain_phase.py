"""A ChainedScheduler as a phase of SequentialLR, compared live with torch 2.13 after every step.

torch starts a chain phase with ``chain.step()``: as the first phase (its construction step) or
when an unsorted milestone list makes it take over without restarting. Its children (whose
construction steps SequentialLR undid) then step from ``last_epoch = -1``, one after the other,
each from the rate the previous one wrote. Both chains that are products of factors and chains
whose children compat steps one by one are compared; every row holds every group's lr and
momentum (or beta1), the container's, the chain's and every inner child's ``get_last_lr()`` and
every inner child's ``last_epoch``. (A chain restarted at its milestone: torch's ``step(0)`` raises
NotImplementedError.)
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import torch
from _compat_harness import RTOL

import lrkit.compat as C  # noqa: N812

T = types.SimpleNamespace(**vars(torch.optim.lr_scheduler), SWALR=torch.optim.swa_utils.SWALR)
GROUPS = {"one group": (0.1,), "equal groups": (0.1, 0.1, 0.1), "distinct groups": (0.1, 0.03, 1.0)}
STEPS = 16

CHAINS = {
    "ExponentialLR, ConstantLR (a product)": lambda o, m: [m.ExponentialLR(o, 0.9), m.ConstantLR(o, 0.5, 3)],
    "LinearLR, PolynomialLR (a product)": lambda o, m: [
        m.LinearLR(o, 0.3, 1.0, 4),
        m.PolynomialLR(o, 6, 2.0),
    ],
    "StepLR, MultiStepLR, MultiplicativeLR (a product)": lambda o, m: [
        m.StepLR(o, 2, 0.5),
        m.MultiStepLR(o, [0, 3], 0.7),
        m.MultiplicativeLR(o, lambda e: 0.95),
    ],
    "CyclicLR, ExponentialLR": lambda o, m: [m.CyclicLR(o, 0.01, 0.2, 3), m.ExponentialLR(o, 0.9)],
    "LinearLR, CosineAnnealingLR": lambda o, m: [
        m.LinearLR(o, 0.3, 1.0, 4),
        m.CosineAnnealingLR(o, 5, 0.001),
    ],
    "LambdaLR, StepLR": lambda o, m: [m.LambdaLR(o, lambda e: 0.9**e), m.StepLR(o, 2, 0.5)],
    "ExponentialLR, SWALR": lambda o, m: [m.ExponentialLR(o, 0.9), m.SWALR(o, 0.02, anneal_epochs=3)],
    "OneCycleLR, MultiplicativeLR": lambda o, m: [
        m.OneCycleLR(o, 0.5, total_steps=40),
        m.MultiplicativeLR(o, lambda e: 0.95),
    ],
    "CosineAnnealingWarmRestarts, LinearLR": lambda o, m: [
        m.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
        m.LinearLR(o, 0.5, 1.0, 3),
    ],
}
#: (milestones, index of the chain among 4 children): the first phase (from the base rate), the
#: first phase skipped by a milestone 0 (child 1 runs first), and child 3 taking over at step 2
#: without restarting (bisect on [1, 2, 0]), from the rate the previous phases left.
PLACES = {
    "first phase": ([4, 8, 12], 0),
    "first to run after milestone 0": ([0, 5, 9], 1),
    "taking over without restarting": ([1, 2, 0], 3),
}


def drive(ns, chain, marks, where, bases, kind):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": b} for b in bases]
    opt = torch.optim.Adam(groups, lr=0.5) if kind == "adam" else torch.optim.SGD(groups, momentum=0.9)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inner = CHAINS[chain](opt, ns)
        chained = ns.ChainedScheduler(inner)
        others = [ns.LinearLR(opt, 0.5, 1.0, 3), ns.ExponentialLR(opt, 0.8), ns.StepLR(opt, 2, 0.7)]
        children = [*others[:where], chained, *others[where:]]
        sequential = ns.SequentialLR(opt, children, marks)
        for _ in range(STEPS):
            opt.step()
            sequential.step()
            g = opt.param_groups
            row = [float(x["lr"]) for x in g]
            row += [float(x["betas"][0] if "betas" in x else x["momentum"]) for x in g]
            row += [float(v) for s in [sequential, chained, *inner] for v in s.get_last_lr()]
            rows.append(row + [float(s.last_epoch) for s in inner])
    return np.array(rows)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("groups", list(GROUPS))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("chain", list(CHAINS))
def test_a_chain_phase_gives_torchs_rates(chain, place, groups, kind):
    marks, where = PLACES[place]
    ours = drive(C, chain, marks, where, GROUPS[groups], kind)
    ref = drive(T, chain, marks, where, GROUPS[groups], kind)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-15)


def test_torch_cannot_restart_a_chain_phase():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inner = CHAINS["CyclicLR, ExponentialLR"](opt, T)
        sequential = T.SequentialLR(opt, [T.ConstantLR(opt, 0.5, 2), T.ChainedScheduler(inner)], [2])
        opt.step()
        sequential.step()
        opt.step()
        with pytest.raises(NotImplementedError):
            sequential.step()  # step(0) of the chain at its milestone
