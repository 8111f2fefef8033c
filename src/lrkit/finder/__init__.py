"""The learning-rate range test (Smith, 2017): `find_lr`, its result, and the suggestion methods.

`find_lr` sweeps the rate over N real optimizer updates, records the loss, suggests rates (fastai's
valley, the steepest descent, the minimum / 10) each with an interval of plausible rates, prefers
the geometric mean of the last two (`preferred`), and restores the model, the optimizer and the
random number generators exactly. `suggest` and `smooth` work on any recorded curve.

Modules, one job each: `_snapshot` (copy and put back everything a test changes), `_sweep` (one
sweep's updates and losses), `_suggest` (reading a curve; numpy only), `_groups` (the suggestion
when groups have different rates, from a second, one-rate sweep), `_result` (the result, its plot
and the hand-off to a schedule), `_run` (`find_lr`: check, snapshot, sweep per repeat, suggest).

Imports torch (the suggestion functions themselves need only numpy).
"""

from lrkit.finder._result import RangeTestResult
from lrkit.finder._run import Snapshot, find_lr
from lrkit.finder._suggest import (
    METHODS,
    PREFERENCE,
    Suggestion,
    combine,
    preferred,
    smooth,
    suggest,
    suggestion_curve,
)

__all__ = [
    "METHODS",
    "PREFERENCE",
    "RangeTestResult",
    "Snapshot",
    "Suggestion",
    "combine",
    "find_lr",
    "preferred",
    "smooth",
    "suggest",
    "suggestion_curve",
]
