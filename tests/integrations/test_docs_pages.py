"""docs/distributed.md and docs/integrations/*.md: every python block runs as a script; its asserts hold."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distributed"))
from dist_helpers import free_port

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [
    "distributed.md",
    "integrations/lightning.md",
    "integrations/transformers.md",
    "integrations/accelerate.md",
    "integrations/loggers.md",
]
NEEDS = {"lightning.md": "lightning", "transformers.md": "transformers", "accelerate.md": "accelerate"}


def blocks():
    for page in PAGES:
        text = (DOCS / page).read_text(encoding="utf-8")
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", text, flags=re.S)):
            yield pytest.param(page, block, id=f"{page}-{i}")


@pytest.mark.parametrize(("page", "block"), list(blocks()))
def test_block_runs(page, block, tmp_path):
    module = NEEDS.get(Path(page).name)
    if module is not None:
        pytest.importorskip(module)
    script = tmp_path / "example.py"
    # The DDP example's fixed rendezvous port, replaced by a free one.
    script.write_text(block.replace("29517", str(free_port())), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_every_page_has_a_runnable_example():
    found = {p.values[0] for p in blocks()}
    assert found == set(PAGES)
