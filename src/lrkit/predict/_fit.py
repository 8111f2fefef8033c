"""Fit a loss law to recorded curves, with uncertainty, and predict the curve of another schedule.

The fit is least squares on the losses. The laws are linear in three of their parameters
(``L0``, ``A`` and ``C`` or ``B``), so the search is over the others only: from each starting
point the linear ones are solved exactly (non-negative least squares), the best starts are then
polished jointly with scipy's trust-region least squares (bounds as in each law).

Uncertainty, in order of preference:

* ``"bootstrap"``: the runs of each schedule (its seeds) are resampled with replacement and the
  law refitted ``resamples`` times; a prediction's interval is the 2.5-97.5 percentile band of the
  refitted laws' predictions. This counts the run-to-run noise, which a loss curve's points share.
* ``"jacobian"``: the usual asymptotic covariance ``s**2 (J^T J)^-1`` of least squares and the
  delta method. It treats every point as independent, which they are not within a run: its
  intervals are too narrow when each schedule has one run. Used when no schedule has 2 runs.

``skip="auto"`` (`choose_skip`) chooses how many early points to leave out by fitting the law on
the first 80 % of the runs with each candidate and forecasting the rest (one-standard-error rule).

(Over 400 lines for one job, fitting a law: the search, the bounds, the residuals, both interval
methods and the choice of `skip` (which refits) share the prepared data and `fit`; a quarter of
it is docstrings.)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.predict._curves import Curve, rates_of
from lrkit.predict._laws import LAWS, Law, make_law
from lrkit.schedules import Schedule

__all__ = ["AUTO_SKIPS", "AUTO_TAIL", "Fit", "Prediction", "SkipChoice", "choose_skip", "fit"]

FloatArray = npt.NDArray[np.float64]
_Z95 = 1.959963984540054


@dataclasses.dataclass(frozen=True, eq=False)
class Prediction:
    """A predicted loss curve: the loss after each number of updates in `steps`, and a 95 % band.

    `low` and `high` are None when the fit has no uncertainty (``uncertainty="none"``).
    `warning` says why the prediction is outside what the law was fitted on (a warmup that none
    of the fitted runs had: neither law models the warmup), or is None.
    """

    label: str
    steps: npt.NDArray[np.int64]
    loss: FloatArray
    low: FloatArray | None
    high: FloatArray | None
    total: int
    warning: str | None = None

    @property
    def final(self) -> float:
        """The predicted loss after the last update."""
        return float(self.loss[-1])

    @property
    def final_interval(self) -> tuple[float, float] | None:
        """The 95 % interval of the final loss, or None."""
        if self.low is None or self.high is None:
            return None
        return float(self.low[-1]), float(self.high[-1])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "label": self.label,
            "total": self.total,
            "final": self.final,
            "final_interval": self.final_interval,
            "steps": self.steps.tolist(),
            "loss": self.loss.tolist(),
            "low": None if self.low is None else self.low.tolist(),
            "high": None if self.high is None else self.high.tolist(),
            "warning": self.warning,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """A law fitted to curves: its parameters, their uncertainty, and `predict` for any schedule.

    ``params`` are for rates divided by ``lr_ref`` (the highest rate of the fitted runs), so they
    do not depend on the rate's units. ``base`` is the fitted runs' base rate, used by `predict`
    for a spec when no other is given; ``total`` their number of updates (None if they differ).
    """

    law: str
    params: dict[str, float]
    stderr: dict[str, float]
    covariance: FloatArray
    lr_ref: float
    base: float
    total: int | None
    decay: float | None
    points: int
    rmse: float
    labels: tuple[str, ...]
    uncertainty: str
    samples: FloatArray | None = None
    #: The warmup of each fitted schedule, as a fraction of its run (0.01 steps): the laws do not
    #: model the warmup, so `design` keeps to these unless told otherwise.
    warmups: tuple[float, ...] = ()
    #: The fraction of each run left out of the fit (`fit`'s `skip`, as chosen when ``"auto"``).
    skip: float = 0.0
    #: With ``skip="auto"``: how it was chosen (`choose_skip`); else None.
    skip_choice: SkipChoice | None = None

    @property
    def _law(self) -> Law:
        return make_law(self.law, self.decay)

    def predict(
        self,
        schedule: str | Schedule | Sequence[float] | npt.NDArray[np.float64],
        total: int | None = None,
        *,
        base: float | None = None,
        steps: Sequence[int] | npt.NDArray[np.int64] | None = None,
        points: int = 100,
        label: str | None = None,
    ) -> Prediction:
        """The predicted loss curve of `schedule` run for `total` updates, with its 95 % band.

        Args:
            schedule: a spec string, a `Schedule`, or the rates themselves (one per update, in the
                units of the fitted runs' rates).
            total: updates in the run, an int >= 1; default the fitted runs' (for rates: their length).
            base: the base rate the schedule's factors multiply; default the fitted runs' base.
            steps: the update counts to predict at (in ``1..total``); default `points` evenly
                spaced counts ending at `total`.
            points: how many counts when `steps` is None, an int >= 1.
            label: the prediction's label; default the spec.

        Raises:
            ValueError: no `total` when the fitted runs differ in length, a bad spec, a step
                outside the run, a schedule with a plateau phase.

        Example:
            >>> import numpy as np
            >>> from lrkit.predict import Curve, fit, rates_of
            >>> law = lambda r, n: 2.0 + 1.5 * np.cumsum(r)[n - 1] ** -0.5   # no annealing term
            >>> steps = np.arange(10, 201, 10)
            >>> curves = [Curve(rates_of(s, 200, 0.1), steps, law(rates_of(s, 200), steps), label=s)
            ...           for s in ("constant()", "cosine()")]
            >>> round(fit(curves, uncertainty="none").predict("constant()").final, 3)
            2.106
        """
        law = self._law
        if isinstance(schedule, (str, Schedule)):
            if total is None:
                if self.total is None:
                    raise fail("predict", "total", total, "an int >= 1 (the fitted runs differ in length)")
                total = self.total
            base = (
                self.base if base is None else check_number("predict", "base", base, low=0.0, low_open=True)
            )
            rates = rates_of(schedule, total, base)
            name = label if label is not None else (schedule if isinstance(schedule, str) else repr(schedule))
        else:
            rates = np.asarray(schedule, dtype=np.float64)
            if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates)) or np.any(rates < 0):
                raise fail("predict", "schedule", "<rates>", "a spec, a Schedule, or finite rates >= 0")
            if total is not None and check_int("predict", "total", total, low=1) != rates.size:
                raise fail("predict", "total", total, f"the number of rates ({rates.size})")
            total = rates.size
            name = label if label is not None else "rates"
        if steps is None:
            points = check_int("predict", "points", points, low=1)
            at = np.unique(np.ceil(np.linspace(0, total, points + 1)[1:]).astype(np.int64))
        else:
            at = np.asarray(steps, dtype=np.int64)
            if at.ndim != 1 or at.size == 0 or at.min() < 1 or at.max() > total or np.any(np.diff(at) <= 0):
                raise fail("predict", "steps", steps, f"increasing update counts in 1..{total}")
        scaled = rates / self.lr_ref
        at = at[np.concatenate(([0.0], np.cumsum(scaled)))[at] > 0.0] if at.size else at
        if at.size == 0:
            raise fail("predict", "schedule", name, "a schedule with a rate > 0 before the last update")
        theta = [self.params[p] for p in law.params]
        loss = law.loss(theta, scaled, at)
        low = high = None
        if self.uncertainty == "bootstrap" and self.samples is not None:
            draws = np.array([law.loss(list(sample), scaled, at) for sample in self.samples])
            low, high = np.percentile(draws, 2.5, axis=0), np.percentile(draws, 97.5, axis=0)
        elif self.uncertainty == "jacobian":
            gradient = _gradient(law, theta, scaled, at)
            sd = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", gradient, self.covariance, gradient), 0.0))
            low, high = loss - _Z95 * sd, loss + _Z95 * sd
        return Prediction(name, at, loss, low, high, total, self._warmup_warning(rates))

    def _warmup_warning(self, rates: FloatArray) -> str | None:
        """A note when `rates` warm up over another fraction of the run than every fitted run."""
        if not self.warmups:
            return None
        warmup = _warmup_fraction(rates)
        if any(abs(warmup - fitted) < 0.005 for fitted in self.warmups):
            return None
        fitted = " or ".join(f"{100 * w:g}%" for w in self.warmups)
        return (
            f"warmup over {100 * warmup:g}% of the run, the fitted runs' over {fitted}: neither law "
            "models the warmup, so this prediction extrapolates (fit on runs with this warmup)"
        )

    def summary(self) -> str:
        """The law, its parameters with standard errors, and the quality of the fit, as text."""
        lines = [
            f"{self.law} law fitted on {len(self.labels)} run(s) of {', '.join(sorted(set(self.labels)))}: "
            f"{self.points} points, rmse {self.rmse:.4g}, uncertainty: {self.uncertainty}",
        ]
        for name, value in self.params.items():
            err = self.stderr.get(name)
            shown = f" ± {err:.3g}" if err is not None and math.isfinite(err) else ""
            lines.append(f"  {name:<6} = {value:.6g}{shown}")
        lines.append(f"  (rates divided by lr_ref = {self.lr_ref:.6g})")
        if self.skip_choice is not None:
            lines.append(f"  skip = {self.skip:g} (auto: {self.skip_choice.describe()})")
        elif self.skip:
            lines.append(f"  skip = {self.skip:g}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (without the bootstrap samples)."""
        return {
            "law": self.law,
            "params": self.params,
            "stderr": {k: (v if math.isfinite(v) else None) for k, v in self.stderr.items()},
            "lr_ref": self.lr_ref,
            "base": self.base,
            "total": self.total,
            "decay": self.decay,
            "points": self.points,
            "rmse": self.rmse,
            "schedules": sorted(set(self.labels)),
            "uncertainty": self.uncertainty,
            "warmups": list(self.warmups),
            "skip": self.skip,
            "skip_choice": None if self.skip_choice is None else self.skip_choice.to_dict(),
        }


#: The candidates of ``skip="auto"`` (fractions of each run left out of the fit).
AUTO_SKIPS = (0.0, 0.1, 0.2, 0.3)
#: The last fraction of each fitted run that ``skip="auto"`` forecasts from the rest.
AUTO_TAIL = 0.2


@dataclasses.dataclass(frozen=True)
class SkipChoice:
    """How ``skip="auto"`` chose: each candidate's per-run forecast scores and the rule's pick.

    ``scores[s][j]``: for candidate ``s``, the root mean square relative error of the forecast of
    fitted run ``j``'s last `tail` (the law fitted on every run's points before it, without the
    first ``s``). ``best`` has the lowest mean score; ``skip`` is the smallest candidate within one
    standard error (of the per-run differences with ``best``) of it.
    """

    skip: float
    best: float
    tail: float
    scores: dict[float, tuple[float, ...]]

    def mean(self, candidate: float) -> float:
        """The mean score of `candidate` over the fitted runs."""
        return float(np.mean(self.scores[candidate]))

    def describe(self) -> str:
        """One line: each candidate's mean forecast error of the fitted runs' last part."""
        shown = ", ".join(f"{s:g}: {100 * self.mean(s):.2f} %" for s in self.scores)
        return f"forecast error of the fitted runs' last {100 * self.tail:g} %: {shown}; one-SE rule"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "skip": self.skip,
            "best": self.best,
            "tail": self.tail,
            "scores": {f"{s:g}": list(v) for s, v in self.scores.items()},
        }


def choose_skip(
    curves: Sequence[Curve],
    *,
    law: str = "annealing",
    decay: float | None = 0.999,
    candidates: Sequence[float] = AUTO_SKIPS,
    tail: float = AUTO_TAIL,
) -> SkipChoice:
    """Choose `fit`'s `skip` from the fitted runs alone: forecast their last part from the rest.

    For each candidate ``s``: fit `law` on the points of every run measured at or before
    ``(1 - tail)`` of the run, without those at or before ``s`` of the run; score each run by the
    root mean square of the relative errors ``(forecast - measured) / measured`` of its points
    after that. Let ``best`` be the candidate with the lowest mean score: the choice is the
    smallest candidate whose mean score exceeds ``best``'s by at most one standard error of the
    per-run differences with ``best`` (the one-standard-error rule of cross-validation; Hastie,
    Tibshirani and Friedman, *The Elements of Statistical Learning*, 2nd ed., 7.10). A candidate
    whose fit cannot be made (too few points) is left out.

    Raises:
        ValueError: a bad argument, no run with points both before and after the cut, or no
            candidate that can be fitted.

    Example:
        >>> import numpy as np
        >>> from lrkit.predict import Curve, choose_skip, rates_of
        >>> from lrkit.predict._laws import AnnealingLaw
        >>> steps = np.arange(25, 501, 25)
        >>> truth = [2.5, 1.0, 0.5, 0.003]
        >>> curves = [Curve(rates_of(s, 500), steps, AnnealingLaw().loss(truth, rates_of(s, 500), steps))
        ...           for s in ("constant()", "cosine()")]
        >>> choose_skip(curves).skip       # the law holds from the start: every point is kept
        0.0
    """
    law = check_choice("choose_skip", "law", law, LAWS)
    tail = check_number("choose_skip", "tail", tail, low=0.0, high=1.0, low_open=True, high_open=True)
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence) or not candidates:
        raise fail("choose_skip", "candidates", candidates, "a non-empty list of fractions in [0, 1)")
    values = sorted(
        {check_number("choose_skip", "candidates", c, low=0.0, high=1.0, high_open=True) for c in candidates}
    )
    heads, tails = [], []
    for curve in curves:
        cut = (1.0 - tail) * curve.rates.size
        before = curve.steps <= cut
        if before.any() and (~before).any():
            heads.append(dataclasses.replace(curve, steps=curve.steps[before], loss=curve.loss[before]))
            tails.append((curve, ~before))
    if not heads:
        raise fail(
            "choose_skip",
            "curves",
            f"<{len(curves)} runs>",
            f"runs with points both before and after {100 * (1 - tail):g} % of the run",
        )
    scores: dict[float, tuple[float, ...]] = {}
    for candidate in values:
        try:
            fitted = fit(heads, law=law, decay=decay, skip=candidate, uncertainty="none")
        except ValueError:
            continue
        per_run = []
        for curve, after in tails:
            forecast = fitted.predict(curve.rates, steps=curve.steps[after]).loss
            measured = curve.loss[after]
            per_run.append(float(np.sqrt(np.mean(((forecast - measured) / measured) ** 2))))
        scores[candidate] = tuple(per_run)
    if not scores:
        raise fail("choose_skip", "curves", f"<{len(curves)} runs>", "enough points to fit some candidate")
    chosen, best = _one_standard_error(scores)
    return SkipChoice(skip=chosen, best=best, tail=tail, scores=scores)


def _one_standard_error(scores: dict[float, tuple[float, ...]]) -> tuple[float, float]:
    """(the smallest candidate within one standard error of the best, the best) by mean score.

    The standard error is that of the mean of the per-run differences with the best (paired).
    """
    best = min(scores, key=lambda c: float(np.mean(scores[c])))
    for candidate in sorted(scores):
        difference = np.asarray(scores[candidate]) - np.asarray(scores[best])
        se = float(difference.std(ddof=1) / math.sqrt(difference.size)) if difference.size > 1 else 0.0
        if float(difference.mean()) <= se:
            return candidate, best
    return best, best


def fit(
    curves: Sequence[Curve],
    *,
    law: str = "annealing",
    decay: float | None = 0.999,
    skip: float | str = 0.0,
    uncertainty: str = "auto",
    resamples: int = 100,
    seed: int = 0,
) -> Fit:
    """Fit `law` to the curves by least squares; return the `Fit` (parameters, intervals, `predict`).

    Args:
        curves: recorded runs (`Curve`), at least one; runs sharing a label are seeds of one schedule.
        law: ``"annealing"`` (Tissue et al., 2024: ``L0 + A*S1**-alpha - C*S2``) or
            ``"multi-power"`` (Luo et al., ICLR 2025).
        decay: the annealing law's momentum factor ``lambda`` in (0, 1) (the paper uses 0.999);
            None fits it. Ignored by the multi-power law.
        skip: leave out the points measured in the first ``skip`` fraction of each run, in [0, 1)
            (the early transient the laws do not model); ``"auto"`` chooses it from these runs
            alone (`choose_skip`: the candidate that best forecasts their last 20 %, by the
            one-standard-error rule), recorded in ``Fit.skip`` and ``Fit.skip_choice``.
        uncertainty: ``"auto"`` (bootstrap when a schedule has >= 2 runs, else jacobian),
            ``"bootstrap"``, ``"jacobian"`` or ``"none"``.
        resamples: bootstrap refits, an int >= 10.
        seed: the bootstrap's random seed.

    Raises:
        ValueError: no curves, fewer points than the law has parameters, a bad argument,
            ``"bootstrap"`` with no schedule that has two runs.
        TypeError: an item that is not a `Curve`.

    Example:
        >>> import numpy as np
        >>> from lrkit.predict import Curve, fit, rates_of
        >>> from lrkit.predict._laws import AnnealingLaw
        >>> steps = np.arange(20, 401, 20)
        >>> truth = [3.0, 2.0, 0.4, 0.002]    # L0, A, alpha, C
        >>> curves = [Curve(rates_of(s, 400), steps, AnnealingLaw().loss(truth, rates_of(s, 400), steps))
        ...           for s in ("constant()", "cosine()")]
        >>> result = fit(curves, uncertainty="none")
        >>> [round(result.params[p], 4) for p in ("L0", "A", "alpha", "C")]
        [3.0, 2.0, 0.4, 0.002]
    """
    from scipy.optimize import least_squares

    law = check_choice("fit", "law", law, LAWS)
    uncertainty = check_choice("fit", "uncertainty", uncertainty, ("auto", "bootstrap", "jacobian", "none"))
    if decay is not None:
        decay = check_number("fit", "decay", decay, low=0.0, high=1.0, low_open=True, high_open=True)
    choice = None
    if isinstance(skip, str):
        if skip != "auto":
            raise fail("fit", "skip", skip, "a fraction in [0, 1) or 'auto'")
    else:
        skip = check_number("fit", "skip", skip, low=0.0, high=1.0, high_open=True)
    resamples = check_int("fit", "resamples", resamples, low=10)
    seed = check_int("fit", "seed", seed)
    if isinstance(curves, Curve) or not isinstance(curves, Sequence) or not curves:
        raise fail("fit", "curves", curves, "a non-empty list of lrkit.predict.Curve", kind=TypeError)
    for curve in curves:
        if not isinstance(curve, Curve):
            raise fail("fit", "curves", curve, "lrkit.predict.Curve items", kind=TypeError)
    if isinstance(skip, str):
        choice = choose_skip(curves, law=law, decay=decay)
        fraction = choice.skip
    else:
        fraction = skip
    model = make_law(law, decay)
    lr_ref = max(float(curve.rates.max()) for curve in curves)
    if lr_ref <= 0.0:
        raise fail("fit", "curves", "<all rates 0>", "runs with some rate > 0")
    data = [_prepare(curve.after(fraction) if fraction else curve, lr_ref) for curve in curves]
    points = sum(d[2].size for d in data)
    if points <= len(model.params):
        raise fail(
            "fit",
            "curves",
            f"<{points} points>",
            f"more points than the {model.name} law's {len(model.params)} parameters",
        )
    hints: dict[str, float] = {}
    if law == "multi-power":
        hints["alpha"] = fit(curves, law="annealing", decay=None, skip=fraction, uncertainty="none").params[
            "alpha"
        ]
    merged = _merge(data)
    theta = _search(model, merged, least_squares, hints)
    solution = least_squares(
        _residuals, theta, args=(model, merged), bounds=_bounds(model), x_scale="jac", method="trf"
    )
    theta = solution.x
    residuals = solution.fun
    dof = max(points - len(theta), 1)
    s2 = float(residuals @ residuals) / dof
    jac = solution.jac
    covariance = s2 * np.linalg.pinv(jac.T @ jac)
    labels = tuple(curve.label for curve in curves)
    groups: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, []).append(index)
    can_bootstrap = any(len(members) >= 2 for members in groups.values())
    if uncertainty == "bootstrap" and not can_bootstrap:
        raise fail("fit", "uncertainty", uncertainty, "'jacobian' or 'none' when no schedule has two runs")
    if uncertainty == "auto":
        uncertainty = "bootstrap" if can_bootstrap else "jacobian"
    samples = None
    if uncertainty == "bootstrap":
        generator = np.random.default_rng(seed)
        draws = []
        for _ in range(resamples):
            chosen = [data[i] for members in groups.values() for i in generator.choice(members, len(members))]
            refit = least_squares(
                _residuals,
                theta,
                args=(model, _merge(chosen)),
                bounds=_bounds(model),
                x_scale="jac",
                method="trf",
                max_nfev=50 * len(theta),
            )
            draws.append(refit.x)
        samples = np.array(draws)
        stderr_values = samples.std(axis=0, ddof=1)
    else:
        stderr_values = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    totals = {curve.rates.size for curve in curves}
    return Fit(
        law=law,
        params={p: float(v) for p, v in zip(model.params, theta, strict=True)},
        stderr={p: float(v) for p, v in zip(model.params, stderr_values, strict=True)},
        covariance=covariance,
        lr_ref=lr_ref,
        base=float(curves[0].base if curves[0].base is not None else lr_ref),
        total=totals.pop() if len(totals) == 1 else None,
        decay=decay if law == "annealing" else None,
        points=points,
        rmse=math.sqrt(float(residuals @ residuals) / points),
        labels=labels,
        uncertainty=uncertainty,
        samples=samples,
        warmups=tuple(sorted({_warmup_fraction(curve.rates) for curve in curves})),
        skip=float(fraction),
        skip_choice=choice,
    )


def _warmup_fraction(rates: FloatArray) -> float:
    """The updates up to and with the first maximum, as a fraction of the run (0 if none)."""
    from lrkit.predict._laws import peak_index

    peak = peak_index(rates)
    return 0.0 if peak == 0 else round((peak + 1) / rates.size, 2)


_Data = tuple[FloatArray, npt.NDArray[np.int64], FloatArray]


def _merge(data: Sequence[_Data]) -> list[_Data]:
    """Runs with the same rates and steps (the seeds of one schedule) as one entry with a 2-D loss.

    The law's prediction is then computed once per schedule instead of once per run.
    """
    merged: dict[tuple[bytes, bytes], tuple[FloatArray, npt.NDArray[np.int64], list[FloatArray]]] = {}
    for rates, steps, loss in data:
        key = (rates.tobytes(), steps.tobytes())
        merged.setdefault(key, (rates, steps, []))[2].append(np.atleast_2d(loss))
    return [(rates, steps, np.vstack(losses)) for rates, steps, losses in merged.values()]


def _prepare(curve: Curve, lr_ref: float) -> _Data:
    """(scaled rates, steps with a forward area > 0, losses there as a row)."""
    scaled = curve.rates / lr_ref
    area = np.concatenate(([0.0], np.cumsum(scaled)))[curve.steps]
    keep = area > 0.0
    return scaled, curve.steps[keep], curve.loss[keep][None, :]


def _bounds(model: Law) -> tuple[list[float], list[float]]:
    return [b[0] for b in model.bounds], [b[1] for b in model.bounds]


def _residuals(theta: FloatArray, model: Law, data: Sequence[_Data]) -> FloatArray:
    parts = [(model.loss(list(theta), rates, steps) - loss).ravel() for rates, steps, loss in data]
    out = np.concatenate(parts)
    return np.where(np.isfinite(out), out, 1e6)


def _search(model: Law, data: Sequence[_Data], least_squares: Any, hints: dict[str, float]) -> FloatArray:
    """The best start: linear parameters solved exactly from each nonlinear start, the best 3 polished."""
    from scipy.optimize import nnls

    target = np.concatenate([loss.ravel() for _, _, loss in data])
    scored: list[tuple[float, list[float]]] = []
    for start in model.starts(**hints):
        features = np.vstack(
            [np.tile(model.features(rates, steps, start), (len(loss), 1)) for rates, steps, loss in data]
        )
        if not np.all(np.isfinite(features)):
            continue
        column_scale = np.maximum(np.abs(features).max(axis=0), 1e-300)
        coefficients, norm = nnls(features / column_scale, target)
        scored.append((float(norm), model.join(list(coefficients / column_scale), start)))
    if not scored:
        raise ValueError(f"the {model.name} law cannot be evaluated on these curves (non-finite features)")
    scored.sort(key=lambda item: item[0])
    lower, upper = _bounds(model)
    best: tuple[float, FloatArray] | None = None
    for _, theta in scored[:3]:
        start = np.clip(np.asarray(theta), np.asarray(lower) + 1e-12, np.asarray(upper) - 1e-12)
        solution = least_squares(_residuals, start, args=(model, data), bounds=(lower, upper), x_scale="jac")
        if best is None or solution.cost < best[0]:
            best = (float(solution.cost), solution.x)
    assert best is not None
    return best[1]


def _gradient(
    law: Law, theta: Sequence[float], rates: FloatArray, steps: npt.NDArray[np.int64]
) -> FloatArray:
    """d loss(steps) / d theta by central differences."""
    base = np.asarray(theta, dtype=np.float64)
    columns = []
    for j in range(base.size):
        h = 1e-6 * max(abs(base[j]), 1e-3)
        up, down = base.copy(), base.copy()
        up[j] += h
        down[j] -= h
        columns.append((law.loss(list(up), rates, steps) - law.loss(list(down), rates, steps)) / (2 * h))
    return np.column_stack(columns)
