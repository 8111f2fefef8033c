"""Test-wide settings (a rootdir conftest: outside `testpaths`, so no doctest collection trips on it).

Hypothesis: no per-example deadline (the machine is shared and timings vary; speed is measured by
the benchmarks in bench/, not by tests), and in CI (``CI`` set) derandomized, so that a run on
the same commit always draws the same examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "lrkit",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("lrkit")
