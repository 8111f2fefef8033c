"""A synthetic race (no training): curves written by hand, for the result and report tests."""

import math

import pytest

from lrkit.compare import Comparison, Entry, RunResult


def synthetic(epochs=4, spe=5, seeds=(0, 1), labels=("fast", "slow")):
    """Accuracies rising towards 1 at a per-schedule speed; lr a cosine; loss = 1 - accuracy."""
    comparison = Comparison(
        task="synthetic", epochs=epochs, seeds=list(seeds), target=0.9, steps_per_epoch=spe, base_lrs=[0.1]
    )
    total = epochs * spe
    for k, label in enumerate(labels):
        entry = Entry(label=label, spec=f"cosine(end={0.01 * (k + 1)})")
        for seed in seeds:
            speed = 1.0 / (k + 1) + 0.05 * seed
            run = RunResult(seed=seed, seconds=1.0 + seed)
            run.lr = [[0.1 * (1 + math.cos(math.pi * i / total)) / 2] for i in range(total)]
            run.train_loss = [math.exp(-speed * i / spe) for i in range(total)]
            run.val_accuracy = [1 - math.exp(-speed * (e + 1)) for e in range(epochs)]
            run.val_loss = [1 - a for a in run.val_accuracy]
            entry.runs.append(run)
        comparison.entries.append(entry)
    comparison.status = "complete"
    return comparison


@pytest.fixture
def race():
    return synthetic()
