"""``lrkit find``: the learning-rate range test on a task (the bundled digits task by default).

    lrkit find [--task NAME] [--seed S] [--start LR] [--end LR] [--steps N] [--mode MODE]
               [--accumulate K] [--repeats R] [-o FILE] [--json FILE] [--no-progress]

Builds the task's model and optimizer, runs `lrkit.find_lr` on its training batches, prints the
suggestions (each with its interval) and optionally writes the plot (.png, .svg, .pdf; needs
matplotlib) and the curve as JSON. Torch is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from lrkit.cli import UsageError, check_plot_file

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``lrkit find`` with the `lrkit` command's subparsers (see `lrkit.cli`)."""
    parser = subparsers.add_parser(
        "find",
        help="run the learning-rate range test on a task and suggest rates",
        description="Sweep the learning rate over N real updates of a task's model, record the "
        "loss, and suggest rates (valley, steepest descent, minimum / 10), each with an interval. "
        "The model and optimizer are restored exactly afterwards.",
    )
    parser.add_argument(
        "--task", default="digits", help="'digits', 'digits-cnn', or module:function (default digits)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the task's seed (default 0)")
    parser.add_argument("--start", type=float, default=1e-6, help="first rate (default 1e-6)")
    parser.add_argument("--end", type=float, default=10.0, help="last rate (default 10)")
    parser.add_argument("--steps", type=int, default=100, help="updates in the sweep (default 100)")
    parser.add_argument("--mode", default="exponential", help="exponential (default) or linear")
    parser.add_argument("--accumulate", type=int, default=1, help="micro-batches per update (default 1)")
    parser.add_argument("--repeats", type=int, default=1, help="sweeps, for the spread (default 1)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the plot: .png, .svg or .pdf")
    parser.add_argument("--json", metavar="FILE", help="write the curve and the suggestions as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def run(args: argparse.Namespace) -> int:
    """Run the range test and print the suggestions; return the exit status.

    Raises:
        UsageError: a bad --output extension or a file that cannot be written.
        ValueError: a bad argument of the test or an unknown task (one line, exit status 2).
    """
    check_plot_file(args.output)
    from lrkit.finder import find_lr
    from lrkit.tasks import load_task

    task = load_task(args.task, seed=args.seed)
    optimizer = task.make_optimizer()
    result = find_lr(
        task.model,
        optimizer,
        task.loss,
        task.train,
        start=args.start,
        end=args.end,
        steps=args.steps,
        mode=args.mode,
        accumulate=args.accumulate,
        repeats=args.repeats,
        progress=not args.no_progress,
    )
    print(f"task {task.name!r} (seed {args.seed}), {type(optimizer).__name__}")
    print(result)
    if result.lr is not None:
        print(
            f"suggested peak rate: {result.lr:.3g}; use it as the base rate of a one-cycle or cosine "
            f"schedule (RangeTestResult.apply(optimizer), then lrkit.Scheduler(optimizer, one_cycle(), ...))"
        )
    try:
        if args.output is not None:
            try:
                result.plot(args.output)
            except ImportError as error:
                raise UsageError(str(error)) from error
            print(f"wrote {args.output}")
        if args.json is not None:
            data = {
                "task": task.name,
                "seed": args.seed,
                "lrs": [float(v) for v in result.lrs],
                "losses": [float(v) for v in result.losses],
                "smoothed": [float(v) for v in result.smoothed],
                "stop_reason": result.stop_reason,
                "skipped": result.skipped,
                "suggestions": {
                    name: {
                        "lr": _number(s.lr),
                        "low": _number(s.low),
                        "high": _number(s.high),
                        "reason": s.reason,
                    }
                    for name, s in result.suggestions.items()
                },
            }
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            print(f"wrote {args.json}")
    except OSError as error:
        raise UsageError(f"cannot write the output: {error}") from error
    return 0
