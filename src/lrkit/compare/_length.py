"""Length checks: a schedule's own length against the run's, and `--fit` (stretch it to the run)."""

from __future__ import annotations

from lrkit.schedules import Schedule

__all__ = ["length_check"]


def length_check(schedule: Schedule, total: int, *, base: float | None = None) -> str | None:
    """A note when the schedule's own length differs from the run's `total` updates; None if it fits.

    A schedule given in fractions of the run (``cosine()``) fits by construction. One given in
    steps is *longer* when it still changes after the run ends (it is cut short), and *shorter*
    when it stops before the run ends at a value lower than its peak (the last updates hold its
    end value). A warmup that ends early to hold its peak is not flagged.

    Example:
        >>> from lrkit import parse
        >>> length_check(parse("OneCycleLR(max_lr=0.1, total_steps=900)"), 225, base=0.1)
        'its own length is 899 updates, longer than the run (225): cut short (--fit stretches it to the run)'
        >>> length_check(parse("cosine()"), 225) is None
        True
    """
    resolved = schedule.resolve(total, base=base)
    horizon = resolved.horizon
    if horizon is None or horizon <= 0:
        return None
    if horizon > total:
        return (
            f"its own length is {horizon:g} updates, longer than the run ({total}): cut short "
            f"(--fit stretches it to the run)"
        )
    if horizon < total - 1:
        import numpy as np

        values = resolved(np.arange(int(horizon) + 1, dtype=float))
        if float(values[-1]) < float(np.max(values)):
            return (
                f"its own length is {horizon:g} updates, shorter than the run ({total}): it holds its "
                f"end value for the last {total - horizon:g} (--fit stretches it to the run)"
            )
    return None


def _fit(schedule: Schedule, total: int, base: float) -> Schedule:
    """`schedule` stretched so that its own length is the run's (see `length_check`)."""
    from lrkit import stretch

    horizon = schedule.resolve(total, base=base).horizon
    assert horizon is not None
    return stretch(schedule, float(horizon) / total)
