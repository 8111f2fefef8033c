"""Search a family of schedules for the lowest final loss a fitted law predicts for a budget.

The family is warmup-stable-decay (`lrkit.wsd`): a warmup of ``warmup`` of the run, the peak
held, then a decay of ``decay`` of the run with a shape (linear, cosine, 1-sqrt) down to a floor
``end``. A decay over the whole rest of the run is the familiar warmup + cosine (or linear) decay,
so the family holds the usual hand-written schedules. The peak rate is the fitted runs' base rate:
the laws are fitted at one peak rate and say nothing reliable about another. Likewise the warmup
is searched only among the fitted runs' warmups unless a grid is given: neither law models what a
warmup does beyond adding to the forward area.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from lrkit._validate import check_int, check_number, fail
from lrkit.predict._fit import Fit

__all__ = ["DEFAULT_FAMILY", "Candidate", "Design", "design"]

#: The grid searched by default.
DEFAULT_FAMILY: dict[str, tuple[Any, ...]] = {
    "warmup": (0.0, 0.02, 0.05, 0.1),
    "decay": (0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
    "decay_shape": ("linear", "cosine", "1-sqrt"),
    "end": (0.0, 0.01, 0.1),
}


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One schedule of the family and its predicted final loss (with the 95 % interval, if any)."""

    spec: str
    final: float
    interval: tuple[float, float] | None


@dataclasses.dataclass(frozen=True)
class Design:
    """The result of `design`: every candidate ranked (best first) and, optionally, a reference.

    ``difference`` is the best candidate's predicted final loss minus the reference's, with a 95 %
    interval from the paired bootstrap refits (the same refitted law predicts both), or None.
    """

    total: int
    candidates: list[Candidate]
    reference: Candidate | None = None
    difference: tuple[float, tuple[float, float] | None] | None = None

    @property
    def best(self) -> Candidate:
        """The candidate with the lowest predicted final loss."""
        return self.candidates[0]

    def table(self, top: int = 10) -> str:
        """The best `top` candidates (and the reference) as text, one per line."""
        lines = [f"{'predicted final loss':>22}  spec"]
        shown = list(self.candidates[:top])
        for item in shown:
            lines.append(f"{_text(item):>22}  {item.spec}")
        if self.reference is not None:
            lines.append(f"{_text(self.reference):>22}  {self.reference.spec}  (reference)")
        if self.difference is not None:
            value, interval = self.difference
            shown_interval = "" if interval is None else f" [{interval[0]:+.4g}, {interval[1]:+.4g}]"
            lines.append(f"best - reference: {value:+.4g}{shown_interval} (predicted)")
        return "\n".join(lines)


def _text(item: Candidate) -> str:
    if item.interval is None:
        return f"{item.final:.4f}"
    return f"{item.final:.4f} [{item.interval[0]:.4f}, {item.interval[1]:.4f}]"


def design_specs(family: dict[str, Sequence[Any]] | None = None) -> list[str]:
    """The specs of the family's grid (combinations whose warmup + decay exceed the run are cut to fit).

    Example:
        >>> grid = {"warmup": [0, 0.1], "decay": [1.0], "decay_shape": ["cosine"], "end": [0]}
        >>> for spec in design_specs(grid):
        ...     print(spec)
        wsd(warmup=0, decay=1.0, decay_shape='cosine', end=0)
        wsd(warmup=0.1, decay=0.9, decay_shape='cosine', end=0)
    """
    grid = dict(DEFAULT_FAMILY)
    if family is not None:
        unknown = sorted(set(family) - set(grid))
        if unknown:
            raise fail("design", "family", unknown, f"keys among {sorted(grid)}")
        grid.update({key: tuple(values) for key, values in family.items()})
    specs = []
    for warmup, decay, shape, end in itertools.product(
        grid["warmup"], grid["decay"], grid["decay_shape"], grid["end"]
    ):
        warmup = check_number("design", "warmup", warmup, low=0.0, high=1.0, high_open=True)
        decay = check_number("design", "decay", decay, low=0.0, high=1.0, low_open=True)
        end = check_number("design", "end", end, low=0.0, high=1.0)
        decay = round(min(decay, 1.0 - warmup), 10)
        spec = f"wsd(warmup={_number(warmup)}, decay={decay!r}, decay_shape={shape!r}, end={_number(end)})"
        if spec not in specs:
            specs.append(spec)
    return specs


def _number(value: float) -> str:
    """0 as the int 0 (a length of no steps), other values as floats."""
    return "0" if value == 0 else repr(float(value))


def design(
    law: Fit,
    total: int | None = None,
    *,
    family: dict[str, Sequence[Any]] | None = None,
    reference: str | None = None,
    base: float | None = None,
) -> Design:
    """Rank the family's schedules by the final loss `law` predicts after `total` updates.

    Args:
        law: a fitted law (`lrkit.predict.fit`).
        total: the budget in updates, an int >= 1; default the fitted runs' length.
        family: grid values replacing `DEFAULT_FAMILY`'s (keys ``warmup``, ``decay``,
            ``decay_shape``, ``end``: fractions of the run, shapes of `lrkit.wsd`, floor factors).
            Without a ``warmup`` key, the warmups of the fitted runs are used (``law.warmups``):
            neither law models the warmup, so another one would be an extrapolation; give
            ``warmup`` explicitly to search it anyway.
        reference: a spec to compare the best with (e.g. the best hand-written schedule).
        base: the peak rate; default the fitted runs' base rate.

    Raises:
        ValueError: a bad family value or key, a bad total, a reference that does not parse.

    Example:
        >>> import numpy as np
        >>> from lrkit.predict import Curve, fit, rates_of
        >>> from lrkit.predict._laws import AnnealingLaw
        >>> steps = np.arange(20, 401, 20)
        >>> make = lambda s: Curve(rates_of(s, 400), steps,
        ...                        AnnealingLaw(0.99).loss([2.0, 1.0, 0.5, 0.002], rates_of(s, 400), steps))
        >>> law = fit([make("constant()"), make("cosine()")], decay=0.99, uncertainty="none")
        >>> result = design(law, family={"warmup": [0], "end": [0]}, reference="cosine()")
        >>> result.best.spec, round(result.best.final, 4), round(result.reference.final, 4)
        ("wsd(warmup=0, decay=1.0, decay_shape='cosine', end=0)", 1.9094, 1.9094)
    """
    if not isinstance(law, Fit):
        raise fail("design", "law", law, "a fitted law (lrkit.predict.fit)", kind=TypeError)
    if total is None:
        if law.total is None:
            raise fail("design", "total", total, "an int >= 1 (the fitted runs differ in length)")
        total = law.total
    total = check_int("design", "total", total, low=1)
    family = dict(family or {})
    if "warmup" not in family and law.warmups:
        family["warmup"] = law.warmups
    specs = design_specs(family)
    candidates = []
    draws: dict[str, np.ndarray[Any, Any]] = {}
    for spec in specs:
        prediction = law.predict(spec, total, base=base, steps=[total])
        candidates.append(Candidate(spec, prediction.final, prediction.final_interval))
        if law.samples is not None:
            draws[spec] = _sample_finals(law, spec, total, base)
    candidates.sort(key=lambda item: item.final)
    ref = None
    difference = None
    if reference is not None:
        prediction = law.predict(reference, total, base=base, steps=[total])
        ref = Candidate(reference, prediction.final, prediction.final_interval)
        value = candidates[0].final - ref.final
        interval = None
        if law.samples is not None:
            paired = draws[candidates[0].spec] - _sample_finals(law, reference, total, base)
            interval = (float(np.percentile(paired, 2.5)), float(np.percentile(paired, 97.5)))
        difference = (value, interval)
    return Design(total, candidates, ref, difference)


def _sample_finals(law: Fit, spec: str, total: int, base: float | None) -> np.ndarray[Any, Any]:
    """The final loss under each bootstrap refit of the law (the same refits for every spec)."""
    from lrkit.predict._curves import rates_of
    from lrkit.predict._laws import make_law

    assert law.samples is not None  # checked by the callers
    model = make_law(law.law, law.decay)
    rates = rates_of(spec, total, law.base if base is None else base) / law.lr_ref
    at = np.array([total])
    return np.array([model.loss(list(sample), rates, at)[0] for sample in law.samples])
