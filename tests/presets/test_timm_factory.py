"""timm.create_scheduler_v2(sched='plateau') against live timm (its scheduler package, as test_timm).

The factory is a pure function of its arguments; the plateau it returns moves on the metrics it is
given. The same metrics are fed to timm's scheduler (``step(epoch, metric)`` once per epoch) and
to `lrkit.Scheduler` built from the pasted call (``step()`` then ``observe(metric)``), and the
rates after each epoch must agree. Per-update stepping is refused as timm refuses it, with timm's
reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _reference import assert_matches
from hypothesis import given, settings
from hypothesis import strategies as st
from test_timm import _timm_scheduler

import lrkit


def _timm_rates(kwargs: dict, metrics: list[float], lr: float) -> list[float]:
    ts = _timm_scheduler()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # timm's FutureWarning: PlateauLRScheduler is deprecated
        sched, _ = ts.create_scheduler_v2(opt, sched="plateau", **kwargs)
    out = []
    for epoch, metric in enumerate(metrics, start=1):
        sched.step(epoch, metric)
        out.append(opt.param_groups[0]["lr"])
    return out


def _lrkit_rates(kwargs: dict, metrics: list[float], lr: float) -> list[float]:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    spec = f"timm.scheduler.create_scheduler_v2(optimizer, sched='plateau', {args})"
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = lrkit.Scheduler(opt, lrkit.parse(spec), skip_zero_start=False)
    out = []
    for metric in metrics:
        opt.step()
        sched.step()
        sched.observe(metric)  # every epoch, as timm's step(epoch, metric); neither judges the warmup's
        out.append(opt.param_groups[0]["lr"])
    return out


@settings(max_examples=40, deadline=None)
@given(
    decay_rate=st.sampled_from([0.1, 0.5, 0.9]),
    patience=st.integers(0, 4),
    min_lr=st.sampled_from([0.0, 1e-3, 0.02]),
    mode=st.sampled_from(["min", "max"]),
    warmup=st.integers(0, 3),
    metrics=st.lists(st.sampled_from([1.0, 0.9, 0.5, 0.4, 0.3, 2.0]), min_size=1, max_size=25),
)
def test_plateau_matches_live_timm(decay_rate, patience, min_lr, mode, warmup, metrics):
    kwargs = {
        "decay_rate": decay_rate,
        "patience_epochs": patience,
        "min_lr": min_lr,
        "plateau_mode": mode,
        "warmup_epochs": warmup,
        "warmup_lr": 0.01,
    }
    expected = _timm_rates(kwargs, metrics, 0.1)
    assert_matches(np.array(_lrkit_rates(kwargs, metrics, 0.1)), expected)


def test_plateau_stepped_per_update_is_refused_with_timms_reason():
    ts = _timm_scheduler()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(AssertionError, match="Plateau LR only supports step per epoch"):
        ts.create_scheduler_v2(opt, sched="plateau", step_on_epochs=False, updates_per_epoch=10)
    with pytest.raises(ValueError, match=r"Argument `step_on_epochs`.*per epoch only"):
        lrkit.parse("timm.create_scheduler_v2('plateau', step_on_epochs=False, updates_per_epoch=10)")
