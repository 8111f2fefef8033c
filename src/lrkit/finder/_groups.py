"""The suggestion when parameter groups have different base rates (differential rates, fine-tuning).

One sweep with the groups' ratios reads the curve of whichever group stops improving the loss first,
usually the group with the largest rate (a new head): its steepest descent is that group's early
descent, and a tenth of the rate at its minimum suits that group alone. In fine-tuning the accuracy
is decided by the bulk of the model, which sits a decade lower and is nowhere near its own limit
there (measured in docs/benchmarks.md: 0.6-0.9 decades too low). So `find_lr` runs a second sweep
with every trainable group at one rate (the model as a whole) and combines the two readings:

    lr = sqrt(minimum_ratios / 10 x preferred_together / spread)

* ``minimum_ratios / 10``: a tenth of the reference rate at the minimum of the sweep with the
  groups' ratios, the reading that is right when the group with the largest rate is the limit
  (SGD: the head; its steepest descent is not used, as it reads the head's early descent);
* ``preferred_together / spread``: the one-rate sweep's own suggestion (`preferred`), moved to the
  reference group by the groups' `spread`, the parameter-weighted geometric mean of the ratios:
  the groups' rates then average (per parameter, in decades) the rate the whole model tolerates,
  which is right when the bulk of the model is the limit (AdamW fine-tuning);
* neither reading knows which group limits; their geometric mean is at most half their spread (in
  decades) from either, the argument of `preferred`. Chosen on development seeds among 9 rules
  (docs/benchmarks.md has them all) and evaluated once on fresh seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lrkit.finder._suggest import Suggestion, preferred

__all__ = ["GROUPS", "differ", "grouped", "spread_of"]

#: The name of the suggestion for groups with different rates.
GROUPS = "groups"


def differ(ratios: Sequence[float]) -> bool:
    """Whether the trainable groups (ratio > 0) have different rates.

    Example:
        >>> differ((0.1, 1.0)), differ((1.0, 1.0)), differ((0.0, 1.0))
        (True, False, False)
    """
    return len({r for r in ratios if r > 0.0}) > 1


def spread_of(ratios: Sequence[float], sizes: Sequence[int]) -> float:
    """The parameter-weighted geometric mean of the trainable groups' ratios, in (0, 1].

    ``exp(sum(n_g log r_g) / sum(n_g))`` over the groups with ``r_g > 0`` and ``n_g > 0``
    parameters (elements); 1 when there is none.

    Example:
        >>> round(spread_of((0.1, 1.0), (900, 100)), 6)  # 10 ** -0.9
        0.125893
    """
    pairs = [(r, n) for r, n in zip(ratios, sizes, strict=True) if r > 0.0 and n > 0]
    total = sum(n for _, n in pairs)
    if not total:
        return 1.0
    return math.exp(sum(n * math.log(r) for r, n in pairs) / total)


def grouped(ratios: dict[str, Suggestion], together: dict[str, Suggestion], spread: float) -> Suggestion:
    """``sqrt(minimum_ratios x preferred_together / spread)``, see the module; fallbacks when one abstains.

    Args:
        ratios: the suggestions of the sweep with the groups' ratios (reference group's rate).
        together: the suggestions of the sweep with every trainable group at one rate.
        spread: `spread_of` the ratios, in (0, 1].

    Returns:
        A `Suggestion` with method ``"groups"`` (the interval: the two readings), or, when one of
        the two readings abstains, the other (the one-rate reading moved by `spread`), or, when
        both do, the sweep with ratios' `preferred`.

    Example:
        >>> r = {"minimum": Suggestion("minimum", 0.05, 0.03, 0.06, ""),
        ...      "steepest": Suggestion("steepest", 0.02, 0.01, 0.05, ""),
        ...      "valley": Suggestion("valley", 0.01, 0.005, 0.02, "")}
        >>> t = {"minimum": Suggestion("minimum", 0.01, 0.005, 0.03, ""),
        ...      "steepest": Suggestion("steepest", 0.04, 0.01, 0.05, ""),
        ...      "valley": Suggestion("valley", 0.01, 0.005, 0.02, "")}
        >>> s = grouped(r, t, spread=0.1)
        >>> s.method, round(s.lr, 12), round(s.low, 12), round(s.high, 12)
        ('groups', 0.1, 0.05, 0.2)
    """
    low = ratios["minimum"]
    whole = preferred(together)
    moved = None if whole.lr is None else whole.lr / spread
    if low.lr is not None and moved is not None:
        a, b = sorted((low.lr, moved))
        return Suggestion(
            GROUPS,
            min(max(math.sqrt(a * b), a), b),
            a,
            b,
            f"geometric mean of minimum / 10 with the groups' ratios ({low.lr:.3g}) and the one-rate "
            f"sweep's suggestion / spread ({whole.lr:.3g} / {spread:.3g}); interval: the two",
        )
    if moved is not None:
        return Suggestion(
            whole.method,
            moved,
            None if whole.low is None else whole.low / spread,
            None if whole.high is None else whole.high / spread,
            f"the one-rate sweep's suggestion / spread {spread:.3g} (minimum with the groups' ratios "
            f"abstained: {low.reason})",
        )
    return preferred(ratios)
