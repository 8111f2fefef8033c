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
