"""The schedule core: pure closed-form schedules and the combinators that compose them.

Imports only the standard library and numpy (never torch, never a plotting library).
"""

from lrkit.schedules._base import REGISTRY, Absolute, Schedule
from lrkit.schedules.add import Add, add
from lrkit.schedules.bounds import Ceiling, Floor, Scale, ceiling, floor, scale
from lrkit.schedules.constant import Constant, constant
from lrkit.schedules.cosine import Cosine, cosine
from lrkit.schedules.cyclic import Cyclic, cyclic
from lrkit.schedules.exponential import Exponential, exponential
from lrkit.schedules.extrapolate import Extrapolate, extrapolate
from lrkit.schedules.inverse_power import InversePower, inverse_power
from lrkit.schedules.inverse_sqrt import InverseSqrt, inverse_sqrt
from lrkit.schedules.lerp import Lerp, lerp
from lrkit.schedules.linear import Linear, linear
from lrkit.schedules.noise import Noise, noise
from lrkit.schedules.one_cycle import OneCycle, one_cycle
from lrkit.schedules.piecewise_linear import PiecewiseLinear, piecewise_linear
from lrkit.schedules.plateau import Plateau, plateau
from lrkit.schedules.polynomial import Polynomial, polynomial
from lrkit.schedules.power_decay import PowerDecay, power_decay
from lrkit.schedules.product import Product, product
from lrkit.schedules.restarts import Restarts, restarts
from lrkit.schedules.sequence import Sequence, sequence
from lrkit.schedules.shift import Shift, shift
from lrkit.schedules.staircase import Staircase, staircase
from lrkit.schedules.steps import (
    MultiStep,
    PiecewiseConstant,
    StepDecay,
    multi_step,
    piecewise_constant,
    step_decay,
)
from lrkit.schedules.stretch import Stretch, stretch
from lrkit.schedules.tanh import TanhDecay, tanh_decay
from lrkit.schedules.warmup import Warmup, warmup
from lrkit.schedules.warp import Warp, warp
from lrkit.schedules.window import Window, window
from lrkit.schedules.wsd import Wsd, wsd

absolute = Absolute

__all__ = [
    "REGISTRY",
    "Absolute",
    "Add",
    "Ceiling",
    "Constant",
    "Cosine",
    "Cyclic",
    "Exponential",
    "Extrapolate",
    "Floor",
    "InversePower",
    "InverseSqrt",
    "Lerp",
    "Linear",
    "MultiStep",
    "Noise",
    "OneCycle",
    "PiecewiseConstant",
    "PiecewiseLinear",
    "Plateau",
    "Polynomial",
    "PowerDecay",
    "Product",
    "Restarts",
    "Scale",
    "Schedule",
    "Sequence",
    "Shift",
    "Staircase",
    "StepDecay",
    "Stretch",
    "TanhDecay",
    "Warmup",
    "Warp",
    "Window",
    "Wsd",
    "absolute",
    "add",
    "ceiling",
    "constant",
    "cosine",
    "cyclic",
    "exponential",
    "extrapolate",
    "floor",
    "inverse_power",
    "inverse_sqrt",
    "lerp",
    "linear",
    "multi_step",
    "noise",
    "one_cycle",
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
    "warmup",
    "warp",
    "window",
    "wsd",
]
