"""Plots of a schedule written to PNG, SVG or PDF files with matplotlib (the ``lrkit[plot]`` extra).

matplotlib is imported when a plot is saved, never when this module is imported, and without
pyplot (no GUI backend, no global state): a `matplotlib.figure.Figure` renders straight to the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from lrkit._validate import fail

__all__ = ["FILE_TYPES", "MISSING_MATPLOTLIB", "save"]

#: File types `save` writes, chosen by the file's extension.
FILE_TYPES = ("png", "svg", "pdf")

#: The error message when matplotlib is not installed.
MISSING_MATPLOTLIB = 'plotting to a file needs matplotlib: pip install "lrkit[plot]"'


def _file_type(path: str | os.PathLike[str]) -> str:
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if extension not in FILE_TYPES:
        allowed = "a file name ending in " + ", ".join(f".{kind}" for kind in FILE_TYPES)
        raise fail("save", "path", os.fspath(path), allowed)
    return extension


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error
    return Figure


def save(
    values: npt.ArrayLike,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    labels: Sequence[str] | None = None,
    size: tuple[float, float] = (6.4, 3.2),
) -> None:
    """Write the curve of rates against steps to `path`; the extension picks PNG, SVG or PDF.

    One line per parameter group (the columns of a 2-D array), steps on the x axis, the rate on
    the y axis from 0. SVG files are reproducible: the same values give the same bytes (no date,
    a fixed id salt), so generated documentation does not churn.

    Args:
        values: rates, one per step: a 1-D array, or a (steps, groups) array; finite.
        path: the output file, ending in ``.png``, ``.svg`` or ``.pdf``.
        title: the plot's title (None for none).
        labels: one legend label per group (None: no legend for one group, ``lr0``, ``lr1``, ...
            for several).
        size: the figure's (width, height) in inches.

    Raises:
        ValueError: an unknown extension, an empty or non-finite array, labels that do not match
            the groups.
        ImportError: matplotlib is not installed (``pip install "lrkit[plot]"``).

    Example:
        >>> import os, tempfile
        >>> from lrkit.preview import rows, save
        >>> path = os.path.join(tempfile.mkdtemp(), "cosine.svg")
        >>> save(rows("cosine(end=0.1)", steps=100, lrs=0.1), path, title="cosine")
        >>> open(path).read(5)
        '<?xml'
    """
    kind = _file_type(path)
    data = np.asarray(values, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise fail("save", "values", f"<array of shape {data.shape}>", "a non-empty 1-D or 2-D array")
    if not np.isfinite(data).all():
        raise fail("save", "values", "<array with NaN or inf>", "finite numbers")
    groups = data.shape[1]
    if labels is not None and len(labels) != groups:
        raise fail("save", "labels", list(labels), f"one label per group ({groups})")
    names = list(labels) if labels is not None else [f"lr{g}" for g in range(groups)]
    figure_class = _figure_class()
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "lrkit", "svg.fonttype": "none"}):
        figure = figure_class(figsize=size, layout="constrained")
        axes = figure.add_subplot()
        steps = np.arange(data.shape[0])
        for g in range(groups):
            axes.plot(steps, data[:, g], linewidth=1.5, label=names[g])
        axes.set_xlabel("step")
        axes.set_ylabel("learning rate")
        axes.set_xlim(0, max(data.shape[0] - 1, 1))
        axes.set_ylim(bottom=min(0.0, float(data.min())))
        axes.grid(True, alpha=0.3)
        if title:
            axes.set_title(title, fontsize=10)
        if groups > 1 or labels is not None:
            axes.legend(fontsize=8)
        metadata: dict[str, Any] = {"Date": None} if kind in ("svg", "pdf") else {}
        figure.savefig(os.fspath(path), format=kind, metadata=metadata)
