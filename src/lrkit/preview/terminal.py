"""A curve drawn in the terminal with Unicode Braille dots: no plotting library needed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_int, fail

__all__ = ["render"]

# Bit of each dot of a Braille cell, indexed [row][column] (rows top to bottom, 2 columns).
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE = 0x2800


def _label(value: float) -> str:
    return f"{value:.3g}"


def render(
    values: npt.ArrayLike,
    *,
    width: int = 64,
    height: int = 16,
    title: str | None = None,
) -> str:
    """Draw rates against steps with Braille dots (2 x 4 dots a character), axes and labels.

    Each of the ``2 * width`` dot columns covers an equal share of the steps and draws the range
    of values there (joined to the previous column), so steps, jumps and fast cycles stay visible
    however long the curve is. The y axis runs from ``min(0, lowest)`` to the highest value; with
    several parameter groups (the columns of a 2-D array) every curve is drawn on the same axes.

    The output has ``height + 2`` lines (plus one for the title): the canvas rows, each
    ``label + 2 + width`` characters wide, the x axis, and the first and last step under it.

    Args:
        values: rates, one per step: a 1-D array, or a (steps, groups) array; finite.
        width: the canvas width in characters, an int >= 8.
        height: the canvas height in lines, an int >= 2.
        title: a line printed above the plot (None for none).

    Raises:
        ValueError: an empty or non-finite array, an array of more than 2 dimensions, a width
            or height too small.

    Example:
        >>> print(render([0.0, 1.0, 1.0, 0.0], width=8, height=2))
         1 ┤  ⡏⠉⠉⠉⡇
         0 ┤⣀⣀⡇   ⣇⣀
           └────────
            0      3
    """
    width = check_int("render", "width", width, low=8)
    height = check_int("render", "height", height, low=2)
    data = np.asarray(values, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise fail("render", "values", f"<array of shape {data.shape}>", "a non-empty 1-D or 2-D array")
    if not np.isfinite(data).all():
        raise fail("render", "values", "<array with NaN or inf>", "finite numbers")
    n = data.shape[0]
    low = min(0.0, float(data.min()))
    high = float(data.max())
    if high <= low:
        high = low + 1.0
    columns, rows = 2 * width, 4 * height
    # The dot row of each value: 0 at the top (high), rows - 1 at the bottom (low).
    dot_rows = np.rint((high - data) / (high - low) * (rows - 1)).astype(np.int64)
    np.clip(dot_rows, 0, rows - 1, out=dot_rows)
    cells = np.zeros((height, width), dtype=np.int64)
    for curve in dot_rows.T:
        previous = int(curve[0])
        for c in range(columns):
            start = c * n // columns
            end = max(start + 1, (c + 1) * n // columns)
            span = curve[start:end]
            # Reach back to where the previous column ended, so the curve is joined.
            top = min(int(span.min()), previous)
            bottom = max(int(span.max()), previous)
            previous = int(curve[end - 1])
            for r in range(top, bottom + 1):
                cells[r // 4, c // 2] |= _DOTS[r % 4][c % 2]
    labels = {0: _label(high), height - 1: _label(low)}
    if height >= 5:
        middle = height // 2
        labels[middle] = _label(high - (4 * middle + 1.5) / (rows - 1) * (high - low))
    pad = max(len(text) for text in labels.values()) + 1
    lines = [] if title is None else [title]
    for r in range(height):
        text = "".join(chr(_BRAILLE + int(bits)) if bits else " " for bits in cells[r])
        if r in labels:
            lines.append(f"{labels[r]:>{pad}} ┤{text}")
        else:
            lines.append(f"{'':>{pad}} │{text}")
    lines.append(f"{'':>{pad}} └{'─' * width}")
    first, last = "0", str(n - 1)
    gap = max(1, width - len(first) - len(last))
    lines.append(f"{'':>{pad}}  {first}{' ' * gap}{last}")
    return "\n".join(lines)
