"""reduce_metric, global_count and check_in_sync without a process group: nothing changes."""

import pytest
import torch
import torch.distributed as dist

from lrkit import Scheduler, cosine, plateau
from lrkit.distributed import REDUCTIONS, check_in_sync, global_count, is_distributed, reduce_metric


def test_no_process_group_here():
    assert not dist.is_initialized()
    assert not is_distributed()


@pytest.mark.parametrize("how", REDUCTIONS)
def test_metric_is_returned_untouched_without_a_group(how):
    metric = torch.tensor(0.25)
    assert reduce_metric(metric, how) is metric
    assert reduce_metric(3, how) == 3


def test_unknown_reduction_names_the_argument():
    with pytest.raises(ValueError, match=r"Argument `how` of reduce_metric\(\).*Received: how='median'"):
        reduce_metric(1.0, "median")
    with pytest.raises(TypeError, match="Argument `how`"):
        reduce_metric(1.0, None)


def test_observe_checks_reduce_and_is_unchanged_without_a_group():
    def build():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        return opt, Scheduler(opt, plateau(factor=0.5, patience=0))

    metrics = [1.0, 1.0, 0.5, 0.7]
    ref_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    for how in REDUCTIONS:
        _opt, sched = build()
        ref_opt.param_groups[0]["lr"] = 1.0
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=0)
        for m in metrics:
            sched.observe(m, reduce=how)
            ref.step(m)
            assert sched.lr_for_next_update() == [ref_opt.param_groups[0]["lr"]]
    _opt, sched = build()
    message = r"Argument `reduce` of Scheduler.observe\(\).*Received: reduce='avg'"
    with pytest.raises(ValueError, match=message):
        sched.observe(1.0, reduce="avg")


def test_global_count_without_a_group():
    assert global_count(0) == 0
    assert global_count(torch.tensor(7)) == 7
    with pytest.raises(ValueError, match=r"Argument `count` of global_count\(\) must be an int >= 0"):
        global_count(-1)
    with pytest.raises(TypeError, match="Argument `count`"):
        global_count(2.5)


def test_check_in_sync():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    check_in_sync(Scheduler(opt, cosine(), total=3))
    with pytest.raises(TypeError, match=r"Argument `scheduler` of check_in_sync\(\)"):
        check_in_sync(torch.optim.lr_scheduler.StepLR(opt, 2))
