"""optax's schedules with negative values, against live optax (issue 13).

optax computes its schedules with the same formulas whatever the sign of ``init_value``,
``peak_value``, ``end_value`` or ``alpha``; lrkit's presets give the same numbers (the pure core
evaluates signed values where a negative was given). Every schedule that takes a value is drawn
here with values in [-2, 2] and compared with optax itself, at every count, in float64
(``jax_enable_x64``). optax's own refusals (negative scales in the piecewise schedules) stay
refusals with optax's sentence. `lrkit table` prints the signed values.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from _reference import assert_matches, replay_plateau
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.cli import main
from lrkit.presets import optax as O  # noqa: N812

pytestmark = [
    pytest.mark.filterwarnings("ignore:An exponential schedule was set:UserWarning"),
    pytest.mark.filterwarnings("ignore:A polynomial schedule was set:UserWarning"),
]

SIGNED = st.floats(-2.0, 2.0, allow_subnormal=False)
LIVE = settings(max_examples=25, deadline=None)


def _optax():
    """optax with jax in float64 (both in the ``test`` extra)."""
    why = "optax/jax are not installed (pip install -e '.[test]'): the live comparison did not run"
    jax = pytest.importorskip("jax", reason=why)
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("optax", reason=why)


def _same(name: str, kwargs: dict, steps: int = 30) -> None:
    """lrkit's ``optax.<name>(**kwargs)`` equals optax's at counts 0..steps-1 (scalar and vector)."""
    expected = [float(getattr(_optax(), name)(**kwargs)(t)) for t in range(steps)]
    got = getattr(O, name)(**kwargs)
    assert_matches(np.array([got(t) for t in range(steps)]), expected)
    assert_matches(got(np.arange(float(steps))), expected)


@LIVE
@given(value=SIGNED)
def test_constant(value):
    _same("constant_schedule", {"value": value}, steps=3)


@LIVE
@given(
    init=SIGNED,
    end=SIGNED,
    power=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),
    steps=st.integers(-2, 12),
    begin=st.integers(-2, 6),
)
def test_polynomial(init, end, power, steps, begin):
    kwargs = {"init_value": init, "end_value": end, "power": power}
    _same("polynomial_schedule", {**kwargs, "transition_steps": steps, "transition_begin": begin})


@LIVE
@given(init=SIGNED, end=SIGNED, steps=st.integers(-2, 12), begin=st.integers(-2, 6))
def test_linear(init, end, steps, begin):
    kwargs = {"init_value": init, "end_value": end}
    _same("linear_schedule", {**kwargs, "transition_steps": steps, "transition_begin": begin})


SCALES = st.dictionaries(st.integers(0, 25), st.floats(0.0, 3.0), max_size=4)


@LIVE
@given(init=SIGNED, scales=SCALES)
def test_piecewise_constant(init, scales):
    _same("piecewise_constant_schedule", {"init_value": init, "boundaries_and_scales": scales})


@LIVE
@given(kind=st.sampled_from(["linear", "cosine"]), init=SIGNED, scales=SCALES)
def test_piecewise_interpolate(kind, init, scales):
    kwargs = {"interpolate_type": kind, "init_value": init, "boundaries_and_scales": scales}
    _same("piecewise_interpolate_schedule", kwargs)


@LIVE
@given(
    init=SIGNED,
    steps=st.integers(-1, 6),
    rate=st.floats(0.0, 3.0),
    begin=st.integers(-2, 5),
    staircase=st.booleans(),
    end=st.none() | st.floats(-3.0, 3.0),
)
def test_exponential_decay(init, steps, rate, begin, staircase, end):
    kwargs = {"init_value": init, "transition_steps": steps, "decay_rate": rate}
    _same(
        "exponential_decay", {**kwargs, "transition_begin": begin, "staircase": staircase, "end_value": end}
    )


@LIVE
@given(init=SIGNED, steps=st.integers(1, 20), alpha=SIGNED, exponent=st.sampled_from([0.5, 1.0, 2.0]))
def test_cosine_decay(init, steps, alpha, exponent):
    _same(
        "cosine_decay_schedule",
        {"init_value": init, "decay_steps": steps, "alpha": alpha, "exponent": exponent},
    )


@LIVE
@given(init=SIGNED, peak=SIGNED, warmup=st.integers(-2, 10))
def test_warmup_constant(init, peak, warmup):
    _same("warmup_constant_schedule", {"init_value": init, "peak_value": peak, "warmup_steps": warmup})


@LIVE
@given(init=SIGNED, peak=SIGNED, w=st.integers(0, 8), d=st.integers(1, 15), end=SIGNED)
def test_warmup_cosine_decay(init, peak, w, d, end):
    kwargs = {"init_value": init, "peak_value": peak, "warmup_steps": w, "decay_steps": w + d}
    _same("warmup_cosine_decay_schedule", {**kwargs, "end_value": end})


@LIVE
@given(
    init=SIGNED,
    peak=SIGNED,
    w=st.integers(0, 6),
    rate=st.floats(0.05, 3.0),
    staircase=st.booleans(),
    end=st.none() | SIGNED,
)
def test_warmup_exponential_decay(init, peak, w, rate, staircase, end):
    kwargs = {"init_value": init, "peak_value": peak, "warmup_steps": w, "transition_steps": 2}
    _same(
        "warmup_exponential_decay_schedule",
        {**kwargs, "decay_rate": rate, "staircase": staircase, "end_value": end},
    )


@LIVE
@given(peak=SIGNED, steps=st.integers(10, 40))
def test_onecycles(peak, steps):
    _same("linear_onecycle_schedule", {"transition_steps": steps, "peak_value": peak}, steps=steps + 3)
    _same("cosine_onecycle_schedule", {"transition_steps": steps, "peak_value": peak}, steps=steps + 3)


@LIVE
@given(a=SIGNED, b=SIGNED, c=SIGNED)
def test_join_and_sgdr(a, b, c):
    optax = _optax()
    mine = O.join_schedules([O.linear_schedule(a, b, 4), O.constant_schedule(c)], [5])
    theirs = optax.join_schedules([optax.linear_schedule(a, b, 4), optax.constant_schedule(c)], [5])
    assert_matches(mine(np.arange(12.0)), [float(theirs(t)) for t in range(12)])
    cycles = [
        {"init_value": a, "peak_value": b, "warmup_steps": 2, "decay_steps": 6, "end_value": c},
        {"init_value": c, "peak_value": a, "warmup_steps": 1, "decay_steps": 5, "end_value": b},
    ]
    expected = [float(optax.sgdr_schedule(cycles)(t)) for t in range(14)]
    assert_matches(O.sgdr_schedule(cycles)(np.arange(14.0)), expected)


@pytest.mark.parametrize("name", ["piecewise_constant_schedule", "piecewise_interpolate_schedule"])
def test_negative_scales_are_refused_with_optaxs_sentence(name):
    optax = _optax()
    args = ("linear", 1.0) if name == "piecewise_interpolate_schedule" else (1.0,)
    with pytest.raises(ValueError, match="expects non-negative scale factors") as theirs:
        getattr(optax, name)(*args, {3: -0.5})
    with pytest.raises(ValueError, match="Argument `boundaries_and_scales`") as mine:
        getattr(O, name)(*args, {3: -0.5})
    assert str(theirs.value) in str(mine.value)


def test_table_prints_the_signed_values_optax_gives():
    optax = _optax()
    spec = "optax.warmup_cosine_decay_schedule(-0.1, 0.2, 2, 6, end_value=-0.05)"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["table", spec, "--steps", "8", "--format", "csv"]) == 0
    rows = [line.split(",") for line in out.getvalue().splitlines()[1:]]
    fn = optax.warmup_cosine_decay_schedule(-0.1, 0.2, 2, 6, end_value=-0.05)
    assert_matches(np.array([float(lr) for _, lr in rows]), [float(fn(t)) for t in range(8)])
    assert any(float(lr) < 0 for _, lr in rows)


@pytest.mark.parametrize(
    ("spec", "first_bad"),
    [
        ("optax.constant_schedule(-1.0)", 0),
        ("optax.linear_schedule(0.1, -0.1, 4)", 3),
        ("optax.cosine_decay_schedule(0.1, 10, alpha=-0.5)", 7),
    ],
)
def test_a_scheduler_refuses_a_negative_rate_as_torch_does(spec, first_bad):
    """torch's optimizers refuse a negative learning rate ("Invalid learning rate"); so does
    lrkit.Scheduler, at the update that would write one (at construction for step 0), writing
    nothing. Every update before it is written as usual."""
    import torch

    import lrkit

    with pytest.raises(ValueError, match="Invalid learning rate") as theirs:
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=-0.1)
    assert "Invalid learning rate" in str(theirs.value)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = lrkit.parse(spec)
    if not first_bad:  # the rate at step 0 is written when the scheduler is built
        with pytest.raises(ValueError, match=r"Invalid learning rate: the 'lr' schedule .* negative factor"):
            lrkit.Scheduler(opt, schedule)
        assert opt.param_groups[0]["lr"] == 1.0
        return
    sched = lrkit.Scheduler(opt, schedule)
    for _ in range(first_bad - 1):
        opt.step()
        sched.step()
    before = opt.param_groups[0]["lr"]
    assert before >= 0.0
    opt.step()
    with pytest.raises(ValueError, match=rf"negative factor .* at position {float(first_bad)!r}"):
        sched.step()
    assert opt.param_groups[0]["lr"] == before  # nothing written


@pytest.mark.parametrize("min_scale", [-1.0, -1e-3, 0.0])
def test_reduce_on_plateau_with_a_floor_at_or_below_zero_matches_live_optax(min_scale):
    """optax floors the scale with max(scale * factor, min_scale); its scale stays above 0."""
    optax = _optax()
    import jax.numpy as jnp

    losses = [1.0] * 12
    kwargs = {"factor": 0.5, "patience": 2, "min_scale": min_scale}
    tx = optax.contrib.reduce_on_plateau(**kwargs)
    params = {"w": jnp.zeros(1)}
    state = tx.init(params)
    expected = []
    for loss in losses:
        _, state = tx.update({"w": jnp.ones(1)}, state, params, value=jnp.asarray(loss))
        expected.append(float(state.scale))
    assert_matches(np.array(replay_plateau(O.reduce_on_plateau(**kwargs), losses, 1.0)), expected)
