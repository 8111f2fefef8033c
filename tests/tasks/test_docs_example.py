"""The user-task example of docs/compare.md runs as written: load_task and a one-epoch race."""

import re
from pathlib import Path

import torch

from lrkit.compare import compare
from lrkit.tasks import load_task

DOC = Path(__file__).resolve().parents[2] / "docs" / "compare.md"


def example_module(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    source = next(block for block in blocks if block.startswith("# mytasks.py"))
    path = tmp_path / "mytasks.py"
    path.write_text(source)
    return path


def test_the_documented_user_task_loads_and_races(tmp_path):
    path = example_module(tmp_path)
    task = load_task(f"{path}:wine", seed=1)
    assert isinstance(task.make_optimizer(), torch.optim.AdamW)
    result = compare(["constant()", "cosine()"], task=f"{path}:wine", epochs=2, seeds=1)
    assert result.base_lrs == [3e-3]
    assert result.steps_per_epoch == -(-124 // 16)  # 178 wines, 30 % held out: 124 to train on
    for entry in result.entries:
        assert entry.runs[0].val_accuracy[-1] > 1 / 3  # better than chance on 3 classes


def test_the_documented_training_step_example_races(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    source = next(block for block in blocks if block.startswith("# mytransformer.py"))
    path = tmp_path / "mytransformer.py"
    path.write_text(source)
    task = load_task(f"{path}:tiny_lm", seed=0)
    assert (task.accumulate, task.autocast, task.clip, task.epochs) == (2, torch.bfloat16, 1.0, 5)
    result = compare(["cosine()"], task=f"{path}:tiny_lm", epochs=1, seeds=1)
    assert result.steps_per_epoch == 10  # 20 batches, 2 per update
    assert result.entries[0].runs[0].val_loss[0] < 4.0
    hooked = compare(["cosine()"], task=f"{path}:custom_step", epochs=1, seeds=1)
    assert len(hooked.entries[0].runs[0].lr) == 10
