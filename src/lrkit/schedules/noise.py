"""Noise: a schedule multiplied by seeded noise that is a pure function of (seed, step)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from lrkit._validate import check_choice, check_int, check_number, fail
from lrkit.schedules._base import FloatArray, Schedule, schedule_class

__all__ = ["Noise", "noise", "noise_at", "noise_over"]

KINDS = ("normal", "uniform")

#: How far `std` may exceed `clip` (beyond this, almost every draw would be resampled).
MAX_STD_PER_CLIP = 100.0

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
_TWO64 = 2.0**64
_UNIT = 2.0**-53
_LN2 = 0.6931471805599453
_SQRT_HALF = 0.7071067811865476
_SQRT3 = math.sqrt(3.0)
#: atanh series 1/21, 1/19, ..., 1/3, 1 (Horner order) for log(m) = 2 atanh((m - 1) / (m + 1)).
_ATANH = tuple(1.0 / (2 * i + 1) for i in range(10, -1, -1))


# NOTE: every operation below is an IEEE-754 basic operation (+, -, *, /, sqrt), frexp, or an
# integer operation, and `_at` and `_over` apply the same ones in the same order: the noise is
# bit-identical between the two paths and across machines. `math.log`/`np.log` are avoided on
# purpose (numpy's SIMD log differs from libm's in the last bit), hence the series for log.


def _mix(z: int) -> int:
    """splitmix64's finalizer on a 64-bit int."""
    z = ((z ^ (z >> 30)) * _MUL1) & _MASK
    z = ((z ^ (z >> 27)) * _MUL2) & _MASK
    return z ^ (z >> 31)


def _mix_over(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MUL1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MUL2)
    return z ^ (z >> np.uint64(31))


def _log(x: float) -> float:
    m, e = math.frexp(x)
    if m < _SQRT_HALF:
        m = m * 2.0
        e -= 1
    z = (m - 1.0) / (m + 1.0)
    w = z * z
    p = _ATANH[0]
    for c in _ATANH[1:]:
        p = p * w + c
    return float(e) * _LN2 + 2.0 * z * p


def _log_over(x: FloatArray) -> FloatArray:
    m, e = np.frexp(x)
    small = m < _SQRT_HALF
    m = np.where(small, m * 2.0, m)
    e = np.where(small, e - 1, e)
    z = (m - 1.0) / (m + 1.0)
    w = z * z
    p = np.full(x.shape, _ATANH[0])
    for c in _ATANH[1:]:
        p = p * w + c
    return np.asarray(e.astype(np.float64) * _LN2 + 2.0 * z * p, dtype=np.float64)


def noise_at(seed: int, step: int, std: float, clip: float, kind: str) -> float:
    """The noise term ``n`` at an integer step: a pure function of its arguments.

    Draw ``j = 1, 2, ...`` of a step takes the two 64-bit words ``mix(key + (2j - 1) * G)`` and
    ``mix(key + 2j * G)`` of the splitmix64 stream keyed by ``key = mix(mix(seed + G) ^ step)``
    (``G`` the golden-ratio increment); the first draw with ``|n| < clip`` is returned.

    Args:
        seed: an int in [0, 2**64).
        step: an int >= 0 (taken modulo 2**64).
        std: the standard deviation, >= 0.
        clip: the bound on ``|n|``, > 0.
        kind: "normal" or "uniform".

    Example:
        >>> from lrkit.schedules.noise import noise_at
        >>> noise_at(0, 7, 0.1, 0.67, "normal") == noise_at(0, 7, 0.1, 0.67, "normal")
        True
        >>> abs(noise_at(0, 7, 1.0, 0.2, "uniform")) < 0.2
        True
    """
    key = _mix(_mix((seed + _GOLDEN) & _MASK) ^ (step & _MASK))
    draw = 0
    while True:
        draw += 1
        u1 = (_mix((key + (2 * draw - 1) * _GOLDEN) & _MASK) >> 11) * _UNIT
        u2 = (_mix((key + 2 * draw * _GOLDEN) & _MASK) >> 11) * _UNIT
        v1 = 2.0 * u1 - 1.0
        if kind == "uniform":
            n = v1 * (std * _SQRT3)
        else:
            v2 = 2.0 * u2 - 1.0
            s = v1 * v1 + v2 * v2
            if not 0.0 < s < 1.0:
                continue
            n = std * (v1 * math.sqrt(-2.0 * _log(s) / s))
        if abs(n) < clip:
            return n


def noise_over(seed: int, steps: FloatArray, std: float, clip: float, kind: str) -> FloatArray:
    """`noise_at` at ``floor(t)`` for each ``t`` of an array, bit-identical to it.

    Example:
        >>> import numpy as np
        >>> from lrkit.schedules.noise import noise_at, noise_over
        >>> noise_over(3, np.array([7.0, 7.5]), 0.1, 0.67, "normal").tolist() == [
        ...     noise_at(3, 7, 0.1, 0.67, "normal")] * 2
        True
    """
    counters = np.fmod(np.floor(steps), _TWO64).astype(np.uint64)
    base = np.uint64(_mix((seed + _GOLDEN) & _MASK))
    key = _mix_over(base ^ counters)
    out = np.zeros(steps.shape, dtype=np.float64)
    pending = np.ones(steps.shape, dtype=bool)
    draw = 0
    while pending.any():
        draw += 1
        k = key[pending]
        first = np.uint64(((2 * draw - 1) * _GOLDEN) & _MASK)
        second = np.uint64((2 * draw * _GOLDEN) & _MASK)
        u1 = (_mix_over(k + first) >> np.uint64(11)).astype(np.float64) * _UNIT
        u2 = (_mix_over(k + second) >> np.uint64(11)).astype(np.float64) * _UNIT
        v1 = 2.0 * u1 - 1.0
        if kind == "uniform":
            n = v1 * (std * _SQRT3)
            ok = np.abs(n) < clip
        else:
            v2 = 2.0 * u2 - 1.0
            s = v1 * v1 + v2 * v2
            inside = (s > 0.0) & (s < 1.0)
            safe = np.where(inside, s, 0.5)
            n = std * (v1 * np.sqrt(-2.0 * _log_over(safe) / safe))
            ok = inside & (np.abs(n) < clip)
        where = np.flatnonzero(pending)
        out[where[ok]] = n[ok]
        pending[where[ok]] = False
    return out


@schedule_class("noise")
class Noise(Schedule):
    """A schedule times seeded noise: ``f(t) = schedule(t) * (1 + n(seed, floor(t)))`` in a window.

    ``n`` is a pure function of ``(seed, floor(t))``: a counter-based hash (splitmix64 of the seed
    and the step) gives uniform draws, turned into a normal with Marsaglia's polar form of the
    Box-Muller transform (``kind="normal"``, standard deviation `std`) or into a uniform on
    ``[-std * sqrt(3), std * sqrt(3))`` (``kind="uniform"``, standard deviation `std`). Draws with
    ``|n| >= clip`` are replaced by the next draw of the same step (timm's ``noise_pct``), so
    ``1 - clip < 1 + n < 1 + clip`` and the factor stays > 0. The value at a step is the same
    whatever the order or the number of evaluations: a resumed run sees the same noise.

    The noise applies for ``start <= t < end`` (`end` None: forever); elsewhere ``f = schedule``.
    It is constant within a step (``floor(t)``), so fractional steps share their step's noise.

    timm's ``noise_range_t``, ``noise_pct``, ``noise_std`` and ``noise_seed`` map to `start`/`end`,
    `clip`, `std` and `seed` (the draws differ: timm uses torch's generator).

    Args:
        schedule: the schedule to perturb.
        std: the noise's standard deviation before clipping, finite, >= 0 and at most
            ``100 * clip``. Default 0.1.
        seed: an int in [0, 2**64). Default 0.
        kind: "normal" or "uniform".
        clip: the bound on ``|n|``, in (0, 1). Default 0.67 (timm's default).
        start: the first noisy step, an int >= 0. Default 0.
        end: the first step without noise again, an int > `start`, or None. Default None.

    Raises:
        ValueError: a bad `std`, `seed`, `clip`, `start` or `end` (see above).

    Example:
        >>> from lrkit import constant, noise
        >>> s = noise(constant(1.0), std=0.1, seed=3)
        >>> s(5) == s(5.5) == s(5)
        True
        >>> 0.33 < s(5) < 1.67 and s(5) != s(6)
        True
        >>> noise(constant(1.0), std=0.1, start=10)(3)
        1.0
    """

    schedule: Schedule
    std: float = 0.1
    seed: int = 0
    kind: str = "normal"
    clip: float = 0.67
    start: int = 0
    end: int | None = None

    positional = ("schedule",)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise fail("noise", "schedule", self.schedule, "a schedule", kind=TypeError)
        clip = check_number("noise", "clip", self.clip, low=0.0, high=1.0, low_open=True, high_open=True)
        object.__setattr__(self, "clip", clip)
        std = check_number("noise", "std", self.std, low=0.0, high=MAX_STD_PER_CLIP * clip)
        object.__setattr__(self, "std", std)
        seed = check_int("noise", "seed", self.seed, low=0, high=_MASK, allowed="an int in [0, 2**64)")
        object.__setattr__(self, "seed", seed)
        check_choice("noise", "kind", self.kind, KINDS)
        object.__setattr__(self, "start", check_int("noise", "start", self.start, low=0))
        if self.end is not None:
            if isinstance(self.end, bool) or not isinstance(self.end, numbers.Integral):
                raise fail("noise", "end", self.end, f"an int > start ({self.start}) or None", kind=TypeError)
            allowed = f"an int > start ({self.start}) or None, at most 2**53"
            end = check_int("noise", "end", self.end, low=self.start + 1, allowed=allowed)
            object.__setattr__(self, "end", end)

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if self.end is None or inner is None:
            return None
        return max(float(self.end), inner)

    def _active_children(self, t: float) -> Iterator[tuple[str | tuple[str, int], Schedule, float]]:
        yield "schedule", self.schedule, t

    def _inside(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)

    def _at(self, t: float) -> float:
        value = self.schedule._at(t)
        if not self._inside(t):
            return value
        step = math.floor(t)
        cached = self.__dict__.get("_last")
        n: float
        if cached is not None and cached[0] == step:
            n = cached[1]
        else:
            n = noise_at(self.seed, step, self.std, self.clip, self.kind)
            object.__setattr__(self, "_last", (step, n))
        return value * (1.0 + n)

    def _over(self, t: FloatArray) -> FloatArray:
        value = self.schedule._over(t)
        inside = t >= self.start
        if self.end is not None:
            inside &= t < self.end
        if not inside.any():
            return value
        factor = np.ones(t.shape, dtype=np.float64)
        factor[inside] = 1.0 + noise_over(self.seed, t[inside], self.std, self.clip, self.kind)
        return np.where(inside, value * factor, value)


noise = Noise
