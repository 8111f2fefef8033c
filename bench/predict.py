"""Benchmark: does a loss law fitted on constant + cosine predict held-out schedules' final loss?

Races 7 schedules with ``lrkit compare`` (the same seeds, so the same initial weights and batches
for every schedule): constant and cosine (the fit set) and five held-out schedules (warmup +
cosine, WSD with 10 % and 20 % decay, step decay, one-cycle). Then, for each law (the annealing
law of Tissue et al. 2024 with its momentum factor fitted, and the multi-power law of Luo et al.
2025), it fits the law on the constant and cosine runs' validation-loss curves (every seed) and
predicts each held-out schedule's final validation loss from the rates it used. Reported per
schedule: the measured mean over seeds (with its standard error), the prediction with its 95 %
bootstrap interval, and the relative error; overall: the mean and max |error|, and the pairs of
held-out schedules whose predicted order matches the measured order.

Targets (issue 17): |error| <= 1.5 % and >= 80 % of the pairs ranked right. The measured mean
itself is uncertain (its standard error is printed next to it): an error smaller than that
cannot be told from noise.

With ``--design``: `lrkit.predict.design` searches the warmup-stable-decay family under the
annealing law fitted on constant + cosine; the best spec is then run for real with the same seeds
and compared, seed by seed (paired), with the best of the raced schedules: the mean difference of
the final validation loss and its 95 % t interval.

    python bench/predict.py --task charlm --out bench-predict-charlm --design   # ~10 min on 2 cores
    python bench/predict.py --task digits --out bench-predict-digits            # ~1 min
    python bench/predict.py --results DIR     # reuse a race's results.json (the same 7 labels)
    python bench/predict.py --results DIR --skip 0.2   # fit without the first 20 % of each run
    python bench/predict.py --results DIR --skip auto  # skip chosen from the fitted runs (choose_skip)
    python bench/predict.py --task charlm --seeds 5 --first-seed 3 --out FRESH   # seeds 3-7 only
    python bench/predict.py --results DIR1 DIR2        # pool two races of other seeds
    python bench/predict.py --results DIR --design --design-seeds 5 --runs FRESH
        # design on DIR's runs; compare on seeds 0-4, reusing any run found, training the rest
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

#: The protocol of issue 17, literally: no warmup in the fit set.
SPECS = {
    "constant": "constant()",
    "cosine": "cosine()",
    "warmup+cosine": "warmup(cosine(), steps=0.1)",
    "wsd10": "wsd(warmup=0, decay=0.1)",
    "wsd20": "wsd(warmup=0, decay=0.2)",
    "step": "step_decay(every=0.3, gamma=0.1)",
    "one-cycle": "one_cycle()",
}
#: The papers' protocol: every run starts with the same short warmup (both laws model the
#: annealing after a warmup, not the warmup itself); the held-out warmup+cosine has a longer one.
SPECS_WARMUP = {
    "constant": "warmup(constant(), steps=0.05)",
    "cosine": "warmup(cosine(), steps=0.05)",
    "warmup+cosine": "warmup(cosine(), steps=0.1)",
    "wsd10": "wsd(warmup=0.05, decay=0.1)",
    "wsd20": "wsd(warmup=0.05, decay=0.2)",
    "step": "warmup(step_decay(every=0.3, gamma=0.1), steps=0.05)",
    "one-cycle": "one_cycle()",
}
FIT_ON = ("constant", "cosine")


def race(
    task: str,
    seeds: int,
    jobs: int | None,
    out: Path,
    specs: dict[str, str],
    lr: float | None,
    first_seed: int = 0,
) -> dict[str, Any]:
    """Race `specs` on seeds ``first_seed .. first_seed + seeds - 1``; return its results.json data.

    From seed 0 this is `lrkit.compare.compare`. From another seed (fresh seeds, to validate on
    runs that were not looked at) each run is made with `lrkit.compare.run_one`, which trains
    exactly as `compare` does (the task loaded with the run's seed, one torch thread), one after
    the other, and the results are written in compare's format.
    """
    start = time.perf_counter()
    if first_seed == 0:
        from lrkit.compare import compare

        kwargs: dict[str, Any] = {"task": task, "seeds": seeds, "out": out, "lr": lr}
        if jobs is not None:
            kwargs["jobs"] = jobs
        compare(specs, **kwargs)
    else:
        run_seeds(task, range(first_seed, first_seed + seeds), out, specs, lr)
    print(f"race: {len(specs)} schedules x {seeds} seeds in {time.perf_counter() - start:.0f} s -> {out}")
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    return data


def run_seeds(task: str, seeds: Any, out: Path, specs: dict[str, str], lr: float | None) -> dict[str, Any]:
    """Run every spec on the given seeds with `lrkit.compare.run_one`; write compare's results.json."""
    import torch

    from lrkit import __version__
    from lrkit.compare import Comparison, Entry
    from lrkit.compare._runner import run_one
    from lrkit.tasks import load_task

    seeds = list(seeds)
    first = load_task(task, seed=seeds[0])
    optimizer = first.make_optimizer()
    if lr is not None:
        from lrkit.compare._train import set_base_lr

        set_base_lr(optimizer, float(lr))
    start = time.perf_counter()
    comparison = None
    for label, spec in specs.items():
        entry = Entry(label=label, spec=spec)
        for seed in seeds:
            result, spe = run_one(spec, seed=seed, task=task, lr=lr)
            entry.runs.append(result)
            if comparison is None:
                comparison = Comparison(
                    task=task,
                    epochs=len(result.val_loss),
                    seeds=seeds,
                    target=None,
                    steps_per_epoch=spe,
                    base_lrs=[float(group["lr"]) for group in optimizer.param_groups],
                    lr_source="task" if lr is None else "given",
                    versions={"lrkit": __version__, "torch": torch.__version__},
                )
            if entry not in comparison.entries:
                comparison.entries.append(entry)
            comparison.seconds = time.perf_counter() - start
            comparison.write(out)
            print(f"  {label} seed {seed}: {result.val_loss[-1]:.4f} ({result.seconds:.0f} s)", flush=True)
    assert comparison is not None
    comparison.status = "complete"
    comparison.write(out)
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    return data


def merge(datas: list[dict[str, Any]]) -> dict[str, Any]:
    """One race from several (the same task, length and rates; other seeds): runs pooled by label.

    A label's spec must be the same in every race; a seed met twice for a label is refused.
    """
    merged = json.loads(json.dumps(datas[0]))
    by_label = {entry["label"]: entry for entry in merged["schedules"]}
    for data in datas[1:]:
        for key in ("task", "steps_per_epoch", "total_updates", "base_lrs"):
            if data[key] != merged[key]:
                raise SystemExit(f"cannot merge races with different {key}: {data[key]!r} != {merged[key]!r}")
        for entry in data["schedules"]:
            mine = by_label.get(entry["label"])
            if mine is None:
                merged["schedules"].append(entry)
                by_label[entry["label"]] = entry
                continue
            if mine["spec"] != entry["spec"]:
                raise SystemExit(f"{entry['label']}: different specs {mine['spec']!r} and {entry['spec']!r}")
            seen = {run["seed"] for run in mine["runs"]}
            for run in entry["runs"]:
                if run["seed"] in seen:
                    raise SystemExit(f"{entry['label']}: seed {run['seed']} is in two races")
                mine["runs"].append(run)
            mine["runs"].sort(key=lambda run: run["seed"])
        merged["seeds"] = sorted(set(merged["seeds"]) | set(data["seeds"]))
    return merged


def finals(data: dict[str, Any]) -> dict[str, dict[int, float]]:
    """label -> seed -> final validation loss (runs that finished)."""
    out: dict[str, dict[int, float]] = {}
    for entry in data["schedules"]:
        out[entry["label"]] = {
            run["seed"]: run["val_loss"][-1]
            for run in entry["runs"]
            if run["val_loss"] and run["val_loss"][-1] is not None and not run.get("diverged")
        }
    return out


def validate(data: dict[str, Any], law: str, resamples: int, skip: float | str = 0.0) -> dict[str, Any]:
    from lrkit.predict import fit, from_comparison

    curves = from_comparison(data)
    start = time.perf_counter()
    train = [c for c in curves if c.label in FIT_ON]
    fitted = fit(train, law=law, decay=None, resamples=resamples, skip=skip)
    seconds = time.perf_counter() - start
    measured = finals(data)
    rows = []
    for label in dict.fromkeys(c.label for c in curves):
        first = next(c for c in curves if c.label == label)
        prediction = fitted.predict(first.rates, steps=[first.rates.size], label=label)
        values = list(measured[label].values())
        mean = float(np.mean(values))
        sem = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
        rows.append(
            {
                "label": label,
                "held_out": label not in FIT_ON,
                "measured": mean,
                "sem": sem,
                "predicted": prediction.final,
                "interval": prediction.final_interval,
                "error": (prediction.final - mean) / mean,
                "warning": prediction.warning,
            }
        )
    held = [row for row in rows if row["held_out"]]
    same = [row for row in held if row["warning"] is None]
    errors = [abs(row["error"]) for row in held]
    return {
        "law": law,
        "fit": fitted,
        "seconds": seconds,
        "rows": rows,
        "mean_error": float(np.mean(errors)),
        "max_error": float(np.max(errors)),
        "pairs": _pairs(held),
        "same_warmup": (
            len(same),
            float(np.mean([abs(row["error"]) for row in same])) if same else float("nan"),
            _pairs(same),
        ),
    }


def _pairs(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Pairs of rows whose predicted order matches the measured order."""
    right = total = 0
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            total += 1
            right += (a["predicted"] < b["predicted"]) == (a["measured"] < b["measured"])
    return right, total


def show(result: dict[str, Any]) -> None:
    print(f"\n## {result['law']} law, fitted on {' + '.join(FIT_ON)} ({result['seconds']:.1f} s)")
    print(result["fit"].summary())
    print("\n| schedule | role | measured (mean ± s.e.) | predicted [95 % interval] | error |")
    print("|---|---|---|---|---|")
    for row in result["rows"]:
        interval = row["interval"]
        shown = "" if interval is None else f" [{interval[0]:.4f}, {interval[1]:.4f}]"
        role = ("held out" if row["held_out"] else "fitted") + (" !" if row["warning"] else "")
        print(
            f"| {row['label']} | {role} | {row['measured']:.4f} ± {row['sem']:.4f} | "
            f"{row['predicted']:.4f}{shown} | {100 * row['error']:+.2f} % |"
        )
    right, total = result["pairs"]
    print(
        f"\nheld out: mean |error| {100 * result['mean_error']:.2f} %, max {100 * result['max_error']:.2f} % "
        f"(target <= 1.5 %); pairs ranked right {right}/{total} = {100 * right / total:.0f} % "
        "(target >= 80 %)"
    )
    count, error, (good, pairs) = result["same_warmup"]
    if count < len([row for row in result["rows"] if row["held_out"]]):
        shown = f"; pairs ranked right {good}/{pairs}" if pairs else ""
        print(
            f"held out with a warmup of the fit set ({count}): mean |error| {100 * error:.2f} %{shown}; "
            "! = a warmup none of the fitted runs had (the laws do not model it)"
        )


def paired(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, float, int]:
    """Mean of a - b over shared seeds and its 95 % t interval."""
    from scipy import stats

    seeds = sorted(set(a) & set(b))
    diff = np.array([a[s] - b[s] for s in seeds])
    mean = float(diff.mean())
    half = float(stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff)))
    return mean, mean - half, mean + half, len(diff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="charlm")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--out", default="bench-predict")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="race seeds FIRST_SEED .. FIRST_SEED + SEEDS - 1 (fresh seeds for a validation; default 0)",
    )
    parser.add_argument(
        "--results",
        nargs="+",
        help="reuse these races (folders with results.json; several are pooled by label and seed)",
    )
    parser.add_argument("--resamples", type=int, default=100)
    parser.add_argument("--design", action="store_true", help="design a schedule and run it for real")
    parser.add_argument(
        "--design-seeds",
        type=int,
        help="with --design: compare on seeds 0 .. N-1 (default: the race's), running only the "
        "designed and reference runs not found in the race, its design* folders or --runs",
    )
    parser.add_argument("--runs", nargs="+", help="with --design: more races whose runs may be reused")
    parser.add_argument(
        "--protocol",
        choices=("literal", "warmup"),
        default="literal",
        help="literal: no warmup in the fit set; warmup: a 5%% warmup in every run",
    )
    parser.add_argument("--lr", type=float, help="the peak rate (default: the task's)")
    parser.add_argument(
        "--law",
        action="append",
        choices=("annealing", "multi-power"),
        help="validate this law only (repeatable)",
    )
    parser.add_argument(
        "--skip",
        type=lambda text: text if text == "auto" else float(text),
        default=0.0,
        help="leave out the first SKIP fraction of each fitted run (lrkit.predict.fit's skip; default 0); "
        "auto: lrkit.predict.choose_skip (the pre-registered rule of docs/predict.md)",
    )
    args = parser.parse_args()

    if args.results:
        data = merge([json.loads((Path(folder) / "results.json").read_text()) for folder in args.results])
    else:
        specs = SPECS if args.protocol == "literal" else SPECS_WARMUP
        data = race(args.task, args.seeds, args.jobs, Path(args.out), specs, args.lr, args.first_seed)
    print(
        f"task {data['task']}: {data['total_updates']} updates, validation loss after every "
        f"{data['steps_per_epoch']} updates, seeds {data['seeds']}"
    )
    for law in args.law or ("annealing", "multi-power"):
        show(validate(data, law, args.resamples, args.skip))

    if args.design:
        from lrkit.predict import design, fit, from_comparison

        curves = from_comparison(data)
        law = fit([c for c in curves if c.label in FIT_ON], decay=None, resamples=args.resamples)
        measured = finals(data)
        best_label = min(measured, key=lambda label: float(np.mean(list(measured[label].values()))))
        best_spec = next(e["spec"] for e in data["schedules"] if e["label"] == best_label)
        found = design(law, reference=best_spec)
        print(f"\n## lrkit design (annealing law fitted on {' + '.join(FIT_ON)})\n")
        print(found.table(5))
        base = Path(args.out if not args.results else args.results[0])
        lr = data["base_lrs"][0] if data.get("lr_source") != "task" else None
        seeds = list(range(args.design_seeds)) if args.design_seeds else list(data["seeds"])
        pool = [data] + [
            json.loads((folder / "results.json").read_text())
            for folder in [base / "design", *sorted(base.glob("design-*")), *map(Path, args.runs or [])]
            if (folder / "results.json").exists()
        ]
        designed = seed_runs(pool, found.best.spec, seeds, "designed", base, data["task"], lr)
        reference = seed_runs(pool, best_spec, seeds, best_label, base, data["task"], lr)
        mean, low, high, n = paired(designed, reference)
        print(
            f"\ndesigned {found.best.spec}: final val loss {np.mean(list(designed.values())):.4f} "
            f"(predicted {found.best.final:.4f}); best hand-written {best_label} ({best_spec}), "
            f"chosen on seeds {data['seeds']}: {np.mean(list(reference.values())):.4f}"
        )
        for seed in seeds:
            print(
                f"  seed {seed}: designed {designed[seed]:.4f}, {best_label} {reference[seed]:.4f}, "
                f"difference {designed[seed] - reference[seed]:+.4f}"
            )
        print(
            f"designed - {best_label}: {mean:+.4f} [95 % t interval {low:+.4f}, {high:+.4f}] "
            f"over {n} paired seeds"
        )
        others = {}
        for entry in data["schedules"]:
            values = [finals_of(pool, entry["spec"]).get(seed) for seed in seeds]
            if all(value is not None for value in values):
                others[entry["label"]] = float(np.mean(values))
        if others:
            shown = ", ".join(
                f"{label} {value:.4f}" for label, value in sorted(others.items(), key=lambda kv: kv[1])
            )
            print(f"hand-written schedules over seeds {seeds}: {shown}")


def finals_of(pool: list[dict[str, Any]], spec: str) -> dict[int, float]:
    """seed -> final validation loss of the runs of `spec` in any race of the pool."""
    out: dict[int, float] = {}
    for data in pool:
        for entry in data["schedules"]:
            if entry["spec"] == spec:
                for run in entry["runs"]:
                    if run["val_loss"] and run["val_loss"][-1] is not None and not run.get("diverged"):
                        out.setdefault(run["seed"], run["val_loss"][-1])
    return out


def seed_runs(
    pool: list[dict[str, Any]],
    spec: str,
    seeds: list[int],
    label: str,
    base: Path,
    task: str,
    lr: float | None,
) -> dict[int, float]:
    """The final validation loss of `spec` for each seed: reused from the pool, else run (and saved)."""
    have = finals_of(pool, spec)
    missing = [seed for seed in seeds if seed not in have]
    if missing:
        out = base / f"design-{label}-seeds-{'-'.join(map(str, missing))}"
        run = run_seeds(task, missing, out, {label: spec}, lr)
        pool.append(run)
        have = finals_of(pool, spec)
    return {seed: have[seed] for seed in seeds}


if __name__ == "__main__":
    main()
