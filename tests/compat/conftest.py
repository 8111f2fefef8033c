"""Prints the parity table (largest relative difference per class) at the end of the run."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from _compat_harness import WORST

    if not WORST:
        return
    terminalreporter.section("lrkit.compat vs torch 2.13: largest relative difference")
    for name in sorted(WORST):
        worst, configs = WORST[name]
        terminalreporter.write_line(f"{name:28s} {worst:.3g}  over {configs} configurations")
