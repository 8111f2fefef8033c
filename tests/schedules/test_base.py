"""The base class: evaluation, lengths and their resolution, absolute values, tree operations."""

import copy
import math
import pickle

import numpy as np
import pytest

from lrkit import absolute, constant, cosine, linear, sequence, warmup
from lrkit.schedules import Schedule


def test_scalar_and_vector_evaluation_agree():
    s = cosine(end=0.1, steps=100)
    steps = np.arange(0, 150, 0.5)
    vector = s(steps)
    scalar = np.array([s(float(t)) for t in steps])
    np.testing.assert_array_max_ulp(vector, scalar, maxulp=1)


def test_scalar_returns_float_and_array_returns_array():
    s = linear(steps=10)
    assert type(s(3)) is float
    assert type(s(np.int64(3))) is float
    out = s([0, 5, 10])
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 0.5, 0.0])


@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf])
def test_bad_steps_are_rejected(bad):
    with pytest.raises(ValueError, match=r"steps in \[0, 2\*\*53\]"):
        linear(steps=10)(bad)
    with pytest.raises(ValueError, match=r"steps in \[0, 2\*\*53\]"):
        linear(steps=10)(np.array([0.0, bad]))


def test_fraction_resolves_with_exact_decimal_arithmetic():
    # 0.1 * 30 is 3.0000000000000004 in floats; a naive ceil would give 4.
    assert linear(steps=0.1).resolve(total=30).steps == 3
    assert linear(steps=0.25).resolve(total=10).steps == 3  # 2.5 rounds up
    assert linear(steps=1.0).resolve(total=7).steps == 7


def test_none_length_is_the_rest_of_the_run():
    assert cosine().resolve(total=50).steps == 50
    assert warmup(cosine(), steps=10).resolve(total=50).schedule.steps == 40


def test_unresolved_schedule_explains_itself():
    with pytest.raises(ValueError, match=r"`steps` of cosine\(\) is the rest of the run"):
        cosine()(3)
    with pytest.raises(ValueError, match="fraction of the run"):
        linear(steps=0.5)(np.arange(3))
    with pytest.raises(ValueError, match="needs the run's length"):
        linear(steps=0.5).resolve()


def test_resolved_schedule_is_returned_unchanged():
    s = cosine(steps=10)
    assert s.resolve(total=100) is s
    assert s.is_resolved


def test_absolute_values_resolve_against_the_base():
    s = cosine(steps=10, end=absolute(0.001)).resolve(base=0.1)
    assert s.end == pytest.approx(0.01)
    with pytest.raises(ValueError, match="needs the base value"):
        cosine(steps=10, end=absolute(0.001))(0)
    with pytest.raises(ValueError, match="base value of 0"):
        cosine(steps=10, end=absolute(0.001)).resolve(base=0.0)


def test_resolve_checks_its_arguments():
    with pytest.raises(ValueError, match=r"Argument `total` of resolve\(\)"):
        cosine().resolve(total=0)
    with pytest.raises(TypeError, match=r"Argument `total` of resolve\(\)"):
        cosine().resolve(total=2.5)
    with pytest.raises(ValueError, match=r"Argument `base` of resolve\(\)"):
        cosine().resolve(total=3, base=-1.0)


@pytest.mark.parametrize(
    ("kwargs", "kind", "message"),
    [
        ({"steps": 0}, ValueError, "Received: steps=0"),
        ({"steps": -3}, ValueError, "Received: steps=-3"),
        ({"steps": 1.5}, ValueError, r"float in \(0, 1\]"),
        ({"steps": "10"}, TypeError, "Received: steps='10'"),
        ({"steps": True}, TypeError, "Received: steps=True"),
        ({"start": math.inf}, ValueError, "Received: start=inf"),
        ({"end": math.nan}, ValueError, "Received: end=nan"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(kwargs, kind, message):
    with pytest.raises(kind, match=message):
        linear(**kwargs)


def test_numpy_scalars_become_plain_python_numbers():
    s = cosine(start=np.float64(1.0), end=np.float32(0.5), steps=np.int64(10))
    assert type(s.steps) is int
    assert type(s.start) is float
    assert type(s.end) is float


def test_equality_hash_repr_pickle_deepcopy():
    a = warmup(cosine(end=0.1), steps=2)
    b = warmup(cosine(end=0.1), steps=2)
    assert a == b
    assert hash(a) == hash(b)
    assert a != warmup(cosine(end=0.1), steps=3)
    assert repr(a) == "warmup(cosine(end=0.1), steps=2)"
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a


def test_schedules_are_immutable():
    s = cosine()
    with pytest.raises(AttributeError):
        s.end = 0.5  # type: ignore[misc]


def test_int_and_float_lengths_are_different_schedules():
    assert linear(steps=1) != linear(steps=1.0)
    assert repr(linear(steps=1.0)) == "linear(steps=1.0)"


def test_walk_active_and_replace_at():
    s = sequence([warmup(constant(), 2), cosine()], [5]).resolve(total=20)
    paths = [path for path, _ in s.walk()]
    assert paths == [(), (("phases", 0),), (("phases", 0), "schedule"), (("phases", 1),)]
    assert [p for p, _ in s.active(1.0)] == [(), (("phases", 0),)]
    assert [p for p, _ in s.active(3.0)] == [(), (("phases", 0),), (("phases", 0), "schedule")]
    assert [p for p, _ in s.active(7.0)] == [(), (("phases", 1),)]
    replaced = s.replace_at((("phases", 1),), constant(0.3))
    assert replaced(10) == 0.3
    assert s(10) != 0.3  # the original is unchanged
    assert list(s.children()) == list(s.phases)


def test_subclasses_are_schedules():
    assert isinstance(cosine(), Schedule)
    assert isinstance(warmup(cosine(), 3), Schedule)
