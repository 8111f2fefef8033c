"""Benchmark of `lrkit lint`: generate 1,000 training scripts of about 300 lines, lint them in-process.

    python bench/lint.py [--files 1000] [--lines 300] [--seed 0] [--repeat 3]

Prints the number of files and lines, the time to lint them all (read, parse, model, every rule)
in each run and the best run, the time Python's own ``ast.parse`` takes on the same files, and
their ratio (the part of the time that is lrkit's). Target: under 10 s for 1,000 files of 300
lines. The scripts are written to a temporary directory and deleted after.
"""

from __future__ import annotations

import argparse
import ast
import random
import tempfile
import time
from pathlib import Path

from lrkit.lint import lint_paths

HEADER = """\
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler
from transformers import get_linear_schedule_with_warmup

EPOCHS_{i} = {epochs}
"""

BLOCKS = [
    """\
class Net{i}(nn.Module):
    def __init__(self, width={width}):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.GELU())
        self.head = nn.Linear(width, 10)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.head(self.drop(self.body(x)))

""",
    """\
def train_epoch_{i}(model, loader, optimizer, scheduler, scaler=None):
    model.train()
    total = 0.0
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        scheduler.step()
        total += loss.item()
        if step % {every} == 0:
            print(f"step {{step}} loss {{loss.item():.4f}} lr {{scheduler.get_last_lr()[0]:.2e}}")
    return total / max(1, len(loader))

""",
    """\
def evaluate_{i}(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)

""",
    """\
def save_{i}(path, model, optimizer, scheduler, epoch):
    state = {{"model": model.state_dict(), "epoch": epoch}}
    state["optimizer"] = optimizer.state_dict()
    state["scheduler"] = scheduler.state_dict()
    torch.save(state, os.path.join(path, "ckpt_{i}.pt"))

""",
    """\
def main_{i}(train_loader, val_loader, out="runs/{i}"):
    model = Net{i}()
    optimizer = torch.optim.AdamW(
        [
            {{"params": model.body[0].parameters(), "lr": {lr}}},
            {{"params": model.head.parameters(), "lr": {lr} * 10}},
        ],
        weight_decay=0.01,
    )
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr={lr} * 10, epochs=EPOCHS_{i}, steps_per_epoch=len(train_loader)
    )
    for epoch in range(EPOCHS_{i}):
        loss = train_epoch_{i}(model, train_loader, optimizer, scheduler)
        acc = evaluate_{i}(model, val_loader)
        print(epoch, loss, acc)
        save_{i}(out, model, optimizer, scheduler, epoch)

""",
    """\
def finetune_{i}(model, loader, accumulation={accum}):
    optimizer = torch.optim.AdamW(model.parameters(), lr={lr})
    total = EPOCHS_{i} * len(loader) // accumulation
    scheduler = get_linear_schedule_with_warmup(optimizer, total // 10, total)
    for epoch in range(EPOCHS_{i}):
        for step, batch in enumerate(loader):
            loss = model(**batch).loss / accumulation
            loss.backward()
            if (step + 1) % accumulation == 0:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
    return model

""",
]


def script(i: int, lines: int, rng: random.Random) -> str:
    """One generated training script of about `lines` lines."""
    parts = [HEADER.format(i=i, epochs=rng.choice([10, 30, 90]))]
    count = parts[0].count("\n")
    k = 0
    while count < lines:
        block = BLOCKS[k % len(BLOCKS)].format(
            i=f"{i}_{k // len(BLOCKS)}",
            width=rng.choice([64, 128, 256]),
            every=rng.choice([50, 100]),
            lr=rng.choice(["1e-3", "3e-4", "5e-5"]),
            accum=rng.choice([2, 4, 8]),
        )
        parts.append(block)
        count += block.count("\n")
        k += 1
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported (default: 3)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        total_lines = 0
        for i in range(args.files):
            text = script(i, args.lines, rng)
            total_lines += text.count("\n")
            (root / f"train_{i:04d}.py").write_text(text)
        lint_times, parse_times = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            findings = lint_paths([root])
            lint_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for path in sorted(root.glob("*.py")):
                ast.parse(path.read_bytes())
            parse_times.append(time.perf_counter() - start)
    lint_seconds, parse_seconds = min(lint_times), min(parse_times)
    print(f"files: {args.files}, lines: {total_lines} ({total_lines / args.files:.0f} per file)")
    print(f"findings: {len(findings)}")
    print(f"lrkit lint, each run: {', '.join(f'{t:.2f}' for t in lint_times)} s")
    per_file = 1000 * lint_seconds / args.files
    print(f"lrkit lint, best: {lint_seconds:.2f} s ({per_file:.2f} ms per file; target < 10 s)")
    print(f"ast.parse alone, best: {parse_seconds:.2f} s; lint / parse = {lint_seconds / parse_seconds:.2f}")


if __name__ == "__main__":
    main()
