"""A growth past the float range: compat writes the signed inf torch's repeated products reach."""

import math
import warnings

import pytest
import torch

from lrkit import compat

CASES = [
    ("ExponentialLR", {"gamma": 1e100}),
    ("ExponentialLR", {"gamma": -1e100}),
    ("StepLR", {"step_size": 2, "gamma": 1e150}),
    ("MultiStepLR", {"milestones": [1, 2, 3, 4], "gamma": -1e120}),
]


def rates(module, name, kwargs, groups):
    params = [[torch.nn.Parameter(torch.zeros(1))] for _ in groups]
    optimizer = torch.optim.SGD([{"params": p, "lr": lr} for p, lr in zip(params, groups, strict=True)])
    scheduler = getattr(module, name)(optimizer, **kwargs)
    seen = [scheduler.get_last_lr()]
    for _ in range(8):
        optimizer.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr())
    return seen


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CASES)
@pytest.mark.parametrize("groups", [[0.1], [0.1, 0.5, 2.0]])
def test_overflowing_growth_equals_torch(name, kwargs, groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rates(torch.optim.lr_scheduler, name, kwargs, groups)
        got = rates(compat, name, kwargs, groups)
    assert any(math.isinf(x) for row in expected for x in row)  # the case reaches the overflow
    for want, have in zip(expected, got, strict=True):
        assert all(same(w, h) for w, h in zip(want, have, strict=True)), (want, have)
