"""Freezing parts of a model, and unfreezing them gradually on a schedule."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from lrkit._group_names import covered, lookup
from lrkit._validate import check_choice, check_int, fail
from lrkit.groups._select import select, tensors
from lrkit.schedules import Schedule, constant, sequence

__all__ = ["GradualUnfreezing", "freeze", "unfreeze"]


def freeze(model: nn.Module, *selectors: Any, optimizer: torch.optim.Optimizer | None = None) -> list[str]:
    """Freeze parameters: ``requires_grad=False``, gradients dropped, and lr 0 in the optimizer.

    With `optimizer`, every group whose parameters are now all frozen gets ``lr = 0`` (a tensor lr
    is filled in place) and the frozen parameters' optimizer state is dropped. A group that mixes
    frozen and trainable parameters is an error: split it first (`param_groups(frozen=...)`).

    Args:
        model: the model.
        *selectors: modules, name patterns or lists of those; none freezes the whole model.
        optimizer: the optimizer over the model, optional.

    Returns:
        The qualified names of the frozen parameters.

    Raises:
        ValueError: a selector that selects nothing (an ``nn.ReLU``, a pattern matching nothing),
            or an optimizer group that would hold frozen and trainable parameters.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> freeze(net, net[0])
        ['0.weight', '0.bias']
        >>> [p.requires_grad for p in net.parameters()]
        [False, False, True, True]
    """
    names = select(model, list(selectors) if selectors else model, owner="freeze", argument="selectors")
    params = tensors(model, names)
    if optimizer is not None:
        chosen = {id(p) for p in params}
        for i, group in enumerate(optimizer.param_groups):
            inside = [p for p in group["params"] if id(p) in chosen]
            if inside and len(inside) != len(group["params"]):
                raise ValueError(
                    f"freeze() would leave optimizer group {i} ({group.get('name', 'no name')!r}) with "
                    f"{len(inside)} frozen and {len(group['params']) - len(inside)} trainable parameters, "
                    f"and one rate for both. Fix: build the groups so that the frozen part has its own "
                    f"group (lrkit.groups.param_groups(..., frozen=...))"
                )
    for p in params:
        p.requires_grad_(False)
        p.grad = None
    if optimizer is not None:
        chosen = {id(p) for p in params}
        for group in optimizer.param_groups:
            if group["params"] and all(id(p) in chosen for p in group["params"]):
                _set_lr(group, 0.0)
        for p in params:
            optimizer.state.pop(p, None)
    return names


def unfreeze(model: nn.Module, *selectors: Any, optimizer: torch.optim.Optimizer | None = None) -> list[str]:
    """Unfreeze parameters: ``requires_grad=True``, with fresh optimizer state.

    With `optimizer`, the parameters' optimizer state (momentum, Adam's moments and step count)
    is dropped, so their first update starts from a clean state, as for a new parameter. Their
    rate is not changed: set it, or let a schedule do it (`GradualUnfreezing`).

    Args:
        model: the model.
        *selectors: modules, name patterns or lists of those; none unfreezes the whole model.
        optimizer: the optimizer over the model, optional.

    Returns:
        The qualified names of the unfrozen parameters.

    Raises:
        ValueError: a selector that selects nothing.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> _ = freeze(net)
        >>> unfreeze(net, "2")
        ['2.weight', '2.bias']
    """
    names = select(model, list(selectors) if selectors else model, owner="unfreeze", argument="selectors")
    for p in tensors(model, names):
        p.requires_grad_(True)
        if optimizer is not None:
            optimizer.state.pop(p, None)
    return names


def _set_lr(group: dict[str, Any], value: float) -> None:
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(value)
    else:
        group["lr"] = value


class GradualUnfreezing:
    """Parts of a model join training on a schedule: part ``k`` is frozen until step ``s_k``.

    Each part is a named parameter group of the optimizer. Before its step, a part is frozen
    (``requires_grad=False``, so it gets no gradient and no optimizer state) and its rate is 0;
    from its step on it trains, with a fresh optimizer state (no moments from before), at
    ``base * schedule(t)``. The rates come from `lrkit.Scheduler`: give it `schedules(...)`, which
    wraps the schedule of each part as ``sequence([constant(0.0), schedule], [s_k])``; the
    flags come from `attach` (checked before each forward pass of the model) or from `step`,
    called by hand with the scheduler's position after ``scheduler.step()``.

    ``s_k`` is a position in the scheduler's unit: the first update whose position is ``>= s_k``
    trains the part. (A frozen part stays at 0 after position 0, so it does not trigger
    `lrkit.Scheduler`'s ``skip_zero_start`` shift, which is for warmups from 0; if another group
    warms up from 0, update ``i`` is at position ``i + 1`` and the part joins with update
    ``s_k - 1``.)

    A plan entry ``"head"`` covers the group ``"head/no_decay"`` too (the half without weight
    decay that ``param_groups(..., no_decay=True)`` splits off), unless the plan names it.

    Resume is exact: build the model, the optimizer, the plan, the scheduler and `attach` as in
    the first run, and load the model's, the optimizer's and the scheduler's states in any order
    before the first forward pass. The plan needs no state of its own: at the first update it
    sees, a scheduler that has counted updates (a loaded one) means a resumed run, so the parts
    whose step is past keep the optimizer state they had when the checkpoint was saved; in a
    fresh run (no update counted yet), state that a part had when the plan froze it is dropped.

    Args:
        optimizer: the optimizer; its groups must carry names.
        plan: ``{group name: step at which it joins}``, steps >= 0 (0: trained from the start).
            Groups not in the plan train from the start.
        clock: "global" (the default): a part joins the schedule where the run is (it sees the
            global step); "local": its schedule starts from its own step 0 when it joins (a fresh
            warmup for each part).

    Raises:
        ValueError: a name that is no group of the optimizer, a negative step.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from lrkit import cosine
        >>> from lrkit.groups import GradualUnfreezing, param_groups
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> opt = torch.optim.SGD(param_groups(net, {"2": 0.1, "0": 0.01}), lr=0.1)
        >>> plan = GradualUnfreezing(opt, {"0": 100})
        >>> net[0].weight.requires_grad
        False
        >>> plan.schedules(cosine())["0"]
        sequence([constant(0.0), cosine()], [100], clock='global')
        >>> plan.step(100)
        ['0']
        >>> net[0].weight.requires_grad
        True

        With `lrkit.Scheduler`:

        >>> from lrkit import Scheduler
        >>> opt = torch.optim.SGD(param_groups(net, {"2": 0.1, "0": 0.01}), lr=0.1)
        >>> plan = GradualUnfreezing(opt, {"0": 3})
        >>> sched = Scheduler(opt, plan.schedules(cosine()), total=10, skip_zero_start=False)
        >>> _ = plan.attach(sched, net)
        >>> seen = []
        >>> for _ in range(4):
        ...     net(torch.ones(1, 4)).sum().backward()
        ...     seen.append((opt.param_groups[1]["lr"] > 0, net[0].weight.grad is not None))
        ...     opt.step(); opt.zero_grad(); sched.step()
        >>> seen
        [(False, False), (False, False), (False, False), (True, True)]

    Reference: Howard & Ruder, "Universal Language Model Fine-tuning for Text Classification", 2018.
    """

    def __init__(
        self, optimizer: torch.optim.Optimizer, plan: Mapping[str, int], *, clock: str = "global"
    ) -> None:
        owner = "GradualUnfreezing"
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise fail(owner, "optimizer", type(optimizer).__name__, "a torch optimizer", kind=TypeError)
        if not isinstance(plan, Mapping):
            raise fail(owner, "plan", plan, "a dict {group name: step}", kind=TypeError)
        self.clock = check_choice(owner, "clock", clock, ("global", "local"))
        self.optimizer = optimizer
        names = [g.get("name") for g in optimizer.param_groups]
        steps: dict[str, int] = {}
        for name, step in plan.items():
            if not covered(name, names):
                known = [n for n in names if n is not None]
                raise ValueError(
                    f"Argument `plan` of {owner}() names the group {name!r}, which the optimizer does not "
                    f"have. Its groups are {known!r}. Fix: use a group's `name` (lrkit.groups.param_groups "
                    f"names every group)"
                )
            steps[name] = check_int(owner, f"plan[{name!r}]", step, low=0)
        # Every group the plan covers, a "/no_decay" half under its parent's entry.
        self.plan: dict[str, int] = {}
        for group_name in names:
            key = lookup(steps, group_name)
            if group_name is not None and key is not None:
                self.plan[group_name] = steps[key]
        self._joined: set[str] = {name for name, step in self.plan.items() if step == 0}
        # State a part had when the plan froze it: dropped in a fresh run, restored in a resumed
        # one (the optimizer's state was loaded before the plan was built); see `_start`.
        self._held: dict[torch.Tensor, Any] = {}
        self._started = False
        for name in self.frozen:
            for p in self._group(name)["params"]:
                p.requires_grad_(False)
                p.grad = None
                if p in optimizer.state:
                    self._held[p] = optimizer.state.pop(p)

    def _group(self, name: str) -> dict[str, Any]:
        for group in self.optimizer.param_groups:
            if group.get("name") == name:
                return group
        raise ValueError(f"the optimizer lost its group {name!r}")  # pragma: no cover

    def _has_state(self) -> bool:
        state = self.optimizer.state
        return bool(self._held) or any(
            p in state for name in self.frozen for p in self._group(name)["params"]
        )

    def _start(self, position: float, updates: int) -> list[str]:
        """Decide once, at the first update seen, between a fresh and a resumed run."""
        self._started = True
        held, self._held = self._held, {}
        if updates == 0:
            return []  # a fresh run: the held state is dropped, joining parts start fresh
        # A resumed run (its scheduler was loaded): the parts whose step is past trained before the
        # checkpoint, so their optimizer state is the checkpoint's (loaded before or after the plan
        # was built); a part still frozen had none.
        joined = []
        state = self.optimizer.state
        for name in self.frozen:
            params = self._group(name)["params"]
            if position >= self.plan[name]:
                for p in params:
                    p.requires_grad_(True)
                    if p not in state and p in held:
                        state[p] = held[p]
                self._joined.add(name)
                joined.append(name)
            else:
                for p in params:
                    state.pop(p, None)
        return joined

    def schedules(self, schedule: Schedule) -> dict[str, Schedule]:
        """A schedule for every named group: `schedule`, held at 0 before the group joins.

        Args:
            schedule: the schedule every part follows once it trains.

        Returns:
            ``{group name: schedule}`` for `lrkit.Scheduler`'s per-group ``schedule`` dict.

        Raises:
            TypeError: `schedule` is not a schedule.
        """
        if not isinstance(schedule, Schedule):
            raise fail("GradualUnfreezing.schedules", "schedule", schedule, "a schedule", kind=TypeError)
        out: dict[str, Schedule] = {}
        for group in self.optimizer.param_groups:
            name = group.get("name")
            if name is None:
                continue
            step = self.plan.get(name, 0)
            out[name] = (
                schedule if step == 0 else sequence((constant(0.0), schedule), (step,), clock=self.clock)
            )
        return out

    def step(self, position: float, *, updates: int | None = None) -> list[str]:
        """Unfreeze the parts whose step has come (``position >= s_k``).

        Args:
            position: the position of the next update in the scheduler's unit
                (`lrkit.Scheduler.position`), a number >= 0.
            updates: the number of updates done so far (`lrkit.Scheduler.updates`), an int >= 0.
                Needed at the first call when a part the plan froze has optimizer state: 0 (a fresh
                run) drops it, more (a resumed run) keeps it for the parts whose step is past.

        Returns:
            The names of the groups unfrozen by this call (fresh optimizer state, except at the
            first call of a resumed run, where the parts keep the state they had at the checkpoint).

        Raises:
            TypeError: `position` is not a number >= 0, `updates` not an int >= 0.
            ValueError: `updates` is None at the first call while a frozen part has optimizer state.
        """
        owner = "GradualUnfreezing.step"
        if isinstance(position, bool) or not isinstance(position, numbers.Real) or not position >= 0:
            raise fail(owner, "position", position, "a number >= 0", kind=TypeError)
        if updates is not None:
            updates = check_int(owner, "updates", updates, low=0)
        joined: list[str] = []
        if not self._started:
            if updates is None:
                if self._has_state():
                    raise ValueError(
                        f"{owner}() is called for the first time and a part the plan froze has optimizer "
                        f"state, so the plan cannot tell a fresh run (drop it) from a resumed one (keep it "
                        f"for the parts already trained). Received: position={position!r}, updates=None. "
                        f"Fix: pass updates= (the scheduler's count of updates done; 0 in a fresh run)"
                    )
                updates = 0
            joined = self._start(position, updates)
        for name, step in self.plan.items():
            if name not in self._joined and position >= step:
                for p in self._group(name)["params"]:
                    p.requires_grad_(True)
                    self.optimizer.state.pop(p, None)
                self._joined.add(name)
                joined.append(name)
        return joined

    def attach(self, scheduler: Any, model: nn.Module) -> Callable[[], None]:
        """Let `scheduler` (an `lrkit.Scheduler`) drive the unfreezing, checked before each forward.

        Registers a forward pre-hook on `model` (torch's hook API; nothing is patched) that calls
        ``step(scheduler.position, updates=scheduler.updates)``: before the forward pass of an
        update, the scheduler's position is that update's, so a part gets gradients from the first
        update whose position is ``>= s_k``, the one whose rate the schedule makes non-zero.
        Forward passes in evaluation only re-check the position. Nothing changes before the first
        forward pass, so the states of a resumed run may be loaded before or after `attach`.

        Args:
            scheduler: the `lrkit.Scheduler` over the same optimizer (following `schedules`).
            model: the model whose forward pass starts each update.

        Returns:
            A function that removes the hook.

        Raises:
            TypeError: `scheduler` has no ``position`` or ``updates`` (not an `lrkit.Scheduler`), `model`
                is no module.
            ValueError: the scheduler drives another optimizer.
        """
        owner = "GradualUnfreezing.attach"
        if not (hasattr(scheduler, "position") and hasattr(scheduler, "updates")):
            raise fail(owner, "scheduler", type(scheduler).__name__, "an lrkit.Scheduler", kind=TypeError)
        if not isinstance(model, nn.Module):
            raise fail(owner, "model", type(model).__name__, "a torch.nn.Module", kind=TypeError)
        if getattr(scheduler, "optimizer", self.optimizer) is not self.optimizer:
            raise ValueError(
                "GradualUnfreezing.attach() needs the scheduler of the same optimizer. Fix: build the "
                "scheduler over the optimizer given to GradualUnfreezing"
            )
        # NOTE: no check now: in a resume the scheduler may be loaded after `attach`; the first
        # forward pass comes after every load, so the plan decides fresh vs resumed there.

        def before_forward(module: nn.Module, args: Any) -> None:
            self.step(scheduler.position, updates=scheduler.updates)

        handle = model.register_forward_pre_hook(before_forward)
        return handle.remove

    @property
    def frozen(self) -> list[str]:
        """The names of the parts that have not joined yet."""
        return [name for name in self.plan if name not in self._joined]
