"""`skip="auto"` (`choose_skip`): the one-standard-error rule on forecasts of the fitted runs' tails.

References are independent of the code under test: the rule's arithmetic is checked on score
tables worked by hand, and the choice on synthetic curves made from a known law, with or without
an early transient that the law does not describe.
"""

import json

import numpy as np
import pytest

from lrkit.cli import main
from lrkit.predict import Curve, choose_skip, fit, rates_of
from lrkit.predict._fit import _one_standard_error
from lrkit.predict._laws import AnnealingLaw

TOTAL = 500
STEPS = np.arange(25, TOTAL + 1, 25)
THETA = [2.5, 1.0, 0.5, 0.003]  # L0, A, alpha, C


def law_curves(transient=0.0, noise=0.0, seeds=1):
    """constant + cosine runs from the annealing law; `transient` is added before 20 % of the run."""
    rng = np.random.default_rng(0)
    out = []
    for spec in ("constant()", "cosine()"):
        rates = rates_of(spec, TOTAL)
        clean = AnnealingLaw().loss(THETA, rates, STEPS)
        bump = np.where(STEPS <= 0.2 * TOTAL, transient, 0.0)
        for _ in range(seeds):
            out.append(Curve(rates, STEPS, clean + bump + rng.normal(0.0, noise, STEPS.size), label=spec))
    return out


@pytest.mark.parametrize(
    ("scores", "chosen", "best"),
    [
        # best 0.2 (mean 1.0); 0.0's differences [2, 2, 2] (mean 2, s.e. 0) -> not within;
        # 0.1's differences [0.1, -0.1, 0.3]: mean 0.1, sd 0.2, s.e. 0.2/sqrt(3) = 0.115 -> within.
        ({0.0: (3.0, 3.0, 3.0), 0.1: (1.1, 0.9, 1.3), 0.2: (1.0, 1.0, 1.0)}, 0.1, 0.2),
        # 0.0's differences [0.5, -0.3, 0.1]: mean 0.1, sd 0.4, s.e. 0.231 -> 0.0 is within.
        ({0.0: (1.5, 0.7, 1.1), 0.2: (1.0, 1.0, 1.0)}, 0.0, 0.2),
        # 0.0's differences [0.3, 0.3, 0.3]: mean 0.3 > s.e. 0 -> the best itself.
        ({0.0: (1.3, 1.3, 1.3), 0.3: (1.0, 1.0, 1.0)}, 0.3, 0.3),
        # the best is the smallest candidate: chosen at once.
        ({0.0: (0.5, 0.6), 0.1: (2.0, 2.0)}, 0.0, 0.0),
    ],
)
def test_one_standard_error_rule_by_hand(scores, chosen, best):
    assert _one_standard_error(scores) == (chosen, best)


def test_a_law_that_holds_from_the_start_keeps_every_point():
    choice = choose_skip(law_curves(noise=1e-4, seeds=3))
    assert choice.skip == 0.0
    assert set(choice.scores) == {0.0, 0.1, 0.2, 0.3}
    assert all(len(values) == 6 for values in choice.scores.values())


def test_an_early_transient_is_left_out_and_the_law_recovered():
    # a bump of 0.3 on the points up to 20 % of the run: candidates that keep them forecast the
    # tail worse; the rule leaves them out, and the fit then finds the true parameters.
    curves = law_curves(transient=0.3, noise=1e-4, seeds=3)
    choice = choose_skip(curves)
    assert choice.skip >= 0.2
    assert choice.mean(choice.skip) < 0.25 * choice.mean(0.0)
    result = fit(curves, skip="auto", uncertainty="none")
    assert result.skip == choice.skip
    assert result.skip_choice == choice
    kept = fit(curves, skip=0.0, uncertainty="none")
    for spec in ("wsd(warmup=0, decay=0.2)", "step_decay(every=0.3, gamma=0.1)", "one_cycle()"):
        truth = AnnealingLaw().loss(THETA, rates_of(spec, TOTAL), np.array([TOTAL]))[0]
        assert result.predict(spec).final == pytest.approx(truth, rel=0.002), spec
        assert abs(result.predict(spec).final - truth) < abs(kept.predict(spec).final - truth), spec
    # the same fit as asking for that skip directly
    direct = fit(curves, skip=choice.skip, uncertainty="none")
    assert result.params == direct.params
    assert "skip = " in result.summary()
    assert "one-SE rule" in result.summary()
    assert result.to_dict()["skip_choice"]["skip"] == choice.skip


def test_scores_are_the_tail_forecast_errors():
    # one candidate, one run per schedule: recompute the score with an independent fit call on the
    # first 80 % of the points and the rms relative error on the last 20 %.
    curves = law_curves(transient=0.05, noise=2e-3)
    choice = choose_skip(curves, candidates=[0.1])
    heads = [Curve(c.rates, c.steps[c.steps <= 400], c.loss[c.steps <= 400], label=c.label) for c in curves]
    law = fit(heads, skip=0.1, uncertainty="none")
    expected = []
    for curve in curves:
        tail = curve.steps > 400
        forecast = law.predict(curve.rates, steps=curve.steps[tail]).loss
        expected.append(np.sqrt(np.mean((forecast / curve.loss[tail] - 1.0) ** 2)))
    assert choice.scores[0.1] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": []}, "candidates"),
        ({"candidates": [1.0]}, "candidates"),
        ({"tail": 0.0}, "tail"),
        ({"law": "cubic"}, "law"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        choose_skip(law_curves(), **kwargs)


def test_fit_refuses_an_unknown_skip_word():
    with pytest.raises(ValueError, match="'auto'"):
        fit(law_curves(), skip="sometimes")


def test_runs_without_points_after_the_cut_are_refused():
    short = [Curve(c.rates, c.steps[:3], c.loss[:3], label=c.label) for c in law_curves()]
    with pytest.raises(ValueError, match="points both before and after"):
        choose_skip(short)


@pytest.fixture
def race(tmp_path):
    schedules = []
    for curve in law_curves(transient=0.3, noise=1e-4, seeds=2):
        label = curve.label.rstrip("()")
        entry = next((e for e in schedules if e["label"] == label), None)
        if entry is None:
            entry = {"label": label, "spec": curve.label, "runs": []}
            schedules.append(entry)
        entry["runs"].append(
            {
                "seed": len(entry["runs"]),
                "lr": [[r] for r in curve.rates.tolist()],
                "val_loss": curve.loss.tolist(),
            }
        )
    (tmp_path / "results.json").write_text(
        json.dumps({"steps_per_epoch": 25, "base_lrs": [1.0], "schedules": schedules})
    )
    return tmp_path


def test_cli_skip_auto(race, capsys):
    assert main(["predict", str(race), "--skip", "auto", "--resamples", "10"]) == 0
    out = capsys.readouterr().out
    assert "(auto: forecast error of the fitted runs' last 20 %" in out


def test_cli_bad_skip_is_one_line_and_exit_2(race, capsys):
    assert main(["predict", str(race), "--skip", "often"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--skip must be a fraction in [0, 1) or 'auto'" in err
