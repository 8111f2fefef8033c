"""Properties that hold for every registered schedule, checked by hypothesis.

For every name in `lrkit.schedules.REGISTRY` there is a strategy (core schedules and combinators,
nested) or a list of example specs (other libraries' presets), and for every instance:

* finite and non-negative at every step, including far past the end;
* scalar evaluation == vectorized evaluation (bit for bit, or within one ulp);
* `from_config(to_config())` and `parse(repr())` rebuild an equal schedule (resolved or not);
* pickle and deepcopy keep it equal;
* after its horizon a schedule holds its value (the one after-end policy);
* continuity where a combinator promises it (the end of a linear or cosine warmup).
"""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit import from_config, parse
from lrkit.schedules import REGISTRY, Schedule

S = lrkit.schedules

fractions = st.sampled_from([0.05, 0.1, 0.2, 0.25, 0.3])
values = st.floats(0.0, 2.0, allow_nan=False)
positive = st.floats(0.01, 2.0, allow_nan=False)


def lengths(none: bool = True) -> st.SearchStrategy:
    options = [st.integers(1, 12), fractions]
    if none:
        options.append(st.none())
    return st.one_of(*options)


def value_or_absolute(strategy: st.SearchStrategy = values) -> st.SearchStrategy:
    return st.one_of(strategy, strategy.map(lambda v: S.absolute(v * 0.1)))


@st.composite
def increasing_steps(draw, size: int, low: int = 1, high: int = 15) -> tuple[int, ...]:
    gaps = draw(st.lists(st.integers(low, high), min_size=size, max_size=size))
    return tuple(int(x) for x in np.cumsum(gaps))


LEAVES: dict[str, st.SearchStrategy] = {
    "constant": st.builds(S.constant, value_or_absolute()),
    "linear": st.builds(S.linear, value_or_absolute(), value_or_absolute(), lengths()),
    "cosine": st.builds(S.cosine, value_or_absolute(), value_or_absolute(), lengths(), st.floats(0.25, 4.0)),
    "exponential": st.one_of(
        st.builds(S.exponential, rate=st.floats(0.5, 1.0), every=st.integers(1, 5), staircase=st.booleans()),
        st.builds(S.exponential, start=positive, end=positive, steps=lengths()),
    ),
    "polynomial": st.builds(
        S.polynomial, value_or_absolute(), value_or_absolute(), st.floats(0.2, 4.0), lengths()
    ),
    "power_decay": st.builds(
        S.power_decay, value_or_absolute(), value_or_absolute(), st.floats(0.2, 4.0), lengths()
    ),
    "tanh_decay": st.builds(S.tanh_decay, value_or_absolute(), value_or_absolute(), lengths()),
    "step_decay": st.builds(S.step_decay, st.integers(1, 10), st.floats(0.05, 1.0)),
    "multi_step": st.builds(
        S.multi_step,
        st.lists(st.integers(1, 40), min_size=1, max_size=5).map(lambda m: tuple(sorted(m))),
        st.floats(0.05, 1.0),
    ),
    "piecewise_constant": st.integers(1, 4).flatmap(
        lambda n: st.builds(
            S.piecewise_constant, increasing_steps(n), st.lists(values, min_size=n + 1, max_size=n + 1)
        )
    ),
    "piecewise_linear": st.integers(2, 5).flatmap(
        lambda n: st.builds(
            S.piecewise_linear,
            increasing_steps(n).map(lambda s: (0, *s[1:])),
            st.lists(values, min_size=n, max_size=n),
        )
    ),
    "inverse_sqrt": st.builds(S.inverse_sqrt, st.floats(0.5, 100.0)),
    "inverse_power": st.builds(S.inverse_power, st.floats(0.5, 100.0), st.floats(0.1, 3.0)),
    "cyclic": st.builds(
        S.cyclic,
        st.floats(0.0, 0.5),
        st.floats(0.5, 2.0),
        steps_up=st.integers(1, 10),
        steps_down=st.one_of(st.none(), st.integers(1, 10)),
        mode=st.sampled_from(["triangular", "triangular2"]),
    )
    | st.builds(
        S.cyclic,
        st.floats(0.0, 0.5),
        st.floats(0.5, 2.0),
        steps_up=st.integers(1, 10),
        mode=st.just("exp_range"),
        gamma=st.floats(0.9, 1.0),
    ),
    "one_cycle": st.builds(
        S.one_cycle,
        lengths(),
        st.floats(0.1, 0.45),
        st.floats(0.01, 0.5),
        st.floats(0.0, 0.01),
        st.sampled_from(["cos", "linear"]),
        st.booleans(),
    ),
    "plateau": st.builds(
        S.plateau, factor=st.floats(0.1, 0.9), patience=st.integers(0, 5), min=st.floats(0.0, 0.1)
    ),
}


#: Schedules whose values stay in [0, 1] (lerp's children).
UNIT = st.one_of(
    st.builds(S.cosine, st.floats(0.0, 1.0), st.floats(0.0, 1.0), lengths()),
    st.builds(S.linear, st.floats(0.0, 1.0), st.floats(0.0, 1.0), lengths()),
    st.builds(S.cyclic, st.floats(0.0, 0.5), st.floats(0.5, 1.0), steps_up=st.integers(1, 10)),
    st.builds(S.one_cycle, lengths(), st.floats(0.1, 0.45), st.just(0.0), st.just(0.0)),
)


def _ends(schedule: Schedule) -> bool:
    """warp() needs a child that ends; an open-ended one is refused when built (tested there)."""
    return not schedule.is_resolved or schedule.horizon is not None


def combinators(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(
            S.warmup,
            children,
            lengths(none=False),
            st.floats(0.0, 0.5),
            st.sampled_from(["linear", "cosine"]),
        ),
        st.builds(
            S.warmup, children, lengths(none=False), st.floats(0.01, 0.5), st.just("exponential")
        ).filter(lambda s: True),
        st.integers(1, 3).flatmap(
            lambda n: st.builds(
                S.sequence,
                st.lists(children, min_size=n + 1, max_size=n + 1).map(tuple),
                increasing_steps(n, 1, 8),
                st.sampled_from(["local", "global"]),
            )
        ),
        st.builds(S.product, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(S.floor, children, value_or_absolute(st.floats(0.0, 0.5))),
        st.builds(S.ceiling, children, value_or_absolute(st.floats(0.5, 2.0))),
        st.builds(S.scale, children, value_or_absolute(st.floats(0.0, 3.0))),
        st.builds(
            S.restarts,
            children,
            st.integers(1, 10),
            st.sampled_from([1.0, 1.5, 2.0]),
            st.floats(0.3, 1.0),
            st.one_of(st.none(), st.integers(1, 4)),
            decay_law=st.sampled_from(["geometric", "power"]),
        ),
        st.builds(
            S.noise,
            children,
            st.floats(0.0, 0.3),
            st.integers(0, 2**31),
            st.sampled_from(["normal", "uniform"]),
        ),
        st.builds(
            S.wsd,
            warmup=st.integers(0, 5),
            decay=lengths(none=False),
            decay_shape=st.sampled_from(["linear", "cosine", "1-sqrt", "exponential"]),
            end=st.floats(0.0, 0.5),
        ),
        st.builds(S.extrapolate, st.builds(S.cosine, values, values, lengths())),
        st.builds(S.warp, children.filter(_ends), st.floats(0.2, 4.0)),
        st.builds(S.staircase, children, lengths(none=False)),
        st.builds(S.add, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(S.stretch, children, st.floats(0.1, 5.0)),
        st.builds(S.shift, children, st.integers(1, 12)),
        st.tuples(children, st.floats(0.0, 0.9), st.floats(0.05, 1.0)).map(
            lambda c: S.window(c[0], c[1], min(1.0, c[1] + c[2]))
        ),
        # lerp maps [0, 1] onto two values: its children stay in [0, 1] (outside, a value may be < 0,
        # an error when evaluated: tests/schedules/test_lerp.py).
        st.builds(S.lerp, UNIT, value_or_absolute(values), value_or_absolute(values)),
    )


ANY = st.recursive(st.one_of(*LEAVES.values()), combinators, max_leaves=4)
COMBINATOR_NAMES = {
    "warmup",
    "sequence",
    "product",
    "floor",
    "ceiling",
    "scale",
    "restarts",
    "noise",
    "wsd",
    "extrapolate",
    "warp",
    "staircase",
    "add",
    "stretch",
    "shift",
    "window",
    "lerp",
}
CORE = sorted(
    name
    for name, fn in REGISTRY.items()
    if fn.__module__.startswith("lrkit.schedules.") and name != "absolute"
)

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _resolve(schedule: Schedule, total: int) -> Schedule | None:
    try:
        return schedule.resolve(total=total, base=0.1)
    except ValueError:
        return None  # e.g. a warmup longer than the run: rejected at resolution, by design


def check_properties(schedule: Schedule, total: int) -> None:
    # Round trips and copies, before and after resolution.
    assert from_config(schedule.to_config()) == schedule
    assert parse(repr(schedule)) == schedule
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert copy.deepcopy(schedule) == schedule
    resolved = _resolve(schedule, total)
    if resolved is None:
        return
    assert from_config(resolved.to_config()) == resolved
    assert parse(repr(resolved)) == resolved

    grid = np.unique(np.concatenate([np.arange(0, 3 * total + 1), np.linspace(0, 3 * total, 257), [1e6]]))
    vector = resolved(grid)
    assert vector.shape == grid.shape
    assert np.all(np.isfinite(vector)), f"{resolved!r} is not finite"
    assert np.all(vector >= 0.0), f"{resolved!r} is negative somewhere"
    scalar = np.array([resolved(float(t)) for t in grid])
    np.testing.assert_array_max_ulp(vector, scalar, maxulp=1)

    horizon = resolved.horizon
    if horizon is not None and not isinstance(resolved, S.Extrapolate):
        held = resolved(horizon)
        for later in (horizon + 0.5, horizon + 1, horizon + 17, horizon * 3 + 5, 1e9):
            assert resolved(later) == held, f"{resolved!r} changes after its horizon {horizon}"


@pytest.mark.parametrize("name", sorted(LEAVES))
@PROPS
@given(data=st.data())
def test_every_shape(name, data):
    total = data.draw(st.integers(20, 200), label="total")
    check_properties(data.draw(LEAVES[name], label=name), total)


@PROPS
@given(schedule=ANY, total=st.integers(20, 200))
def test_nested_compositions(schedule, total):
    check_properties(schedule, total)


@pytest.mark.parametrize("name", sorted(COMBINATOR_NAMES))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_combinator(name, data):
    total = data.draw(st.integers(20, 200), label="total")
    schedule = data.draw(
        combinators(st.one_of(*LEAVES.values())).filter(lambda s: s.name == name), label=name
    )
    check_properties(schedule, total)


def test_every_core_name_has_a_strategy():
    missing = sorted(set(CORE) - set(LEAVES) - COMBINATOR_NAMES)
    assert not missing, f"add a hypothesis strategy for {missing} in tests/schedules/test_properties.py"


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    inner=st.one_of(LEAVES["cosine"], LEAVES["linear"], LEAVES["constant"], LEAVES["polynomial"]),
    steps=st.integers(1, 30),
    shape=st.sampled_from(["linear", "cosine"]),
    total=st.integers(40, 200),
)
def test_warmup_is_continuous_where_it_ends(inner, steps, shape, total):
    resolved = _resolve(S.warmup(inner, steps, shape=shape), total)
    if resolved is None:
        return
    before, at = resolved(steps - 1e-9), resolved(float(steps))
    assert math.isclose(before, at, rel_tol=1e-6, abs_tol=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    warm=st.integers(0, 10),
    decay=st.integers(1, 20),
    shape=st.sampled_from(["linear", "cosine", "1-sqrt", "exponential"]),
    end=st.floats(0.0, 0.5),
)
def test_wsd_is_continuous_between_phases(warm, decay, shape, end):
    total = warm + decay + 15
    resolved = S.wsd(warmup=warm, decay=decay, decay_shape=shape, end=end).resolve(total=total)
    for boundary in (warm, total - decay):
        if boundary > 0:
            assert math.isclose(resolved(boundary - 1e-9), resolved(float(boundary)), abs_tol=1e-6)
    assert resolved(total) == pytest.approx(end, abs=1e-12)
