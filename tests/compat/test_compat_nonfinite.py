"""Non-finite rates: compat writes what torch writes (inf, -inf, NaN) and warns once per scheduler.

torch's LambdaLR and MultiplicativeLR write ``base * lr_lambda(epoch)`` (or the running product)
whatever the factor; `lrkit.Scheduler` refuses such values (`NonFiniteValueError`), compat turns
that check off (``check_finite = False``) and warns once instead. Every run is compared live with
torch at every step, with 1 group and 3 distinct groups.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from _compat_harness import COMPAT, RTOL, TORCH, make_optimizer, run

import lrkit.compat as C  # noqa: N812
from lrkit import Scheduler, constant, linear
from lrkit.scheduler import NonFiniteValueError

NAN, INF = math.nan, math.inf


def _at(steps: dict[int, float], default: float):
    return lambda epoch: steps.get(epoch, default)


FACTORS = {
    "nan-once": _at({3: NAN}, 0.5),
    "inf-once": _at({2: INF}, 0.9),
    "-inf-then-0": _at({2: -INF, 4: 0.0}, 1.1),
    "inf-at-0": _at({0: INF}, 0.7),
    "nan-at-0": _at({0: NAN}, 1.0),
    "overflow": lambda epoch: 1e120,  # MultiplicativeLR: finite factors, the product overflows
}
GROUPS = {"one": (0.1,), "distinct": (0.1, 0.03, 1.0)}


def _compare(build, bases, steps=7):
    ours = run(build, COMPAT, steps, bases=bases)
    ref = run(build, TORCH, steps, bases=bases)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0.0, equal_nan=True)
    return ours


@pytest.mark.parametrize("groups", sorted(GROUPS))
@pytest.mark.parametrize("factor", sorted(FACTORS))
@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_non_finite_rates_match_torch(cls, factor, groups):
    rows = _compare(lambda opt, ns: getattr(ns, cls)(opt, FACTORS[factor]), GROUPS[groups])
    # torch's MultiplicativeLR never calls lr_lambda(0); LambdaLR's 1e120 * base stays finite
    never_called = cls == "MultiplicativeLR" and factor.endswith("at-0")
    finite = never_called or (cls, factor) == ("LambdaLR", "overflow")
    assert np.isfinite(rows).all() == finite


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_one_group_non_finite_the_others_not(cls):
    fns = [_at({2: NAN}, 0.5), lambda epoch: 0.5, _at({3: INF}, 0.9)]
    rows = _compare(lambda opt, ns: getattr(ns, cls)(opt, fns), GROUPS["distinct"])
    assert np.isfinite(rows[:, 1]).all()


def test_non_finite_phase_of_sequential_lr_matches_torch():
    def build(opt, ns):
        warm = ns.LambdaLR(opt, _at({1: INF}, 0.5))
        decay = ns.ExponentialLR(opt, 0.9)
        return ns.SequentialLR(opt, [warm, decay], milestones=[3])

    _compare(build, GROUPS["distinct"], steps=6)


def _stepped(cls, fn, steps):
    opt = make_optimizer((0.1, 0.2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = getattr(C, cls)(opt, fn)
        for _ in range(steps):
            opt.step()
            sched.step()
    return sched, [w for w in caught if "not finite" in str(w.message)]


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_warns_once_naming_the_scheduler_the_step_and_the_values(cls):
    sched, caught = _stepped(cls, _at({3: NAN, 5: INF}, 0.5), 7)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert cls in message
    assert "step 3" in message
    assert "[nan, nan]" in message
    assert caught[0].category is UserWarning
    assert caught[0].filename == __file__  # points at the user's step() call
    assert all(math.isnan(v) for v in sched.get_last_lr()) or cls == "LambdaLR"


def test_finite_rates_do_not_warn():
    _, caught = _stepped("LambdaLR", lambda epoch: 0.5**epoch, 6)
    assert caught == []


def test_each_scheduler_warns_once():
    opt = make_optimizer((0.1,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = C.LambdaLR(opt, lambda epoch: INF)
        second = C.MultiplicativeLR(opt, lambda epoch: NAN)
        for _ in range(3):
            opt.step()
            first.step()
            second.step()
    names = [str(w.message).split(":")[0] for w in caught if "not finite" in str(w.message)]
    assert names == ["lrkit.compat LambdaLR", "lrkit.compat MultiplicativeLR"]


def test_the_warning_as_an_error_changes_nothing():
    opt = make_optimizer((0.1,))
    sched = C.LambdaLR(opt, _at({2: NAN}, 0.5))
    opt.step()
    sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        with pytest.raises(UserWarning, match="not finite"):
            sched.step()
    assert opt.param_groups[0]["lr"] == 0.05


class _Lenient(Scheduler):
    """The adapter setting compat uses: non-finite values written, `on_nonfinite` told first."""

    check_finite = False

    def __init__(self, *args, **kwargs):
        self.seen = []
        super().__init__(*args, **kwargs)

    def on_nonfinite(self, key, position, values):
        self.seen.append((key, position, values))


def _huge_run(cls, **kwargs):
    # base 1e308: the factor 1 at 0 is finite, 10.9 at update 1 overflows
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([{"params": [param], "lr": 1e308}], lr=0.1, momentum=0.5)
    return opt, cls(opt, linear(1.0, 100.0), total=10, **kwargs)


PATHS = {
    "fast path": {},
    "general path": {"history": True},
    "several tracks": {"hparams": {"momentum": constant()}},
}


@pytest.mark.parametrize("kwargs", list(PATHS.values()), ids=list(PATHS))
def test_lrkit_scheduler_stays_strict(kwargs):
    opt, sched = _huge_run(Scheduler, **kwargs)
    with pytest.raises(NonFiniteValueError):
        sched.step()
    assert opt.param_groups[0]["lr"] == 1e308  # nothing written
    assert Scheduler.check_finite
    assert not C.LambdaLR.check_finite


@pytest.mark.parametrize("kwargs", list(PATHS.values()), ids=list(PATHS))
def test_the_core_setting_writes_non_finite_values_and_calls_the_hook(kwargs):
    opt, sched = _huge_run(_Lenient, **kwargs)
    assert sched.seen == []
    sched.step()
    assert opt.param_groups[0]["lr"] == INF
    assert sched.updates == 1
    assert sched.seen == [("lr", 1.0, [INF])]


class _SideBySide:
    """Step several schedulers of one optimizer in turn (torch's pattern)."""

    def __init__(self, schedulers):
        self.schedulers = schedulers

    def step(self):
        for scheduler in self.schedulers:
            if isinstance(scheduler, (C.ReduceLROnPlateau, TORCH.ReduceLROnPlateau)):
                scheduler.step(1.0)  # a loss that never improves: reductions from the second step
            else:
                scheduler.step()


SIDE = {
    "LambdaLR nan, StepLR": lambda opt, ns: [ns.LambdaLR(opt, _at({3: NAN}, 0.5)), ns.StepLR(opt, 2, 0.5)],
    "StepLR, LambdaLR inf": lambda opt, ns: [ns.StepLR(opt, 2, 0.5), ns.LambdaLR(opt, _at({3: INF}, 0.5))],
    "MultiplicativeLR inf, ExponentialLR": lambda opt, ns: [
        ns.MultiplicativeLR(opt, _at({3: INF}, 0.9)),
        ns.ExponentialLR(opt, 0.9),
    ],
    "ExponentialLR, MultiplicativeLR nan": lambda opt, ns: [
        ns.ExponentialLR(opt, 0.9),
        ns.MultiplicativeLR(opt, _at({2: NAN}, 0.9)),
    ],
}


@pytest.mark.parametrize("name", list(SIDE))
def test_side_by_side_with_a_non_finite_factor_matches_torch(name):
    _compare(lambda opt, ns: _SideBySide(SIDE[name](opt, ns)), GROUPS["distinct"])


PLATEAU_AFTER_INF = {
    "inf": _at({2: INF}, 0.9),
    "inf, then a sign change": _at({2: INF, 5: -1.0}, 0.9),
    "inf, then 0": _at({2: INF, 5: 0.0}, 0.9),
}


@pytest.mark.parametrize("groups", sorted(GROUPS))
@pytest.mark.parametrize("plateau_first", [True, False], ids=["plateau first", "plateau last"])
@pytest.mark.parametrize("factor", list(PLATEAU_AFTER_INF))
def test_a_plateau_reduction_after_an_infinite_product_keeps_torchs_inf(factor, plateau_first, groups):
    # torch's reduction of an infinite rate changes nothing (``inf - inf > eps`` is False) and the
    # MultiplicativeLR keeps multiplying it (inf, -inf after a negative factor, NaN after 0).
    def build(opt, ns):
        schedulers = [
            ns.MultiplicativeLR(opt, PLATEAU_AFTER_INF[factor]),
            ns.ReduceLROnPlateau(opt, patience=0, factor=0.5),
        ]
        return _SideBySide(schedulers[::-1] if plateau_first else schedulers)

    rows = _compare(build, GROUPS[groups], steps=9)
    assert np.isinf(rows[-1, 0]) == (factor != "inf, then 0")


@pytest.mark.parametrize("order", ["lambda first", "lambda last"])
def test_chained_with_a_non_finite_factor_matches_torch(order):
    def build(opt, ns):
        children = [ns.ExponentialLR(opt, 0.9), ns.LambdaLR(opt, _at({3: NAN, 4: INF}, 0.9))]
        return ns.ChainedScheduler(children[::-1] if order == "lambda first" else children)

    _compare(build, GROUPS["distinct"])
