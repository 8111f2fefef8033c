"""Suggestions on synthetic loss curves with known good bands; smoothing; abstentions; repeats."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.finder import RangeTestResult, Suggestion, combine, preferred, smooth, suggest

LRS = np.geomspace(1e-6, 1.0, 100)


def descent_curve(lrs=LRS, noise=0.0, seed=0):
    """Flat at 2.3, a descent centred on lr=1e-3 (steepest there), a minimum near 2e-2, then divergence."""
    u = np.log10(lrs)
    loss = 2.3 - 1.6 * (1 + np.tanh(1.5 * (u + 3))) / 2 + 0.5 * np.exp(3 * (u + 0.8))
    return loss + noise * np.random.default_rng(seed).standard_normal(len(lrs))


# The curve's own facts, computed from its formula on a fine grid (independent of lrkit):
FINE = np.geomspace(1e-6, 1.0, 20001)
TRUE_STEEPEST = FINE[np.argmin(np.gradient(descent_curve(FINE), np.log(FINE)))]
TRUE_MINIMUM = FINE[np.argmin(descent_curve(FINE))]
_slope = np.gradient(descent_curve(FINE), np.log(FINE))
STEEP_BAND = FINE[_slope <= 0.5 * _slope.min()][[0, -1]]  # where the descent is at least half as steep
_loss = descent_curve(FINE)
_top = _loss[: np.argmin(_loss) + 1].max()
MIN_BAND = FINE[_loss <= _loss.min() + 0.05 * (_top - _loss.min())][[0, -1]]  # within 5% of the descent


def test_the_curve_facts():
    assert math.log10(TRUE_STEEPEST) == pytest.approx(-3.0, abs=0.01)
    assert 1e-2 < TRUE_MINIMUM < 3e-2
    assert 10**-3.7 < STEEP_BAND[0] < TRUE_STEEPEST < STEEP_BAND[1] < 10**-2.3
    assert MIN_BAND[0] < TRUE_MINIMUM < MIN_BAND[1]


def test_smooth_is_the_debiased_average():
    beta = 0.9
    x = [3.0, 1.0, 2.0]
    a1 = (1 - beta) * 3.0
    a2 = beta * a1 + (1 - beta) * 1.0
    a3 = beta * a2 + (1 - beta) * 2.0
    expected = [a1 / (1 - beta), a2 / (1 - beta**2), a3 / (1 - beta**3)]
    np.testing.assert_allclose(smooth(x, beta), expected, rtol=1e-15)
    assert smooth(x, 0.0).tolist() == x


def test_centered_smoothing_has_no_lag_on_a_ramp():
    ramp = np.arange(100.0)
    causal = smooth(ramp, 0.9)
    centered = smooth(ramp, 0.9, centered=True)
    assert causal[50] < 50 - 5  # the causal average trails a ramp
    assert centered[50] == pytest.approx(50.0, abs=0.5)


@pytest.mark.parametrize("noise", [0.0, 0.05, 0.2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggestions_fall_in_known_good_bands(noise, seed):
    found = suggest(LRS, descent_curve(noise=noise, seed=seed))
    # steepest: where the true descent is at least half as steep as its steepest
    assert STEEP_BAND[0] <= found["steepest"].lr <= STEEP_BAND[1]
    # valley: inside the descent, not past its steepest point by more than 0.25 decades (a safe rate)
    assert 10**-4 <= found["valley"].lr <= TRUE_STEEPEST * 10**0.25
    # minimum / 10: a tenth of a rate whose true loss is within 5% of the descent from the minimum
    assert MIN_BAND[0] / 10 <= found["minimum"].lr <= MIN_BAND[1] / 10
    for s in found.values():
        assert s.low <= s.lr <= s.high


def test_an_early_spike_does_not_fool_the_suggestions():
    losses = descent_curve()
    losses[3:6] = 50.0  # a spike in the first tenth (skipped, as in fastai)
    losses[12] = 9.0  # and one after it
    found = suggest(LRS, losses)
    assert abs(math.log10(found["steepest"].lr) - math.log10(TRUE_STEEPEST)) < 0.25


def test_a_nan_tail_is_cut():
    losses = descent_curve()
    losses[LRS > 0.1] = np.nan
    found = suggest(LRS, losses)
    assert abs(math.log10(found["steepest"].lr) - math.log10(TRUE_STEEPEST)) < 0.25


WIDE = np.geomspace(1e-6, 10.0, 110)


def diverge_and_fall(lrs):
    """The descent of `descent_curve`, a rise past its minimum, then a sharper fall (around lr 2):
    a loss that falls back after divergence, as AdamW's does at rates of 1 and more."""
    u = np.log10(lrs)
    descent = 2.3 - 1.6 * (1 + np.tanh(1.5 * (u + 3))) / 2
    rise = 4.0 / (1 + np.exp(-4 * (u + 0.8)))
    fall = 3.5 * (1 + np.tanh(6 * (u - 0.3))) / 2
    return descent + rise - fall


def test_a_fall_after_divergence_is_not_the_descent():
    fine = np.geomspace(1e-6, 10.0, 20001)
    slope = np.gradient(diverge_and_fall(fine), np.log(fine))
    assert fine[np.argmin(slope)] > 1.0  # the curve's steepest fall is after the divergence
    before = fine <= fine[np.argmin(diverge_and_fall(fine))]
    true_steepest = fine[before][np.argmin(slope[before])]  # the steepest descent before the minimum
    assert abs(math.log10(true_steepest) + 3.0) < 0.1
    found = suggest(WIDE, diverge_and_fall(WIDE))
    assert abs(math.log10(found["steepest"].lr) - math.log10(true_steepest)) < 0.25
    assert found["steepest"].high < 0.1
    assert found["valley"].lr < 0.1
    assert preferred(found).lr < found["minimum"].lr * 10


def test_deterministic():
    a = suggest(LRS, descent_curve(noise=0.1, seed=7))
    b = suggest(LRS, descent_curve(noise=0.1, seed=7))
    assert a == b


@pytest.mark.parametrize("seed", range(5))
def test_flat_noisy_curve_abstains(seed):
    losses = 2.3 + 0.05 * np.random.default_rng(seed).standard_normal(100)
    found = suggest(LRS, losses)
    assert all(s.lr is None for s in found.values())
    assert "no usable descent" in found["valley"].reason


def test_rising_curve_abstains():
    found = suggest(LRS, 1.0 + np.linspace(0, 3, 100))
    assert all(s.lr is None for s in found.values())
    assert "rises from the start" in found["steepest"].reason


def test_too_few_points_abstain():
    found = suggest(LRS[:10], descent_curve()[:10])
    assert "usable points" in found["minimum"].reason
    assert found["minimum"].lr is None


def test_bad_input():
    with pytest.raises(ValueError, match=r"one loss per rate"):
        suggest(LRS, descent_curve()[:-1])
    with pytest.raises(ValueError, match=r"strictly increasing"):
        suggest(LRS[::-1], descent_curve())


@pytest.mark.parametrize("noise", [0.0, 0.05, 0.2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_preferred_lies_between_the_true_bands(noise, seed):
    # sqrt(minimum / 10 x steepest), with each factor anywhere in its band of the true curve
    low = math.sqrt(MIN_BAND[0] / 10 * STEEP_BAND[0])
    high = math.sqrt(MIN_BAND[1] / 10 * STEEP_BAND[1])
    s = preferred(suggest(LRS, descent_curve(noise=noise, seed=seed)))
    assert s.method == "between"
    assert low <= s.lr <= high
    assert s.low <= s.lr <= s.high


def _found(minimum, steepest, valley=0.05):
    def one(method, lr):
        return Suggestion(
            method, lr, None if lr is None else lr / 2, None if lr is None else lr * 2, f"{method} why"
        )

    return {
        "minimum": one("minimum", minimum),
        "steepest": one("steepest", steepest),
        "valley": one("valley", valley),
    }


@given(st.floats(1e-8, 10.0), st.floats(1e-8, 10.0))
def test_preferred_is_the_geometric_mean(a, b):
    s = preferred(_found(a, b))
    assert s.lr == pytest.approx(10 ** ((math.log10(a) + math.log10(b)) / 2), rel=1e-9)
    assert (s.low, s.high) == (min(a, b), max(a, b))
    assert s.low <= s.lr <= s.high


def test_preferred_falls_back_when_one_abstains():
    assert preferred(_found(0.01, None)).method == "minimum"
    assert preferred(_found(0.01, None)).lr == 0.01
    assert preferred(_found(None, 0.3)).method == "valley"
    assert preferred(_found(None, 0.3, valley=None)).lr == 0.3
    none = preferred(_found(None, None, valley=None))
    assert (none.method, none.lr, none.reason) == ("minimum", None, "minimum why")
    with pytest.raises(ValueError, match=r"Argument `suggestions` of preferred\(\)"):
        preferred({"minimum": Suggestion("minimum", 0.1, 0.1, 0.1, "")})


def test_combine_repeats_gives_median_and_spread():
    runs = [{"valley": Suggestion("valley", v, v / 2, v * 2, "")} for v in (1e-3, 2e-3, 8e-3)]
    c = combine(runs)["valley"]
    assert c.lr == pytest.approx(2e-3)
    assert (c.low, c.high) == (1e-3, 8e-3)
    none = Suggestion("valley", None, None, None, "flat")
    assert combine([runs[0], {"valley": none}, {"valley": none}])["valley"].lr is None


@given(st.floats(0.0, 0.99), st.lists(st.floats(0.1, 10.0), min_size=1, max_size=50))
def test_smoothing_stays_within_the_range_of_the_losses(beta, losses):
    for centered in (False, True):
        y = smooth(losses, beta, centered=centered)
        assert np.all(y >= min(losses) - 1e-9)
        assert np.all(y <= max(losses) + 1e-9)


def test_result_from_curve_and_schedule_hand_off(tmp_path):
    result = RangeTestResult.from_curve(LRS, descent_curve())
    assert result.suggestion.method == "between"
    assert result.lr == pytest.approx(
        math.sqrt(result.suggestions["minimum"].lr * result.suggestions["steepest"].lr)
    )
    low, high = result.interval
    assert low == min(s.lr for s in result.suggestions.values())
    assert high == max(s.lr for s in result.suggestions.values())
    from lrkit import cosine
    from lrkit.schedules.one_cycle import one_cycle

    assert result.schedule("one_cycle", steps=100) == one_cycle(steps=100)
    assert result.schedule("cosine", end=0.1) == cosine(end=0.1)
    with pytest.raises(ValueError, match=r"Argument `kind`"):
        result.schedule("cosine_annealing")
    text = str(result)
    assert "valley" in text
    assert "plausible" in text
