"""Did the optimizer update actually happen? Skips by `torch.amp.GradScaler` and wrappers.

GradScaler skips ``optimizer.step()`` when the unscaled gradients hold an inf or a NaN (a fused
optimizer gets the step call but skips the update inside its kernel, with ``found_inf``); then
``scaler.update()`` multiplies the scale by ``backoff_factor`` (< 1, enforced by GradScaler). So:

* called after ``scaler.step(optimizer)`` and before ``scaler.update()``, the skip is read from the
  scaler's per-optimizer ``found_inf`` record (exact, also with several optimizers on one scaler);
* called after ``scaler.update()`` (the usual order), an update was skipped exactly when the scale
  went down since the previous call and the growth tracker was reset (with one optimizer per
  scaler; a scale set by hand with ``scaler.update(new_scale)`` below the previous one right after
  a reset also reads as a skip). The scale seen last is saved with the scheduler's state, so the
  first step after a resume compares against the right value.

Optimizers wrapped by accelerate expose ``step_was_skipped``; it is honoured too. Nothing here
wraps or patches ``optimizer.step``.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["SkipDetector"]


class SkipDetector:
    """Tells whether the last optimizer step was applied (see the module docstring)."""

    def __init__(self, optimizer: torch.optim.Optimizer, scaler: Any) -> None:
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

    @property
    def active(self) -> bool:
        """False when there is nothing to detect (every step() counts)."""
        return self.wrapper_flag or (self.scaler is not None and bool(self.scaler.is_enabled()))

    def applied(self) -> bool:
        """True when the optimizer update since the previous call was applied."""
        if self.wrapper_flag and bool(getattr(self.optimizer, "step_was_skipped", False)):
            return False
        scaler = self.scaler
        if scaler is None or not scaler.is_enabled():
            return True
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
