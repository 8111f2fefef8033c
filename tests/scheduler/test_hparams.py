"""Other hyperparameters: momentum (SGD) and betas (Adam), weight decay, any numeric key."""

import pytest
import torch
from sched_helpers import params, run

from lrkit import Scheduler, absolute, constant, cosine, linear, one_cycle

MOMENTUM = {
    "sgd": (lambda ps, m: torch.optim.SGD(ps, lr=1.0, momentum=m), lambda g: g["momentum"]),
    "adam": (lambda ps, m: torch.optim.Adam(ps, lr=1.0, betas=(m, 0.999)), lambda g: g["betas"][0]),
}


@pytest.mark.parametrize("kind", sorted(MOMENTUM))
def test_one_cycle_momentum_matches_torch_for_sgd_and_adam(kind):
    T = 30
    make, read = MOMENTUM[kind]
    opt = make(params(), 0.95)
    ref = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1.0, total_steps=T + 1, pct_start=0.3, base_momentum=0.85, max_momentum=0.95
    )
    expected = []
    for _ in range(T):
        expected.append(read(opt.param_groups[0]))
        opt.step()
        ref.step()
    # torch cycles momentum inversely to the lr: max -> base at the peak -> max. As a one_cycle
    # with the group's base momentum 0.85 at its peak (factor 1) and 0.95 absolute at both ends.
    peak_at = (0.3 * (T + 1) - 1) / T
    momentum = one_cycle(steps=T, peak_at=peak_at, start=absolute(0.95), end=absolute(0.95))
    opt2 = make(params(), 0.85)
    sched = Scheduler(opt2, constant(), hparams={"momentum": momentum}, total=T)
    seen = []
    for _ in range(T):
        seen.append(read(opt2.param_groups[0]))
        opt2.step()
        sched.step()
    assert seen == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if kind == "adam":
        assert opt2.param_groups[0]["betas"][1] == 0.999
        assert isinstance(opt2.param_groups[0]["betas"], tuple)


def test_weight_decay_and_any_numeric_key():
    opt = torch.optim.AdamW([{"params": params(), "lr": 0.1, "weight_decay": 0.1, "custom": 2.0}])
    sched = Scheduler(
        opt, constant(), total=4, hparams={"weight_decay": linear(1.0, 0.0), "custom": cosine()}
    )
    run(opt, sched, 2)
    g = opt.param_groups[0]
    assert g["weight_decay"] == pytest.approx(0.05)
    assert g["custom"] == pytest.approx(1.0)
    assert sched.values_for_next_update("weight_decay") == [pytest.approx(0.05)]


def test_beta2_and_beta1_keys():
    opt = torch.optim.Adam(params(), lr=0.1, betas=(0.9, 0.99))
    Scheduler(opt, constant(), hparams={"beta1": constant(0.5), "beta2": constant(absolute(0.999))})
    assert opt.param_groups[0]["betas"] == (0.45, pytest.approx(0.999))


def test_betas_must_stay_below_one():
    opt = torch.optim.Adam(params(), lr=0.1, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="must stay in \\[0, 1\\)"):
        Scheduler(opt, constant(), total=10, hparams={"momentum": linear(1.0, 1.2, steps=10)})
    with pytest.raises(ValueError, match="must stay in \\[0, 1\\)"):
        Scheduler(opt, constant(), hparams={"beta2": constant(1.1)})


def test_missing_key_is_an_error():
    opt = torch.optim.SGD(params(), lr=0.1)
    with pytest.raises(ValueError, match="has no 'betas' entry"):
        Scheduler(opt, constant(), hparams={"beta2": constant()})
    with pytest.raises(ValueError, match="has no 'warmth' entry"):
        Scheduler(opt, constant(), hparams={"warmth": constant()})
