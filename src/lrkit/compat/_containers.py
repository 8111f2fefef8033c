"""torch's SequentialLR and ChainedScheduler, as lrkit compositions of their children's schedules.

torch lets every child write the optimizer and then undoes or re-applies their steps; lrkit composes
the children's schedules once (`sequence` for SequentialLR, `product` for ChainedScheduler) and one
scheduler drives the result, so containers nest, resume exactly, and may hold ReduceLROnPlateau
(its ``step(metrics)`` feeds the container's plateau phase; the container's ``step()`` moves time).

(Over 400 lines for one job, torch's two containers: SequentialLR and ChainedScheduler share
adopting and releasing their children, the phase and plateau plumbing, and the stepped-chain path.)
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, SupportsFloat

import torch

from lrkit._validate import fail
from lrkit.compat._base import FORMAT, GET_LR_WARNING, CompatScheduler, initial_bases
from lrkit.compat._cyclic import _prepare_momentum
from lrkit.compat._functions import MultiplicativeLR, _TorchFunction
from lrkit.compat._shared import ABSOLUTE, FACTOR, PLATEAU, _ratio
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
from lrkit.schedules import Schedule, constant, product, scale, sequence

__all__ = ["ChainedScheduler", "SequentialLR"]


def _children(owner: str, schedulers: Any, optimizer: torch.optim.Optimizer | None) -> list[CompatScheduler]:
    if not isinstance(schedulers, Sequence) or isinstance(schedulers, str) or len(schedulers) == 0:
        raise fail(owner, "schedulers", schedulers, "a non-empty list of lrkit.compat schedulers")
    children = list(schedulers)
    for i, child in enumerate(children):
        if not isinstance(child, CompatScheduler):
            raise TypeError(
                f"Argument `schedulers` of {owner}() must hold lrkit.compat schedulers. Received: "
                f"{type(child).__module__}.{type(child).__name__} at index {i}; build it from lrkit.compat "
                f"(e.g. lrkit.compat.{type(child).__name__}) so that the container can compose it"
            )
        if child._container is not None:
            raise ValueError(
                f"Argument `schedulers` of {owner}() holds at index {i} a {type(child).__name__} that "
                f"already belongs to a {type(child._container).__name__}"
            )
    first = optimizer if optimizer is not None else children[0].optimizer
    for i, child in enumerate(children):
        if child.optimizer is not first:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(child).__name__} at index {i} to be different than the optimizer passed in"
            )
    return children


def _adopt(container: CompatScheduler, children: list[CompatScheduler]) -> None:
    for child in children:
        child._container = container


def _release(children: list[CompatScheduler]) -> None:
    """The children leave the optimizer's side-by-side composition: the container drives them."""
    for child in children:
        if getattr(child, "_stepped", False):  # a stepped chain's children are the members
            _release(child._schedulers)
        else:
            child._composition.leave(child)


def _phases(
    children: list[CompatScheduler],
    marks: list[int],
    g: int,
    base: float,
    restarts: list[bool] | None = None,
    chains: dict[int, list[_ChainPhase]] | None = None,
) -> tuple[Schedule, ...]:
    """Group `g`'s phases. A MultiplicativeLR phase after the first starts where the previous phase
    left the rate, times ``lr_lambda(0)``, as in torch (it has no closed form, so torch's ``step(0)``
    multiplies the current rate); a SWALR phase anneals from that rate, as torch's. A phase whose
    child takes over without restarting (``restarts[i - 1]`` False) continues from that rate as
    torch's ``step()`` of it does (`_continued`)."""
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
            if not restarted and not isinstance(child, MultiplicativeLR):
                phase = _continued(child, g, base, left)
            elif isinstance(child, SWALR):  # torch anneals from the rate the previous phase left
                phase = child._curves([base * left] * len(child._lr0))[g]
            elif isinstance(child, MultiplicativeLR):
                phase = scale(phase, left * float(child.lr_lambdas[g](0)))
            elif child.total_iters <= 0:  # ConstantLR
                # torch's step(0) is its closed form, ``factor`` only before `total_iters`: 1 here, and
                # its later steps leave the rate (their restore happens at `total_iters` only)
                phase = constant(1.0)
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
    if not isinstance(child, ChainedScheduler) or _chain_plateau(child):
        return False
    return restarts is None or i == 0 or not restarts[i - 1]


def _chain_plateau(chain: ChainedScheduler) -> bool:
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
            return target * now + start * (1 - now)

        return swa
    own = child.schedules()[g]
    if isinstance(child, (StepLR, MultiStepLR, ConstantLR, LinearLR)):
        return lambda r, e: r * _ratio(own(e), own(e - 1) if e > 0 else 1.0)
    if child.overwrites and not isinstance(child, (ChainedScheduler, SequentialLR)):
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

    def __init__(self, chain: ChainedScheduler, g: int, base: float, start: float) -> None:
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
    for inner in reversed(child._schedulers):
        if len(inner.scheduled_keys) > 1:
            return inner
    return child._schedulers[-1]


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
        if isinstance(child, ChainedScheduler) and not _chain_plateau(child):
            continue  # torch's chain.step(): its children step from last_epoch -1 (`_ChainPhase`)
        if isinstance(child, (SequentialLR, ChainedScheduler)) or child.has_plateau:
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
        inner = getattr(child, "_schedulers", None)
        if inner is not None:
            _undo(inner)
        else:
            child.last_epoch -= 1


def _plateaus(container: CompatScheduler) -> bool:
    return container.has_plateau


class SequentialLR(CompatScheduler):
    """torch's ``SequentialLR``: child ``i`` runs from ``milestones[i-1]`` with its own clock from 0.

    ``lr(t) = child_i(t - milestones[i-1])`` for ``milestones[i-1] <= t < milestones[i]``, as the
    core's ``sequence(children, boundaries=milestones)``. Children may be any compat scheduler,
    including ReduceLROnPlateau and other SequentialLR or ChainedScheduler (torch refuses both).

    Args:
        optimizer: the optimizer every child was built with.
        schedulers: the children, a non-empty list of lrkit.compat schedulers.
        milestones: ``len(schedulers) - 1`` increasing steps >= 1.
        last_epoch: -1, or the last step taken when resuming.

    Raises:
        ValueError: a wrong number of milestones, children of another optimizer or already in a
            container; TypeError: a child that is not an lrkit.compat scheduler.

    Example:
        >>> import torch
        >>> from lrkit.compat import LinearLR, ExponentialLR, SequentialLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, [warm, decay], milestones=[2])
        >>> rates = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
        >>> rates
        [0.05, 0.075, 0.1, 0.05, 0.025]
    """

    #: torch's containers write no ``initial_lr`` (their children did).
    _writes_initial_lr: ClassVar[bool] = False

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedulers: list[CompatScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        owner = "SequentialLR"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", optimizer, "a torch.optim.Optimizer", kind=TypeError)
        children = _children(owner, schedulers, optimizer)
        marks = list(milestones)
        if len(marks) != len(children) - 1:
            raise ValueError(
                f"Argument `milestones` of {owner}() must hold len(schedulers) - 1 = {len(children) - 1} "
                f"steps. Received: milestones={marks!r}"
            )
        bases = initial_bases(optimizer)
        # torch takes any milestones (0, repeated, decreasing); the phases it then runs, in order.
        order, starts, restarts = _torch_phases(owner, marks, children)
        active = [children[i] for i in order]
        self._chain_phases: dict[int, list[_ChainPhase]] = {}
        per_group: list[Schedule] = [
            sequence(phases, tuple(starts)) if starts else phases[0]
            for phases in (
                _phases(active, starts, g, base, restarts, self._chain_phases) for g, base in enumerate(bases)
            )
        ]
        self._schedulers = children
        self.milestones = marks
        self._active, self._starts = active, starts
        single: Schedule | list[Schedule] = (
            per_group[0] if all(s is per_group[0] for s in per_group) else per_group
        )
        momentum = _momentum_phases(active, starts, len(bases))
        if momentum is not None:
            _prepare_momentum(optimizer, "betas" if "betas" in optimizer.defaults else "momentum")
        hparams = None if momentum is None else {"momentum": momentum}
        super().__init__(optimizer, single, last_epoch, bases=bases, hparams=hparams)
        _adopt(self, children)
        _undo(children)
        self._show_children()

    def _attach(self) -> None:
        _release(self._schedulers)
        super()._attach()

    def step(self, metrics: SupportsFloat | None = None) -> None:  # type: ignore[override]
        """Advance by one step; with `metrics`, first feed them to the active plateau phase.

        Raises:
            TypeError: `metrics` given but no child is a ReduceLROnPlateau.
        """
        if metrics is not None:
            if not _plateaus(self):
                raise TypeError(
                    f"{type(self).__name__}.step() takes metrics only when a child is a ReduceLROnPlateau. "
                    f"Received: metrics={metrics!r}"
                )
            self.observe(float(metrics), reduce="local")
        super().step()
        self._show_children()

    def _show_children(self) -> None:
        """As in torch, the active child has taken the step: its `get_last_lr` and `last_epoch`."""
        t = self.last_epoch
        index = bisect.bisect_right(self._starts, t)
        child = self._active[index]
        child._shown = list(self.values_for_next_update())
        child.last_epoch = t - (self._starts[index - 1] if index else 0)
        phases = self._chain_phases.get(index)
        if phases is not None:  # as torch's chain.step(): each child shows the rates after its own step
            rows = [phase.row(child.last_epoch) for phase in phases]
            for k, inner in enumerate(child._schedulers):
                inner._shown = [row[k] for row in rows]
                inner.last_epoch = child.last_epoch
            if child._stepped:
                child._last_lr = list(child._shown)


class ChainedScheduler(CompatScheduler):
    """torch's ``ChainedScheduler``: each child steps in turn from the rates the previous one left.

    Where that is a product of factors, ``lr(t) = base * prod_i child_i(t)`` (the core's
    ``product``): children whose torch form is multiplicative (StepLR, MultiStepLR, ConstantLR,
    LinearLR, ExponentialLR, PolynomialLR, MultiplicativeLR, ReduceLROnPlateau, nested containers),
    followed by at most one child that computes its rate from the base alone (LambdaLR, CyclicLR,
    OneCycleLR, CosineAnnealingWarmRestarts), which then sets the rate at every step, as in torch.
    Any other chain (such a child before others, a CosineAnnealingLR or SWALR among others) steps
    its children one after the other, side by side on the optimizer, which gives torch's rates;
    it cannot be a phase of a `SequentialLR`.

    Args:
        schedulers: the children, a non-empty list of lrkit.compat schedulers on one optimizer.
        optimizer: the optimizer (torch 2.13's optional second argument). Default: the children's.

    Raises:
        TypeError: a child that is not an lrkit.compat scheduler.
        ValueError: children of other optimizers, or already in a container.

    Example:
        >>> import torch
        >>> from lrkit.compat import ChainedScheduler, ConstantLR, ExponentialLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> first = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> sched = ChainedScheduler([first, ExponentialLR(opt, gamma=0.9)])
        >>> rates = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 4))
        >>> rates
        [0.5, 0.45, 0.81, 0.729]
    """

    #: torch's containers write no ``initial_lr`` (their children did).
    _writes_initial_lr: ClassVar[bool] = False
    #: True for a chain whose children are stepped one after the other (see `_SteppedChain`).
    _stepped: ClassVar[bool] = False

    def __new__(
        cls, schedulers: list[CompatScheduler], optimizer: torch.optim.Optimizer | None = None
    ) -> ChainedScheduler:
        if cls is ChainedScheduler and not _is_product(_children("ChainedScheduler", schedulers, optimizer)):
            return super().__new__(_SteppedChain)
        return super().__new__(cls)

    def __init__(
        self, schedulers: list[CompatScheduler], optimizer: torch.optim.Optimizer | None = None
    ) -> None:
        owner = "ChainedScheduler"
        children = _children(owner, schedulers, optimizer)
        opt = children[0].optimizer
        n = len(opt.param_groups)
        chosen = [children[-1]] if children[-1].overwrites else children
        per_group: list[Schedule] = [
            product(tuple(child._compat_lr[g] for child in chosen))
            if len(chosen) > 1
            else chosen[0]._compat_lr[g]
            for g in range(n)
        ]
        self._schedulers = children
        last = chosen[-1]
        bases = last.bases() if last.overwrites else initial_bases(opt)
        hparams = None
        if last.overwrites and len(last.scheduled_keys) > 1:
            hparams = {key: last.definitions(key) for key in last.scheduled_keys[1:]}
            for key in last.scheduled_keys[1:]:
                for group in opt.param_groups:
                    if key == "momentum" and "betas" in group:
                        group["betas"] = (1.0, *group["betas"][1:])
                    elif key == "momentum":
                        group["momentum"] = 1.0
        single: Schedule | list[Schedule] = (
            per_group[0] if all(s is per_group[0] for s in per_group) else per_group
        )
        self.overwrites = last.overwrites  # type: ignore[misc]
        super().__init__(opt, single, -1, bases=bases, hparams=hparams)
        self.last_epoch = children[-1].last_epoch
        if self.last_epoch:
            self._jump(self.last_epoch)
        _adopt(self, children)

    def _attach(self) -> None:
        _release(self._schedulers)
        super()._attach()

    def _show_children(self, before: list[float]) -> None:
        """As in torch, every child has taken the step, in order, each from the rates the previous
        one left: child ``i`` shows ``base * prod_{j <= i} f_j(t) * prod_{j > i} f_j(t - 1)`` (before a
        last child that sets the rate from its base: the previous rates times each child's one-step
        ratio), and its `last_epoch` is the container's."""
        t = self.position
        children = self._schedulers
        values = self.values_for_next_update()
        for child in children:
            child.last_epoch = self.last_epoch
        children[-1]._shown = list(values)
        if len(children) == 1:
            return
        if not self.overwrites:
            factors = [list(node.children()) for node in self.schedules()]
            if any(len(nodes) != len(children) for nodes in factors):  # a simplified product
                by_child = [child.schedules() for child in children]
                factors = [[own[g] for own in by_child] for g in range(len(values))]
            for i, child in enumerate(children[:-1]):
                child._shown = [
                    base
                    * math.prod(node(t) for node in nodes[: i + 1])
                    * math.prod(node(t - 1) for node in nodes[i + 1 :])
                    for base, nodes in zip(self._compat_bases, factors, strict=True)
                ]
            return
        rates = list(before)
        for child in children[:-1]:
            own = child.schedules()
            rates = [r * _ratio(s(t), s(t - 1)) for r, s in zip(rates, own, strict=True)]
            child._shown = list(rates)

    def step(self, metrics: SupportsFloat | None = None) -> None:  # type: ignore[override]
        """Advance by one step; with `metrics`, first feed them to the plateau factors.

        Raises:
            TypeError: `metrics` given but no child is a ReduceLROnPlateau.
        """
        if metrics is not None:
            if not _plateaus(self):
                raise TypeError(
                    f"{type(self).__name__}.step() takes metrics only when a child is a ReduceLROnPlateau. "
                    f"Received: metrics={metrics!r}"
                )
            self.observe(float(metrics), reduce="local")
        before = self.values_for_next_update()
        super().step()
        self._show_children(before)


def _is_product(children: list[CompatScheduler]) -> bool:
    """True when torch's chained steps equal the product of the children's factors at every step:
    multiplying children (a CosineAnnealingLR only alone: past ``T_max`` torch's recursive cosine
    adds a term of the base), followed by at most one child that sets the rate from its base."""
    if len(children) == 1:
        return True

    def multiplies(child: CompatScheduler) -> bool:
        return (
            child._side in (FACTOR, PLATEAU)
            and not child.overwrites
            and not isinstance(child, CosineAnnealingLR)
        )

    last = children[-1]
    return all(multiplies(c) for c in children[:-1]) and (
        multiplies(last) or (last.overwrites and last._side == ABSOLUTE)
    )


class _SteppedChain(ChainedScheduler):
    """A `ChainedScheduler` whose children torch steps one after the other, each from the rates the
    previous one left, where that is not a product of factors: a child that sets the rate from its
    base (LambdaLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts) before others, a
    CosineAnnealingLR or SWALR among others. The children stay side by side on the optimizer (see
    `_shared`), which reproduces torch's result; ``step()`` steps them in order. Its state is the
    children's states; it cannot be a phase of a `SequentialLR`.
    """

    _stepped: ClassVar[bool] = True

    def __init__(  # NOTE: CompatScheduler.__init__ is not called: the children drive the optimizer
        self, schedulers: list[CompatScheduler], optimizer: torch.optim.Optimizer | None = None
    ) -> None:
        children = _children("ChainedScheduler", schedulers, optimizer)
        self.optimizer = children[0].optimizer
        self._schedulers = children
        self._container = None
        self._has_plateau = any(child.has_plateau for child in children)
        self.base_lrs = list(children[0].base_lrs)
        self.last_epoch = children[-1].last_epoch
        self._last_lr = self._rates()
        _adopt(self, children)

    def _rates(self) -> list[Any]:
        return [
            group["lr"].detach().clone() if isinstance(group["lr"], torch.Tensor) else float(group["lr"])
            for group in self.optimizer.param_groups
        ]

    def step(self, metrics: SupportsFloat | None = None) -> None:  # type: ignore[override]
        """Step every child in order (a ReduceLROnPlateau child only when `metrics` are given).

        Raises:
            TypeError: `metrics` given but no child is a ReduceLROnPlateau.
        """
        if metrics is not None and not self._has_plateau:
            raise TypeError(
                f"ChainedScheduler.step() takes metrics only when a child is a ReduceLROnPlateau. "
                f"Received: metrics={metrics!r}"
            )
        for child in self._schedulers:
            child._container = None
            try:
                if child.has_plateau and not isinstance(child, ChainedScheduler | SequentialLR):
                    if metrics is not None:
                        child.step(metrics)  # type: ignore[arg-type]
                else:
                    child.step()
            finally:
                child._container = self
        self.last_epoch = self._schedulers[-1].last_epoch
        self._last_lr = self._rates()

    def observe(self, metric: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        """A ReduceLROnPlateau child's ``step(metrics)``: refused, the chain steps its children.

        Raises:
            RuntimeError: always; call ``chain.step(metrics)``.
        """
        raise RuntimeError(
            "This ReduceLROnPlateau is part of a ChainedScheduler whose children are stepped one after "
            f"the other; pass the metric to the chain: chain.step({metric!r})"
        )

    def get_last_lr(self) -> list[Any]:  # type: ignore[override]
        """The rates after the last child's step (torch: the groups' rates)."""
        return list(self._last_lr)

    def get_lr(self) -> list[Any]:  # type: ignore[override]
        """The current rates, with torch's warning to use `get_last_lr` instead."""
        warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=2)
        return self.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """The children's states, in order (plain data)."""
        return {
            "format": FORMAT,
            "class": "ChainedScheduler",
            "stepped": True,
            "_schedulers": [child.state_dict() for child in self._schedulers],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Load each child's state (from `state_dict` of a chain of the same children)."""
        owner = "ChainedScheduler.load_state_dict"
        states = state_dict.get("_schedulers") if isinstance(state_dict, dict) else None
        if not isinstance(states, list) or len(states) != len(self._schedulers):
            raise ValueError(
                f"Argument `state_dict` of {owner}() must come from state_dict() of a ChainedScheduler with "
                f"{len(self._schedulers)} children"
            )
        for child, state in zip(self._schedulers, states, strict=True):
            child._container = None
            try:
                child.load_state_dict(state)
            finally:
                child._container = self
        self.last_epoch = self._schedulers[-1].last_epoch
        self._last_lr = self._rates()

    def __repr__(self) -> str:
        return f"lrkit.compat.ChainedScheduler(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"
