"""Wall time of the default `lrkit compare` race: sequential (--jobs 1) vs --jobs 2, and the budget.

Runs the whole command line (Python start-up, imports, every run, the report) as a subprocess,
each twice unless --repeat says otherwise, and prints the best wall time of each, the ratio
sequential / jobs 2, the load average before and after (the machine may be shared), and whether
the default race (--jobs 2 on 2 cores, the CLI's default there) stays under 150 s.

    python bench/compare_parallel.py [--repeat N] [--seeds K]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def wall(jobs: int, seeds: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lrkit", "compare", "--jobs", str(jobs), "--seeds", str(seeds),
             "--out", out, "--no-progress"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}; cores available: {len(os.sched_getaffinity(0))}")
    sequential = min(wall(1, args.seeds) for _ in range(args.repeat))
    parallel = min(wall(2, args.seeds) for _ in range(args.repeat))
    print(f"default race ({args.seeds} seeds), whole command:")
    print(f"  --jobs 1 {sequential:.1f} s, --jobs 2 {parallel:.1f} s")
    print(f"ratio sequential / jobs 2: {sequential / parallel:.2f}x")
    print(f"--jobs 2 under the 150 s budget: {parallel < 150.0}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
