"""The adapter every compat class shares: torch's scheduler surface over `lrkit.Scheduler`.

A compat scheduler is an `lrkit.Scheduler` (so also a ``torch.optim.lr_scheduler.LRScheduler``)
whose position counts every ``step()`` call, as torch's ``last_epoch`` does, and which presents
torch's attributes and methods: ``step``, ``get_last_lr``, ``get_lr``, ``state_dict``,
``load_state_dict``, ``last_epoch``, ``base_lrs``, ``optimizer``.

Base rates: as torch, each param group's ``initial_lr`` key (written by the first scheduler built
on the optimizer with ``last_epoch=-1``, read by the next ones and saved with the optimizer's
state). With ``last_epoch >= 0`` the key must be there (torch's ``KeyError`` otherwise), so that a
resumed scheduler takes the base rates of the run, never a rate already decayed. CyclicLR,
OneCycleLR and SWALR also write torch's other keys (``max_momentum``, ``base_momentum``,
``max_lr``, ``min_lr``, ``swa_lr``), which code written for torch reads.

The ordering check ("scheduler.step() before optimizer.step()") uses the optimizer's documented
``register_step_post_hook`` instead of wrapping ``optimizer.step``, and does not fire when the
first update was skipped by GradScaler (the gradients hold an inf or a NaN) or by an accelerate
wrapper (``step_was_skipped``).

(Over 400 lines for one job, torch's surface shared by every compat class: the base-rate keys,
the step-order check and the state format depend on each other's private helpers, and every class
uses them all.)
"""

from __future__ import annotations

import math
import os
import sys
import warnings
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from lrkit._validate import check_int, fail
from lrkit.compat._shared import AFFINE, FACTOR, Composition, composition
from lrkit.scheduler import Scheduler, to_float
from lrkit.schedules import Absolute, Schedule, absolute, constant, product

__all__ = ["ORDER_WARNING", "CompatScheduler", "rate", "per_group"]

#: torch 2.13's text, word for word, so that filters written for torch keep working.
ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
EPOCH_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch "
    "is different from None, the closed form is used instead of the new chainable form, where "
    "available. Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
GET_LR_WARNING = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
FORMAT = "lrkit.compat"

#: torch 2.13's text, word for word (torch's tests and users' handlers match on it).
INITIAL_LR_ERROR = (
    "param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler with last_epoch >= 0.\n"
    "This typically happens when:\n"
    "1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
    "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
)


def rate(owner: str, name: str, value: Any) -> Any:
    """An absolute rate argument (torch's ``eta_min``, ``min_lr``, ``swa_lr``...): 0 stays the factor 0."""
    if isinstance(value, torch.Tensor):
        value = to_float(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise fail(owner, name, value, "a finite number >= 0 (a learning rate)")
    return 0.0 if value == 0.0 else absolute(float(value))


def per_group(owner: str, name: str, value: Any, n: int) -> list[Any]:
    """torch's ``_format_param``: one value for every group, or a list/tuple with one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"Argument `{name}` of {owner}() must be one value or a list with one value per param "
                f"group ({n}). Received: {name}={value!r} ({len(value)} values)"
            )
        return list(value)
    return [value] * n


def whole(value: Any) -> Any:
    """An integer-valued float (``T_max=epochs / 2`` gives 50.0) as the int torch treats it as."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def copied(value: Any) -> Any:
    """A value to store in a param group as torch stores it: tensors are cloned (no aliasing)."""
    return value.clone() if isinstance(value, torch.Tensor) else value


def record_initial_lr(owner: str, optimizer: torch.optim.Optimizer, last_epoch: int) -> None:
    """torch's ``LRScheduler.__init__``: write ``initial_lr`` (or require it when resuming).

    With ``last_epoch == -1`` each group gets ``initial_lr = lr`` unless it has one (a previous
    scheduler, or the optimizer's loaded state, wrote it). With ``last_epoch >= 0`` every group must
    hold it: the bases of a resumed run cannot be read from rates that already decayed.

    Raises:
        KeyError: ``last_epoch >= 0`` and a group without ``initial_lr`` (torch's message, then
            lrkit's explanation).
    """
    if last_epoch == -1:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", copied(group["lr"]))
        return
    for i, group in enumerate(optimizer.param_groups):
        if "initial_lr" not in group:
            raise KeyError(
                INITIAL_LR_ERROR.format(i=i)
                + f"\n(lrkit.compat {owner}(last_epoch={last_epoch}): the base rates of a resumed run come "
                f"from the optimizer's saved state; load it with optimizer.load_state_dict() before "
                f"building the scheduler, or build it with last_epoch=-1 and load the scheduler's "
                f"state_dict())"
            )


def initial_bases(optimizer: torch.optim.Optimizer) -> list[float]:
    """The base rates of the optimizer's groups, as torch reads them: ``initial_lr`` (else ``lr``)."""
    return [to_float(g["initial_lr"] if "initial_lr" in g else g["lr"]) for g in optimizer.param_groups]


def _set_lr(group: dict[str, Any], value: float) -> None:
    lr = group["lr"]
    if isinstance(lr, torch.Tensor):
        lr.fill_(value)
    else:
        group["lr"] = value


_STEPPED: weakref.WeakKeyDictionary[torch.optim.Optimizer, bool] = weakref.WeakKeyDictionary()


def _seen_step(optimizer: Any, args: Any, kwargs: Any) -> None:
    _STEPPED[optimizer] = True


def watch(optimizer: torch.optim.Optimizer) -> None:
    """Note the optimizer's steps from now on (a documented post hook, registered once per optimizer)."""
    if optimizer not in _STEPPED:
        _STEPPED[optimizer] = bool(optimizer.state)  # an optimizer with state has stepped (a resume)
        optimizer.register_step_post_hook(_seen_step)


def has_stepped(optimizer: torch.optim.Optimizer) -> bool:
    """True once the optimizer has run a step since a compat scheduler started watching it."""
    return _STEPPED.get(optimizer, False) or bool(optimizer.state)


class CompatScheduler(Scheduler):
    """Base class of the `lrkit.compat` classes (see the module docstring); not built directly.

    ``lr_g(t) = base_g * schedule_g(t)`` where ``t`` counts ``step()`` calls (torch's
    ``last_epoch``), every call counted as torch counts them.

    Args:
        optimizer: a `torch.optim.Optimizer`.
        schedules: one schedule for every group, or a list with one per group.
        last_epoch: -1 (a new run) or the index of the last step taken (the position after
            construction is ``last_epoch + 1``, as in torch); then every group needs its
            ``initial_lr`` key, as in torch.
        hparams: other hyperparameters, as `lrkit.Scheduler` takes them (``{"momentum": ...}``).
        bases: the groups' base rates; default: as torch's ``initial_lr`` (see the module docstring).

    Raises:
        TypeError: `optimizer` is not a torch optimizer, or `last_epoch` is not an int.
        ValueError: `last_epoch` < -1.
        KeyError: `last_epoch` >= 0 and a group without ``initial_lr`` (torch's message).

    Example:
        >>> import torch
        >>> from lrkit.compat import StepLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
        True
    """

    #: True for classes whose rate does not depend on the others' (torch computes it from the base).
    overwrites: ClassVar[bool] = False
    #: True when the internal bases come from constructor arguments (CyclicLR, OneCycleLR).
    _bases_from_args: ClassVar[bool] = False
    #: False for ReduceLROnPlateau, which torch never checks.
    _checks_order: ClassVar[bool] = True
    #: torch's CyclicLR and OneCycleLR accept momentum values outside [0, 1) (its tests use 5 and 22).
    check_betas: ClassVar[bool] = False
    #: torch writes infinite and NaN rates as they are (a LambdaLR factor of ``inf``, an overflowing
    #: MultiplicativeLR); compat writes them too and warns once per scheduler (`on_nonfinite`).
    check_finite: ClassVar[bool] = False
    _nonfinite_warned: bool = False
    #: True for the chainable classes whose torch step multiplies every group's rate, a group added
    #: with ``add_param_group`` too (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
    #: PolynomialLR): see `added_group`.
    _scales_added_groups: ClassVar[bool] = False
    #: True where torch's step reads every group's rate, so that side by side with other schedulers
    #: it also steps a group added with ``add_param_group`` (the chainable classes above,
    #: CosineAnnealingLR, ReduceLROnPlateau); the others fail in torch at their next step (see
    #: `_refuse_added_groups`).
    _follows_added_groups: ClassVar[bool] = False
    #: The keys torch's step reads from every group (OneCycleLR, SWALR): KeyError for an added group
    #: without them.
    _added_group_keys: ClassVar[tuple[str, ...]] = ()
    #: True where a factor of 0 holds once reached (torch's step then leaves the rate as it is).
    _zero_holds: ClassVar[bool] = False
    #: The count of updates when the current `step` began (None outside `step`).
    _step_from: int | None = None
    #: How torch's form of the class acts on the rate other schedulers left (see `_shared`).
    _side: str = FACTOR
    #: False for SWALR, whose construction leaves the rate as it is (as in torch).
    _sets_rate_when_built: ClassVar[bool] = True
    #: False where torch writes no ``initial_lr`` (ReduceLROnPlateau, the containers).
    _writes_initial_lr: ClassVar[bool] = True
    #: False for SWALR, whose curve follows its own step count whatever `last_epoch` says (torch).
    _position_from_last_epoch: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedules: Schedule | list[Schedule],
        last_epoch: int = -1,
        *,
        hparams: dict[str, Any] | None = None,
        bases: Sequence[float] | None = None,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"Argument `optimizer` of {owner}() must be a torch.optim.Optimizer. "
                f"Received: optimizer={optimizer!r} ({type(optimizer).__name__} is not an Optimizer)"
            )
        start = check_int(owner, "last_epoch", last_epoch, low=-1) + 1
        #: torch's ``len(base_lrs)``: the groups this scheduler was built with.
        self._built_groups = len(optimizer.param_groups)
        if self._writes_initial_lr:
            record_initial_lr(owner, optimizer, start - 1)
        # torch's L: the rates another scheduler (or the user) left, before this one writes its own.
        self._found = [to_float(group["lr"]) for group in optimizer.param_groups]
        base_values = initial_bases(optimizer) if bases is None else [float(b) for b in bases]
        self._compat_bases = list(base_values)
        self._shown: list[float] | None = None
        for group, base in zip(optimizer.param_groups, base_values, strict=True):
            _set_lr(group, base)
        self._compat_lr: list[Schedule] = (
            list(schedules) if isinstance(schedules, list) else [schedules] * len(optimizer.param_groups)
        )
        self._container: CompatScheduler | None = None
        # NOTE: every step() counts, as in torch (no skip detection), and momentum/betas may leave
        # [0, 1) as torch's CyclicLR/OneCycleLR allow.
        super().__init__(
            optimizer,
            schedules,
            hparams=hparams,
            after_end="continue",
            skip_zero_start=False,
            detect_skips=False,
        )
        if start and self._position_from_last_epoch:
            self._jump(start)
        elif start:
            self.last_epoch = start
        self._step_count = 1
        if self._checks_order:
            watch(optimizer)
        self._composition: Composition = composition(optimizer)
        self._attach()

    @property  # type: ignore[override]
    def base_lrs(self) -> list[float | torch.Tensor]:
        """torch's ``base_lrs``: one entry per param group the scheduler was built with (a group
        added later with ``add_param_group`` is scheduled, but not listed, as in torch)."""
        return self._base_lrs

    @base_lrs.setter
    def base_lrs(self, values: list[float | torch.Tensor]) -> None:
        built = getattr(self, "_built_groups", None)
        self._base_lrs = list(values) if built is None else list(values)[:built]

    def _attach(self) -> None:
        """Join the optimizer's composition (containers first release their children)."""
        self._composition.join(self)

    # -- torch's surface ----------------------------------------------------------------------------

    def _jump(self, position: int) -> None:
        self.seek(max(position, 0))
        self.last_epoch = position

    def _check_order(self) -> None:
        if has_stepped(self.optimizer) or self._update_skipped():
            return
        warnings.warn(ORDER_WARNING, UserWarning, stacklevel=3)

    def _update_skipped(self) -> bool:
        """True when the first update was skipped (GradScaler: a non-finite gradient; accelerate)."""
        if bool(getattr(self.optimizer, "step_was_skipped", False)):
            return True
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is not None and not bool(torch.isfinite(grad).all()):
                    return True
        return False

    def _owned(self) -> None:
        if self._container is not None:
            raise RuntimeError(
                f"This {type(self).__name__} is part of a {type(self._container).__name__}; step the "
                f"container, which drives the whole composition (lrkit composes the schedules instead of "
                f"letting each child write the optimizer)"
            )

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        """Advance by one step (or, deprecated, to `epoch`) and set the next learning rates.

        Args:
            epoch: torch's deprecated argument: go to this step (with torch's warning).

        Raises:
            RuntimeError: this scheduler is a child of a `SequentialLR` or `ChainedScheduler`.
        """
        self._owned()
        if self._step_count == 1 and self._checks_order:
            self._check_order()
        shared = self._composition
        if shared.anchor is not None:  # side by side: groups added since the last step
            shared.check_layout(self)
        if shared.pending:
            shared.settle()
        if epoch is not None:
            warnings.warn(EPOCH_WARNING, UserWarning, stacklevel=2)
            self._step_count += 1
            self._jump(check_int(type(self).__name__ + ".step", "epoch", epoch, low=0))
            if shared.anchor is not None:
                shared.stepped(self, None, absolute=True)
            self._after_step()
            return
        if shared.anchor is None:
            self._step_from = self.updates
            refused = 0
            try:
                Scheduler.step(self)
            except ValueError as error:
                # the core's error for a group added to per-group lists: torch's own failure instead
                n = len(self.optimizer.param_groups)
                if n <= self._built_groups or self._follows_added_groups or str(error).startswith(FORMAT):
                    raise
                refused = n
            finally:
                self._step_from = None
            if refused:
                self._refuse_added_groups(refused)
        else:  # several schedulers side by side: torch's composition (see `_shared`)
            before = self.values_for_next_update() if self._side == AFFINE else None
            Scheduler.step(self)
            shared.stepped(self, before, absolute=False)
        self._after_step()

    def _torch_step(self, current: list[float], before: list[float], after: list[float]) -> list[float]:
        """The rates after this scheduler's step in torch, from the `current` rates (AFFINE classes)."""
        return after

    def _public_bases(self) -> list[float | torch.Tensor]:
        """What torch shows as ``base_lrs`` (CyclicLR and OneCycleLR override it)."""
        return [*self.bases()]

    def added_group(self, key: str, index: int, default: Schedule, value: float) -> tuple[Schedule, float]:
        """A group added with ``add_param_group``: as torch's chainable step, which multiplies the rate
        the group holds by each later step's ratio ``f(t + 1) / f(t)``, its base is ``value / f(t)``.

        Raises:
            ValueError: the factor is 0 where the group was added and later steps would change it
                (torch multiplies the rate by them; no base gives that from a factor of 0).
        """
        alone = self._composition.anchor is None
        if key == "lr" and alone and not self._follows_added_groups and not hasattr(self, "_schedulers"):
            # LambdaLR, MultiplicativeLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts, SWALR (a
            # container follows its children): torch's step fails here, on lists of one entry per
            # original group (or a key the group lacks)
            self._refuse_added_groups(index + 1)
        if key != "lr" or not self._scales_added_groups or self._composition.anchor is not None:
            return default, value
        t = self.updates if self._step_from is None else self._step_from
        factor = default.resolve(base=value)(t)
        if factor > 0.0:
            return default, value / factor
        if factor < 0.0:  # a negative gamma: bases stay >= 0, the sign goes into the schedule
            from lrkit.compat._functions import _TorchFunction  # (a cycle at import time)

            inverse = 1.0 / factor
            return product((default, _TorchFunction(lambda _: inverse))), value
        if self._zero_holds:
            return constant(1.0), value
        zeroing = self._zeroing_after(t)
        if zeroing is not None:
            from lrkit.compat._functions import _TorchFunction  # (a cycle at import time)

            # torch's next gamma of 0 zeroes it (inf: none comes); until then its steps multiply it by 1
            return _TorchFunction(lambda p: 1.0 if p < zeroing else 0.0), value
        raise ValueError(
            f"lrkit.compat {type(self).__name__}: param group {index} was added with add_param_group where "
            f"this scheduler's factor is 0 (step {t}); torch multiplies its rate by the later steps' "
            f"ratios, which lrkit.compat cannot form from a factor of 0. Build the scheduler after "
            f"adding the group"
        )

    def _zeroing_after(self, t: int) -> float | None:
        """Where the factor is 0 because of a `gamma` of 0: the first step after `t` whose torch
        step multiplies the rate by 0 again (inf: none comes); None where this does not apply
        (ConstantLR's factor of 0, whose restoring step divides by it in torch)."""
        return None

    def _adopt_groups(self) -> None:
        """Side by side: schedule the groups added since construction now (`_follows_added_groups`)."""
        self.sync()

    def _refuse_added_groups(self, n: int) -> None:
        """Side by side, the optimizer has `n` groups, more than this scheduler was built with: raise
        where torch's step fails (its lists of one entry per original group meet the new groups).

        Raises:
            ValueError: as torch's ``zip(..., strict=True)`` (nothing changes here).
        """
        if self._follows_added_groups:
            return
        name = type(self).__name__
        for i, group in enumerate(self.optimizer.param_groups[self._built_groups :], self._built_groups):
            for key in self._added_group_keys:
                if key not in group:
                    raise KeyError(
                        f"{key!r}: param group {i} was added with add_param_group after this {name} was "
                        f"built; side by side with other schedulers, torch's {name}.step() reads "
                        f"group[{key!r}] from every group and raises this KeyError here too, so "
                        f"lrkit.compat stops at the same step, before anything changes"
                    )
        if self._added_group_keys:
            raise ValueError(
                f"lrkit.compat {name}.step(): a param group was added with add_param_group (with the keys "
                f"{list(self._added_group_keys)} torch's {name} reads) after this {name} was built; "
                f"side by side with other schedulers lrkit.compat does not reproduce torch's step of it. "
                f"Build the schedulers after adding the groups"
            )
        raise ValueError(
            f"lrkit.compat {name}.step(): the optimizer has {n} param groups, {self._built_groups} when "
            f"this {name} was built; side by side with other schedulers, torch's {name}.step() raises "
            f"here too (its per-group lists do not cover a group added with add_param_group: zip() "
            f"argument lengths differ), so lrkit.compat stops at the same step, before anything "
            f"changes. Build the schedulers after adding the groups"
        )

    def on_nonfinite(self, key: str, position: float, values: list[float]) -> None:
        """Warn once per scheduler that non-finite rates are written (torch writes them silently)."""
        if self._nonfinite_warned:
            return
        self._nonfinite_warned = True
        step = int(position) if float(position).is_integer() else position
        warnings.warn(
            f"lrkit.compat {type(self).__name__}: the {key!r} values at step {step} (last_epoch={step}) are "
            f"not finite: {values!r}. They are written as torch writes them; training with them gives "
            f"non-finite weights (lrkit.Scheduler refuses them with NonFiniteValueError). "
            f"Shown once per scheduler",
            UserWarning,
            stacklevel=_user_level(),
        )

    def _after_step(self) -> None:
        """Subclasses' checks after each step (OneCycleLR's end)."""

    def get_last_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]
        """The learning rates the last `step` set, as in torch: floats, or copies of tensor lrs."""
        groups = self.optimizer.param_groups
        values = self.values_for_next_update() if self._shown is None else self._shown
        return [
            group["lr"].detach().clone().fill_(v) if isinstance(group["lr"], torch.Tensor) else float(v)
            # NOTE: not strict: torch's list keeps its length when a group is added side by side
            for group, v in zip(groups, values, strict=False)
        ]

    def get_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]
        """The current learning rates, with torch's warning to use `get_last_lr` instead."""
        warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=2)
        return self.get_last_lr()

    # -- state -----------------------------------------------------------------------------------

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra(self, extra: dict[str, Any]) -> None:
        """Subclasses restore what `_extra_state` saved."""

    def state_dict(self) -> dict[str, Any]:
        """The state as plain data (ints, floats, strings, lists, dicts; loads with weights_only=True).

        It holds the step counters, the base values of every scheduled hyperparameter and the plateau
        counters; the schedules themselves come from the constructor, as in torch (functions of
        LambdaLR and MultiplicativeLR are not saved).
        """
        return {
            "format": FORMAT,
            "class": type(self).__name__,
            "last_epoch": int(self.last_epoch),
            "position": float(self.updates),
            "_step_count": int(self._step_count),
            "base_lrs": [float(b) for b in self.bases()],
            "bases": {key: [float(b) for b in self.bases(key)] for key in self.scheduled_keys},
            "plateaus": self.plateau_state(),
            "_last_lr": [float(v) for v in self.values_for_next_update()],
            "extra": self._extra_state(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Continue from `state_dict`: bit-identical rates, built before or after the optimizer loads.

        Also accepts the state dict of the same torch class (its ``last_epoch`` and ``base_lrs``).
        The input is not modified.

        Raises:
            ValueError: a state of another class or another number of param groups.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise fail(owner, "state_dict", state_dict, "a dict from state_dict()", kind=TypeError)
        held = [to_float(group["lr"]) for group in self.optimizer.param_groups]
        if state_dict.get("format") != FORMAT:
            self._load_torch(state_dict)
            self._after_load(held)
            return
        if state_dict.get("class") != type(self).__name__:
            raise ValueError(
                f"Argument `state_dict` of {owner}() must be the state of a {type(self).__name__}. "
                f"Received: the state of a {state_dict.get('class')!r}"
            )
        bases = state_dict["bases"]
        groups = len(self.bases())
        if len(bases["lr"]) != groups:
            raise ValueError(
                f"The saved {type(self).__name__} state has {len(bases['lr'])} param groups; this "
                f"optimizer has {groups}"
            )
        last_epoch = _last_epoch(owner, state_dict)
        for key in self.scheduled_keys:
            if key in bases:
                self.set_bases([float(b) for b in bases[key]], key=key)
        self.load_plateau_state(list(state_dict.get("plateaus", [])))
        self.base_lrs = self._public_bases()
        self._load_extra(dict(state_dict.get("extra", {})))
        self._step_count = int(state_dict["_step_count"])
        position = float(state_dict.get("position", last_epoch))
        # a fractional position: CosineAnnealingWarmRestarts.step(epoch)
        self.seek(int(position) if position.is_integer() else position)
        self.last_epoch = last_epoch
        self._after_load(held)

    def _after_load(self, held: list[float]) -> None:
        """Side by side with other schedulers: continue, as torch, from the rates the groups hold."""
        if self._composition.anchor is not None:
            self._composition.loaded(held)
            self._shown = list(held)

    def _load_torch(self, state: dict[str, Any]) -> None:
        owner = f"{type(self).__name__}.load_state_dict"
        if "last_epoch" not in state or "base_lrs" not in state:
            raise ValueError(
                f"Argument `state_dict` of {owner}() must come from state_dict() of this class (or of "
                f"torch's {type(self).__name__}). Received keys: {sorted(state)!r}"
            )
        base_lrs = [to_float(b) for b in state["base_lrs"]]
        groups = len(self.bases())
        if len(base_lrs) != groups:
            raise ValueError(f"The saved state has {len(base_lrs)} param groups; this optimizer has {groups}")
        last_epoch = _last_epoch(owner, state)
        if not self._bases_from_args:
            self.set_bases(base_lrs)
        self.base_lrs = self._public_bases()
        self._step_count = int(state.get("_step_count", 1))
        self._jump(last_epoch)

    def __repr__(self) -> str:
        return f"lrkit.compat.{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"


def _user_level() -> int:
    """The `stacklevel` of the first frame outside lrkit (the user's ``step()`` or constructor call)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    level, frame = 2, sys._getframe(2)  # 2: the caller of the method that calls this
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root + os.sep):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def _last_epoch(owner: str, state: dict[str, Any]) -> int:
    """The saved ``last_epoch``: an int >= -1 (torch's new run), else a clear error."""
    value = state["last_epoch"]
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise ValueError(
            f"Argument `state_dict` of {owner}() holds an impossible last_epoch={value!r}; it must be an "
            f"int >= -1 (the index of the last step taken)"
        )
    return value


def absolute_value(value: Any) -> float:
    """The number inside an `absolute` value (or the factor itself)."""
    return float(value.value) if isinstance(value, Absolute) else float(value)
