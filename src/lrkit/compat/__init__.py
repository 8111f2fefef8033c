"""A drop-in for ``torch.optim.lr_scheduler`` (and ``swa_utils.SWALR``): same names, same rates.

Change one import::

    import lrkit.compat as lr_scheduler          # instead of torch.optim.lr_scheduler
    from lrkit.compat import StepLR, OneCycleLR  # or name by name

Every class takes torch 2.13's constructor arguments and gives its learning rates (and momentum or
beta1 for CyclicLR and OneCycleLR) to a relative 1e-12, built on lrkit's closed-form schedules and
`lrkit.Scheduler`. The documented differences (docs/compat.md) are where torch hurts: plain-data
state that loads with ``weights_only=True``, exact resume in any order, ReduceLROnPlateau inside
SequentialLR/ChainedScheduler, OneCycleLR holding its last rate, no false ordering warning under
GradScaler, a resume with ``last_epoch`` that continues the uninterrupted run. torch's param-group
keys (``initial_lr``, ...) are written and read as torch does. This package imports torch;
``import lrkit`` does not.
"""

from torch.optim.lr_scheduler import LRScheduler

from lrkit.compat._base import CompatScheduler
from lrkit.compat._containers import ChainedScheduler, SequentialLR
from lrkit.compat._cyclic import CyclicLR, OneCycleLR
from lrkit.compat._functions import LambdaLR, MultiplicativeLR
from lrkit.compat._plateau import ReduceLROnPlateau
from lrkit.compat._steps import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from lrkit.compat._swa import SWALR

__all__ = [
    "SWALR",
    "ChainedScheduler",
    "CompatScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
