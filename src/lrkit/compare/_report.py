"""The race's pictures: ``report.png`` (three panels) and a self-contained ``report.html``.

Matplotlib is imported here only, inside the functions, with the non-interactive Agg backend.
"""

from __future__ import annotations

import base64
import html
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from lrkit.compare._results import Comparison, Entry, _write_atomic
from lrkit.schedules._base import FloatArray

__all__ = ["figure_png", "report_html", "write_report"]


def _stack(curves: list[list[float]], length: int) -> FloatArray:
    """Curves of several seeds as rows of one array, padded with NaN (a diverged run is shorter)."""
    array = np.full((max(len(curves), 1), length), np.nan)
    for row, curve in enumerate(curves):
        values = np.asarray([np.nan if v is None else v for v in curve], dtype=np.float64)[:length]
        array[row, : len(values)] = values
    return array


def _smooth(values: FloatArray, window: int) -> FloatArray:
    """Trailing moving average over `window` updates (the first points average what exists)."""
    if window <= 1:
        return values
    cumulative = np.cumsum(np.nan_to_num(values, nan=0.0), axis=-1)
    counts = np.cumsum(~np.isnan(values), axis=-1)
    shifted = np.zeros_like(cumulative)
    shifted[..., window:] = cumulative[..., :-window]
    shifted_counts = np.zeros_like(counts)
    shifted_counts[..., window:] = counts[..., :-window]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = (cumulative - shifted) / (counts - shifted_counts)
    return np.where(np.isnan(values), np.nan, result)


def _band(axis: Any, x: FloatArray, rows: FloatArray, color: Any, label: str) -> None:
    """The mean over seeds as a line, and the min-max band when there are several seeds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns after a divergence
        mean = np.nanmean(rows, axis=0)
        low, high = np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)
    axis.plot(x, mean, color=color, label=label, linewidth=1.4)
    if rows.shape[0] > 1:
        axis.fill_between(x, low, high, color=color, alpha=0.18, linewidth=0)


def figure_png(comparison: Comparison, *, dpi: int = 110) -> bytes:
    """The three-panel figure as PNG bytes: learning rate, training loss, validation loss.

    One line per schedule (the mean over seeds) and, with several seeds, a band from the lowest
    to the highest seed. The x axis is in epochs (update ``i`` at ``i / updates_per_epoch``); the
    learning rate is parameter group 0's, per update; the training loss is a trailing moving
    average over a third of an epoch (log scale); the validation loss (the ranking metric) is per
    epoch, its axis zoomed on the last three quarters of the run. Needs matplotlib (the ``compare``
    extra).

    Args:
        comparison: the race, complete or not (schedules without runs are left out).
        dpi: the resolution, dots per inch (the figure is 15 x 4.6 inches).

    Example:
        >>> from lrkit.compare import Comparison, Entry, RunResult
        >>> race = Comparison("toy", epochs=1, seeds=[0], target=0.9, steps_per_epoch=2, base_lrs=[0.1])
        >>> run = RunResult(0, lr=[[0.1], [0.1]], train_loss=[1.0, 0.5], val_loss=[0.4], val_accuracy=[0.8])
        >>> race.entries.append(Entry("flat", "constant()", [run]))
        >>> figure_png(race, dpi=20)[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    spe = comparison.steps_per_epoch
    updates = comparison.epochs * spe
    figure = Figure(figsize=(15, 4.6), dpi=dpi, layout="constrained")
    lr_axis, loss_axis, val_axis = figure.subplots(1, 3)
    colors = _colors(len(comparison.entries))
    x_updates = np.arange(updates) / spe
    x_epochs = np.arange(1, comparison.epochs + 1, dtype=np.float64)
    for entry, color in zip(comparison.entries, colors, strict=True):
        if not entry.runs:
            continue
        lrs = _stack([[groups[0] for groups in run.lr] for run in entry.runs], updates)
        _band(lr_axis, x_updates, lrs, color, entry.label)
        losses = _smooth(_stack([run.train_loss for run in entry.runs], updates), max(1, spe // 3))
        _band(loss_axis, x_updates, losses, color, entry.label)
        val = _stack([run.val_loss for run in entry.runs], comparison.epochs)
        _band(val_axis, x_epochs, val, color, entry.label)
    predicted, extra = _draw_predictions(val_axis, comparison, colors)
    seeds = len(comparison.seeds)
    band = f"; band: min-max over {seeds} seeds" if seeds > 1 else ""
    if comparison.predictions is not None:
        band += "\ndashed: predicted (95% band)"
    lr_axis.set(title="learning rate (group 0)", xlabel="epoch", ylabel="lr")
    loss_axis.set(title="training loss (moving average)", xlabel="epoch", ylabel="loss", yscale="log")
    val_axis.set(title=f"validation loss{band}", xlabel="epoch", ylabel="loss")
    later = [
        v
        for e in comparison.entries
        for r in e.runs
        for v in r.val_loss[comparison.epochs // 4 :]
        if v is not None and np.isfinite(v)
    ] + predicted
    if later:
        low, high = min(later), max(later)
        val_axis.set_ylim(low - 0.05 * (high - low + 1e-9), high + 0.05 * (high - low + 1e-9))
    for axis in (lr_axis, loss_axis, val_axis):
        axis.grid(alpha=0.3)
        axis.set_xlim(0, comparison.epochs)
    handles, labels = lr_axis.get_legend_handles_labels()
    handles, labels = handles + [h for h, _ in extra], labels + [label for _, label in extra]
    figure.legend(
        handles, labels, loc="outside lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False
    )
    figure.suptitle(
        f"lrkit compare: task {comparison.task}, {comparison.epochs} epochs x {spe} updates, "
        f"{seeds} seed{'s' if seeds != 1 else ''}",
        fontsize=11,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_predictions(axis: Any, comparison: Comparison, colors: list[Any]) -> tuple[list[float], list[Any]]:
    """``lrkit compare --predict``'s curves on the validation panel, dashed with their 95 % band.

    A raced schedule's prediction takes its color; a predicted-only spec takes the next colors.
    Returns the predicted losses in the last three quarters of the run (for the axis' limits) and
    (handle, label) legend items for the predicted-only specs.
    """
    data = comparison.predictions
    if not data:
        return [], []
    spe = comparison.steps_per_epoch
    by_label = dict(zip([e.label for e in comparison.entries], colors, strict=True))
    spare = _colors(len(comparison.entries) + len(data.get("schedules", [])))[len(comparison.entries) :]
    values: list[float] = []
    extra: list[Any] = []
    for row in data.get("schedules", []):
        prediction = row["prediction"]
        x = np.asarray(prediction["steps"], dtype=np.float64) / spe
        loss = np.asarray(prediction["loss"], dtype=np.float64)
        color = by_label.get(row["label"]) if row["role"] != "spec" else None
        if color is None:
            color = spare.pop(0)
        (line,) = axis.plot(x, loss, color=color, linestyle="--", linewidth=1.2)
        if prediction.get("low") is not None and prediction.get("high") is not None:
            axis.fill_between(x, prediction["low"], prediction["high"], color=color, alpha=0.1, linewidth=0)
        if row["role"] == "spec":
            extra.append((line, f"{row['label']} (predicted, not run)"))
        values += [float(v) for v, at in zip(loss, x, strict=True) if at >= comparison.epochs / 4]
    return values, extra


def _predictions_html(comparison: Comparison) -> str:
    """The ``--predict`` section of the report: the fit, then predicted vs measured per schedule."""
    data = comparison.predictions
    if not data:
        return ""
    law = data.get("fit", {})
    fitted = ", ".join(law.get("schedules", []))
    head = "".join(
        f"<th>{name}</th>" for name in ("schedule", "role", "measured", "predicted", "95% interval", "error")
    )
    body = []
    for row in data.get("schedules", []):
        prediction = row["prediction"]
        measured = row.get("measured_final")
        interval = prediction.get("final_interval")
        cells = [
            row["label"],
            row["role"],
            "-" if measured is None else f"{measured:.4f}",
            f"{prediction['final']:.4f}",
            "-" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]",
            "-" if measured is None else f"{100 * (prediction['final'] - measured) / measured:+.2f}%",
        ]
        body.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
    pairs = data.get("pairs_ranked_right")
    ranked = (
        f" Pairs of held-out schedules ranked right: {pairs[0]}/{pairs[1]}." if pairs and pairs[1] else ""
    )
    warnings = "".join(
        f"\n<p class='warn'>! {html.escape(row['label'])}: {html.escape(row['prediction']['warning'])}</p>"
        for row in data.get("schedules", [])
        if row["prediction"].get("warning")
    )
    return (
        f"<h2 id='predictions'>Predicted vs measured</h2>\n<p>The {html.escape(str(law.get('law')))} law "
        f"fitted on {html.escape(fitted)} (rmse {law.get('rmse', float('nan')):.4g}, uncertainty "
        f"{html.escape(str(law.get('uncertainty')))}) predicts the final validation loss of the other "
        f"schedules from the rates they use (dashed in the figure).{ranked}</p>\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>"
        + warnings
    )


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    palette = colormaps["tab10"]
    return [palette(i % 10) for i in range(n)]


def _table_html(comparison: Comparison) -> str:
    rows = comparison.rows()
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:]
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _spec_list(entries: list[Entry]) -> str:
    items = "\n".join(
        f"<li><b>{html.escape(e.label)}</b>: <code>{html.escape(e.spec)}</code></li>" for e in entries
    )
    return f"<ul>\n{items}\n</ul>"


def _lr_source(comparison: Comparison) -> str:
    if comparison.range_test is not None:
        found = comparison.range_test
        return f"suggested by the range test, method {found.get('method')}, interval {found.get('interval')}"
    return "the task's" if comparison.lr_source == "task" else "given"


def report_html(comparison: Comparison, png: bytes) -> str:
    """A self-contained HTML page: the figure (embedded as base64), the table and the settings.

    The page loads nothing else (no script, no stylesheet, no network): it opens from a file.

    Args:
        comparison: the race.
        png: the figure, PNG bytes (`figure_png`).

    Example:
        >>> from lrkit.compare import Comparison
        >>> race = Comparison("toy", epochs=1, seeds=[0], target=0.9, steps_per_epoch=2, base_lrs=[0.1])
        >>> page = report_html(race, b"not really a png")
        >>> 'src="data:image/png;base64,bm90IHJlYWxseSBhIHBuZw=="' in page
        True
    """
    image = base64.b64encode(png).decode("ascii")
    c = comparison
    versions = ", ".join(f"{name} {version}" for name, version in c.versions.items())
    status = "" if c.status == "complete" else f"<p class='warn'>Status: {html.escape(c.status)}</p>"
    if c.error:
        status += f"<p class='warn'>Error: {html.escape(c.error)}</p>"
    target = "" if c.target is None else f"; accuracy target {c.target * 100:g}%"
    notes = "\n".join(
        ("<p class='warn'>" if line.startswith("!") else "<p>") + html.escape(line) + "</p>"
        for line in c.notes()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lrkit compare: {html.escape(c.task)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
.warn {{ color: #a00; }}
</style>
</head>
<body>
<h1>lrkit compare: task <code>{html.escape(c.task)}</code></h1>
{status}
<p>{c.epochs} epochs of {c.steps_per_epoch} updates, seeds {html.escape(str(c.seeds))}, base learning
rate(s) {html.escape(str(c.base_lrs))} ({html.escape(_lr_source(c))}){target}. The time is per run.
Total time {c.seconds:.1f} s.</p>
<img id="figure" alt="learning rate, training loss and validation loss per schedule"
 src="data:image/png;base64,{image}">
{_table_html(c)}
{notes}
{_predictions_html(c)}
<h2>Schedules</h2>
{_spec_list(c.entries)}
<p>Every curve is in <code>results.json</code> and <code>results.csv</code> next to this file.
{html.escape(versions)}.</p>
</body>
</html>
"""


def write_report(comparison: Comparison, out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``report.png`` and ``report.html`` into the folder `out` (created); return their paths.

    Args:
        comparison: the race.
        out: the folder.

    Raises:
        OSError: the folder cannot be created or written.

    Example:
        >>> import tempfile
        >>> from lrkit.compare import compare
        >>> race = compare(["constant()"], epochs=1, seeds=1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     [path.name for path in write_report(race, folder)]
        ['report.png', 'report.html']
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    png = figure_png(comparison)
    png_path, html_path = folder / "report.png", folder / "report.html"
    temporary = png_path.with_name("report.png.tmp")
    temporary.write_bytes(png)
    os.replace(temporary, png_path)
    _write_atomic(html_path, report_html(comparison, png))
    return png_path, html_path
