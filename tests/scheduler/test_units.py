"""Units: epochs, samples and tokens; fractions against the total in the unit."""

import math

import pytest
import torch
from sched_helpers import lrs, sgd

from lrkit import Scheduler, cosine, linear, warmup


def test_epoch_unit_position_is_updates_over_steps_per_epoch():
    opt = sgd(1.0)
    sched = Scheduler(opt, cosine(), total=4, unit="epoch", steps_per_epoch=5)
    used = []
    for _ in range(20):
        used.append(lrs(opt)[0])
        opt.step()
        sched.step()
    for i, lr in enumerate(used):
        assert lr == pytest.approx((1 + math.cos(math.pi * (i / 5) / 4)) / 2, rel=1e-12)
    assert sched.position == 4.0


def test_epoch_fraction_resolves_in_epochs():
    opt = sgd(1.0)
    sched = Scheduler(opt, warmup(cosine(), steps=0.25), total=8, unit="epoch", steps_per_epoch=2)
    # 0.25 of 8 epochs is 2 epochs of warmup; skip_zero_start starts at one update (1/2 epoch).
    assert sched.position == 0.5
    assert lrs(opt) == [0.25]


def samples_run(batch, total_samples, schedule):
    opt = sgd(1.0)
    sched = Scheduler(opt, schedule, total=total_samples, unit="sample", update_size=batch)
    rate_at = {}
    seen = 0
    while seen < total_samples:
        rate = lrs(opt)[0]  # the rate this update uses
        opt.step()
        seen += batch
        rate_at[seen] = rate
        sched.step(samples=batch)
    return rate_at, sched


def test_same_rate_at_the_same_sample_count_for_batch_32_and_64():
    schedule = warmup(cosine(end=0.1), steps=256)
    used32, s32 = samples_run(32, 2048, schedule)
    used64, s64 = samples_run(64, 2048, schedule)
    common = sorted(set(used32) & set(used64))
    assert len(common) == 2048 // 64
    for count in common:
        # The update that brought the count to `count` used the schedule at `count` (update_size offset).
        assert used32[count] == used64[count]
    assert (s32.position, s64.position) == (2048 + 32, 2048 + 64)
    s = schedule.resolve(total=2048)
    assert used64[64] == pytest.approx(s(64))


def test_sample_unit_without_warmup_needs_no_update_size():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=100), total=100, unit="sample")
    opt.step()
    sched.step(samples=25)
    assert lrs(opt) == [0.75]
    assert sched.position == 25.0


def test_token_unit_accepts_integer_tensors():
    opt = sgd(1.0)
    sched = Scheduler(opt, linear(1.0, 0.0, steps=1000), total=1000, unit="token")
    opt.step()
    sched.step(tokens=torch.tensor(100))
    assert lrs(opt) == [0.9]


def test_unit_errors():
    with pytest.raises(ValueError, match="Argument `update_size` of Scheduler"):
        Scheduler(sgd(1.0), warmup(cosine(), steps=10), total=100, unit="sample")
    sched = Scheduler(sgd(1.0), cosine(), total=100, unit="sample")
    with pytest.raises(ValueError, match="needs `samples="):
        sched.step()
    with pytest.raises(ValueError, match="Argument `tokens` of Scheduler"):
        sched.step(tokens=3)
    with pytest.raises(ValueError, match="Argument `samples` of Scheduler"):
        sched.step(samples=-1)
    upd = Scheduler(sgd(1.0), cosine(), total=100)
    with pytest.raises(ValueError, match="Argument `samples` of Scheduler"):
        upd.step(samples=32)
