"""What several presets share: absolute rate arguments and the arguments that only restart a run.

One definition each, used by the torch, timm and transformers presets.
"""

from __future__ import annotations

from typing import Any

from lrkit._validate import check_number, fail
from lrkit.schedules import absolute

__all__ = ["check_fresh", "rate"]


def rate(owner: str, name: str, value: Any) -> Any:
    """An absolute rate argument: 0 stays the factor 0; anything else is `absolute(value)`.

    Example:
        >>> rate("CosineAnnealingLR", "eta_min", 0.0), rate("CosineAnnealingLR", "eta_min", 1e-3)
        (0.0, absolute(0.001))
    """
    number = check_number(owner, name, value, low=0.0)
    return absolute(number) if number else 0.0


def check_fresh(owner: str, last_epoch: Any) -> None:
    """Accept torch's ``last_epoch=-1`` (a new run); refuse a resume, which needs an optimizer's state.

    torch resumes from ``last_epoch=k >= 0`` only when every parameter group already holds
    ``initial_lr`` (it raises ``KeyError`` otherwise), and then continues from the group's current
    rate, which a spec does not have.

    Example:
        >>> check_fresh("StepLR", -1)
        >>> check_fresh("StepLR", 5)
        Traceback (most recent call last):
        ...
        ValueError: Argument `last_epoch` of StepLR() must be -1: a spec describes ... last_epoch=5
    """
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, int):
        raise fail(owner, "last_epoch", last_epoch, "the int -1", kind=TypeError)
    if last_epoch != -1:
        raise fail(
            owner,
            "last_epoch",
            last_epoch,
            "-1: a spec describes a run from its start. torch resumes from last_epoch >= 0 only with "
            "an optimizer whose groups hold 'initial_lr' (KeyError otherwise) and continues from their "
            "current rates; resume with lrkit.Scheduler's state_dict, or start later with "
            "shift(schedule, steps)",
        )
