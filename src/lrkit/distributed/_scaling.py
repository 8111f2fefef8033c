"""Scaling a learning rate with the batch size: the linear and square-root rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lrkit._validate import check_choice, check_int, check_number

__all__ = ["SCALING_RULES", "ScaledLR", "scale_lr"]

SCALING_RULES = ("linear", "sqrt")
OWNER = "scale_lr"


@dataclass(frozen=True, slots=True)
class ScaledLR:
    """What `scale_lr` returns: the scaled rate, the factor applied and a one-line explanation.

    ``str(scaled)`` is the explanation.

    Example:
        >>> from lrkit.distributed import scale_lr
        >>> scaled = scale_lr(0.1, 512, 256)
        >>> scaled.factor, scaled.rule
        (2.0, 'linear')
    """

    lr: float
    factor: float
    rule: str
    explanation: str

    def __str__(self) -> str:
        return self.explanation


def scale_lr(lr: float, batch_size: int, reference_batch_size: int, rule: str = "linear") -> ScaledLR:
    """Scale a learning rate tuned at one batch size to another, and say what was done.

    * ``rule="linear"``: ``lr * batch_size / reference_batch_size`` (Goyal et al. 2017, for SGD
      with momentum; pair it with a warmup);
    * ``rule="sqrt"``: ``lr * sqrt(batch_size / reference_batch_size)`` (Krizhevsky 2014; Malladi et
      al. 2022 derive it for Adam and RMSprop).

    `batch_size` is the *global* batch of one optimizer update: per-device batch x accumulation x
    world size (`run_totals` gives it as ``update_size``).

    Args:
        lr: the rate tuned at `reference_batch_size`, a finite number > 0.
        batch_size: the global batch now, an int >= 1.
        reference_batch_size: the global batch `lr` was tuned at, an int >= 1.
        rule: "linear" or "sqrt".

    Returns:
        A `ScaledLR` (``lr``, ``factor``, ``rule``, ``explanation``).

    Raises:
        TypeError: a batch size that is not an int, an `lr` that is not a number.
        ValueError: `lr` not finite and > 0, a batch size < 1, an unknown `rule`.

    Example:
        >>> from lrkit.distributed import scale_lr
        >>> scaled = scale_lr(0.1, batch_size=1024, reference_batch_size=256)
        >>> scaled.lr
        0.4
        >>> print(scaled)
        linear rule: lr 0.1 x (batch 1024 / reference 256 = 4) = 0.4
        >>> print(scale_lr(1e-3, 4096, 1024, rule="sqrt"))
        sqrt rule: lr 0.001 x sqrt(batch 4096 / reference 1024 = 4) = 0.002

    References:
        Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", 2017.
        Krizhevsky, "One weird trick for parallelizing convolutional neural networks", 2014.
        Malladi et al., "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms", 2022.
    """
    base = check_number(OWNER, "lr", lr, low=0.0, low_open=True)
    batch = check_int(OWNER, "batch_size", batch_size, low=1)
    reference = check_int(OWNER, "reference_batch_size", reference_batch_size, low=1)
    check_choice(OWNER, "rule", rule, SCALING_RULES)
    ratio = batch / reference
    factor = ratio if rule == "linear" else math.sqrt(ratio)
    scaled = base * factor
    if not math.isfinite(scaled):
        raise ValueError(
            f"Arguments of {OWNER}() scale lr={base!r} by {factor!r} to {scaled!r}, which is not finite"
        )
    shown = f"(batch {batch} / reference {reference} = {ratio:g})"
    if rule == "sqrt":
        shown = f"sqrt{shown}"
    explanation = f"{rule} rule: lr {base:g} x {shown} = {scaled:g}"
    if batch == reference:
        explanation += " (unchanged)"
    return ScaledLR(lr=scaled, factor=factor, rule=rule, explanation=explanation)
