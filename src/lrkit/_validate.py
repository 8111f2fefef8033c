"""Argument checking shared by every schedule: one message format, raised at construction.

Messages read: "Argument `steps` of cosine() must be ... Received: steps=-3".
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = [
    "MAX_STEPS",
    "check_choice",
    "check_int",
    "check_length",
    "check_lengths",
    "check_number",
    "fail",
]


#: The largest int accepted as a number of steps or a count: 2**53, the last integer that a float
#: (the type of a position in training) holds exactly. A larger int raises a ValueError instead of
#: an OverflowError later, when it meets float arithmetic.
MAX_STEPS = 2**53


def fail(owner: str, name: str, value: Any, allowed: str, *, kind: type[Exception] = ValueError) -> Exception:
    """Build (not raise) the error for a bad argument, in the library's one format."""
    return kind(f"Argument `{name}` of {owner}() must be {allowed}. Received: {name}={value!r}")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return `value` as a finite Python float inside the given interval, or raise."""
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    allowed = f"a finite number in {left}{low:g}, {high:g}{right}"
    if not _is_real(value):
        raise fail(owner, name, value, allowed, kind=TypeError)
    try:
        number = float(value)
    except OverflowError:  # an int (or Fraction) beyond the largest float, 1.8e308
        raise fail(owner, name, _short(value), allowed) from None
    if not math.isfinite(number):
        raise fail(owner, name, value, allowed)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        raise fail(owner, name, value, allowed)
    return number


def _short(value: Any) -> Any:
    """A huge int written by its size in messages (the repr of 10**400 would fill the screen)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
        if abs(number) >= 10**30:
            digits = int(abs(number).bit_length() * 0.30103) + 1  # str() of a huge int can refuse
            return _Text(f"<an int of about {digits} digits>")
    return value


class _Text(str):
    """Text shown as is (no quotes) where a message writes ``name=value``."""

    def __repr__(self) -> str:
        return str(self)


def check_int(
    owner: str, name: str, value: Any, *, low: int = 0, high: int = MAX_STEPS, allowed: str | None = None
) -> int:
    """Return `value` as a Python int in ``[low, high]`` (`high` defaults to 2**53), or raise.

    `allowed` replaces the generated description of the range in the message.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(owner, name, value, allowed or f"an int >= {low}", kind=TypeError)
    number = int(value)
    if number < low:
        raise fail(owner, name, value, allowed or f"an int >= {low}")
    if number > high:
        top = "2**53" if high == MAX_STEPS else str(high)
        raise fail(owner, name, _short(value), allowed or f"an int in [{low}, {top}]")
    return number


def check_length(owner: str, name: str, value: Any, *, allow_none: bool = True) -> int | float | None:
    """A length: an int number of steps (>= 1), a float fraction of the run in (0, 1], or None.

    None means "the rest of the run", resolved when the run's total is known.
    """
    allowed = "a positive int (steps) or a float in (0, 1] (a fraction of the run)"
    if allow_none:
        allowed += ", or None (the rest of the run)"
    if value is None:
        if allow_none:
            return None
        raise fail(owner, name, value, allowed, kind=TypeError)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(owner, name, value, allowed, kind=TypeError)
    if isinstance(value, numbers.Integral):
        if int(value) < 1:
            raise fail(owner, name, value, allowed)
        if int(value) > MAX_STEPS:
            raise fail(owner, name, _short(value), "an int in [1, 2**53] (steps) or a float in (0, 1]")
        return int(value)
    try:
        fraction = float(value)
    except OverflowError:
        raise fail(owner, name, _short(value), allowed) from None
    if not (0.0 < fraction <= 1.0):
        raise fail(owner, name, value, allowed)
    return fraction


def check_lengths(owner: str, name: str, values: Any, *, increasing: bool = True) -> tuple[int | float, ...]:
    """A sequence of lengths (positions), each an int step or a float fraction; no None."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise fail(owner, name, values, "a list of positions", kind=TypeError)
    items = tuple(values)
    checked: list[int | float] = []
    for item in items:
        length = check_length(owner, name, item, allow_none=False)
        if length is not None:  # always true with allow_none=False; narrows the type
            checked.append(length)
    kinds = {isinstance(item, int) for item in checked}
    if len(kinds) > 1:
        raise fail(owner, name, list(items), "all steps (ints) or all fractions (floats), not a mix")
    if increasing and any(b <= a for a, b in itertools.pairwise(checked)):
        raise fail(owner, name, list(items), "strictly increasing")
    return tuple(checked)


def check_choice(owner: str, name: str, value: Any, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`, or raise."""
    options = tuple(choices)
    if value not in options:
        allowed = "one of " + ", ".join(repr(c) for c in options)
        kind = ValueError if isinstance(value, str) else TypeError
        raise fail(owner, name, value, allowed, kind=kind)
    return str(value)
