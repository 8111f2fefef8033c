"""Precision and recall of `lrkit lint` on the real-script corpus, recomputed from a local copy.

    python bench/lint_corpus.py CORPUS_DIR [--table tests/lint/real_corpus.csv]

The corpus itself is third-party code and is not in this repository: `tests/lint/real_corpus.csv`
lists every script (repository, path, commit, split: dev, heldout, heldout2 or heldout3), every
finding lrkit gave on it with the verdict from reading the code, and every schedule-changing
mistake confirmed by reading it (with the rule codes that count as catching it). CORPUS_DIR must
hold each repository at its commit as ``CORPUS_DIR/<owner>+<name>/<path>`` (``git clone`` then
``git checkout <commit>``, or ``git archive``); nothing is fetched here. Each repository directory
is linted as a tree (so cross-file rules see the whole project); findings are counted in the listed
scripts, plus those in other files that point at a confirmed mistake.

Precision = findings judged true / findings judged (LR000, a file that does not parse, is reported
apart: it is not a scheduler finding). Recall = confirmed mistakes with a finding of one of their
codes on one of their lines / confirmed mistakes. A finding with no verdict in the table is
listed and makes the exit status 1 (judge it, then add its row).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import defaultdict
from pathlib import Path

from lrkit.lint import lint_paths

_FIGURES = ("tp", "fp", "mistakes", "caught", "lr000")


def _lines(text: str, script: str) -> set[tuple[str, int]]:
    found = set()
    for part in text.split(";"):
        path, _, line = part.rpartition(":")
        found.add((path or script, int(line)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument(
        "--table", type=Path, default=Path(__file__).parents[1] / "tests/lint/real_corpus.csv"
    )
    args = parser.parse_args(argv)
    rows = list(csv.DictReader(args.table.open()))
    sources = {r["id"]: r for r in rows if r["kind"] == "source"}
    verdicts = {(r["id"], r["line"], r["code"]): r["verdict"] for r in rows if r["kind"] == "finding"}
    mistakes = [r for r in rows if r["kind"] == "mistake"]
    missing = [
        r["repo"] for r in sources.values() if not (args.corpus / r["repo"].replace("/", "+")).is_dir()
    ]
    if missing:
        print(f"missing from {args.corpus}: {sorted(set(missing))}", file=sys.stderr)
        return 2
    # (id, file relative to the repository) -> findings
    found: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    by_repo: dict[str, list[dict[str, str]]] = defaultdict(list)
    for source in sources.values():
        by_repo[source["repo"]].append(source)
    for repo, scripts in by_repo.items():
        root = args.corpus / repo.replace("/", "+")
        for finding in lint_paths([root], on_error=lambda error: None):
            relative = os.path.relpath(finding.path, root)
            for script in scripts:
                found[script["id"]].append((relative, finding.line, finding.code))
    unjudged = []
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for ident, source in sources.items():
        split = source["split"]
        mistake_lines = {
            (path, line)
            for m in mistakes
            if m["id"] == ident
            for path, line in _lines(m["line"], source["path"])
        }
        for path, line, code in sorted(set(found[ident])):
            in_script = path == source["path"]
            key = (ident, str(line) if in_script else f"{path}:{line}", code)
            if not in_script and (path, line) not in mistake_lines:
                continue  # another file of the project, not a listed script
            if code == "LR000":
                figures[split]["lr000"] += 1
                continue
            verdict = verdicts.get(key)
            if verdict is None:
                unjudged.append(f"{source['repo']}/{path}:{line}: {code} (id {ident})")
                continue
            figures[split]["tp" if verdict == "TP" else "fp"] += 1
        for m in (m for m in mistakes if m["id"] == ident):
            lines = _lines(m["line"], source["path"])
            codes = set(m["code"].split(";"))
            caught = any((p, n) in lines and c in codes for p, n, c in found[ident])
            figures[split]["mistakes"] += 1
            figures[split]["caught"] += caught
            if not caught:
                print(f"missed [{split}] id {ident} {source['repo']}/{source['path']}: {m['verdict']}")
    print(
        f"{'split':8} {'scripts':>7} {'findings':>8} {'true':>5} {'false':>5} {'precision':>9} "
        f"{'mistakes':>8} {'caught':>6} {'recall':>6} {'LR000':>5}"
    )
    splits = sorted({s["split"] for s in sources.values()}, key=lambda name: (name != "dev", name))
    for split in [*splits, "all"]:
        f = (
            figures[split]
            if split != "all"
            else {k: sum(figures[name][k] for name in splits) for k in _FIGURES}
        )
        scripts = sum(1 for s in sources.values() if split in ("all", s["split"]))
        judged = f["tp"] + f["fp"]
        precision = f"{f['tp'] / judged:.0%}" if judged else "-"
        recall = f"{f['caught'] / f['mistakes']:.0%}" if f["mistakes"] else "-"
        print(
            f"{split:8} {scripts:7d} {judged:8d} {f['tp']:5d} {f['fp']:5d} {precision:>9} "
            f"{f['mistakes']:8d} {f['caught']:6d} {recall:>6} {f['lr000']:5d}"
        )
    for line in unjudged:
        print(f"unjudged: {line}")
    return 1 if unjudged else 0


if __name__ == "__main__":
    sys.exit(main())
