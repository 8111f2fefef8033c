"""Which findings are reported: ``--select`` / ``--ignore`` codes and ``# noqa`` comments."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lrkit.lint._rules import RULES

__all__ = ["parse_codes", "selected_codes", "silenced"]

_NOQA = re.compile(
    r"#\s*noqa(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


def parse_codes(text: str, option: str = "select") -> tuple[str, ...]:
    """Split ``"LR001,LR01"`` into codes or code prefixes, each matching at least one rule.

    Args:
        text: codes or prefixes of codes, separated by commas (``LR`` selects every rule).
        option: the option's name, for the error message.

    Raises:
        ValueError: an entry matches no rule.

    Example:
        >>> parse_codes("LR001, lr01")
        ('LR001', 'LR01')
    """
    codes = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    for code in codes:
        if not any(known.startswith(code) for known in RULES):
            raise ValueError(
                f"Argument `{option}` of lrkit lint must be rule codes or prefixes such as LR001 or LR00 "
                f"(known: {', '.join(RULES)}). Received: {option}={text!r}"
            )
    return codes


def selected_codes(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> frozenset[str]:
    """The rule codes left after `select` (default: all) and then `ignore` (prefixes allowed).

    Args:
        select: codes or prefixes of codes to keep; None keeps every rule.
        ignore: codes or prefixes of codes to drop (wins over `select`).

    Example:
        >>> sorted(selected_codes(select=["LR00"], ignore=["LR001", "LR0002"]))[:3]
        ['LR000', 'LR002', 'LR003']
    """
    chosen = list(select) if select is not None else list(RULES)
    dropped = list(ignore or ())
    return frozenset(
        code
        for code in RULES
        if any(code.startswith(c) for c in chosen) and not any(code.startswith(c) for c in dropped)
    )


def silenced(line: str, code: str) -> bool:
    """True if a source line's ``# noqa`` comment silences `code` (a bare ``# noqa`` silences all).

    >>> silenced("sched.step()  # noqa: LR001", "LR001"), silenced("x  # noqa: E501", "LR001")
    (True, False)
    >>> silenced("sched.step()  # noqa", "LR004")
    True
    """
    if "noqa" not in line.lower():
        return False
    for match in _NOQA.finditer(line):
        codes = match.group("codes")
        if codes is None:
            return True
        if code in {c.upper() for c in re.split(r"[\s,]+", codes)}:
            return True
    return False
