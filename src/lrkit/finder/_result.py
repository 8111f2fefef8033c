"""The result of a range test: the curve, the suggestions, a plot, and the hand-off to a schedule."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from lrkit._validate import check_choice, fail
from lrkit.finder._groups import grouped
from lrkit.finder._suggest import METHODS, FloatArray, Suggestion, preferred
from lrkit.schedules import Schedule, cosine, warmup

__all__ = ["RangeTestResult"]

KINDS = ("one_cycle", "cosine", "warmup_cosine", "constant")


@dataclasses.dataclass(frozen=True, eq=False)
class RangeTestResult:
    """What `find_lr` measured: the rates, the raw and smoothed losses, and the suggestions.

    The rates are those of the *reference group* (the group with the largest rate when the test
    started); the other groups moved with it, at their fixed ratio to it (`ratios`).

    Attributes:
        lrs: the reference group's rate at each recorded update.
        losses: the raw (mean over accumulated micro-batches) loss of each recorded update.
        smoothed: the debiased moving average of `losses` (causal: what the early stop watches).
        centered: the curve the suggestions are read from (`lrkit.finder.suggestion_curve`: a
            5-point median and a zero-lag forward-backward average over the usable points; NaN
            at the skipped ends).
        suggestions: ``{"valley" | "steepest" | "minimum": Suggestion}``.
        stop_reason: why the sweep ended ("completed", "diverged: ...", "non-finite loss: ...").
        updates: the optimizer updates that counted (one point each).
        skipped: updates skipped by the GradScaler (inf/NaN gradients), which added no point.
        reference: the index of the reference group.
        ratios: each group's rate divided by the reference group's rate.
        curves: ``(lrs, losses)`` of every repeat (one unless ``repeats > 1``).
        together: when the trainable groups have different rates, the suggestions of the second
            sweep, with every trainable group at one rate (that rate's units); None otherwise.
        together_curves: ``(lrs, losses)`` of that sweep's repeats (empty without it).
        spread: the parameter-weighted geometric mean of the trainable groups' ratios (1 for
            equal rates; `lrkit.finder._groups.spread_of`).
    """

    lrs: FloatArray
    losses: FloatArray
    smoothed: FloatArray
    centered: FloatArray
    suggestions: dict[str, Suggestion]
    stop_reason: str
    updates: int
    skipped: int
    reference: int
    ratios: tuple[float, ...]
    curves: tuple[tuple[FloatArray, FloatArray], ...]
    together: dict[str, Suggestion] | None = None
    together_curves: tuple[tuple[FloatArray, FloatArray], ...] = ()
    spread: float = 1.0

    @property
    def suggestion(self) -> Suggestion:
        """The preferred suggestion: ``sqrt(minimum / 10 x steepest)`` (`lrkit.finder.preferred`).

        When one of the two abstains, minimum, else valley, else steepest (`PREFERENCE`); when
        every method abstains, the minimum's abstention (with its reason). When the groups have
        different rates (`together` is set): ``sqrt(minimum / 10 x together's suggestion /
        spread)`` (method ``"groups"``, `lrkit.finder._groups.grouped`).
        """
        if self.together is not None:
            return grouped(self.suggestions, self.together, self.spread)
        return preferred(self.suggestions)

    @property
    def lr(self) -> float | None:
        """The preferred suggested rate (`suggestion`), or None."""
        return self.suggestion.lr

    @property
    def interval(self) -> tuple[float, float] | None:
        """The spread of the rates the methods suggest: ``(lowest, highest)``, or None.

        With groups at different rates it also spans the two readings of `suggestion`.
        """
        found: list[float | None] = [s.lr for s in self.suggestions.values()]
        if self.together is not None:
            chosen = self.suggestion
            found += [chosen.lr, chosen.low, chosen.high]
        values = [v for v in found if v is not None]
        return (min(values), max(values)) if values else None

    def _pick(self, method: str | None) -> float:
        chosen = self.suggestion if method is None else self.suggestions.get(method)
        if chosen is None:
            raise fail("RangeTestResult", "method", method, "one of " + ", ".join(repr(m) for m in METHODS))
        if chosen.lr is None:
            raise ValueError(f"The range test suggests no rate ({chosen.method}): {chosen.reason}")
        return chosen.lr

    def apply(self, optimizer: Any, method: str | None = None) -> float:
        """Set the optimizer's rates to the suggestion, keeping the ratios between its groups.

        The reference group gets the suggested rate, every other group ``rate * ratio`` (the
        ratios it had when the test started). A tensor ``lr`` is filled in place.

        Args:
            optimizer: the optimizer the test ran with (same groups).
            method: "valley", "steepest" or "minimum"; None for `suggestion` (the geometric mean
                of minimum and steepest).

        Returns:
            The reference group's new rate.

        Raises:
            ValueError: no suggestion, or an optimizer with a different number of groups.
        """
        import torch

        lr = self._pick(method)
        groups = optimizer.param_groups
        if len(groups) != len(self.ratios):
            raise ValueError(
                f"RangeTestResult.apply() needs the optimizer of the test ({len(self.ratios)} groups). "
                f"Received: an optimizer with {len(groups)} groups"
            )
        for group, ratio in zip(groups, self.ratios, strict=True):
            value = lr * ratio
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value
        return lr

    def schedule(self, kind: str = "one_cycle", **kwargs: Any) -> Schedule:
        """A schedule whose peak factor is 1, for the suggested rate as the base (see `apply`).

        ``result.apply(optimizer)`` makes the suggestion every group's base rate (ratios kept);
        then ``lrkit.Scheduler(optimizer, result.schedule("one_cycle"), total=N)`` peaks at it.

        Args:
            kind: "one_cycle" (``one_cycle(**kwargs)``), "cosine" (``cosine(**kwargs)``),
                "warmup_cosine" (``warmup(cosine(end=...), steps=...)``, kwargs ``steps`` (default
                0.05 of the run) and ``end`` (default 0)), or "constant".
            **kwargs: arguments of the schedule.

        Raises:
            ValueError: an unknown kind, or arguments the schedule rejects.

        Example:
            >>> import numpy as np
            >>> from lrkit.finder import RangeTestResult
            >>> r = RangeTestResult.from_curve(np.geomspace(1e-5, 1, 60), np.linspace(2, 1, 60))
            >>> r.schedule("cosine", end=0.01)
            cosine(end=0.01)
        """
        check_choice("RangeTestResult.schedule", "kind", kind, KINDS)
        if kind == "one_cycle":
            from lrkit.schedules.one_cycle import one_cycle

            return one_cycle(**kwargs)
        if kind == "cosine":
            return cosine(**kwargs)
        if kind == "warmup_cosine":
            steps = kwargs.pop("steps", 0.05)
            end = kwargs.pop("end", 0.0)
            return warmup(cosine(end=end), steps=steps, **kwargs)
        from lrkit.schedules import constant

        return constant(**kwargs)

    @classmethod
    def from_curve(
        cls, lrs: Any, losses: Any, *, beta: float = 0.98, skip_start: int | None = None, skip_end: int = 5
    ) -> RangeTestResult:
        """A result from a recorded curve (to re-read an old test with other settings).

        Args:
            lrs: the rates, increasing, > 0.
            losses: the raw losses.
            beta, skip_start, skip_end: as in `lrkit.finder.suggest`.
        """
        from lrkit.finder._suggest import smooth, suggest, suggestion_curve

        x = np.asarray(lrs, dtype=np.float64)
        y = np.asarray(losses, dtype=np.float64)
        found = suggest(x, y, beta=beta, skip_start=skip_start, skip_end=skip_end)
        finite = np.isfinite(y)
        upto = int(np.argmin(finite)) if not finite.all() else len(y)
        return cls(
            lrs=x,
            losses=y,
            smoothed=np.concatenate([smooth(y[:upto], beta), np.full(len(y) - upto, np.nan)]),
            centered=suggestion_curve(y, beta=beta, skip_start=skip_start, skip_end=skip_end),
            suggestions=found,
            stop_reason="given",
            updates=len(x),
            skipped=0,
            reference=0,
            ratios=(1.0,),
            curves=((x, y),),
        )

    def __str__(self) -> str:
        lines = [
            f"range test: {self.updates} updates, lr {self.lrs[0]:.3g} .. {self.lrs[-1]:.3g}"
            if len(self.lrs)
            else "range test: no point recorded",
            f"stopped: {self.stop_reason}"
            + (f"; {self.skipped} updates skipped by AMP" if self.skipped else ""),
        ]
        for method in METHODS:
            s = self.suggestions[method]
            if s.lr is None:
                lines.append(f"  {method:<9} none: {s.reason}")
            else:
                lines.append(f"  {method:<9} {s.lr:.3g}  (plausible {s.low:.3g} .. {s.high:.3g})")
        if self.together is not None:
            whole = preferred(self.together)
            lines.append(
                f"  one rate for every trainable group: {whole.lr:.3g}"
                if whole.lr is not None
                else f"  one rate for every trainable group: none: {whole.reason}"
            )
        chosen = self.suggestion
        if chosen.lr is not None:
            how = {
                "between": "sqrt(minimum x steepest)",
                "groups": f"groups: sqrt(minimum x one rate / spread {self.spread:.3g})",
            }.get(chosen.method, f"{chosen.method}; a reading abstained")
            lines.append(f"  suggested {chosen.lr:.3g}  ({how})")
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None, *, ax: Any = None, raw: bool = True) -> Any:
        """Plot loss against rate (log scale), marking each suggestion and its interval.

        Needs matplotlib (``pip install lrkit[plot]``), imported here only.

        Args:
            path: save the figure there; the suffix picks the format (.png, .svg, .pdf).
            ax: draw into this matplotlib Axes instead of a new figure.
            raw: also draw the raw losses (faint).

        Returns:
            The matplotlib Figure.

        Raises:
            ImportError: matplotlib is not installed (with the command that installs it).
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as error:  # pragma: no cover - matplotlib is a test dependency
            raise ImportError("RangeTestResult.plot() needs matplotlib: pip install 'lrkit[plot]'") from error
        if ax is None:
            figure = Figure(figsize=(6.4, 4.0), layout="constrained")
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        if raw:
            ax.plot(self.lrs, self.losses, color="0.75", linewidth=0.8, label="loss")
        ax.plot(self.lrs, self.centered, color="C0", linewidth=1.6, label="smoothed loss (as read)")
        colors = {"valley": "C1", "steepest": "C2", "minimum": "C3"}
        for method in METHODS:
            s = self.suggestions[method]
            if s.lr is None:
                continue
            ax.axvspan(s.low, s.high, color=colors[method], alpha=0.12, linewidth=0)
            ax.axvline(
                s.lr, color=colors[method], linestyle="--", linewidth=1.2, label=f"{method}: {s.lr:.2g}"
            )
        chosen = self.suggestion
        if chosen.lr is not None:
            ax.axvline(chosen.lr, color="k", linewidth=1.4, label=f"suggested: {chosen.lr:.2g}")
        ax.set_xscale("log")
        finite = self.centered[np.isfinite(self.centered)]
        if finite.size:
            # From the lowest point to the highest one before it (the descent), with a margin.
            lowest = int(np.argmin(finite))
            low, high = float(finite[lowest]), float(finite[: lowest + 1].max())
            span = max(high - low, 1e-6 * max(abs(high), 1.0))
            ax.set_ylim(low - 0.15 * span, high + 0.5 * span)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("learning-rate range test")
        ax.legend(loc="best", fontsize="small")
        if path is not None:
            figure.savefig(str(path))
        return figure
