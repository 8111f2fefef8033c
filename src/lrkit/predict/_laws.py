"""The two loss laws, as pure numpy functions of a rate sequence: the annealing law and the multi-power law.

Conventions (shared by both laws and by the fitting code):

* ``rates[i]`` is the learning rate update ``i`` used (0-based), divided by a reference rate
  (the fit's ``lr_ref``, the peak rate of the runs it was fitted on), so the laws' parameters do
  not depend on the rate's units.
* A loss measured after ``n`` updates (``n >= 1``) depends on ``rates[:n]``: the validation loss
  after epoch ``e`` of a run with ``E`` updates per epoch sits at ``n = e * E``.
* The **warmup** is the prefix of the schedule before its first maximum (index ``peak``). It adds
  to the forward area ``S1`` but not to the annealing terms: both papers fit the law after the
  warmup (Luo et al. write its area as ``S_W``); a rising rate is not an annealing.

The annealing law (Tissue et al., 2024)::

    L(n) = L0 + A * S1(n) ** -alpha - C * S2(n)
    S1(n) = sum_{i < n} rates[i]                          (forward area)
    m_i = decay * m_{i-1} + (rates[i-1] - rates[i])       (m_i = 0 up to the peak)
    S2(n) = sum_{i < n} m_i                               (annealing area, with momentum)

The multi-power law (Luo et al., ICLR 2025)::

    L(n) = L0 + A * S1(n) ** -alpha - LD(n)
    LD(n) = B * sum_{peak < k < n} (rates[k-1] - rates[k]) * G(rates[k] ** -gamma * S_k(n))
    S_k(n) = sum_{k <= j < n} rates[j],      G(x) = 1 - (C * x + 1) ** -beta
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["LAWS", "AnnealingLaw", "Law", "MultiPowerLaw", "peak_index"]

FloatArray = npt.NDArray[np.float64]


def peak_index(rates: FloatArray) -> int:
    """The index of the schedule's first maximum: updates before it are the warmup.

    Example:
        >>> import numpy as np
        >>> peak_index(np.array([0.0, 0.5, 1.0, 1.0, 0.5]))
        2
    """
    return int(np.argmax(rates)) if rates.size else 0


def forward_area(rates: FloatArray, steps: npt.NDArray[np.int64]) -> FloatArray:
    """``S1(n) = sum(rates[:n])`` at each ``n`` of `steps` (exact partial sums)."""
    cumulative = np.concatenate(([0.0], np.cumsum(rates)))
    return np.asarray(cumulative[steps], dtype=np.float64)


def annealing_drops(rates: FloatArray) -> FloatArray:
    """``rates[i-1] - rates[i]`` for each update ``i`` after the peak, 0 up to and at the peak."""
    drops = np.zeros_like(rates)
    if rates.size > 1:
        drops[1:] = rates[:-1] - rates[1:]
    drops[: peak_index(rates) + 1] = 0.0
    return drops


def annealing_area(rates: FloatArray, steps: npt.NDArray[np.int64], decay: float) -> FloatArray:
    """``S2(n)`` of the annealing law at each ``n`` of `steps`, with momentum factor `decay`.

    ``m_i = decay * m_{i-1} + drop_i`` is a first-order recursive filter of the drops; it is run
    with scipy's ``lfilter`` (exact to rounding), then summed.

    Example:
        >>> import numpy as np
        >>> rates = np.array([1.0, 1.0, 0.5, 0.5])   # drops: 0, 0, 0.5, 0
        >>> annealing_area(rates, np.array([4]), decay=0.5)   # m = 0, 0, 0.5, 0.25
        array([0.75])
    """
    from scipy.signal import lfilter

    momentum = lfilter([1.0], [1.0, -decay], annealing_drops(rates))
    cumulative = np.concatenate(([0.0], np.cumsum(momentum)))
    return np.asarray(cumulative[steps], dtype=np.float64)


def multi_power_drop(
    rates: FloatArray, steps: npt.NDArray[np.int64], c: float, beta: float, gamma: float
) -> FloatArray:
    """``LD(n) / B`` of the multi-power law at each ``n`` of `steps`.

    Example:
        >>> import numpy as np
        >>> rates = np.array([1.0, 0.5, 0.5])   # one drop of 0.5 at k = 1
        >>> x = 0.5 ** -1.0 * (0.5 + 0.5)      # rates[1] ** -gamma * S_1(3)
        >>> bool(np.isclose(multi_power_drop(rates, np.array([3]), 1.0, 1.0, 1.0)[0],
        ...                 0.5 * (1 - (x + 1) ** -1.0)))
        True
    """
    drops = annealing_drops(rates)
    cumulative = np.concatenate(([0.0], np.cumsum(rates)))
    active = np.flatnonzero(drops)
    out = np.zeros(len(steps), dtype=np.float64)
    if active.size == 0:
        return out
    # NOTE: a rate of exactly 0 after a drop makes rates**-gamma infinite; G is then 1 as soon as
    # some rate follows (the limit of x -> inf), and 0 when nothing follows yet.
    with np.errstate(divide="ignore"):
        scale = np.where(rates[active] > 0.0, rates[active] ** -gamma, np.inf)
    # One matrix over (measurement, drop): S_k(n) = cumulative[n] - cumulative[k] where k < n.
    area = cumulative[np.asarray(steps)][:, None] - cumulative[active][None, :]
    used = active[None, :] < np.asarray(steps)[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        x = np.where(area > 0.0, scale[None, :] * area, 0.0)
        g = np.where(used, 1.0 - (c * x + 1.0) ** -beta, 0.0)
    out = g @ drops[active]
    return out


class Law:
    """A loss law: parameter names, bounds, and the predicted loss of a rate sequence."""

    name: str = ""
    params: tuple[str, ...] = ()
    #: (low, high) per parameter, for the fit.
    bounds: tuple[tuple[float, float], ...] = ()
    #: The parameters the law is linear in (solved exactly inside the fit's search).
    linear: tuple[str, ...] = ()

    def features(
        self, rates: FloatArray, steps: npt.NDArray[np.int64], nonlinear: Sequence[float]
    ) -> FloatArray:
        """Columns ``X`` with ``loss = X @ linear_params`` for fixed nonlinear parameters."""
        raise NotImplementedError

    def split(self, theta: Sequence[float]) -> tuple[list[float], list[float]]:
        """(linear, nonlinear) parameter values, in the orders of `linear` and the rest."""
        named = dict(zip(self.params, theta, strict=True))
        nonlinear = [p for p in self.params if p not in self.linear]
        return [named[p] for p in self.linear], [named[p] for p in nonlinear]

    def join(self, linear: Sequence[float], nonlinear: Sequence[float]) -> list[float]:
        """The full parameter vector from its (linear, nonlinear) parts."""
        values = dict(zip(self.linear, linear, strict=True))
        values.update(zip([p for p in self.params if p not in self.linear], nonlinear, strict=True))
        return [float(values[p]) for p in self.params]

    def loss(self, theta: Sequence[float], rates: FloatArray, steps: npt.NDArray[np.int64]) -> FloatArray:
        """The predicted loss after each number of updates in `steps` (each in ``1..len(rates)``)."""
        linear, nonlinear = self.split(theta)
        return np.asarray(self.features(rates, steps, nonlinear) @ np.asarray(linear), dtype=np.float64)

    def starts(self, **hints: Any) -> list[list[float]]:
        """Starting values of the nonlinear parameters for the fit's search."""
        raise NotImplementedError


class AnnealingLaw(Law):
    """``L = L0 + A * S1 ** -alpha - C * S2`` (Tissue et al., 2024); `decay` is the momentum factor.

    With ``decay=None`` the factor is fitted (in [0, 0.9999]) as a fifth parameter ``decay``.
    """

    name = "annealing"
    linear = ("L0", "A", "C")

    def __init__(self, decay: float | None = 0.999) -> None:
        self.decay = decay
        if decay is None:
            self.params = ("L0", "A", "alpha", "C", "decay")
            self.bounds = ((0.0, np.inf), (0.0, np.inf), (1e-3, 5.0), (0.0, np.inf), (0.0, 0.9999))
        else:
            self.params = ("L0", "A", "alpha", "C")
            self.bounds = ((0.0, np.inf), (0.0, np.inf), (1e-3, 5.0), (0.0, np.inf))

    def features(
        self, rates: FloatArray, steps: npt.NDArray[np.int64], nonlinear: Sequence[float]
    ) -> FloatArray:
        alpha = nonlinear[0]
        decay = nonlinear[1] if self.decay is None else self.decay
        s1 = forward_area(rates, steps)
        s2 = annealing_area(rates, steps, decay)
        return np.column_stack([np.ones_like(s1), s1**-alpha, -s2])

    def starts(self, **hints: Any) -> list[list[float]]:
        alphas = [0.1, 0.25, 0.5, 0.8, 1.2, 2.0]
        if self.decay is not None:
            return [[a] for a in alphas]
        return [[a, d] for a in alphas for d in (0.3, 0.9, 0.99, 0.999)]


class MultiPowerLaw(Law):
    """``L = L0 + A * S1 ** -alpha - LD`` with the multi-power loss drop (Luo et al., ICLR 2025)."""

    name = "multi-power"
    params = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
    bounds = (
        (0.0, np.inf),
        (0.0, np.inf),
        (1e-3, 5.0),
        (0.0, np.inf),
        (1e-6, 1e4),
        (1e-3, 10.0),
        (0.0, 3.0),
    )
    linear = ("L0", "A", "B")

    def features(
        self, rates: FloatArray, steps: npt.NDArray[np.int64], nonlinear: Sequence[float]
    ) -> FloatArray:
        alpha, c, beta, gamma = nonlinear
        s1 = forward_area(rates, steps)
        drop = multi_power_drop(rates, steps, c, beta, gamma)
        return np.column_stack([np.ones_like(s1), s1**-alpha, -drop])

    def starts(self, **hints: Any) -> list[list[float]]:
        alphas = [float(hints["alpha"])] if "alpha" in hints else [0.25, 0.5, 1.0]
        return [
            [a, c, beta, gamma]
            for a in alphas
            for c in (0.01, 0.1, 1.0)
            for beta in (0.3, 0.7)
            for gamma in (0.2, 0.6)
        ]


def make_law(name: str, decay: float | None = 0.999) -> Law:
    """The law called `name` (``"annealing"`` or ``"multi-power"``)."""
    if name == "annealing":
        return AnnealingLaw(decay)
    if name == "multi-power":
        return MultiPowerLaw()
    raise ValueError(f"unknown law {name!r}; known: {', '.join(LAWS)}")


#: The laws `lrkit.predict.fit` knows, by name.
LAWS = ("annealing", "multi-power")
