"""The phases of torch's SequentialLR, as lrkit schedules: which child runs when, and how it starts.

torch runs child ``bisect_right(milestones, t)`` at step ``t``; at its milestone it restarts the
child's clock (``step(0)``), elsewhere (unsorted lists) and for the first phase it calls the
child's ``step()`` from where SequentialLR's undo left it (``last_epoch = -1``). `_torch_phases`
finds the phases, `_phases` builds each group's phase schedules (closed forms where torch's steps
have one, `_continued` for a chainable child taking over, `_ChainPhase` for a ChainedScheduler
started by ``chain.step()``: torch's recursion, computed once), `_momentum_phases` the cycled
momentum. The containers themselves are in `_containers`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from functools import partial
from typing import Any

from lrkit._validate import fail
from lrkit.compat._base import CompatScheduler
from lrkit.compat._functions import MultiplicativeLR, _TorchFunction
from lrkit.compat._shared import _ratio
from lrkit.compat._steps import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from lrkit.compat._swa import SWALR
from lrkit.scheduler import to_float
from lrkit.schedules import Schedule, constant, scale, sequence

__all__ = ["_ChainPhase", "_inner", "_momentum_phases", "_phases", "_torch_phases", "_undo"]


def _is_container(child: CompatScheduler) -> bool:
    """SequentialLR or ChainedScheduler (they hold their children in ``_schedulers``)."""
    return hasattr(child, "_schedulers")


def _inner(container: CompatScheduler) -> list[CompatScheduler]:
    """A container's children."""
    children: list[CompatScheduler] = getattr(container, "_schedulers")  # noqa: B009
    return children


def _is_chain(child: CompatScheduler) -> bool:
    """A ChainedScheduler (product or stepped: the class setting ``_stepped``)."""
    return hasattr(type(child), "_stepped")


def _phases(
    children: list[CompatScheduler],
    marks: list[int],
    g: int,
    base: float,
    restarts: list[bool] | None = None,
    chains: dict[int, list[_ChainPhase]] | None = None,
    memo: dict[tuple[Any, ...], Schedule] | None = None,
) -> tuple[Schedule, ...]:
    """Group `g`'s phases. A MultiplicativeLR phase after the first starts where the previous phase
    left the rate, times ``lr_lambda(0)``, as in torch (it has no closed form, so torch's ``step(0)``
    multiplies the current rate); a SWALR phase anneals from that rate, as torch's. A phase whose
    child takes over without restarting (``restarts[i - 1]`` False) continues from that rate as
    torch's ``step()`` of it does (`_continued`). With `memo`, a phase that does not depend on the
    group's base is built once for all groups (so that groups share one schedule, as a group added
    later can then follow it)."""

    def once(key: tuple[Any, ...], make: Callable[[], Schedule]) -> Schedule:
        if memo is None:
            return make()
        found = memo.get(key)
        if found is None:
            found = memo[key] = make()
        return found

    phases: list[Schedule] = []
    for i, child in enumerate(children):
        if _simulated(child, i, restarts):
            left = 1.0
            if i > 0:
                span = marks[i - 1] - (marks[i - 2] if i >= 2 else 0)
                left = phases[-1].resolve(base=base)(span - 1)
            chain = _ChainPhase(child, g, base, base * left)
            if chains is not None:
                chains.setdefault(i, []).append(chain)
            phases.append(chain.schedule())
            continue
        phase = child._compat_lr[g]
        restarted = restarts is None or i == 0 or restarts[i - 1]
        if i > 0 and (not restarted or isinstance(child, (MultiplicativeLR, SWALR, ConstantLR))):
            span = marks[i - 1] - (marks[i - 2] if i >= 2 else 0)
            left = phases[-1].resolve(base=base)(span - 1)
            own = phase
            if not restarted and not isinstance(child, MultiplicativeLR):
                based = base if isinstance(child, (CosineAnnealingLR, SWALR)) else None
                key = ("continued", id(child), id(own), left, based)
                phase = once(key, partial(_continued, child, g, base, left))
            elif isinstance(child, SWALR):  # torch anneals from the rate the previous phase left
                phase = child._curves([base * left] * len(child._lr0))[g]
            elif isinstance(child, MultiplicativeLR):
                factor = left * float(child.lr_lambdas[g](0))
                phase = once(("scale", id(own), factor), partial(scale, own, factor))
            elif isinstance(child, ConstantLR) and child.total_iters <= 0:
                # torch's step(0) is its closed form, ``factor`` only before `total_iters`: 1 here, and
                # its later steps leave the rate (their restore happens at `total_iters` only)
                phase = once(("one",), lambda: constant(1.0))
        phases.append(phase)
    return tuple(phases)


def _continued(child: CompatScheduler, g: int, base: float, left: float) -> Schedule:
    """Group `g`'s phase (a factor of `base`) when torch's SequentialLR hands over to `child` without
    restarting its clock: torch calls ``child.step()`` from ``last_epoch = -1`` (its construction
    step was undone), so the chainable forms start from the rate the previous phase left,
    ``base * left``, with their step at clock 0 in its non-initial form; LambdaLR, CyclicLR,
    OneCycleLR and CosineAnnealingWarmRestarts set the rate from their bases at the clock, as after
    a restart."""
    if child.overwrites and not isinstance(child, SWALR):
        return child._compat_lr[g]
    own = child._compat_lr[g]
    if isinstance(child, (StepLR, MultiStepLR, ConstantLR, LinearLR)):
        # their step at clock 0 is the same in both forms: ``lr * f(0)``, then f's ratios
        return scale(own, left)
    if isinstance(child, ExponentialLR):  # non-initial at 0: already one factor of gamma
        curve = own.resolve(base=1.0)
        return _TorchFunction(lambda e: left * curve(e + 1))
    if isinstance(child, PolynomialLR):  # ((1 - e/T) / (1 + 1/T)) ** power, then held
        span, power = child.total_iters, child.power
        return _TorchFunction(lambda e: left * ((1.0 - min(e, span) / span) / (1.0 + 1.0 / span)) ** power)
    if isinstance(child, CosineAnnealingLR):
        return _continued_cosine(child, base, left)
    if isinstance(child, SWALR):  # its step count is one ahead of a restarted phase's
        curve = child._curves([base * left] * len(child._lr0))[g].resolve(base=base)
        return _TorchFunction(lambda e: curve(e + 1))
    raise AssertionError(f"unreachable: {type(child).__name__}")  # refused by `_torch_phases`


def _continued_cosine(child: CosineAnnealingLR, base: float, left: float) -> Schedule:
    """torch's recursive cosine from the rate ``base * left`` with its clock at 0: ``eta_min + (rate -
    eta_min) * (1 + cos(pi e / T)) / (1 + cos(pi / T))`` until its first restart step ``|T| + 1``
    (integer ``T_max``), where it adds ``(base - eta_min) * (1 - cos(pi / T)) / 2`` and from then on
    follows the closed form from its base."""
    period, low = child.T_max, to_float(child.eta_min)
    start = base * left
    first = 1.0 + math.cos(math.pi / period)
    restart = abs(period) + 1 if isinstance(period, int) else math.inf

    def factor(e: float) -> float:
        cos = 1.0 + math.cos(math.pi * e / period)
        rate = low + (start - low) * cos / first if e < restart else low + (base - low) * cos / 2
        return rate / base if base else 0.0

    return _TorchFunction(factor)


def _simulated(child: CompatScheduler, i: int, restarts: list[bool] | None) -> bool:
    """True for a ChainedScheduler phase that torch starts with ``chain.step()`` (the first phase,
    or one taking over without restarting): its children then step from ``last_epoch = -1``, one
    after the other (`_ChainPhase`). (Restarted, torch's ``step(0)`` of a chain raises
    NotImplementedError; compat restarts a product chain as its product, and refuses a stepped one.)"""
    if not _is_chain(child) or _chain_plateau(child):
        return False
    return restarts is None or i == 0 or not restarts[i - 1]


def _chain_plateau(chain: Any) -> bool:
    return bool(getattr(chain, "_has_plateau", False)) if chain._stepped else chain.has_plateau


def _torch_step_of(child: CompatScheduler, g: int) -> Callable[[float, int], float]:
    """torch's ``step()`` of `child` for group `g` at clock ``e`` (``last_epoch`` after the step,
    from -1): the rate it writes, from the rate ``r`` the group holds (torch's ``get_lr``).

    Raises:
        ValueError: a child torch cannot step in a chain (ReduceLROnPlateau) or a container.
    """
    if isinstance(child, ExponentialLR):
        gamma = float(child.gamma)
        return lambda r, e: r * gamma
    if isinstance(child, PolynomialLR):
        span, power = child.total_iters, child.power

        def polynomial(r: float, e: int) -> float:
            return r if e > span else r * ((1.0 - e / span) / (1.0 - (e - 1) / span)) ** power

        return polynomial
    if isinstance(child, MultiplicativeLR):
        fn = child.lr_lambdas[g]
        return lambda r, e: r * fn(e)
    if isinstance(child, CosineAnnealingLR):
        period, low, base = child.T_max, to_float(child.eta_min), child._compat_bases[g]

        def cosine(r: float, e: int) -> float:
            if (e - 1 - period) % (2 * period) == 0:
                return r + (base - low) * (1 - math.cos(math.pi / period)) / 2
            return (1 + math.cos(math.pi * e / period)) / (1 + math.cos(math.pi * (e - 1) / period)) * (
                r - low
            ) + low

        return cosine
    if isinstance(child, SWALR):
        epochs, target, shape = child.anneal_epochs, child.swa_lrs[g], child.anneal_strategy

        def weight(t: float) -> float:
            t = max(0.0, min(1.0, t))
            return (1 - math.cos(math.pi * t)) / 2 if shape == "cos" else t

        def swa(r: float, e: int) -> float:
            step = e + 1 if epochs else max(1, e + 1)  # its step count: the construction's, then one per step
            prev, now = weight((step - 1) / max(1, epochs)), weight(step / max(1, epochs))
            start = target if prev == 1 else (r - prev * target) / (1 - prev)
            return float(target * now + start * (1 - now))

        return swa
    own = child.schedules()[g]
    if isinstance(child, (StepLR, MultiStepLR, ConstantLR, LinearLR)):
        return lambda r, e: r * _ratio(own(e), own(e - 1) if e > 0 else 1.0)
    if child.overwrites and not _is_container(child):
        base = child.bases()[g]  # LambdaLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts
        return lambda r, e: base * own(e)
    raise ValueError(
        f"A ChainedScheduler holding a {type(child).__name__} cannot be a phase of a SequentialLR in "
        f"lrkit.compat (torch steps no ReduceLROnPlateau in a chain); build that phase's schedulers "
        f"side by side"
    )


class _ChainPhase:
    """Group `g`'s rates in a ChainedScheduler phase that torch starts with ``chain.step()``: every
    child steps from ``last_epoch = -1`` at the phase's first step, each from the rate the previous
    one wrote, starting from `start` (the rate the previous phase left; the base rate for the
    first phase). The rates are computed once, in order, as torch's recursion."""

    def __init__(self, chain: Any, g: int, base: float, start: float) -> None:
        self.chain, self.base, self.start = chain, base, start
        self.steps = [_torch_step_of(child, g) for child in chain._schedulers]
        self.rates: list[float] = []  # the rate after the whole chain's step at each clock

    def row(self, e: int) -> list[float]:
        """The rate after each child's step at clock `e`."""
        while len(self.rates) < e:
            self.row(len(self.rates))
        r = self.rates[e - 1] if e > 0 else self.start
        out = []
        for step in self.steps:
            r = step(r, e)
            out.append(r)
        if len(self.rates) == e:
            self.rates.append(r)
        return out

    def rate(self, e: float) -> float:
        k = max(int(e), 0)
        if k >= len(self.rates):
            self.row(k)
        return self.rates[k]

    def schedule(self) -> Schedule:
        base = self.base
        return _TorchFunction(lambda e: self.rate(e) / base if base else 0.0)


def _momentum_phases(children: list[CompatScheduler], marks: list[int], n: int) -> list[Schedule] | None:
    """Each group's momentum (or beta1) when a child cycles it (CyclicLR, OneCycleLR), as in torch:
    a cycling child's phase follows its curve; in the other phases the value holds where the last
    cycling phase left it (before the first one: what the last-built cycling child wrote). Values
    are absolute (the container's momentum base is 1.0, as the cycling children's)."""
    children = [_momentum_source(child) for child in children]
    cycling = [child for child in children if len(child.scheduled_keys) > 1]
    if not cycling:
        return None
    written = [float(v) for v in cycling[-1].values_for_next_update(cycling[-1].scheduled_keys[1])]
    out: list[Schedule] = []
    for g in range(n):
        held = written[g]
        phases: list[Schedule] = []
        for i, child in enumerate(children):
            if len(child.scheduled_keys) > 1:
                curve = child.definitions(child.scheduled_keys[1])[g]
                phases.append(curve)
                if i < len(marks):
                    held = curve.resolve(base=1.0)(marks[i] - (marks[i - 1] if i else 0) - 1)
            else:
                phases.append(constant(held))
        out.append(sequence(tuple(phases), tuple(marks)) if marks else phases[0])
    return out


def _momentum_source(child: CompatScheduler) -> CompatScheduler:
    """The scheduler whose momentum a phase follows: a stepped chain's last cycling child (torch:
    the last one to write it), else the phase itself."""
    if not getattr(child, "_stepped", False):
        return child
    inners = _inner(child)
    for inner in reversed(inners):
        if len(inner.scheduled_keys) > 1:
            return inner
    return inners[-1]


def _torch_phases(
    owner: str, marks: list[int], children: list[CompatScheduler]
) -> tuple[list[int], list[int], list[bool]]:
    """torch's SequentialLR with any milestones, as phases: the index of each child that runs, in
    order, the steps (increasing, >= 1) where each after the first takes over, and whether it
    restarts its clock there.

    torch runs child ``bisect_right(milestones, t)`` at step ``t`` and restarts its clock
    (``step(0)``) when ``milestones[index - 1] == t``: a milestone of 0 (or below) skips the first
    child, a repeated one the child between, and a decreasing list runs what bisect finds (bisect's
    answer never decreases with ``t``, so each child runs once, in one stretch). Where an unsorted
    list makes a child take over at a step that is not its milestone, torch calls its ``step()``
    from where it stands (`_continued`).

    Raises:
        ValueError: a ReduceLROnPlateau or a container taking over without restarting (torch runs
            neither as a phase; lrkit.compat's own extension restarts them), or a PolynomialLR with
            ``total_iters=0`` (torch divides by it at that step: ZeroDivisionError).
    """
    for m in marks:
        if isinstance(m, bool) or not isinstance(m, int):
            raise fail(owner, "milestones", marks, "a list of ints (steps)", kind=TypeError)
    order = [bisect.bisect_right(marks, 0)]
    starts: list[int] = []
    restarts: list[bool] = []
    for t in range(1, max(marks, default=0) + 1):
        index = bisect.bisect_right(marks, t)
        restarted = index > 0 and marks[index - 1] == t
        if not restarted and index == order[-1]:
            continue
        order.append(index)  # torch: step(0) (restarted) or step() of the child at `index`
        starts.append(t)
        restarts.append(restarted)
        child = children[index]
        if restarted:
            if getattr(child, "_stepped", False):
                raise ValueError(
                    f"Argument `milestones` of {owner}() restarts child {index} (a ChainedScheduler whose "
                    f"children are stepped one after the other) at step {t}; torch's step(0) of a chain "
                    f"raises NotImplementedError there, and lrkit.compat has no closed form to restart it "
                    f"with. Received: milestones={marks!r}"
                )
            continue
        if _is_chain(child) and not _chain_plateau(child):
            continue  # torch's chain.step(): its children step from last_epoch -1 (`_ChainPhase`)
        if _is_container(child) or child.has_plateau:
            raise ValueError(
                f"Argument `milestones` of {owner}() makes child {index} (a {type(child).__name__}) take "
                f"over at step {t} without restarting its clock; torch runs no such phase, and lrkit.compat "
                f"restarts it only at its milestone. Received: milestones={marks!r}"
            )
        if isinstance(child, PolynomialLR) and child.total_iters == 0:
            raise ValueError(
                f"Argument `milestones` of {owner}() makes child {index} (a PolynomialLR with "
                f"total_iters=0) take over at step {t} without restarting; torch's step there divides "
                f"by total_iters (ZeroDivisionError). Received: milestones={marks!r}"
            )
    if order[-1] >= len(children):  # pragma: no cover - bisect never goes past len(marks)
        raise AssertionError("unreachable")
    return order, starts, restarts


def _undo(children: list[CompatScheduler]) -> None:
    """torch's ``recursive_undo``: the `last_epoch` of every scheduler inside (not of the containers)
    goes back by one, so that a child not yet run shows -1 (the active one is set by the container)."""
    for child in children:
        if _is_container(child):
            _undo(_inner(child))
        else:
            child.last_epoch -= 1
