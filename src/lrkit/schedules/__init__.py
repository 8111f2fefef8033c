"""The schedule core: pure closed-form schedules and the combinators that compose them.

Imports only the standard library and numpy (never torch, never a plotting library).
"""

from lrkit.schedules._base import REGISTRY, Absolute, Schedule
from lrkit.schedules.constant import Constant, constant
from lrkit.schedules.cosine import Cosine, cosine
from lrkit.schedules.linear import Linear, linear
from lrkit.schedules.sequence import Sequence, sequence
from lrkit.schedules.warmup import Warmup, warmup

absolute = Absolute

__all__ = [
    "REGISTRY",
    "Absolute",
    "Constant",
    "Cosine",
    "Linear",
    "Schedule",
    "Sequence",
    "Warmup",
    "absolute",
    "constant",
    "cosine",
    "linear",
    "sequence",
    "warmup",
]
