"""Reading a range test's curve: debiased smoothing and three suggestion methods, with intervals.

Pure numpy: these functions work on any ``(lrs, losses)`` curve, recorded by `find_lr` or not.

(Over 400 lines for one job, reading a curve: three methods, the preferred rule, the combination of
repeats and `Suggestion`; most of it is the docstrings' math and examples.)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_int, check_number, fail

__all__ = [
    "METHODS",
    "PREFERENCE",
    "Suggestion",
    "combine",
    "preferred",
    "smooth",
    "suggest",
    "suggestion_curve",
]

FloatArray = npt.NDArray[np.float64]

#: The suggestion methods, in the order they are reported.
METHODS = ("valley", "steepest", "minimum")

#: The fallback order of `preferred` when the minimum / 10 or the steepest descent abstained: the
#: first of these methods that did not abstain.
PREFERENCE = ("minimum", "valley", "steepest")

#: The name of the preferred suggestion: the geometric mean of minimum / 10 and steepest.
BETWEEN = "between"

#: Fewest usable points (after the skipped ends) a curve needs before anything is suggested.
MIN_POINTS = 8


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A suggested learning rate with an interval of plausible rates, or None and the reason.

    A suggestion works where a number is expected: ``float(s)``, ``round(s, 6)`` and format specs
    (``f"{s:.2e}"``) read `lr`; for a method that abstained they raise `ValueError` with the
    reason (never a silent NaN). ``f"{s}"`` without a spec is the repr. To build an optimizer,
    pass ``float(s)`` (torch keeps whatever object it is given as the rate).

    Attributes:
        method: "valley", "steepest" or "minimum" (`METHODS`, from `suggest`), or "between" for
            `preferred`'s geometric mean of minimum and steepest (`RangeTestResult.suggestion`).
        lr: the suggested rate, or None when the curve has no usable descent.
        low: the low end of the interval of plausible rates (None with `lr`).
        high: the high end of the interval (None with `lr`).
        reason: how the value was found, or why there is none.

    Example:
        >>> s = Suggestion("minimum", 0.0123456789, 0.01, 0.02, "")
        >>> float(s), round(s, 4), f"{s:.2e}"
        (0.0123456789, 0.0123, '1.23e-02')
        >>> float(Suggestion("valley", None, None, None, "the loss rises from the start"))
        Traceback (most recent call last):
        ...
        ValueError: The range test suggests no rate (valley): the loss rises from the start
    """

    method: str
    lr: float | None
    low: float | None
    high: float | None
    reason: str

    def __repr__(self) -> str:
        if self.lr is None:
            return f"Suggestion({self.method!r}, None: {self.reason})"
        return f"Suggestion({self.method!r}, lr={self.lr:.3g}, interval=[{self.low:.3g}, {self.high:.3g}])"

    def _value(self) -> float:
        if self.lr is None:
            raise ValueError(f"The range test suggests no rate ({self.method}): {self.reason}")
        return self.lr

    def __float__(self) -> float:
        return float(self._value())

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self._value(), ndigits)

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        return format(self._value(), spec)


def smooth(losses: Sequence[float] | FloatArray, beta: float = 0.98, *, centered: bool = False) -> FloatArray:
    """An exponential moving average of `losses` with bias correction (fastai, Lightning).

    ``a_k = beta * a_(k-1) + (1 - beta) * loss_k`` from ``a_(-1) = 0``, and the smoothed value is
    ``a_k / (1 - beta ** (k + 1))``, so the first value is the first loss (no pull towards 0).

    This causal average lags: on a sweep of 100 points with ``beta=0.98`` it trails the raw curve
    by tens of points, which moves every suggestion to larger rates (the steepest descent of a
    synthetic curve by 0.6 decades). ``centered=True`` runs the same average forwards and then
    backwards over the result (zero phase, no lag); the suggestions use it.

    Args:
        losses: the raw losses, finite.
        beta: the smoothing factor in [0, 1); 0 returns the losses unchanged. Default 0.98.
        centered: the zero-lag forward-backward average instead of the causal one.

    Raises:
        ValueError: `beta` outside [0, 1).

    Example:
        >>> smooth([1.0, 2.0], beta=0.5).tolist()
        [1.0, 1.6666666666666667]
    """
    beta = check_number("smooth", "beta", beta, low=0.0, high=1.0, high_open=True)
    if centered:
        return smooth(smooth(losses, beta)[::-1], beta)[::-1].copy()
    values = np.asarray(losses, dtype=np.float64)
    out = np.empty_like(values)
    average = 0.0
    for k, loss in enumerate(values):
        average = beta * average + (1.0 - beta) * float(loss)
        out[k] = average / (1.0 - beta ** (k + 1))
    return out


def _none(method: str, reason: str) -> Suggestion:
    return Suggestion(method, None, None, None, reason)


def _valley(lrs: FloatArray, y: FloatArray) -> Suggestion:
    """fastai's valley: the middle of the longest decreasing stretch of the smoothed loss."""
    n = len(y)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if y[i] < y[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - lds[max_end]
    if max_end - max_start < 3:
        return _none("valley", "no decreasing stretch of the smoothed loss longer than 3 points")
    sections = (max_end - max_start) / 3
    index = max_start + int(sections) + int(sections / 2)
    low = max_start + int(sections)
    high = min(max_start + int(2 * sections), n - 1)
    return Suggestion(
        "valley",
        float(lrs[index]),
        float(lrs[low]),
        float(lrs[high]),
        f"middle of the longest descent (lr {lrs[max(max_start, 0)]:.3g} to {lrs[max_end]:.3g}); "
        f"interval: its middle third",
    )


def _steepest(lrs: FloatArray, y: FloatArray) -> Suggestion:
    """The steepest descent of the smoothed loss against log(lr)."""
    slope = np.gradient(y, np.log(lrs))
    i = int(np.argmin(slope))
    if slope[i] >= 0.0:
        return _none("steepest", "the smoothed loss never decreases")
    band = slope <= 0.5 * slope[i]
    lo = i
    while lo > 0 and band[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(band) - 1 and band[hi + 1]:
        hi += 1
    return Suggestion(
        "steepest",
        float(lrs[i]),
        float(lrs[lo]),
        float(lrs[hi]),
        f"steepest slope of the smoothed loss against log(lr) ({slope[i]:.3g} per e-fold); interval: "
        f"where the slope is at least half as steep",
    )


def _minimum(lrs: FloatArray, y: FloatArray) -> Suggestion:
    """The rate at the minimum of the smoothed loss, divided by 10."""
    i = int(np.argmin(y))
    top = float(np.max(y[: i + 1]))
    near = y <= y[i] + 0.05 * (top - y[i])
    lo = i
    while lo > 0 and near[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(near) - 1 and near[hi + 1]:
        hi += 1
    return Suggestion(
        "minimum",
        float(lrs[i]) / 10.0,
        float(lrs[lo]) / 10.0,
        float(lrs[hi]) / 10.0,
        f"a tenth of the rate at the smoothed minimum ({lrs[i]:.3g}); interval: a tenth of the rates "
        f"within 5% of the descent from the minimum",
    )


def _median5(values: FloatArray) -> FloatArray:
    """A running median over 5 points (fewer at the ends): isolated spikes of 1-2 points vanish."""
    n = len(values)
    return np.asarray([np.median(values[max(0, k - 2) : min(n, k + 3)]) for k in range(n)], dtype=np.float64)


def _factor(beta: float, n: int) -> float:
    """The centered average's factor: `beta`, but a window of at most a tenth of the sweep."""
    return max(0.0, min(beta, 1.0 - 10.0 / n)) if n > 0 else 0.0


def suggestion_curve(
    losses: Sequence[float] | FloatArray,
    *,
    beta: float = 0.98,
    skip_start: int | None = None,
    skip_end: int = 5,
) -> FloatArray:
    """The smoothed curve `suggest` reads, at full length (NaN where it is not used).

    Args:
        losses: the raw losses.
        beta, skip_start, skip_end: as in `suggest`.

    Raises:
        ValueError: `beta` outside [0, 1) or NaN, a negative `skip_start` or `skip_end`.
        TypeError: `beta` not a number, `skip_start` or `skip_end` not an int.

    Example:
        >>> curve = suggestion_curve([1.0] * 20, skip_start=2, skip_end=3)
        >>> int(np.isnan(curve).sum()), float(curve[2])
        (5, 1.0)
    """
    owner = "suggestion_curve"
    beta = check_number(owner, "beta", beta, low=0.0, high=1.0, high_open=True)
    skip_end = check_int(owner, "skip_end", skip_end, low=0)
    if skip_start is not None:
        skip_start = check_int(owner, "skip_start", skip_start, low=0)
    raw = np.asarray(losses, dtype=np.float64)
    out = np.full(raw.shape, np.nan)
    bad = np.flatnonzero(~np.isfinite(raw))
    n = int(bad[0]) if bad.size else len(raw)
    start = n // 10 if skip_start is None else skip_start
    stop = n - skip_end
    if stop - start >= 1:
        out[start:stop] = smooth(_median5(raw[start:stop]), _factor(beta, n), centered=True)
    return out


def _noise(raw: FloatArray) -> float:
    """A robust estimate of the raw losses' noise (MAD of successive differences)."""
    if len(raw) < 3:
        return 0.0
    diffs = np.diff(raw)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return 1.4826 * mad / math.sqrt(2.0)


def suggest(
    lrs: Sequence[float] | FloatArray,
    losses: Sequence[float] | FloatArray,
    *,
    beta: float = 0.98,
    skip_start: int | None = None,
    skip_end: int = 5,
) -> dict[str, Suggestion]:
    """Suggest learning rates from a range test's curve: valley, steepest descent, minimum / 10.

    The raw losses are cut at the first non-finite value; the first `skip_start` and the last
    `skip_end` points are left out (the start is noise, the end is divergence); a running median
    of 5 points removes isolated spikes (the early spikes that fool Lightning's finder); then
    `smooth` with ``centered=True`` (the debiased moving average, forwards then backwards: no
    lag) with the factor ``min(beta, 1 - 10 / n)`` for ``n`` points, a window of about a tenth of
    the sweep (a centered average of fastai's 0.98 over 100 points blurs the curve by decades).
    Then

    * ``valley`` (fastai's default): the longest decreasing stretch of the smoothed loss, and the
      point at ``start + len/3 + len/6`` in it; the interval is its middle third. Unlike fastai,
      the stretch is looked for only after the loss has fallen by 5% of its descent, and up to the
      smoothed minimum: a long flat start that the smoothing makes slowly decreasing otherwise
      pulls the pick decades too low;
    * ``steepest``: the minimum of ``d smoothed / d log(lr)`` before the smoothed minimum (a loss
      falling back after divergence is not a descent); the interval is where the slope is at
      least half as steep;
    * ``minimum``: the rate at the smoothed minimum, divided by 10; the interval is a tenth of the
      rates whose smoothed loss is within 5% of the descent from the minimum.

    Every method abstains (``lr=None`` with a reason) when fewer than 8 points are usable, when the
    loss rises from the start, or when its descent is within the noise (less than 1% of the loss
    or less than 8 times the noise left after one pass of the average).

    Args:
        lrs: the rates, increasing, > 0.
        losses: the raw loss at each rate (NaN/inf allowed: the curve is cut there).
        beta: the smoothing factor in [0, 1).
        skip_start: points left out at the start; None for ``len // 10`` (fastai).
        skip_end: points left out at the end, >= 0. Default 5.

    Returns:
        ``{method: Suggestion}`` for "valley", "steepest" and "minimum".

    Raises:
        ValueError: `lrs` and `losses` of different lengths, rates that are not increasing and > 0,
            `beta` outside [0, 1) or NaN, a negative `skip_start` or `skip_end`.
        TypeError: `beta` not a number, `skip_start` or `skip_end` not an int.

    Example:
        >>> import numpy as np
        >>> lrs = np.geomspace(1e-5, 1.0, 100)
        >>> losses = 2.0 - np.tanh(np.log10(lrs) + 3.0)  # steepest at 1e-3
        >>> found = suggest(lrs, losses, beta=0.0)
        >>> round(float(np.log10(found["steepest"].lr)), 1)
        -3.0

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017.
    """
    beta = check_number("suggest", "beta", beta, low=0.0, high=1.0, high_open=True)
    x = np.asarray(lrs, dtype=np.float64)
    raw = np.asarray(losses, dtype=np.float64)
    if x.ndim != 1 or raw.shape != x.shape:
        raise fail("suggest", "losses", f"{raw.shape} values", f"one loss per rate ({x.shape} rates)")
    if x.size and (not np.all(np.isfinite(x)) or np.any(x <= 0.0) or np.any(np.diff(x) <= 0.0)):
        raise fail("suggest", "lrs", "...", "finite rates > 0, strictly increasing")
    skip_end = check_int("suggest", "skip_end", skip_end, low=0)
    bad = np.flatnonzero(~np.isfinite(raw))
    if bad.size:
        x, raw = x[: bad[0]], raw[: bad[0]]
    start = len(x) // 10 if skip_start is None else check_int("suggest", "skip_start", skip_start, low=0)
    stop = len(x) - skip_end
    if stop - start < MIN_POINTS:
        reason = (
            f"only {max(stop - start, 0)} usable points (of {len(x)} finite, after skipping {start} at the "
            f"start and {skip_end} at the end); {MIN_POINTS} are needed: widen the range or use more steps"
        )
        return {m: _none(m, reason) for m in METHODS}
    xs, rs = x[start:stop], raw[start:stop]
    factor = _factor(beta, len(raw))
    ys = smooth(_median5(rs), factor, centered=True)
    i = int(np.argmin(ys))
    top = float(np.max(ys[: i + 1]))
    descent = top - float(ys[i])
    # The noise left in one pass of the average; a flat curve's smoothed range stays below ~6x it
    # (200 seeded trials of white noise: at most 5.6x for the descent, 7.3x for the rise).
    noise = _noise(rs) * math.sqrt((1.0 - factor) / (1.0 + factor))
    scale = max(abs(top), abs(float(ys[i])), 1e-12)
    rise = float(np.max(ys)) - float(ys[0])
    if i == 0 and rise >= 0.01 * scale and rise >= 8.0 * noise:
        reason = f"the loss rises from the start of the range (lr {xs[0]:.3g}): lower `start`"
        return {m: _none(m, reason) for m in METHODS}
    if descent < 0.01 * scale or descent < 8.0 * noise:
        reason = (
            f"no usable descent: the smoothed loss falls by {descent:.3g} ({descent / scale:.2%}), "
            f"within the noise ({noise:.3g}); widen the range or check the model and the data"
        )
        return {m: _none(m, reason) for m in METHODS}
    # The valley is read on the descent: from where the loss has fallen by 5% of the descent
    # (a long flat start, slowly "decreasing" under the smoothing, would otherwise drag fastai's
    # longest decreasing stretch, and its pick, decades too low) to the minimum.
    # Valley and steepest are read on the descent only, up to the minimum: past it the sweep has
    # diverged, and a loss that falls back there (adaptive optimizers at rates of 1 and more, below
    # the early stop's 4 x best) is no descent.
    first = int(np.argmax(ys <= top - 0.05 * descent))
    valley = _valley(xs[first : i + 1], ys[first : i + 1])
    return {"valley": valley, "steepest": _steepest(xs[: i + 1], ys[: i + 1]), "minimum": _minimum(xs, ys)}


def preferred(suggestions: dict[str, Suggestion]) -> Suggestion:
    """The suggestion to use: the geometric mean of the minimum / 10 and the steepest descent.

    ``lr = sqrt(minimum.lr * steepest.lr)``: the midpoint, on the log scale the rates live on, of
    the two readings Smith's and fastai's tools report (fastai v2's ``lr_min`` and ``lr_steep``),
    whose errors go opposite ways. A tenth of the rate at the minimum is conservative by
    construction (a decade below where the loss stops improving), and the steepest descent is
    aggressive (the loss still falls fastest there, close to where training becomes unstable; on a
    noisy curve it can land late). Halfway between them (in decades) is at most half their spread
    from either; as the steepest descent is read before the minimum, it is at most the rate at the
    minimum / sqrt(10). The interval is the two rates it lies between.

    When either abstains, the first method of `PREFERENCE` (minimum, valley, steepest) that did
    not; when all abstain, the minimum's abstention (with its reason).

    Args:
        suggestions: ``{method: Suggestion}`` as `suggest` or `combine` returns them.

    Returns:
        A `Suggestion` with method ``"between"``, or the fallback method's.

    Raises:
        ValueError: `suggestions` lacks one of "valley", "steepest" and "minimum".

    Example:
        >>> found = {
        ...     "minimum": Suggestion("minimum", 0.01, 0.005, 0.02, ""),
        ...     "steepest": Suggestion("steepest", 1.0, 0.3, 2.0, ""),
        ...     "valley": Suggestion("valley", 0.05, 0.02, 0.1, ""),
        ... }
        >>> s = preferred(found)
        >>> s.method, round(s.lr, 12), s.low, s.high
        ('between', 0.1, 0.01, 1.0)

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", 2017; fastai's
    ``lr_find`` (``SuggestionMethod.Minimum`` and ``Steep``).
    """
    missing = [m for m in METHODS if m not in suggestions]
    if missing:
        raise fail("preferred", "suggestions", sorted(suggestions), "a dict with " + ", ".join(METHODS))
    low, steep = suggestions["minimum"], suggestions["steepest"]
    if low.lr is not None and steep.lr is not None:
        a, b = sorted((low.lr, steep.lr))
        middle = math.sqrt(a * b)
        return Suggestion(
            BETWEEN,
            min(max(middle, a), b),  # sqrt may miss by an ulp when a == b
            a,
            b,
            f"geometric mean of minimum / 10 ({low.lr:.3g}) and steepest ({steep.lr:.3g}); interval: the two",
        )
    for method in PREFERENCE:
        if suggestions[method].lr is not None:
            return suggestions[method]
    return suggestions[PREFERENCE[0]]


def combine(runs: Sequence[dict[str, Suggestion]]) -> dict[str, Suggestion]:
    """One suggestion per method from several repeats: the geometric median and the full spread.

    The interval is the smallest and the largest rate any repeat suggested (the spread across
    repeats). A method abstains when more than half of the repeats abstained.

    Args:
        runs: the suggestions of each repeat, as `suggest` returns them.

    Example:
        >>> a = {"valley": Suggestion("valley", 1e-3, 5e-4, 2e-3, "")}
        >>> b = {"valley": Suggestion("valley", 4e-3, 1e-3, 8e-3, "")}
        >>> c = combine([a, b])["valley"]
        >>> round(c.lr, 6), c.low, c.high
        (0.002, 0.001, 0.004)
    """
    if len(runs) == 1:
        return dict(runs[0])
    out: dict[str, Suggestion] = {}
    for method in runs[0]:
        values = [lr for lr in (run[method].lr for run in runs) if lr is not None]
        if 2 * (len(runs) - len(values)) > len(runs):
            reasons = sorted({run[method].reason for run in runs if run[method].lr is None})
            out[method] = _none(
                method, f"{len(runs) - len(values)} of {len(runs)} repeats abstained: {reasons[0]}"
            )
            continue
        low, high = float(min(values)), float(max(values))
        middle = float(np.exp(np.median(np.log(np.asarray(values)))))
        out[method] = Suggestion(
            method,
            min(max(middle, low), high),  # exp(log(x)) may miss x by an ulp
            low,
            high,
            f"geometric median of {len(values)} repeats; interval: the spread across repeats",
        )
    return out
