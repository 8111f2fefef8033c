"""The schedule core: pure closed-form schedules and the combinators that compose them.

Imports only the standard library and numpy (never torch, never a plotting library).
"""

from lrkit.schedules._base import REGISTRY, Absolute, Schedule
from lrkit.schedules.bounds import Ceiling, Floor, Scale, ceiling, floor, scale
from lrkit.schedules.constant import Constant, constant
from lrkit.schedules.cosine import Cosine, cosine
from lrkit.schedules.extrapolate import Extrapolate, extrapolate
from lrkit.schedules.linear import Linear, linear
from lrkit.schedules.plateau import Plateau, plateau
from lrkit.schedules.product import Product, product
from lrkit.schedules.sequence import Sequence, sequence
from lrkit.schedules.warmup import Warmup, warmup

absolute = Absolute

__all__ = [
    "REGISTRY",
    "Absolute",
    "Ceiling",
    "Constant",
    "Cosine",
    "Extrapolate",
    "Floor",
    "Linear",
    "Plateau",
    "Product",
    "Scale",
    "Schedule",
    "Sequence",
    "Warmup",
    "absolute",
    "ceiling",
    "constant",
    "cosine",
    "extrapolate",
    "floor",
    "linear",
    "plateau",
    "product",
    "scale",
    "sequence",
    "warmup",
]
