"""A value that becomes infinite or NaN is never written into the optimizer (issue 14 item 2, at the step)."""

import math

import pytest
import torch

from lrkit import Scheduler, constant, cosine, restarts
from lrkit.scheduler import NonFiniteValueError

# 1.1 ** k overflows a float at k = 7448 (7448 * log10(1.1) > 308.25): restart 7448 starts at 74480.
OVERFLOW_AT = (math.floor(math.log(1.7976931348623157e308) / math.log(1.1)) + 1) * 10


def _run(**kwargs):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.5)
    # no total: the overflow is not known at construction, so the step itself refuses it
    sched = Scheduler(opt, restarts(cosine(), period=10, decay=1.1), **kwargs)
    sched.seek(OVERFLOW_AT - 3)
    for _ in range(2):
        sched.step()
    before = float(opt.param_groups[0]["lr"])
    with pytest.raises(
        NonFiniteValueError, match=rf"restarts\(cosine.*position {OVERFLOW_AT}\.0.*update #{OVERFLOW_AT}"
    ):
        sched.step()
    return opt, before


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"history": True}, {"hparams": {"momentum": constant()}}],
    ids=["fast path", "general path", "several tracks"],
)
def test_overflowing_restarts_raise_at_the_step_and_write_nothing(kwargs):
    assert OVERFLOW_AT == 74480  # the update 74479 is the last finite one
    opt, before = _run(**kwargs)
    lr = float(opt.param_groups[0]["lr"])
    assert math.isfinite(lr)
    assert lr == before
    # the last written rate: restart k = OVERFLOW_AT/10 - 1 at its last step (cosine at 9 of 10)
    k = OVERFLOW_AT // 10 - 1
    expected = 0.1 * math.exp(k * math.log(1.1)) * (1 + math.cos(math.pi * 9 / 10)) / 2
    assert before == pytest.approx(expected, rel=1e-9)


def test_a_run_that_reaches_the_overflow_is_refused_at_construction():
    """With `total`, the first overflowing step is known: refused before any rate is written."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    named = rf"restarts\(cosine.* first at step {OVERFLOW_AT} \(resolved for 100000"
    with pytest.raises(ValueError, match=named):
        Scheduler(opt, restarts(cosine(), period=10, decay=1.1), total=100_000)
    assert opt.param_groups[0]["lr"] == 0.1
    Scheduler(opt, restarts(cosine(), period=10, decay=1.1), total=OVERFLOW_AT)  # stops just before


def test_a_finite_factor_times_a_huge_base_is_caught_before_any_write():
    opt = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1e300},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1.0},
        ],
        lr=1.0,
    )
    with pytest.raises(NonFiniteValueError, match="not written"):
        Scheduler(opt, constant(1e10))
    assert [g["lr"] for g in opt.param_groups] == [1e300, 1.0]


def test_a_transform_returning_inf_is_refused():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = Scheduler(opt, cosine(), total=10)
    with pytest.raises(NonFiniteValueError, match="transform"):
        sched.set_transform(lambda key, values: [math.inf for _ in values])
    assert opt.param_groups[0]["lr"] == 0.1
