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
