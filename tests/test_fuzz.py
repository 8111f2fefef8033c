"""Fuzzing specs, configs, scheduler states and CLI arguments (issue 14, "Must show").

Whatever the input, lrkit answers with one of its documented exceptions (ValueError, including
SpecError, ResumeError and NonFiniteValueError, or TypeError), the CLI with exit status 2 and one
line on stderr (never a traceback), a schedule with finite rates (the one exception: a growth
factor above 1 given explicitly, which the Scheduler refuses to write) that are >= 0 unless a
negative value was given (optax's signed values; the Scheduler refuses to write a negative rate),
and each example in bounded time (hypothesis' per-example deadline). docs/guarantees.md lists what this backs.

The whole module runs in well under a minute (max_examples per test below).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import json
import math
from datetime import timedelta

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.cli import main
from lrkit.scheduler import NonFiniteValueError
from lrkit.schedules import REGISTRY, Restarts

DOCUMENTED = (ValueError, TypeError)
FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),  # bounded time: microseconds to milliseconds when it holds
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,  # the same examples in CI every time
)

# -- values that have broken parsers before: huge, tiny, non-finite, wrong types ----------------

HUGE = 10**400
NUMBERS = [0, 1, 2, 3, 10, -1, -0.5, 0.0, -0.0, 0.5, 1.5, 1e-320, 1e308, 2**53, 2**53 + 1, HUGE, -HUGE]
LITERALS = [*map(repr, NUMBERS), "nan", "inf", "-inf", "1e400", "None", "True", "'x'", "[]", "[1, 2]", "{}"]
NAMES = sorted(REGISTRY)


def _params(name: str) -> list[str]:
    try:
        return [p for p in inspect.signature(REGISTRY[name]).parameters if p != "self"]
    except (TypeError, ValueError):
        return []


@st.composite
def spec_text(draw, depth: int = 0) -> str:
    name = draw(st.sampled_from(NAMES))
    params = _params(name)
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 2 and draw(st.booleans()):
            value = draw(spec_text(depth + 1))
        else:
            value = draw(st.sampled_from(LITERALS))
        if params and draw(st.booleans()):
            parts.append(f"{draw(st.sampled_from(params))}={value}")
        else:
            parts.append(value)
    return f"{name}({', '.join(parts)})"


def _growth_given(schedule) -> bool:
    """A growth factor above 1 given explicitly (restarts' geometric decay > 1)."""
    return any(
        isinstance(node, Restarts) and node.decay_law == "geometric" and node.decay > 1.0
        for _, node in schedule.walk()
    )


def _negative_given(schedule) -> bool:
    """A negative number given explicitly as a value (signed values, as optax's schedules take)."""
    for _, node in schedule.walk():
        # piecewise_constant/piecewise_linear keep their values in a field named `values`, which
        # shadows the class's tuple of value-field names
        names = type(node).values or (("values",) if hasattr(node, "values") else ())
        for name in names:
            field = getattr(node, name)
            items = field if isinstance(field, tuple) else (field,)
            if any(isinstance(x, (int, float)) and x < 0 for x in items):
                return True
    return False


def _check_values(schedule, values) -> None:
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if not np.all(np.isfinite(values)):
        assert _growth_given(schedule), f"{schedule!r} gave {values}"
    if np.any(values < 0.0):  # no negative rate unless a negative was given
        assert _negative_given(schedule), f"{schedule!r} is negative: {values}"


STEPS = st.lists(
    st.one_of(st.integers(0, 1000), st.floats(0.0, 2.0**53), st.sampled_from([2.0**53, 2.0**53 - 1, 0.5])),
    min_size=1,
    max_size=6,
)


def _evaluate(schedule, total: int, steps: list[float]) -> None:
    try:
        resolved = schedule.resolve(total, base=0.1)
    except DOCUMENTED:
        return
    try:
        vector = resolved(np.array(steps, dtype=np.float64))
    except ValueError:  # a growth that overflows, named with its step
        return
    _check_values(resolved, vector)
    scalar = [resolved(float(t)) for t in steps]
    np.testing.assert_array_max_ulp(vector, np.array(scalar), maxulp=1)


@FUZZ
@given(text=st.one_of(spec_text(), st.text(max_size=80)), total=st.integers(1, 10**6), steps=STEPS)
def test_specs_give_documented_errors_or_bounded_nonnegative_schedules(text, total, steps):
    try:
        schedule = lrkit.parse(text)
    except DOCUMENTED:
        return
    if isinstance(schedule, lrkit.Schedule):
        assert lrkit.parse(repr(schedule)) == schedule
        _evaluate(schedule, total, steps)


# -- configs -----------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(NAMES),
)


def _config_objects(children):
    keyed = st.dictionaries(
        st.sampled_from(["schedule", "steps", "end", "start", "period", "value"]), children
    )
    return st.one_of(
        st.lists(children, max_size=3),
        st.builds(lambda name, rest: {"type": name, **rest}, st.sampled_from(NAMES), keyed),
        st.dictionaries(st.text(max_size=5), children, max_size=3),
    )


CONFIGS = st.recursive(SCALARS, _config_objects, max_leaves=12)


@FUZZ
@given(config=CONFIGS, total=st.integers(1, 10**6), steps=STEPS, as_json=st.booleans())
def test_configs_give_documented_errors_or_bounded_nonnegative_schedules(config, total, steps, as_json):
    if as_json:
        try:
            config = json.dumps(config)
        except (ValueError, TypeError, OverflowError):  # not JSON text: nothing to test here
            return
    try:
        schedule = lrkit.from_config(config)
    except DOCUMENTED:
        return
    assert lrkit.from_config(schedule.to_config()) == schedule
    _evaluate(schedule, total, steps)


@FUZZ
@given(text=st.text(alphabet='[]{}",:0123456789.eE-+ntrufalsNIy"type', max_size=200))
def test_config_text_gives_documented_errors(text):
    with contextlib.suppress(*DOCUMENTED):
        lrkit.from_config(text)


# -- scheduler states --------------------------------------------------------------------------


def _scheduler():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = lrkit.Scheduler(
        opt,
        lrkit.parse("warmup(restarts(cosine(end=0.1), period=5, mult=1.5, decay=0.8), steps=3)"),
        hparams={"momentum": lrkit.linear(1.0, 0.9, steps=10)},
        total=40,
    )
    return opt, sched


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _saved():
    opt, sched = _scheduler()
    for _ in range(7):
        opt.step()
        sched.step()
    return sched.state_dict()


SAVED = _saved()
PATHS = [p for p in _paths(SAVED) if p]
REPLACEMENTS = st.one_of(
    st.sampled_from([*NUMBERS, math.nan, math.inf, -math.inf, None, True, "x", [], {}, [1], {"a": 1}]),
    st.just(KeyError),  # delete the key
)


def _snapshot(opt, sched):
    return copy.deepcopy(sched.state_dict()), [dict(g) for g in opt.state_dict()["param_groups"]]


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), REPLACEMENTS), min_size=1, max_size=3))
def test_states_load_whole_or_not_at_all(edits, edit_state):
    state = copy.deepcopy(SAVED)
    for path, value in edits:
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier edit removed the path
            edit_state(state, path, value)
    opt, sched = _scheduler()
    opt.step()
    sched.step()
    before = _snapshot(opt, sched)
    try:
        sched.load_state_dict(state)
    except DOCUMENTED:
        assert _snapshot(opt, sched) == before  # a failed load changes nothing
        return
    for _ in range(3):  # what loaded runs on with finite rates >= 0
        opt.step()
        sched.step()
        for group in opt.param_groups:
            assert math.isfinite(group["lr"])
            assert group["lr"] >= 0.0


@FUZZ
@given(text=spec_text(), total=st.integers(1, 10**4), seek=st.integers(0, 2**53))
@example(text="optax.linear_schedule(0.1, -0.1, 4)", total=10, seek=5)  # signed values: refused
@example(text="constant(-1.0)", total=10, seek=0)
def test_a_scheduler_writes_only_finite_nonnegative_rates(text, total, seek):
    try:
        schedule = lrkit.parse(text)
    except DOCUMENTED:
        return
    if not isinstance(schedule, lrkit.Schedule):
        return
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    try:
        sched = lrkit.Scheduler(opt, schedule, total=total)
        sched.seek(seek)
        sched.step()
    except NonFiniteValueError:
        assert math.isfinite(opt.param_groups[0]["lr"])  # never written
        return
    except DOCUMENTED:
        return
    assert math.isfinite(opt.param_groups[0]["lr"])
    assert opt.param_groups[0]["lr"] >= 0.0


# -- the command line --------------------------------------------------------------------------

BAD_VALUES = ["-1", "0", "nan", "inf", "-inf", "1e400", str(HUGE), "", "x", "1e11", "2.5", "-0", " ", "\x00"]
ANY_VALUES = [*BAD_VALUES, "1", "3", "10", "64", "0.1", "0.1,0.01", "1e-3,nan"]
PREVIEW_OPTIONS = ["--steps", "--total", "--lr", "--width", "--height", "--format", "-o"]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _check_cli(argv):
    status, _, err = _run(argv)
    assert "Traceback" not in err
    assert status in (0, 1, 2), (argv, status, err)
    if status == 2:
        assert err.startswith(("lrkit: error: ", "usage:")), (argv, err)
        assert err.count("\n") == 1, (argv, err)
    return status


@FUZZ
@given(
    command=st.sampled_from(["table", "plot"]),
    spec=st.one_of(spec_text(), st.sampled_from(["cosine()", "warmup(cosine(), steps=0.1)", "", "(", "é"])),
    options=st.lists(st.tuples(st.sampled_from(PREVIEW_OPTIONS), st.sampled_from(ANY_VALUES)), max_size=4),
)
def test_cli_previews_exit_0_or_2_with_one_line(command, spec, options):
    argv = [command, spec, "--steps", "20"]
    for option, value in options:
        if option == "-o":
            value = value + ".jpg"  # never write a file: a bad extension, or a bad value first
        argv += [option, value]
    _check_cli(argv)


BOUNDED = {
    "compare": ["--seeds", "--threads", "--jobs", "--epochs", "--target", "--lr", "--task"],
    "find": ["--steps", "--repeats", "--accumulate", "--start", "--end", "--mode", "--task"],
    "lint": ["--select", "--ignore", "--format"],
    "predict": ["--law", "--spec"],
    "design": ["--budget"],
}


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """Each command's first run imports torch, the tasks or the linter: once, outside the deadline."""
    for command, options in BOUNDED.items():
        for value in ("x", "-1"):
            _run([command, options[0], value, "--no-such-path-for-lrkit-fuzz"])
    _run(["find", "--end", "-1"])  # loads the digits task, then refuses the rate
    _run(["plot", "cosine()", "--steps", "3"])


NEVER_VALID = ["-1", "nan", "-inf", "1e400", str(HUGE), "x", "\x00", "-5"]


@FUZZ
@given(
    command=st.sampled_from(sorted(BOUNDED)),
    data=st.data(),
)
def test_cli_bad_options_exit_2_with_one_line(command, data):
    """Options given a value no command accepts: exit 2, one line, before any work starts."""
    option = data.draw(st.sampled_from(BOUNDED[command]))
    value = data.draw(st.sampled_from(NEVER_VALID))
    argv = [command, option, value]
    if command == "lint":
        argv.append("--no-such-path-for-lrkit-fuzz")
    assert _check_cli(argv) == 2


@pytest.mark.parametrize("argv", [["table"], ["plot", "cosine()"], ["lint"], ["no-such-command"], ["--nope"]])
def test_cli_usage_errors_are_one_line(argv):
    assert _check_cli(argv) == 2
