"""Wall time of the default `lrkit compare` race: sequential (--jobs 1) vs --jobs 2, and the budget.

Runs the whole command line (Python start-up, imports, every run, the report) as a subprocess,
first with ``--jobs 1`` then with ``--jobs 2`` (``--repeat N`` times each, alternating, keeping the
best of each), in the same invocation, and prints:

* the wall time of each (whole command) and the race's own time (``seconds`` in results.json),
* the ratio sequential / jobs 2,
* whether the per-run results of the two are identical (they must be: same seeds, same batches),
* whether the default command (``lrkit compare``: --jobs 2 on 2 cores, the CLI's default there)
  stays under the 150 s budget of issue 16,
* the load average before and after (on a shared machine the figures are not comparable).

    python bench/compare_parallel.py                  # the default race: 5 schedules x 5 seeds
    python bench/compare_parallel.py --repeat 2
    python bench/compare_parallel.py --task digits --epochs 1 --seeds 1   # a quick check it works
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BUDGET = 150.0  # seconds: "the default race under 2.5 minutes on 2 cores"


def race(jobs: int, extra: list[str]) -> tuple[float, dict[str, Any]]:
    """The wall time of one whole ``lrkit compare`` command, and its results.json."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lrkit", "compare", "--jobs", str(jobs), "--out", out, "--no-progress",
             *extra],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        return seconds, json.loads(Path(out, "results.json").read_text())


def per_run(data: dict[str, Any]) -> list[Any]:
    """Every run's curves (not its timing), in race order."""
    keys = ("seed", "lr", "train_loss", "val_loss", "val_accuracy")
    return [[[run[key] for key in keys] for run in s["runs"]] for s in data["schedules"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each setting; the best is kept")
    parser.add_argument("--seeds", type=int, default=None, help="default: the race's (5)")
    parser.add_argument("--epochs", type=int, default=None, help="default: the task's")
    parser.add_argument("--task", default=None, help="default: the default race's task (charlm)")
    args = parser.parse_args()
    extra: list[str] = []
    for option in ("seeds", "epochs", "task"):
        value = getattr(args, option)
        if value is not None:
            extra += [f"--{option}", str(value)]
    import torch

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"cores available: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()}"
    )
    print(f"command: lrkit compare {' '.join(extra)} --jobs 1|2 --out TMP --no-progress")
    walls: dict[int, list[float]] = {1: [], 2: []}
    races: dict[int, list[float]] = {1: [], 2: []}
    results: dict[int, Any] = {}
    for _ in range(args.repeat):
        for jobs in (1, 2):
            seconds, data = race(jobs, extra)
            walls[jobs].append(seconds)
            races[jobs].append(data["seconds"])
            results[jobs] = per_run(data)
            print(f"  --jobs {jobs}: whole command {seconds:.1f} s, race {data['seconds']:.1f} s", flush=True)
    sequential, parallel = min(walls[1]), min(walls[2])
    print(f"best of {args.repeat}: --jobs 1 {sequential:.1f} s, --jobs 2 {parallel:.1f} s (whole command)")
    ratio = min(races[1]) / min(races[2])
    print(f"ratio sequential / jobs 2: {sequential / parallel:.2f}x (race only: {ratio:.2f}x)")
    print(f"per-run results identical: {results[1] == results[2]}")
    if not extra:
        print(f"default race (--jobs 2) under the {BUDGET:.0f} s budget: {parallel < BUDGET}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
