"""Predict a schedule's loss curve before running it: fit a schedule-aware loss law on a few runs.

Two laws, both functions of the rates a run used (`lrkit.predict._laws` has the exact formulas):

* the annealing law of Tissue et al., "Scaling Law with Learning Rate Annealing" (2024):
  ``L(n) = L0 + A * S1 ** -alpha - C * S2``, with ``S1`` the forward area (the sum of the rates so
  far) and ``S2`` the annealing area (the rate drops, accumulated with a momentum factor);
* the multi-power law of Luo et al., "A Multi-Power Law for Loss Curve Prediction Across Learning
  Rate Schedules" (ICLR 2025): ``L(n) = L0 + A * S1 ** -alpha - LD(n)``, where each rate drop
  lowers the loss by an amount that saturates as a power of the area trained since.

`fit(curves)` fits one to recorded runs (`Curve`: the rate of every update and the losses; read
them with `from_comparison` or `read_log`); `Fit.predict(spec)` gives the loss curve of any other
schedule with a 95 % band; `design` searches a family of schedules for the lowest predicted final
loss. lrkit's schedules are closed forms, so the areas are exact sums of the rates.
Needs scipy (``pip install 'lrkit[predict]'``); imports neither torch nor scipy at import time.

Example:
    >>> import numpy as np
    >>> from lrkit.predict import Curve, fit, rates_of
    >>> from lrkit.predict._laws import AnnealingLaw
    >>> steps = np.arange(25, 501, 25)
    >>> truth = [2.5, 1.0, 0.5, 0.003]          # L0, A, alpha, C
    >>> curves = [Curve(rates_of(s, 500), steps, AnnealingLaw().loss(truth, rates_of(s, 500), steps), label=s)
    ...           for s in ("constant()", "cosine()")]
    >>> law = fit(curves, uncertainty="none")
    >>> truth_wsd = AnnealingLaw().loss(truth, rates_of("wsd(warmup=0, decay=0.2)", 500), np.array([500]))
    >>> bool(abs(law.predict("wsd(warmup=0, decay=0.2)").final - truth_wsd[0]) < 1e-6)
    True
"""

from lrkit.predict._curves import Curve, rates_of
from lrkit.predict._design import DEFAULT_FAMILY, Candidate, Design, design, design_specs
from lrkit.predict._fit import Fit, Prediction, SkipChoice, choose_skip, fit
from lrkit.predict._laws import LAWS
from lrkit.predict._load import from_comparison, load_runs, read_log
from lrkit.predict._race import RacePrediction, predict_race

__all__ = [
    "DEFAULT_FAMILY",
    "LAWS",
    "Candidate",
    "Curve",
    "Design",
    "Fit",
    "Prediction",
    "RacePrediction",
    "SkipChoice",
    "choose_skip",
    "design",
    "design_specs",
    "fit",
    "from_comparison",
    "load_runs",
    "predict_race",
    "rates_of",
    "read_log",
]
