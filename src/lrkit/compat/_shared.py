"""Several compat schedulers stepped side by side on one optimizer, composed as torch composes them.

torch lets every scheduler rewrite ``group["lr"]`` from the value the others left there: its
chainable classes multiply it by their own step's ratio, a few classes (OneCycleLR, CyclicLR,
CosineAnnealingWarmRestarts, LambdaLR, SWALR) overwrite it, CosineAnnealingLR moves it towards
``eta_min`` (an affine step) and ReduceLROnPlateau multiplies it by ``factor`` down to ``min_lr``.
`Composition` reproduces that result without reading the groups back, from each scheduler's own
closed-form rates:

* between two *anchor* events, group ``g``'s rate is ``A_g * prod_i f_i(t_i) / f_i(s_i)`` over the
  multiplying schedulers ``i`` (``f_i`` its factor of the base, ``t_i`` its own position, ``s_i``
  its position at the anchor; a scheduler built after the anchor counts from its start,
  ``f_i(s_i) = 1``). With no anchor, ``A_g`` is the base rate: the rate is the product of every
  scheduler's factor at its own position.
* an anchor event sets ``A_g`` to the rate torch would hold after it: the overwriting scheduler's
  own rate, CosineAnnealingLR's affine step applied to the current rate, ReduceLROnPlateau's
  reduction ``max(rate * factor, min_lr)`` (when larger than ``eps``), and restarts every ``s_i``.

One scheduler alone on an optimizer is not composed at all (its own rates are written; the
per-step cost is one attribute test). A scheduler that is garbage collected keeps the factor it
last had, as torch keeps the effect of a scheduler that stopped stepping.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from lrkit.compat._base import CompatScheduler

__all__ = ["FACTOR", "AFFINE", "ABSOLUTE", "PLATEAU", "Composition", "composition"]

#: How a class acts on the rate the others left (torch's ``get_lr`` reads ``group["lr"]``).
FACTOR, AFFINE, ABSOLUTE, PLATEAU = "factor", "affine", "absolute", "plateau"


class _Member:
    __slots__ = ("factors", "kind", "mark", "ref")

    def __init__(self, scheduler: CompatScheduler, kind: str) -> None:
        self.ref = weakref.ref(scheduler)
        self.kind = kind
        self.factors: list[float] | None = None  # the last factors (kept when the scheduler is gone)
        self.mark: list[float] | None = None  # the factors at the last anchor (None: since the start)


def _write(groups: list[dict[str, Any]], values: list[float]) -> None:
    for group, v in zip(groups, values, strict=True):
        lr = group["lr"]
        if isinstance(lr, torch.Tensor):
            lr.fill_(v)
        else:
            group["lr"] = v


def _ratio(now: float, mark: float) -> float:
    # NOTE: a factor of 0 at the anchor (PolynomialLR past its end) multiplies by 1 from then on,
    # as torch's recursion does once its own factor stopped changing.
    if mark == 0.0:
        return 1.0
    if now == mark or now == -mark:  # also an infinite factor that stayed infinite (inf / inf)
        return 1.0 if now == mark else -1.0
    return now / mark


class Composition:
    """The compat schedulers attached to one optimizer, in construction order (see the module docstring)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self._optimizer = weakref.ref(optimizer)
        self.members: list[_Member] = []
        #: ``A_g`` while several schedulers share the optimizer; None while one is alone.
        self.anchor: list[float] | None = None
        #: True after a load, until the next event reads the groups' rates (see `loaded`).
        self.pending = False

    # -- membership ---------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True while several schedulers drive the optimizer (their rates are composed)."""
        return self.anchor is not None

    def join(self, scheduler: CompatScheduler) -> None:
        """Attach `scheduler` (just built, its own rates written) and write torch's composed rates."""
        if self.anchor is not None and len(scheduler._found) > len(self.anchor):
            self._add_groups(scheduler._found)  # groups added since the others were built
        if self.members and self.anchor is None:
            # A second scheduler arrives: start from the rates the groups held before it wrote its
            # own, which the first one (or the user) set, as torch's recursion does.
            self.anchor = list(scheduler._found)
            self.members = [m for m in self.members if m.ref() is not None]
            self._adopt(scheduler._found, len(scheduler._found))
            for member in self.members:
                if member.kind == FACTOR:
                    member.factors = self._factors(member)
                    member.mark = member.factors
        self.members.append(_Member(scheduler, scheduler._side))
        if self.anchor is None:
            return
        kind = scheduler._side
        if (kind == ABSOLUTE and scheduler._sets_rate_when_built) or (
            kind == AFFINE and scheduler.last_epoch > 0
        ):
            self._anchor_at(scheduler.values_for_next_update())
        self.show(scheduler, self.write())

    def leave(self, scheduler: CompatScheduler) -> None:
        """Detach `scheduler` (adopted by a container); alone again, the last one writes its own rates."""
        self.members = [m for m in self.members if m.ref() is not scheduler]
        if len([m for m in self.members if m.ref() is not None or m.kind == FACTOR]) <= 1:
            self.anchor = None
            for member in self.members:
                member.mark = None

    def check_layout(self, scheduler: CompatScheduler) -> None:
        """Before `scheduler`'s step side by side: take in the groups added since the last step.

        torch's schedulers read every group's rate, a group added with ``add_param_group`` too: the
        chainable classes multiply it by their step's ratio, CosineAnnealingLR moves it towards
        ``eta_min``, ReduceLROnPlateau reduces it; the others fail at their next step (see
        `CompatScheduler._refuse_added_groups`), and so does this one, before anything changes.

        Raises:
            ValueError: `scheduler` is one whose torch step fails with the added groups (KeyError for
                OneCycleLR and SWALR, as torch), or the optimizer has fewer groups than composed.
        """
        anchor = self.anchor
        if anchor is None:
            return
        groups = self._groups()
        n = len(groups)
        if n != len(anchor):
            if n < len(anchor):
                raise ValueError(
                    f"lrkit.compat {type(scheduler).__name__}.step(): the optimizer has {n} param groups, "
                    f"fewer than the {len(anchor)} the schedulers stepped side by side on it were built "
                    f"with; build new schedulers for the new optimizer layout"
                )
            self._add_groups([_float(g["lr"]) for g in groups])
        if n > scheduler._built_groups:
            scheduler._refuse_added_groups(n)

    def _adopt(self, rates: list[float], n: int) -> None:
        """Make the followers built with fewer groups schedule all `n` (each new group's base: its
        rate in `rates`, the rate it was added with)."""
        groups = self._groups()
        for member in self.members:
            scheduler = member.ref()
            if scheduler is None or not scheduler._follows_added_groups or len(scheduler.bases()) >= n:
                continue
            _write(groups[len(scheduler.bases()) : n], rates[len(scheduler.bases()) : n])
            scheduler._adopt_groups()

    def _add_groups(self, rates: list[float]) -> None:
        """Groups were added (``add_param_group``) while several schedulers share the optimizer: each
        continues from the rate it was added with (`rates`), every multiplying scheduler's factor
        counted from its position now, as torch's recursion."""
        assert self.anchor is not None
        old, n = len(self.anchor), len(rates)
        self.members = [m for m in self.members if m.ref() is not None or m.kind == FACTOR]
        self._adopt(rates, n)
        for member in self.members:
            if member.kind != FACTOR:
                continue
            factors = self._factors(member)
            mark = member.mark if member.mark is not None else [1.0] * old
            member.mark = mark[:old] + factors[old:]
            member.factors = factors
        self.anchor = self.anchor + rates[old:]
        self.write()

    # -- events ---------------------------------------------------------------------------------

    def stepped(self, scheduler: CompatScheduler, before: list[float] | None, absolute: bool) -> None:
        """`scheduler` took a step (its own rates are written): write the composed rates instead.

        Args:
            before: the scheduler's own rates before the step (for the affine step).
            absolute: the step went to a position by its closed form (``step(epoch)``), which torch
                applies absolutely.
        """
        kind = scheduler._side
        if absolute or kind == ABSOLUTE:
            self._anchor_at(scheduler.values_for_next_update())
        elif kind == AFFINE:
            assert before is not None
            current = self.compose()
            after = scheduler.values_for_next_update()
            self._anchor_at(scheduler._torch_step(current, before, after))
        self.show(scheduler, self.write())

    def reduced(self, scheduler: CompatScheduler, factor: float, floors: list[float], eps: float) -> None:
        """ReduceLROnPlateau decided to reduce: torch's ``max(lr * factor, min_lr)`` on the current rates."""
        current = self.compose()
        new = []
        for old, floor in zip(current, floors[: len(current)], strict=True):
            lower = max(old * factor, floor)
            new.append(lower if old - lower > eps else old)
        self._anchor_at(new)
        self.show(scheduler, self.write())

    def current(self) -> list[float]:
        """The composed rates now."""
        return self.compose()

    # -- arithmetic -----------------------------------------------------------------------------

    def _groups(self) -> list[dict[str, Any]]:
        optimizer = self._optimizer()
        return [] if optimizer is None else optimizer.param_groups

    def _factors(self, member: _Member) -> list[float]:
        scheduler = member.ref()
        if scheduler is None:
            return member.factors or []
        values = scheduler.values_for_next_update()
        bases = scheduler._compat_bases
        if len(bases) < len(values):  # groups it took in since it was built (add_param_group)
            bases.extend(scheduler.bases()[len(bases) : len(values)])
        return [v / b if b != 0.0 else 1.0 for v, b in zip(values, bases, strict=True)]

    def _anchor_at(self, values: list[float]) -> None:
        self.anchor = list(values)
        for member in self.members:
            if member.kind == FACTOR:
                member.factors = self._factors(member)
                member.mark = member.factors

    def compose(self) -> list[float]:
        """``A_g * prod_i f_i(t_i) / f_i(s_i)`` for every group."""
        out = list(self.anchor or [])
        for member in self.members:
            if member.kind != FACTOR:
                continue
            factors = self._factors(member)
            member.factors = factors
            mark = member.mark
            if len(factors) < len(out):  # groups added that this scheduler does not step (torch's
                factors = factors + [1.0] * (len(out) - len(factors))  # next step of it fails)
            if mark is not None and len(mark) < len(factors):
                mark = mark + factors[len(mark) :]
            if mark is None:
                out = [v * f for v, f in zip(out, factors, strict=True)]
            else:
                out = [v * _ratio(f, m) for v, f, m in zip(out, factors, mark, strict=True)]
        return out

    def write(self) -> list[float]:
        """Write the composed rates into the groups; return them."""
        values = self.compose()
        _write(self._groups(), values)
        return values

    @staticmethod
    def show(scheduler: CompatScheduler, values: list[float]) -> None:
        """What `scheduler.get_last_lr()` shows: the groups' rates right after its step, as in torch."""
        scheduler._shown = list(values)

    # -- resume ---------------------------------------------------------------------------------

    def loaded(self, held: list[float]) -> None:
        """A member loaded a state: as torch, continue from the rates the groups hold at the next step.

        `held` are the groups' rates before the member wrote its own (put back, so that an optimizer
        state loaded before keeps its rates); the optimizer's state may also be loaded afterwards.
        The factors at the loaded positions are marked now; the rates are read at the next event.
        """
        _write(self._groups(), held)
        self._anchor_at(held)
        self.pending = True

    def settle(self) -> None:
        """After a load: take the groups' rates (the optimizer's, as torch does) as the anchor."""
        self.pending = False
        self.anchor = [_float(g["lr"]) for g in self._groups()]


def _float(value: Any) -> float:
    if isinstance(value, torch.Tensor):
        return float(value.detach().to("cpu", torch.float64).item())
    return float(value)


_COMPOSITIONS: weakref.WeakKeyDictionary[torch.optim.Optimizer, Composition] = weakref.WeakKeyDictionary()


def composition(optimizer: torch.optim.Optimizer) -> Composition:
    """The optimizer's composition (made on first use; it lives as long as the optimizer)."""
    found = _COMPOSITIONS.get(optimizer)
    if found is None:
        found = _COMPOSITIONS[optimizer] = Composition(optimizer)
    return found
