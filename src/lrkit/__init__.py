"""lrkit: learning-rate schedules for PyTorch that are right, visible before training, and resumable.

The schedule core (`lrkit.schedules`), configs and specs import only numpy; torch is imported the
first time a torch-facing name (such as `lrkit.Scheduler`) is used.
"""

from lrkit.config import fingerprint, from_config, to_config
from lrkit.schedules import (
    Absolute,
    Schedule,
    absolute,
    add,
    ceiling,
    constant,
    cosine,
    cyclic,
    exponential,
    extrapolate,
    floor,
    inverse_power,
    inverse_sqrt,
    lerp,
    linear,
    multi_step,
    noise,
    one_cycle,
    piecewise_constant,
    piecewise_linear,
    plateau,
    polynomial,
    power_decay,
    product,
    restarts,
    scale,
    sequence,
    shift,
    staircase,
    step_decay,
    stretch,
    tanh_decay,
    warmup,
    warp,
    window,
    wsd,
)
from lrkit.spec import SpecError, parse

__version__ = "0.1.0"

#: Torch-facing names, imported on first use so that the core and the previews never import torch.
_LAZY = {
    "Scheduler": "lrkit.scheduler",
    "GradualUnfreezing": "lrkit.groups",
    "RangeTestResult": "lrkit.finder",
    "check_groups": "lrkit.groups",
    "find_lr": "lrkit.finder",
    "layerwise": "lrkit.groups",
    "param_groups": "lrkit.groups",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lrkit' has no attribute {name!r}")


__all__ = [
    "Absolute",
    "GradualUnfreezing",
    "RangeTestResult",
    "Schedule",
    "Scheduler",
    "SpecError",
    "__version__",
    "absolute",
    "add",
    "ceiling",
    "check_groups",
    "constant",
    "cosine",
    "cyclic",
    "exponential",
    "extrapolate",
    "find_lr",
    "fingerprint",
    "floor",
    "from_config",
    "inverse_power",
    "inverse_sqrt",
    "layerwise",
    "lerp",
    "linear",
    "multi_step",
    "noise",
    "one_cycle",
    "param_groups",
    "parse",
    "piecewise_constant",
    "piecewise_linear",
    "plateau",
    "polynomial",
    "power_decay",
    "product",
    "restarts",
    "scale",
    "sequence",
    "shift",
    "staircase",
    "step_decay",
    "stretch",
    "tanh_decay",
    "to_config",
    "warmup",
    "warp",
    "window",
    "wsd",
]
