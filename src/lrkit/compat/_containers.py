"""torch's SequentialLR and ChainedScheduler, as lrkit compositions of their children's schedules.

torch lets every child write the optimizer and then undoes or re-applies their steps; lrkit composes
the children's schedules once (`sequence` for SequentialLR, `product` for ChainedScheduler) and one
scheduler drives the result, so containers nest, resume exactly, and may hold ReduceLROnPlateau
(its ``step(metrics)`` feeds the container's plateau phase; the container's ``step()`` moves time).

(Over 400 lines for one job, torch's two containers: SequentialLR and ChainedScheduler share
adopting and releasing their children, the plateau plumbing, and the stepped-chain path; the
SequentialLR phases are in `_phases`.)
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat

import torch

from lrkit._validate import fail
from lrkit.compat._base import FORMAT, GET_LR_WARNING, CompatScheduler, initial_bases
from lrkit.compat._cyclic import _prepare_momentum
from lrkit.compat._functions import _TorchFunction
from lrkit.compat._phases import _ChainPhase, _inner, _momentum_phases, _phases, _torch_phases, _undo
from lrkit.compat._shared import ABSOLUTE, FACTOR, PLATEAU, _ratio
from lrkit.compat._steps import CosineAnnealingLR
from lrkit.schedules import Schedule, product, sequence

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
            _release(_inner(child))
        else:
            child._composition.leave(child)


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
        memo: dict[tuple[Any, ...], Schedule] = {}  # groups with the same phases share one sequence
        per_group: list[Schedule] = []
        for g, base in enumerate(bases):
            phases = _phases(active, starts, g, base, restarts, self._chain_phases, memo)
            if not starts:
                per_group.append(phases[0])
                continue
            key = ("sequence", *map(id, phases))
            found = memo.get(key)
            if found is None:
                found = memo[key] = sequence(phases, tuple(starts))
            per_group.append(found)
        self._schedulers = children
        self.milestones = marks
        self._active, self._starts, self._restarts = active, starts, restarts
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

    def added_group(self, key: str, index: int, default: Schedule, value: float) -> tuple[Schedule, float]:
        """A group added with ``add_param_group`` (alone on the optimizer): torch steps it with the
        active child, whose chainable step (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
        PolynomialLR) multiplies it by the ratio of the phase's factors, so it continues from the
        rate it was added with; at the next milestone that restarts a child, torch's ``step(0)``
        reads `base_lrs` (one per original group) and raises, and so does this schedule.

        Raises:
            ValueError: a child that is not chainable runs before that milestone (torch's step of it
                fails or sets the rate otherwise), or the factor is 0 where the group was added.
        """
        name = "lrkit.compat SequentialLR.step()"
        if key != "lr" or self._composition.anchor is not None:
            return super().added_group(key, index, default, value)
        t = self.updates if self._step_from is None else self._step_from
        later = [s for s, restarted in zip(self._starts, self._restarts, strict=True) if s > t and restarted]
        restart = later[0] if later else math.inf
        window = [
            child
            for i, child in enumerate(self._active)
            if (self._starts[i] if i < len(self._starts) else math.inf) > t + 1  # the steps after t,
            and (i == 0 or self._starts[i - 1] < restart)  # before the restart
        ]
        curve = self.schedules()[0]
        here = curve(t)
        if not all(child._scales_added_groups for child in window) or here == 0:
            raise ValueError(
                f"{name}: param group {index} was added with add_param_group after this SequentialLR was "
                f"built; torch steps it with the active child, which lrkit.compat reproduces only for "
                f"chainable children (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, "
                f"PolynomialLR) with a factor that is not 0. Build the schedulers after adding the groups"
            )
        built = self._built_groups

        def factor(p: float) -> float:
            if p >= restart:
                raise ValueError(
                    f"{name}: param group {index} was added with add_param_group after this SequentialLR "
                    f"was built with {built} groups; at step {restart} a child restarts from base_lrs (one "
                    f"per original group) and torch's step raises here too (zip() argument lengths differ)"
                )
            return curve(p) / here

        return _TorchFunction(factor), value

    def _refuse_added_groups(self, n: int) -> None:
        """A group added where lrkit.compat does not reproduce torch's steps of it (side by side, or
        phases that are not chainable): a clear error.

        Raises:
            ValueError: always.
        """
        raise ValueError(
            f"lrkit.compat SequentialLR.step(): the optimizer has {n} param groups, {self._built_groups} "
            f"when this SequentialLR was built; torch steps a group added with add_param_group with the "
            f"active child (and fails at a later milestone that restarts one), which lrkit.compat reproduces "
            f"only alone on the optimizer with chainable children. Build the schedulers after adding the "
            f"groups"
        )

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
        phases = self._chain_phases.get(index) if self._chain_phases else None
        if phases is not None:  # as torch's chain.step(): each child shows the rates after its own step
            rows = [phase.row(child.last_epoch) for phase in phases]
            for k, inner in enumerate(_inner(child)):
                inner._shown = [row[k] for row in rows]
                inner.last_epoch = child.last_epoch
            if getattr(child, "_stepped", False):
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
        built: dict[tuple[int, ...], Schedule] = {}  # children's shared schedules: one product
        per_group: list[Schedule] = [
            built.setdefault(
                tuple(id(child._compat_lr[g]) for child in chosen),
                product(tuple(child._compat_lr[g] for child in chosen)),
            )
            if len(chosen) > 1
            else chosen[0]._compat_lr[g]
            for g in range(n)
        ]
        self._schedulers = children
        # A group added with add_param_group: torch steps it through every child; where each is
        # chainable (StepLR, ...), it continues from the rate it was added with, as theirs do alone.
        follows = all(child._scales_added_groups for child in children)
        self._scales_added_groups = self._follows_added_groups = follows  # type: ignore[misc]
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
            if self._composition.anchor is not None and self._shown is not None:
                # side by side with other schedulers: from the composed rates before the step, each
                # child's ratio in turn (torch's children show the groups' rates)
                rates = list(before)
                for i, child in enumerate(children[:-1]):
                    rates = [
                        r * _ratio(nodes[i](t), nodes[i](t - 1))
                        for r, nodes in zip(rates, factors, strict=True)
                    ]
                    child._shown = list(rates)
                children[-1]._shown = list(self._shown)
                return
            for i, child in enumerate(children[:-1]):
                child._shown = [
                    base
                    * math.prod(node(t) for node in nodes[: i + 1])
                    * math.prod(node(t - 1) for node in nodes[i + 1 :])
                    for base, nodes in zip(self.bases(), factors, strict=True)  # (added groups too)
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
        shared = self._composition
        if shared.anchor is not None:  # side by side: the composed rates (groups added taken in)
            shared.check_layout(self)
            before = shared.current()
        else:
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
