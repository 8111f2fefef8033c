"""The two laws against the papers' formulas written out independently, term by term, 1-based."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.predict import rates_of
from lrkit.predict._laws import AnnealingLaw, MultiPowerLaw, annealing_area, forward_area, multi_power_drop


def paper_annealing(eta, s, L0, A, alpha, C, lam):
    """Tissue et al. 2024 with eta[1..T] (eta[0] unused), warmup (before the first max) left out of S2."""
    T = len(eta) - 1
    peak = 1 + int(np.argmax(eta[1:]))
    S1 = sum(eta[i] for i in range(1, s + 1))
    m = 0.0
    S2 = 0.0
    for i in range(1, s + 1):
        drop = eta[i - 1] - eta[i] if i > peak else 0.0
        m = lam * m + drop
        S2 += m
    assert s <= T
    return L0 + A * S1**-alpha - C * S2


def paper_multi_power(eta, t, L0, A, alpha, B, C, beta, gamma):
    """Luo et al. 2025: LD(t) = B sum_k (eta_{k-1} - eta_k) G(eta_k^-gamma S_k(t)), k after the peak."""
    peak = 1 + int(np.argmax(eta[1:]))
    S1 = sum(eta[1 : t + 1])
    LD = 0.0
    for k in range(peak + 1, t + 1):
        Sk = sum(eta[k : t + 1])
        x = eta[k] ** -gamma * Sk
        LD += (eta[k - 1] - eta[k]) * (1 - (C * x + 1) ** -beta)
    return L0 + A * S1**-alpha - B * LD


SPECS = [
    "constant()",
    "cosine(end=0.05)",
    "warmup(cosine(end=0.01), steps=0.1)",
    "wsd(warmup=0.05, decay=0.2, end=0.01)",
    "step_decay(every=0.3, gamma=0.1)",
    "one_cycle()",
    "warmup(linear(end=0.1), steps=7)",
]


@pytest.mark.parametrize("spec", SPECS)
def test_annealing_law_matches_the_paper_formula(spec):
    total = 120
    rates = rates_of(spec, total)
    eta = np.concatenate(([np.nan], rates))  # eta[i] = rate of update i (1-based)
    steps = np.array([5, 37, 60, 99, 120])
    theta = [2.0, 1.3, 0.45, 0.004]
    ours = AnnealingLaw(decay=0.97).loss(theta, rates, steps)
    expected = [paper_annealing(eta, int(s), *theta, 0.97) for s in steps]
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


@pytest.mark.parametrize("spec", SPECS)
def test_multi_power_law_matches_the_paper_formula(spec):
    total = 90
    rates = rates_of(spec, total)
    eta = np.concatenate(([np.nan], rates))
    steps = np.array([3, 30, 61, 90])
    theta = [2.0, 1.3, 0.45, 3.0, 0.8, 0.6, 0.4]
    ours = MultiPowerLaw().loss(theta, rates, steps)
    expected = [paper_multi_power(eta, int(t), *theta) for t in steps]
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_areas_by_hand():
    rates = np.array([0.0, 0.5, 1.0, 1.0, 0.5, 0.25])
    # warmup 0, 0.5 then the peak at index 2: drops 0.5 at index 4 and 0.25 at index 5.
    assert forward_area(rates, np.array([1, 3, 6])).tolist() == [0.0, 1.5, 3.25]
    # m = 0, 0, 0, 0, 0.5, 0.5 * 0.5 + 0.25 = 0.5 -> S2(6) = 1.0
    assert annealing_area(rates, np.array([4, 5, 6]), decay=0.5).tolist() == [0.0, 0.5, 1.0]
    # a rise after the peak (a restart) counts with its sign.
    restart = np.array([1.0, 0.5, 1.0])
    assert annealing_area(restart, np.array([3]), decay=0.0).tolist() == [0.0]


def test_a_zero_rate_after_a_drop_saturates_g():
    rates = np.array([1.0, 0.0, 0.0])
    # G(inf) = 1 once some update follows the drop; with the rate 0, S_1(3) = 0: nothing follows yet.
    assert multi_power_drop(rates, np.array([2, 3]), 1.0, 0.5, 0.5).tolist() == [0.0, 0.0]
    rates = np.array([1.0, 0.0, 0.5])  # the drop to 0 saturates; the rise back to 0.5 counts with its sign
    rise = -0.5 * (1 - (0.5**-0.5 * 0.5 + 1) ** -0.5)
    assert multi_power_drop(rates, np.array([3]), 1.0, 0.5, 0.5).tolist() == pytest.approx(
        [1.0 + rise], rel=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=40),
    st.floats(0.0, 0.999),
)
def test_more_annealing_lowers_the_annealing_law_monotonically(values, lam):
    """S2 is a sum of nonnegative momenta for a schedule that never rises after its peak."""
    peak = int(np.argmax(values))
    tail = sorted(values[peak:], reverse=True)
    rates = np.array(values[:peak] + tail)
    steps = np.arange(1, len(rates) + 1)
    s2 = annealing_area(rates, steps, lam)
    assert np.all(s2 >= -1e-12)
    assert np.all(np.diff(s2) >= -1e-12)
