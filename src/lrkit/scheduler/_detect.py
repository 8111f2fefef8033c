"""Did the optimizer update actually happen? Skips by `torch.amp.GradScaler` and wrappers.

GradScaler skips an update when the unscaled gradients hold an inf or a NaN. With a plain
optimizer, ``scaler.step(optimizer)`` then never calls ``optimizer.step()``; a fused optimizer
(``Adam(fused=True)``, which sets ``_step_supports_amp_scaling``) is called anyway, with the
scaler's verdict in the attribute ``optimizer.found_inf`` (a tensor, set around the call and
deleted after it), and skips the update inside its kernel. Afterwards ``scaler.update()``
multiplies the scale by ``backoff_factor`` (< 1, enforced by GradScaler).

Without ``scaler=`` (the default), a `StepWatch` registered with the optimizer's documented
``register_step_post_hook`` sees every ``optimizer.step()`` call and, for a fused optimizer under
GradScaler, its ``found_inf``. At ``scheduler.step()`` the update since the previous call was:

* applied, if ``optimizer.step()`` was called and no ``found_inf`` > 0 was handed to that call;
* skipped, if ``optimizer.step()`` was called with ``found_inf`` > 0 (a fused optimizer's skip);
* skipped, if ``optimizer.step()`` was not called and some gradient holds an inf or a NaN (the
  trace GradScaler leaves when it skips a plain optimizer);
* skipped, with a warning shown once (`UncountedStepWarning`), if ``optimizer.step()`` was not
  called, no gradient holds an inf or a NaN (for example they were cleared before
  ``scheduler.step()``), and this scheduler has already seen an ``optimizer.step()`` call;
* applied, if ``optimizer.step()`` has never been called since the scheduler was built and no
  gradient holds an inf or a NaN: driving a scheduler alone (previewing rates, fast-forwarding
  with repeated ``step()`` calls) counts every call, as before;
* applied, in samples or tokens, if ``optimizer.step()`` was not called and no gradient holds an
  inf or a NaN: there several calls may share one update (accelerate's one call per process,
  each with that process's samples), so only a gradient shows a skip.

An optimizer whose ``step`` torch does not run hooks for (a wrapper that skips
``Optimizer.__init__``) gets no watch; then every call counts unless another signal applies.

With ``scaler=`` (a `torch.amp.GradScaler`), the scaler is read instead:

* called after ``scaler.step(optimizer)`` and before ``scaler.update()``, the skip is read from the
  scaler's per-optimizer ``found_inf`` record (exact, also with several optimizers on one scaler);
* called after ``scaler.update()`` (the usual order), an update was skipped exactly when the scale
  went down since the previous call and the growth tracker was reset (with one optimizer per
  scaler; a scale set by hand with ``scaler.update(new_scale)`` below the previous one right after
  a reset also reads as a skip). The scale seen last is saved with the scheduler's state, so the
  first step after a resume compares against the right value.

Optimizers wrapped by accelerate expose ``step_was_skipped``; it is honoured too. Nothing here
wraps or patches ``optimizer.step``: the watch is a hook, removed when the scheduler is collected.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import torch

from lrkit._validate import fail

__all__ = ["AMOUNTS", "SkipDetector", "StepWatch", "UncountedStepWarning"]

#: The units in which several `Scheduler.step` calls may share one update (their amounts add up).
AMOUNTS = ("sample", "token")


class UncountedStepWarning(UserWarning):
    """`Scheduler.step` counted no update because ``optimizer.step()`` was not called (shown once)."""


class StepWatch:
    """An optimizer step post hook noting each ``optimizer.step()`` call and its ``found_inf``.

    It holds no reference to the scheduler (the optimizer keeps its hooks alive).
    """

    __slots__ = ("__weakref__", "calls", "found_inf", "pending")

    def __init__(self) -> None:
        self.calls = 0  # optimizer.step() calls seen since the watch was registered
        self.pending = False  # a call since the scheduler last read the watch
        self.found_inf: torch.Tensor | None = None  # the last call's GradScaler verdict, if any

    def __call__(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.calls += 1
        self.pending = True
        found = getattr(optimizer, "found_inf", None)
        self.found_inf = found if isinstance(found, torch.Tensor) else None


def _watch(optimizer: torch.optim.Optimizer, owner: object) -> StepWatch | None:
    """Register a `StepWatch` on the optimizer (removed when `owner` is collected), if torch runs hooks."""
    if not getattr(getattr(type(optimizer), "step", None), "hooked", False):
        return None  # torch wraps `step` to run the hooks in Optimizer.__init__; not done for this class
    watch = StepWatch()
    try:
        handle = optimizer.register_step_post_hook(watch)
    except (AttributeError, TypeError):  # a subclass without the hook tables
        return None
    weakref.finalize(owner, handle.remove)
    return watch


def warn_uncounted() -> None:
    """`UncountedStepWarning`, from `SkipDetector.applied` (via `decide`, from `Scheduler.step`)."""
    warnings.warn(
        "lrkit.Scheduler: scheduler.step() was called without an optimizer.step() since the previous "
        "call and no gradient holds an inf or a NaN, so this step() counted no update. A GradScaler "
        "skip looks like this when the gradients are cleared before scheduler.step(); so does "
        "calling scheduler.step() more than once per update. If an update did happen, pass "
        "step(applied=True), or build the Scheduler with detect_skips=False to count every call. "
        "This warning is shown once per scheduler",
        UncountedStepWarning,
        stacklevel=5,  # warn_uncounted, applied, decide, Scheduler.step, the caller
    )


def nonfinite_grads(optimizer: torch.optim.Optimizer) -> bool:
    """True when a gradient of the optimizer's parameters holds an inf or a NaN (one sync per device)."""
    flags: dict[torch.device, list[torch.Tensor]] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            g = getattr(p, "grad", None)
            if g is None:
                continue
            if g.is_sparse:
                g = g.coalesce()._values()
            flags.setdefault(g.device, []).append(torch.isfinite(g).all())
    return any(not bool(torch.stack(f).all()) for f in flags.values())


class SkipDetector:
    """Tells whether the last optimizer step was applied (see the module docstring)."""

    def __init__(self, optimizer: torch.optim.Optimizer, scaler: Any, watch: bool = True) -> None:
        if scaler is not None and not (hasattr(scaler, "get_scale") and hasattr(scaler, "is_enabled")):
            raise TypeError(
                f"Argument `scaler` of Scheduler() must be a torch.amp.GradScaler (or None). "
                f"Received: scaler={scaler!r}"
            )
        self.optimizer = optimizer
        self.scaler = scaler
        self.wrapper_flag = hasattr(type(optimizer), "step_was_skipped")
        self.last_scale: float | None = None
        if scaler is not None and scaler.is_enabled():
            self.last_scale = float(scaler.get_scale())
        self.watch = _watch(optimizer, self) if watch else None
        #: `UncountedStepWarning` was shown (once per scheduler).
        self.warned = False

    def __getstate__(self) -> dict[str, Any]:
        # A copy (deepcopy, pickle) watches its own optimizer: the optimizer's copy has no hooks.
        state = self.__dict__.copy()
        state["watch"] = self.watch is not None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        watch = state.pop("watch")
        self.__dict__.update(state)
        self.watch = _watch(self.optimizer, self) if watch else None

    @property
    def active(self) -> bool:
        """True when every step() must ask `applied` (a scaler or a wrapper flag to read)."""
        return self.wrapper_flag or (self.scaler is not None and bool(self.scaler.is_enabled()))

    def applied(self, additive: bool = False) -> bool:
        """True when the optimizer update since the previous call was applied.

        `additive` (samples or tokens): a call with no ``optimizer.step()`` before it counts unless
        a gradient shows the skip, since several calls may share one update.
        """
        watch = self.watch
        pending, found = False, None
        if watch is not None:
            pending, found = watch.pending, watch.found_inf
            self.told()
        if self.wrapper_flag and bool(getattr(self.optimizer, "step_was_skipped", False)):
            return False
        scaler = self.scaler
        if scaler is not None and scaler.is_enabled():
            return self._scaler_applied(scaler)
        if watch is None:
            return True
        if pending:
            # A fused optimizer got GradScaler's verdict; a plain call was applied.
            return found is None or not bool(found.sum() > 0)
        if nonfinite_grads(self.optimizer):
            return False  # what GradScaler leaves when it skips a plain optimizer's step
        if watch.calls == 0 or additive:
            return True  # no optimizer.step() yet (a scheduler driven alone), or calls sharing an update
        if not self.warned:
            self.warned = True
            warn_uncounted()
        return False

    def decide(self, applied: Any, detect: bool, additive: bool) -> bool:
        """`Scheduler.step`'s ``applied``: None detects (if `detect`), True/False is taken as said.

        `additive`: the scheduler counts samples or tokens, where several calls may share one update.
        """
        if applied is None:
            return self.applied(additive) if detect else True
        if not isinstance(applied, bool):
            raise fail("Scheduler.step", "applied", applied, "True, False or None", kind=TypeError)
        self.told()
        return applied

    def told(self) -> None:
        """The update since the previous call is accounted for (``step(applied=...)`` said it)."""
        if self.watch is not None:
            self.watch.pending, self.watch.found_inf = False, None

    def _scaler_applied(self, scaler: Any) -> bool:
        states = getattr(scaler, "_per_optimizer_states", None)
        record = states.get(id(self.optimizer)) if isinstance(states, dict) else None
        if record is not None and record.get("found_inf_per_device"):
            # Before scaler.update(): the exact per-optimizer record.
            self.last_scale = None
            found = sum(float(v.item()) for v in record["found_inf_per_device"].values())
            return found == 0.0
        scale = float(scaler.get_scale())
        skipped = self.last_scale is not None and scale < self.last_scale
        if skipped and hasattr(scaler, "_get_growth_tracker"):
            # A skip also resets the growth tracker; a scale lowered by hand mid-streak does not.
            skipped = int(scaler._get_growth_tracker()) == 0
        self.last_scale = scale
        return not skipped
