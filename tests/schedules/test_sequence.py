"""sequence: phase windows, clocks, nesting, boundaries and errors."""

import numpy as np
import pytest

from lrkit import constant, cosine, linear, sequence


def test_phases_and_boundaries_act_at_their_step():
    s = sequence([constant(1.0), constant(0.5), constant(0.25)], [3, 6])
    assert [s(t) for t in range(8)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_local_clock_restarts_each_phase():
    s = sequence([linear(0.1, 1.0, steps=5), cosine(steps=10)], [5])
    warm = 0.1 + 0.9 * np.arange(5) / 5
    cos = (1 + np.cos(np.pi * np.minimum(np.arange(15), 10) / 10)) / 2
    ref = np.concatenate([warm, cos])
    np.testing.assert_allclose(s(np.arange(20)), ref, rtol=1e-14, atol=1e-16)


def test_global_clock_passes_the_global_step():
    inner = linear(1.0, 0.0, steps=20)
    s = sequence([constant(0.3), inner], [5], clock="global")
    assert s(7) == inner(7)
    assert s(4) == 0.3


def test_open_phases_get_their_window_and_the_rest():
    s = sequence([cosine(), cosine(), cosine()], [0.2, 0.5]).resolve(total=100)
    assert s.boundaries == (20, 50)
    assert [p.steps for p in s.phases] == [20, 30, 50]


def test_nesting():
    inner = sequence([constant(1.0), constant(0.5)], [2])
    s = sequence([inner, constant(0.1)], [4])
    assert [s(t) for t in range(6)] == [1, 1, 0.5, 0.5, 0.1, 0.1]


def test_vectorized_equals_scalar():
    s = sequence([linear(0.0, 1.0, steps=3), cosine(steps=7), constant(0.2)], [3, 10])
    t = np.linspace(0, 15, 301)
    np.testing.assert_array_max_ulp(s(t), np.array([s(float(x)) for x in t]), maxulp=1)


def test_errors():
    with pytest.raises(ValueError, match="strictly increasing"):
        sequence([constant(), constant(), constant()], [5, 5])
    with pytest.raises(ValueError, match="strictly increasing"):
        sequence([constant(), constant(), constant()], [6, 3])
    with pytest.raises(ValueError, match="one position between each two phases"):
        sequence([constant(), constant()], [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        sequence([], [])
    with pytest.raises(TypeError, match="a list of schedules"):
        sequence(constant(), [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a mix"):
        sequence([constant(), constant(), constant()], [3, 0.5])
    with pytest.raises(ValueError, match="strictly increasing once resolved"):
        sequence([constant(), constant(), constant()], [0.1, 0.11]).resolve(total=5)
    with pytest.raises(ValueError, match="inside the run"):
        sequence([constant(), constant()], [50]).resolve(total=10)
