"""timm.<Class> presets against timm's schedulers.

Two oracles. Stored: ``reference/timm.json``, written by ``reference/generate.py`` with timm 1.0.31
(its ``scheduler`` package loaded on its own; the version is in the file): the rate after
``step(t)`` (or ``step_update(t)``) for t = 0..N. Values must agree to 1e-12 relative (1e-15
absolute near 0; decaying tanh cycles above a floor to ``(1 + tanh(lb)) / 2``, see TanhLRScheduler's
note). With noise, timm draws from torch's generator and lrkit from its own hash: the noise-free
curve must agree exactly, and the noisy one must stay within timm's clip, and equal the noise-free
curve outside the noise range. Live: random cycle configurations against timm itself. timm's top
level needs torchvision (not installed here); its ``scheduler`` package needs only torch, so CI
installs timm with ``--no-deps`` (see ``.ci/run`` and the README) and the live tests load that
package alone.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from _reference import RTOL, assert_matches, assert_round_trips, build, cases, curve, load, replay_plateau
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import parse
from lrkit.presets import timm as T  # noqa: N812

LIBRARY = "timm"


def noisy(case):
    return case["kwargs"].get("noise_range_t") is not None


def without_noise(case):
    return {**case, "kwargs": {k: v for k, v in case["kwargs"].items() if k != "noise_range_t"}}


SUPPORTED = cases(LIBRARY)


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert (data["library"], data["version"]) == ("timm", "1.0.31")


def tolerance(case):
    """1e-12, or, for decaying tanh cycles above a floor, timm's tanh start offset (see the preset)."""
    kwargs = case["kwargs"]
    if case["name"] == "TanhLRScheduler" and kwargs.get("cycle_decay", 1.0) != 1.0 and kwargs.get("lr_min"):
        return (1.0 + math.tanh(kwargs.get("lb", -7.0))) / 2.0
    return RTOL


@pytest.mark.parametrize("case", [c for c in SUPPORTED if not noisy(c.values[0])])
def test_matches_stored_curve(case):
    assert_matches(curve(build(LIBRARY, case), case), case["values"], rtol=tolerance(case))


@pytest.mark.parametrize("case", [c for c in SUPPORTED if noisy(c.values[0])])
def test_noise_free_part_matches_and_noise_stays_in_timms_bounds(case):
    clean = curve(build(LIBRARY, without_noise(case)), case)
    assert_matches(clean, case["clean"])
    got = curve(build(LIBRARY, case), case)
    window = case["kwargs"]["noise_range_t"]
    start, end = (window, len(got)) if isinstance(window, int) else window
    inside = np.zeros(len(got), dtype=bool)
    inside[start:end] = True
    inside &= clean > 0  # noise scales the rate: nothing to see where it is 0
    pct = case["kwargs"].get("noise_pct", 0.67)
    np.testing.assert_array_equal(got[~inside], clean[~inside])
    ratio = got[inside] / clean[inside]
    assert np.all(np.abs(ratio - 1.0) < pct)
    assert np.any(ratio != 1.0)
    timm_ratio = np.asarray(case["values"])[inside] / np.asarray(case["clean"])[inside]
    assert np.all(np.abs(timm_ratio - 1.0) < pct)


def test_the_stored_cases_include_the_once_refused_arguments():
    """k_decay, WSD's "power" stable phase and a decaying stable phase above lr_min are compared."""
    stored = [c.values[0]["kwargs"] for c in SUPPORTED]
    assert any(k.get("k_decay", 1.0) != 1.0 for k in stored)
    assert any(k.get("stable_fn") == "power" for k in stored)
    assert any(k.get("stable_fn") in ("rsqrt", "power") and k.get("lr_min") for k in stored)


def test_k_decay_cosine_is_the_papers_formula():
    # anchors (c) item 20: k = 2, t_initial 8, from lr 1 to 0.
    s = T.CosineLRScheduler(t_initial=8, k_decay=2.0).resolve(base=1.0)
    for t in range(10):
        expected = 0.5 * (1.0 + math.cos(math.pi * min(t, 8) ** 2 / 8**2))
        assert s(t) == pytest.approx(expected, rel=1e-13, abs=1e-16)
    assert [round(s(t), 5) for t in range(9)] == [
        1.0, 0.9994, 0.99039, 0.95199, 0.85355, 0.66844, 0.40245, 0.12952, 0.0
    ]  # fmt: skip


def test_wsd_power_stable_above_lr_min_is_timms_formula():
    s = T.WSDLRScheduler(
        t_initial=10, decay_t=4, lr_min=0.05, stable_fn="power", stable_power=0.8, warmup_t=2,
        decay_fn="linear",
    ).resolve(base=0.5)  # fmt: skip
    for t in range(2, 16):
        t_s = t - 2
        stable = max(0.5 * (1 + t_s / 2) ** -0.8, 0.05)
        frac = min(max(t_s - 6, 0) / 4, 1.0)
        expected = 0.05 + (stable - 0.05) * (1 - frac)
        assert 0.5 * s(t) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("case", SUPPORTED + cases(LIBRARY, plateau=True))
def test_round_trips(case):
    assert_round_trips(build(LIBRARY, case), LIBRARY, case)


@pytest.mark.parametrize(
    "case", [c for c in cases(LIBRARY, plateau=True) if not c.values[0]["kwargs"].get("warmup_t")]
)
def test_plateau_matches_stored_rates(case):
    got = replay_plateau(build(LIBRARY, case), case["metrics"], case["lr"])
    assert_matches(np.array(got), case["values"])


def test_multistep_milestone_acts_one_step_before_torchs():
    timm = parse("timm.MultiStepLRScheduler(decay_t=[3], decay_rate=0.1)")
    torch = parse("MultiStepLR(milestones=[3])")
    assert [timm(t) for t in (1, 2)] == [1.0, 0.1]
    assert [torch(t) for t in (2, 3)] == [1.0, 0.1]


def test_warmup_prefix_changes_the_total_length():
    inside = T.CosineLRScheduler(t_initial=10, warmup_t=3, warmup_lr_init=0.1).resolve(base=1.0)
    before = T.CosineLRScheduler(t_initial=10, warmup_t=3, warmup_lr_init=0.1, warmup_prefix=True).resolve(
        base=1.0
    )
    assert inside(10) == 0.0
    assert before(10) > 0.0
    assert before(13) == 0.0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: T.CosineLRScheduler(t_initial=0), "t_initial"),
        (lambda: T.CosineLRScheduler(t_initial=8, k_decay=0.0), "k_decay"),
        (lambda: T.WSDLRScheduler(t_initial=10, decay_t=4, stable_fn="power"), "stable_timescale"),
        (
            lambda: T.WSDLRScheduler(t_initial=10, decay_t=4, stable_fn="power", stable_power=0),
            "stable_power",
        ),
        (lambda: T.CosineLRScheduler(t_initial=8, cycle_limit=0), "cycle_limit"),
        (lambda: T.CosineLRScheduler(t_initial=8, noise_range_t=[5, 2]), "noise_range_t"),
        (lambda: T.CosineLRScheduler(t_initial=8, noise_range_t=2, noise_pct=1.5), "noise_pct"),
        (lambda: T.TanhLRScheduler(t_initial=8, lb=3.0, ub=-7.0), "lb"),
        (lambda: T.MultiStepLRScheduler(decay_t=[5, 2]), "decay_t"),
        (lambda: T.WSDLRScheduler(t_initial=10, decay_t=12), "decay_t"),
        (lambda: T.WSDLRScheduler(t_initial=10, decay_t=4, decay_fn="step"), "decay_fn"),
        (lambda: T.PlateauLRScheduler(mode="up"), "mode"),
    ],
)
def test_bad_arguments_raise(call, name):
    with pytest.raises(ValueError, match=f"Argument `{name}` of "):
        call()


@functools.cache
def _timm_scheduler():
    """timm.scheduler, loaded without timm's top level (which needs torchvision)."""
    import importlib.util
    import sys

    # A `timm` already replaced by the scheduler-only loader has no __spec__ (find_spec raises).
    if sys.modules.get("timm") is None and importlib.util.find_spec("timm") is None:
        pytest.skip(
            "timm is not installed (python -m pip install -c constraints.txt --no-deps timm, "
            "as CI does): the live comparison did not run, the stored curves still do"
        )
    here = Path(__file__).resolve().parent / "reference"
    sys.path.insert(0, str(here))
    try:
        from generate import _timm_scheduler_package
    finally:
        sys.path.remove(str(here))
    return _timm_scheduler_package()


@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from(["CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler"]),
    t_initial=st.integers(2, 12),
    cycle_mul=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    cycle_decay=st.sampled_from([1.0, 0.5, 0.8]),
    cycle_limit=st.integers(1, 4),
    warmup_t=st.integers(0, 4),
    prefix=st.booleans(),
    lr=st.sampled_from([1.0, 0.1]),
    k_decay=st.sampled_from([1.0, 0.5, 2.0, 3.0]),
)
def test_cycles_match_live_timm(
    cls, t_initial, cycle_mul, cycle_decay, cycle_limit, warmup_t, prefix, lr, k_decay
):
    """Live: random cycles (lr_min 0, where every peak decay mode agrees with timm's), k-decay."""
    ts = _timm_scheduler()
    kwargs = {
        "t_initial": t_initial,
        "cycle_mul": cycle_mul,
        "cycle_decay": cycle_decay,
        "cycle_limit": cycle_limit,
        "warmup_t": warmup_t,
        "warmup_lr_init": lr / 10,
        "warmup_prefix": prefix,
    }
    if cls != "TanhLRScheduler":  # timm's tanh has no k_decay
        kwargs["k_decay"] = k_decay
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = getattr(ts, cls)(opt, **kwargs)
    expected = []
    for t in range(60):
        sched.step(t)
        expected.append(opt.param_groups[0]["lr"])
    case = {"name": cls, "kwargs": kwargs, "lr": lr, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)


@settings(max_examples=25, deadline=None)
@given(
    t_initial=st.integers(2, 16),
    decay_frac=st.floats(0.1, 1.0),
    warmup_t=st.integers(1, 4),
    stable_fn=st.sampled_from(["constant", "rsqrt", "power"]),
    stable_power=st.sampled_from([0.3, 0.5, 1.2]),
    decay_fn=st.sampled_from(["linear", "1-sqrt", "cosine", "power", "exp"]),
    lr_min=st.sampled_from([0.0, 0.02, 0.3]),
)
def test_wsd_matches_live_timm(t_initial, decay_frac, warmup_t, stable_fn, stable_power, decay_fn, lr_min):
    """Live: random WSD configurations, decaying stable phases above lr_min included."""
    ts = _timm_scheduler()
    kwargs = {
        "t_initial": t_initial,
        "decay_t": max(1, round(decay_frac * t_initial)),
        "warmup_t": warmup_t,
        "stable_fn": stable_fn,
        "stable_power": stable_power,
        "decay_fn": decay_fn,
        "lr_min": lr_min,
    }
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    sched = ts.WSDLRScheduler(opt, **kwargs)
    expected = []
    for t in range(warmup_t + t_initial + 5):
        sched.step(t)
        expected.append(opt.param_groups[0]["lr"])
    case = {"name": "WSDLRScheduler", "kwargs": kwargs, "lr": 0.5, "values": expected}
    assert_matches(curve(build(LIBRARY, case), case), expected)
