"""The rows of a preview: the rate in effect at each step, for each base rate; text, CSV and JSON.

Pure functions over the schedule core (numpy only): no torch, no plotting library.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import numpy as np

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules import Schedule
from lrkit.schedules._base import FloatArray

__all__ = [
    "FORMATS",
    "MAX_STEPS",
    "format_rows",
    "rows",
    "stream_rows",
    "to_csv",
    "to_json",
    "to_text",
    "write_rows",
]

#: Output formats of `format_rows` (and of ``lrkit table --format``).
FORMATS = ("text", "csv", "json")

#: The longest preview: 10 million steps (80 MB per base rate).
MAX_STEPS = 10_000_000

#: Steps computed and written at a time by `stream_rows`.
_BLOCK = 1 << 13


def _schedule(owner: str, schedule: Schedule | str) -> Schedule:
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str):
        from lrkit.spec import parse

        return parse(schedule)
    raise fail(owner, "schedule", schedule, "a schedule or a spec string", kind=TypeError)


def _check_lrs(owner: str, lrs: float | Sequence[float]) -> tuple[float, ...]:
    """Base rates as a tuple of finite floats >= 0 (one per parameter group), or raise."""
    if isinstance(lrs, (str, bytes)):
        raise fail(owner, "lrs", lrs, "a number or a list of numbers", kind=TypeError)
    items = (lrs,) if not isinstance(lrs, Sequence) and not isinstance(lrs, np.ndarray) else tuple(lrs)
    if not items:
        raise fail(owner, "lrs", list(items), "at least one base rate")
    return tuple(check_number(owner, "lrs", item, low=0.0) for item in items)


def rows(
    schedule: Schedule | str,
    *,
    steps: int,
    lrs: float | Sequence[float] = 1.0,
    total: int | None = None,
) -> FloatArray:
    """The rate in effect at each step ``0 .. steps - 1`` for each base rate, as a (steps, groups) array.

    ``rows[t, g] = lrs[g] * schedule.resolve(total, base=lrs[g])(t)``: the schedule is resolved
    once per base rate (so ``absolute(v)`` values come out as ``v``), and row 0 is the rate before
    the first scheduler step (torch's rate right after the scheduler is built).

    Args:
        schedule: a schedule, or a spec string (``"warmup(cosine(end=0.1), steps=2)"``).
        steps: how many rows, an int in [1, 10_000_000].
        lrs: one base rate (a finite float >= 0) or a list of them, one per parameter group.
            Default 1.0: the rows are then the schedule's factors, or its own absolute values.
        total: the run's length the schedule's fractions and open lengths are resolved against,
            an int >= 1. Default: `steps`.

    Raises:
        ValueError: a bad spec, steps or total out of range, a negative or infinite rate, a
            schedule that does not fit in `total` (for example a warmup longer than the run), or
            a rate that is not finite at some step (the message names the first such step).
        TypeError: an argument of the wrong type.

    Example:
        >>> from lrkit import cosine, warmup
        >>> from lrkit.preview import rows
        >>> rows(warmup(cosine(end=0.1), steps=2), steps=11, total=10).round(5)[:, 0].tolist()
        [0.0, 0.5, 1.0, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1]
        >>> rows("linear(steps=2)", steps=3, lrs=[0.1, 0.01]).tolist()
        [[0.1, 0.01], [0.05, 0.005], [0.0, 0.0]]
    """
    columns, steps = _prepare("rows", schedule, steps, lrs, total)
    return _block(columns, 0, steps)


#: One column of rates: its base rate and the schedule resolved for it.
Column = tuple[float, Schedule]


def _prepare(
    owner: str, schedule: Schedule | str, steps: int, lrs: float | Sequence[float], total: int | None
) -> tuple[list[Column], int]:
    """The checked columns (each base rate with the schedule resolved for it) and steps."""
    node = _schedule(owner, schedule)
    steps = check_int(owner, "steps", steps, low=1)
    if steps > MAX_STEPS:
        raise fail(owner, "steps", steps, f"an int in [1, {MAX_STEPS}]")
    total = steps if total is None else check_int(owner, "total", total, low=1)
    bases = _check_lrs(owner, lrs)
    return [(base, node.resolve(total, base=base)) for base in bases], steps


def _block(columns: Sequence[Column], start: int, stop: int) -> FloatArray:
    """The rates of steps ``start .. stop - 1``, one column per (base, schedule)."""
    positions = np.arange(start, stop, dtype=np.float64)
    out = np.empty((stop - start, len(columns)), dtype=np.float64)
    for g, (base, resolved) in enumerate(columns):
        with np.errstate(over="ignore", invalid="ignore"):
            out[:, g] = base * resolved(positions)
        bad = ~np.isfinite(out[:, g])
        if bad.any():  # never a silent inf in a preview (issue 14 item 2), as in the Scheduler
            i = int(np.argmax(bad))
            raise ValueError(
                f"{resolved!r} gives a rate that is not finite ({float(out[i, g])!r}) at step {start + i} "
                f"with the base rate {base!r}: a value past the largest float (1.8e308). Bound it: a "
                "smaller growth, a shorter run, or a smaller rate"
            )
    return out


def write_rows(
    schedule: Schedule | str,
    out: TextIO,
    *,
    steps: int,
    lrs: float | Sequence[float] = 1.0,
    total: int | None = None,
    fmt: str = "text",
    spec: str = "",
) -> None:
    """Write ``format_rows(rows(...), fmt, spec=spec)`` and a newline to `out`, block by block.

    The same text, computed and written 8,192 steps at a time (`stream_rows`): memory does not
    grow with `steps` times the number of base rates (10 million steps of 8 rates as one string
    took gigabytes).

    Args:
        schedule, steps, lrs, total: as for `rows`.
        out: a text stream (``sys.stdout``, an open file).
        fmt: "text", "csv" or "json".
        spec: the spec the rows come from (JSON only).

    Raises:
        ValueError, TypeError: as `rows` and `format_rows`, before anything is written.

    Example:
        >>> import sys
        >>> write_rows("linear(steps=2)", sys.stdout, steps=3, lrs=[0.1, 0.01], fmt="csv")
        step,lr0,lr1
        0,0.1,0.01
        1,0.05,0.005
        2,0.0,0.0
    """
    check_choice("write_rows", "fmt", fmt, FORMATS)
    columns, steps = _prepare("write_rows", schedule, steps, lrs, total)
    stream_rows(out, columns, steps=steps, fmt=fmt, spec=spec)


#: The momentum of steps ``start .. stop - 1``: one column (a list of values) per group.
MomentumBlock = Callable[[int, int], Sequence[Sequence[float]]]


def stream_rows(
    out: TextIO,
    columns: Sequence[Column],
    *,
    steps: int,
    fmt: str = "text",
    spec: str = "",
    momentum: MomentumBlock | None = None,
) -> None:
    """Write what `format_rows` gives for these columns (and momentum), and a newline, in blocks.

    Args:
        out: a text stream.
        columns: each rate column's base rate and resolved schedule.
        steps: the rows ``0 .. steps - 1``.
        fmt, spec: as for `format_rows`.
        momentum: a function of ``(start, stop)`` giving the momentum columns of those steps, or
            None (no momentum columns).

    Raises:
        ValueError: a rate that is not finite at some step, before anything is written.
    """
    check_choice("stream_rows", "fmt", fmt, FORMATS)
    # NOTE: the rates are computed once before anything is written (numpy, fast next to the
    # formatting): a rate that is not finite at step 74480 is an error, not half a table.
    for start in range(0, steps, _BLOCK):
        _block(columns, start, min(steps, start + _BLOCK))

    def blocks() -> Iterator[tuple[int, FloatArray, Momentum | None]]:
        for start in range(0, steps, _BLOCK):
            stop = min(steps, start + _BLOCK)
            yield start, _block(columns, start, stop), None if momentum is None else momentum(start, stop)

    first = next(blocks())[2]
    header = _header(len(columns), first)
    if fmt == "json":
        out.write(json.dumps({"spec": spec, "lr": []})[:-2])
        for start, values, _ in blocks():
            out.write(("" if start == 0 else ", ") + ", ".join(json.dumps(row) for row in values.tolist()))
        if first is not None:
            out.write('], "momentum": [')
            for start, _, moment in blocks():
                assert moment is not None
                items: list[Any] = (
                    [float(v) for v in moment[0]]
                    if len(moment) == 1
                    else [[float(v) for v in step] for step in zip(*moment, strict=True)]
                )
                out.write(("" if start == 0 else ", ") + ", ".join(json.dumps(item) for item in items))
        out.write("]}\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for start, values, moment in blocks():
            writer.writerows(
                _with_momentum([str(t), *(repr(v) for v in row)], t - start, moment, repr)
                for t, row in enumerate(values.tolist(), start)
            )
        return
    widths = [max(len(header[0]), len(str(steps - 1))), *(len(name) for name in header[1:])]
    if len(header) > 2:  # the widths of every column but the last (which is not padded)
        for start, values, moment in blocks():
            for t, row in enumerate(values.tolist(), start):
                cells = _with_momentum(list(map(_number, row)), t - start, moment, _number)
                widths[1:] = [max(w, len(cell)) for w, cell in zip(widths[1:], cells, strict=True)]
    out.write(_line(header, widths) + "\n")
    for start, values, moment in blocks():
        lines = (
            _line(_with_momentum([str(t), *map(_number, row)], t - start, moment, _number), widths)
            for t, row in enumerate(values.tolist(), start)
        )
        out.write("\n".join(lines) + "\n")


def _line(cells: list[str], widths: list[int]) -> str:
    rest = (cell.ljust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
    return "  ".join([cells[0].rjust(widths[0]), *rest]).rstrip()


#: The momentum at each step: one column (a list of values) per parameter group.
Momentum = Sequence[Sequence[float]]


def _header(groups: int, momentum: Momentum | None = None) -> list[str]:
    names = ["step", "lr"] if groups == 1 else ["step", *(f"lr{g}" for g in range(groups))]
    if momentum is None:
        return names
    return (
        [*names, "momentum"]
        if len(momentum) == 1
        else [*names, *(f"momentum{g}" for g in range(len(momentum)))]
    )


def _with_momentum(row: list[str], t: int, momentum: Momentum | None, text: Any) -> list[str]:
    return row if momentum is None else [*row, *(text(column[t]) for column in momentum)]


def _number(value: float) -> str:
    """A rate for people: 10 significant digits (hides float noise such as 0.010000000000000002)."""
    return f"{value:.10g}"


def to_text(values: FloatArray, momentum: Momentum | None = None) -> str:
    """Aligned columns: ``step`` then ``lr`` (or ``lr0``, ``lr1``, ... for several groups).

    Rates are written with 10 significant digits; use `to_csv` or `to_json` for every digit.
    `momentum` (one column of values per group, from `lrkit.spec.cycled_momentum`) adds a
    ``momentum`` column (``momentum0``, ``momentum1``, ... for several groups).

    Example:
        >>> import numpy as np
        >>> from lrkit.preview import to_text
        >>> print(to_text(np.array([[0.1], [0.05]])))
        step  lr
           0  0.1
           1  0.05
    """
    table = [_header(values.shape[1], momentum)]
    table += [
        _with_momentum([str(t), *(_number(float(v)) for v in row)], t, momentum, _number)
        for t, row in enumerate(values)
    ]
    widths = [max(len(line[c]) for line in table) for c in range(len(table[0]))]
    return "\n".join(_line(line, widths) for line in table)


def to_csv(values: FloatArray, momentum: Momentum | None = None) -> str:
    """CSV with a header row (``step,lr`` or ``step,lr0,lr1,...``) and every digit of each rate.

    `momentum` adds the momentum columns last.

    Example:
        >>> import numpy as np
        >>> from lrkit.preview import to_csv
        >>> print(to_csv(np.array([[0.1, 0.01]])))
        step,lr0,lr1
        0,0.1,0.01
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_header(values.shape[1], momentum))
    for t, row in enumerate(values.tolist()):
        writer.writerow(_with_momentum([str(t), *(repr(v) for v in row)], t, momentum, repr))
    return buffer.getvalue().rstrip("\n")


def to_json(values: FloatArray, spec: str, momentum: Momentum | None = None) -> str:
    """JSON ``{"spec": spec, "lr": [[rate of each group] for each step]}``, every digit kept.

    `momentum` adds ``"momentum": [value at each step]`` (one group) or
    ``[[value of each group] for each step]``.

    Example:
        >>> import numpy as np
        >>> from lrkit.preview import to_json
        >>> to_json(np.array([[0.1], [0.05]]), "StepLR(step_size=1, gamma=0.5)")
        '{"spec": "StepLR(step_size=1, gamma=0.5)", "lr": [[0.1], [0.05]]}'
    """
    data: dict[str, Any] = {"spec": spec, "lr": values.tolist()}
    if momentum is not None:
        if len(momentum) == 1:
            data["momentum"] = [float(v) for v in momentum[0]]
        else:
            data["momentum"] = [[float(v) for v in step] for step in zip(*momentum, strict=True)]
    return json.dumps(data)


def format_rows(
    values: FloatArray, fmt: str = "text", *, spec: str = "", momentum: Momentum | None = None
) -> str:
    """`values` (from `rows`) as text, CSV or JSON; `spec` is written into the JSON.

    Args:
        values: a (steps, groups) array of rates.
        fmt: one of "text", "csv", "json".
        spec: the spec the rows come from (JSON only).
        momentum: the momentum at each step, one column per group, or None (no momentum column).

    Raises:
        ValueError: an unknown format.

    Example:
        >>> import numpy as np
        >>> from lrkit.preview import format_rows
        >>> print(format_rows(np.array([[1.0], [0.5]]), "csv"))
        step,lr
        0,1.0
        1,0.5
    """
    check_choice("format_rows", "fmt", fmt, FORMATS)
    if fmt == "csv":
        return to_csv(values, momentum)
    if fmt == "json":
        return to_json(values, spec, momentum)
    return to_text(values, momentum)
