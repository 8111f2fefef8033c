"""`lrkit table` streams its rows: memory does not grow with --steps x rates (issue 14 item 7)."""

from __future__ import annotations

import io
import math
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
import lrkit.config
from lrkit.cli import main
from lrkit.preview import format_rows, rows, write_rows

SPECS = ["warmup(cosine(end=0.1), steps=0.05)", "StepLR(step_size=3, gamma=0.5)", "linear(steps=2)"]


@settings(max_examples=40, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    steps=st.integers(20, 60),
    lrs=st.lists(st.sampled_from([1.0, 0.1, 3e-4, 12345.678, 0.0, 1e-12]), min_size=1, max_size=4),
    fmt=st.sampled_from(["text", "csv", "json"]),
    block=st.sampled_from([1, 3, 7, 1 << 16]),
)
def test_streamed_rows_are_the_same_text(spec, steps, lrs, fmt, block):
    import lrkit.preview.table as table

    saved, table._BLOCK = table._BLOCK, block  # blocks of every size, joined the same way
    out = io.StringIO()
    try:
        write_rows(spec, out, steps=steps, lrs=lrs, fmt=fmt, spec=spec)
    finally:
        table._BLOCK = saved
    assert out.getvalue() == format_rows(rows(spec, steps=steps, lrs=lrs), fmt, spec=spec) + "\n"


@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_memory_does_not_grow_with_steps_times_rates(fmt):
    # 40,000 steps of 8 rates as one string (format_rows) peak at ~40 MB; streamed, one block: ~5 MB.
    class Sink(io.TextIOBase):
        written = 0

        def write(self, text):
            self.written += len(text)
            return len(text)

    sink = Sink()
    tracemalloc.start()
    write_rows("warmup(cosine(end=0.1), steps=0.05)", sink, steps=40_000, lrs=[0.1] * 8, fmt=fmt)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sink.written > 40_000 * 8 * 3
    assert peak < 10 * 2**20


LOG_MAX = math.log(sys.float_info.max)
TOTAL = "argument --total: must be an int in [1, 2**53]"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--total", str(10**400)], f"{TOTAL}. Received: <an int of about 401 digits>"),
        (["--total", str(2**53 + 1)], f"{TOTAL}. Received: 9007199254740993"),
        (["--steps", str(10**400)], "--steps: must be an int in [1, 10000000]. Received: <an int of"),
    ],
)
def test_huge_totals_and_steps_are_one_line(capsys, argv, message):
    """Issue 14 item 1 through the CLI: a huge --total or --steps is one line, status 2."""
    args = ["table", "cosine()", "--steps", "3", *argv]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert message in captured.err


# 1.1 ** k passes 1.8e308 at k = 7448: restart 7448 starts at step 74480 (independent of lrkit)
_RESTARTS_OVERFLOW = (math.floor(math.log(sys.float_info.max) / math.log(1.1)) + 1) * 10


@pytest.mark.parametrize(
    ("spec", "lr", "message"),
    [
        # known when built or resolved: refused before any row, naming the schedule and the step
        ("constant(1e308) * constant(1e308)", "1.0", "product([constant(1e+308), constant(1e+308)]) grows "),
        (
            "restarts(cosine(), period=10, decay=1.1)",
            "1.0",
            f"restarts(cosine(steps=10), period=10, decay=1.1) grows past the largest float (1.8e308) "
            f"first at step {_RESTARTS_OVERFLOW} (resolved for 100000 steps)",
        ),
        # the factor is finite, the rate is not: refused at the step
        ("constant(1e10)", "1e300", "gives a rate that is not finite (inf) at step 0 "),
    ],
)
@pytest.mark.parametrize("command", ["table", "plot"])
def test_a_rate_that_is_not_finite_is_an_error_not_inf(capsys, spec, lr, message, command):
    """Issue 14 item 2 in the previews: `inf` was printed with exit status 0."""
    assert main([command, spec, "--lr", lr, "--steps", "100000"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert message in captured.err


@pytest.mark.parametrize(
    "spec",
    [
        "OneCycleLR(max_lr=0.1, total_steps=30)",
        "CyclicLR(base_lr=[0.01, 0.001], max_lr=[0.1, 0.01], step_size_up=4)",
        "OneCycleLR(max_lr=[0.1, 0.05], total_steps=30)",
    ],
)
@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_streamed_table_with_momentum_and_group_columns_is_the_same_text(capsys, spec, fmt):
    import lrkit.preview.table as table
    from lrkit.spec import cycled_momentum, group_calls

    saved, table._BLOCK = table._BLOCK, 4  # several blocks, one cut inside the momentum's cycle
    try:
        assert main(["table", spec, "--steps", "25", "--format", fmt]) == 0
    finally:
        table._BLOCK = saved
    calls = group_calls(spec)
    schedules = [lrkit.parse(spec)] if calls is None else [lrkit.config.build(*call) for call in calls]
    values = np.stack([rows(s, steps=25)[:, 0] for s in schedules], axis=1)
    cycled = cycled_momentum(spec)
    momentum = [
        [float(v) for v in c.resolve(25, base=1.0)(np.arange(25.0))]
        for c in (cycled if isinstance(cycled, list) else [cycled])
    ]
    assert capsys.readouterr().out == format_rows(values, fmt, spec=spec, momentum=momentum) + "\n"
