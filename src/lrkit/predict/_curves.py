"""Recorded loss curves with the rates that produced them, and rate sequences of specs."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_int, check_number, fail
from lrkit.schedules import Schedule

__all__ = ["Curve", "rates_of"]


@dataclasses.dataclass(frozen=True, eq=False)
class Curve:
    """One run's loss curve and every rate it used.

    Args:
        rates: the rate each update used, ``rates[i]`` for update ``i`` (0-based), finite, >= 0.
        steps: the number of updates done when each loss was measured, ints in ``1..len(rates)``,
            strictly increasing (the validation loss after epoch ``e`` sits at ``e * updates_per_epoch``).
        loss: the measured losses, finite, one per step.
        label: the schedule's name (runs of one schedule share it; the bootstrap resamples among them).
        base: the run's base rate (the rate a schedule factor of 1 gives); default ``max(rates)``.

    Raises:
        ValueError: lengths that differ, a step outside ``1..len(rates)`` or not increasing, a
            negative or non-finite rate, a non-finite loss.

    Example:
        >>> import numpy as np
        >>> from lrkit.predict import Curve
        >>> curve = Curve(np.full(10, 0.1), [5, 10], [2.0, 1.8], label="constant")
        >>> curve.base, curve.steps.tolist()
        (0.1, [5, 10])
    """

    rates: npt.NDArray[np.float64]
    steps: npt.NDArray[np.int64]
    loss: npt.NDArray[np.float64]
    label: str = ""
    base: float | None = None

    def __post_init__(self) -> None:
        rates = np.asarray(self.rates, dtype=np.float64)
        steps_in = np.asarray(self.steps)
        loss = np.asarray(self.loss, dtype=np.float64)
        if rates.ndim != 1 or rates.size == 0:
            raise fail("Curve", "rates", _short(self.rates), "a non-empty 1-D sequence of rates")
        if not (np.all(np.isfinite(rates)) and np.all(rates >= 0.0)):
            raise fail("Curve", "rates", _short(self.rates), "finite rates >= 0")
        if steps_in.ndim != 1 or loss.ndim != 1 or len(steps_in) != len(loss) or len(loss) == 0:
            raise fail("Curve", "loss", _short(self.loss), "a non-empty 1-D sequence as long as `steps`")
        if steps_in.dtype.kind == "f" and not np.all(steps_in == np.round(steps_in)):
            raise fail("Curve", "steps", _short(self.steps), "whole numbers of updates", kind=TypeError)
        if steps_in.dtype.kind not in "iuf":
            raise fail("Curve", "steps", _short(self.steps), "whole numbers of updates", kind=TypeError)
        steps = steps_in.astype(np.int64)
        if steps.min() < 1 or steps.max() > rates.size or np.any(np.diff(steps) <= 0):
            raise fail(
                "Curve",
                "steps",
                _short(self.steps),
                f"strictly increasing update counts in 1..{rates.size} (the number of rates)",
            )
        if not np.all(np.isfinite(loss)):
            raise fail("Curve", "loss", _short(self.loss), "finite losses")
        base = (
            float(rates.max())
            if self.base is None
            else check_number("Curve", "base", self.base, low=0.0, low_open=True)
        )
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "loss", loss)
        object.__setattr__(self, "base", base)

    def __repr__(self) -> str:
        return (
            f"Curve(label={self.label!r}, updates={self.rates.size}, points={self.steps.size}, "
            f"final_loss={self.loss[-1]:.6g})"
        )

    def after(self, fraction: float) -> Curve:
        """This curve without its points at or before ``fraction * updates`` (the early transient)."""
        cut = fraction * self.rates.size
        keep = self.steps > cut
        if not np.any(keep):
            keep[-1] = True
        return dataclasses.replace(self, steps=self.steps[keep], loss=self.loss[keep])


def rates_of(
    schedule: str | Schedule, total: int, base: float = 1.0, *, skip_zero_start: bool = True
) -> npt.NDArray[np.float64]:
    """The rate each of `total` updates uses under `lrkit.Scheduler`: ``base * factor(position_i)``.

    The schedule is resolved against the run (``total``, and ``base`` for `absolute` values) and
    update ``i`` sits at position ``i``, or ``i + 1`` when the schedule starts at 0 and is positive
    one update in (a warmup from 0: the scheduler's default ``skip_zero_start=True``), exactly as
    the scheduler counts in updates. The sums of these rates are the laws' exact areas.

    Raises:
        ValueError: a spec that does not parse or does not fit the run; a schedule with a plateau
            phase (its rates depend on the losses, so they cannot be known before the run).

    Example:
        >>> from lrkit.predict import rates_of
        >>> rates_of("step_decay(every=2, gamma=0.5)", 5, base=0.1).round(4).tolist()
        [0.1, 0.1, 0.05, 0.05, 0.025]
        >>> rates_of("warmup(constant(), steps=2)", 4).tolist()   # positions 1, 2, 3, 4
        [0.5, 1.0, 1.0, 1.0]
    """
    from lrkit.spec import parse

    total = check_int("rates_of", "total", total, low=1)
    base = check_number("rates_of", "base", base, low=0.0, low_open=True)
    if isinstance(schedule, str):
        schedule = parse(schedule)
    elif not isinstance(schedule, Schedule):
        raise fail("rates_of", "schedule", schedule, "a spec string or a Schedule", kind=TypeError)
    if any(node.name == "plateau" for _, node in schedule.walk()):
        raise fail(
            "rates_of",
            "schedule",
            schedule,
            "a schedule without a plateau phase (its rates depend on the measured losses)",
        )
    if not isinstance(skip_zero_start, bool):
        raise fail("rates_of", "skip_zero_start", skip_zero_start, "True or False", kind=TypeError)
    resolved = schedule.resolve(total, base=base)
    offset = 1.0 if skip_zero_start and resolved(0.0) == 0.0 and resolved(1.0) > 0.0 else 0.0
    return np.asarray(base * resolved(np.arange(total, dtype=np.float64) + offset), dtype=np.float64)


def _short(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) > 6:
        return f"<{type(value).__name__} of {len(value)} items>"
    return value
