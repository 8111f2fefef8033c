"""How a call as it appears in training code names a registered schedule (the spec grammar's names).

Code writes ``torch.optim.lr_scheduler.StepLR(optimizer, ...)``, ``lr_scheduler.StepLR(...)``,
``transformers.get_cosine_schedule_with_warmup(optimizer, ...)``,
``optax.schedules.cosine_decay_schedule(...)``, ``keras.optimizers.schedules.CosineDecay(...)``, or
the bare name after ``from X import Y``. This module maps such a dotted name to the registry's name
(``StepLR``, ``transformers.get_cosine_schedule_with_warmup``, ``optax.cosine_decay_schedule``,
``keras.CosineDecay``) and says where the entry point takes its optimizer, which a spec ignores.
Pure tables and string rules: nothing is imported or evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MODULES", "optimizer_position", "resolve"]

#: Module paths, as code imports them, and the registry prefix each one stands for.
MODULES: Mapping[str, str] = {
    "torch.optim.lr_scheduler": "",
    "optim.lr_scheduler": "",
    "lr_scheduler": "",
    "transformers": "transformers.",
    "transformers.optimization": "transformers.",
    "timm": "timm.",
    "timm.scheduler": "timm.",
    "optax": "optax.",
    "optax.schedules": "optax.",
    "optax.contrib": "optax.",
    "keras": "keras.",
    "keras.optimizers.schedules": "keras.",
    "keras.callbacks": "keras.",
    "tf.keras.optimizers.schedules": "keras.",
    "tf.keras.callbacks": "keras.",
    "tensorflow.keras.optimizers.schedules": "keras.",
    "tensorflow.keras.callbacks": "keras.",
    "fvcore": "fvcore.",
    "fvcore.common.param_scheduler": "fvcore.",
    "detectron2": "detectron2.",
    "detectron2.solver": "detectron2.",
    "detectron2.solver.lr_scheduler": "detectron2.",
    "megatron": "megatron.",
    "megatron.core.optimizer_param_scheduler": "megatron.",
}

#: Libraries whose names may also be written bare (``from optax import cosine_decay_schedule``).
_LIBRARIES = ("transformers.", "timm.", "optax.", "keras.", "fvcore.", "detectron2.")

#: torch's scheduler classes (registered without a prefix): the optimizer comes first.
_TORCH = frozenset(
    {
        "LambdaLR",
        "MultiplicativeLR",
        "StepLR",
        "MultiStepLR",
        "ConstantLR",
        "LinearLR",
        "ExponentialLR",
        "PolynomialLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "OneCycleLR",
        "SequentialLR",
        "ChainedScheduler",
        "ReduceLROnPlateau",
    }
)


def _module_prefix(module: str) -> str | None:
    if module in MODULES:
        return MODULES[module]
    if module.startswith("timm.scheduler."):  # timm.scheduler.cosine_lr.CosineLRScheduler
        return "timm."
    return None


def resolve(dotted: str, registry: Mapping[str, object]) -> str | None:
    """The registry name a dotted call name stands for, or None.

    Example:
        >>> names = {"StepLR": 1, "optax.cosine_decay_schedule": 2, "cosine": 3}
        >>> resolve("torch.optim.lr_scheduler.StepLR", names)
        'StepLR'
        >>> resolve("optax.schedules.cosine_decay_schedule", names)
        'optax.cosine_decay_schedule'
        >>> resolve("cosine_decay_schedule", names)  # from optax import cosine_decay_schedule
        'optax.cosine_decay_schedule'
        >>> resolve("numpy.cos", names) is None
        True
    """
    if dotted in registry:
        return dotted
    module, _, name = dotted.rpartition(".")
    if module:
        prefix = _module_prefix(module)
        if prefix is None:
            return None
        candidate = prefix + name
        return candidate if candidate in registry else None
    found = {registry[lib + name] for lib in _LIBRARIES if lib + name in registry}
    if len(found) == 1:  # one entry point (detectron2 re-exports fvcore's under its own name)
        return next(lib + name for lib in _LIBRARIES if lib + name in registry)
    return None


def optimizer_position(name: str) -> int | None:
    """Where registry entry `name` takes the optimizer as a positional argument (None: it takes none).

    Example:
        >>> optimizer_position("StepLR"), optimizer_position("ChainedScheduler")
        (0, 1)
        >>> optimizer_position("optax.cosine_decay_schedule") is None
        True
    """
    if name in ("transformers.get_scheduler", "ChainedScheduler"):
        return 1
    if name in _TORCH or name == "megatron.OptimizerParamScheduler":
        return 0
    if name.startswith(("transformers.get_", "timm.")):
        return 0
    return None
