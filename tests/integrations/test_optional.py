"""Optional dependencies stay optional: installing or importing lrkit does not need the trainers."""

import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
OPTIONAL = ("lightning", "pytorch_lightning", "transformers", "accelerate", "tensorboard")


def test_install_requires_none_of_them():
    def name(requirement):
        for sep in "<>=![; ":
            requirement = requirement.split(sep)[0]
        return requirement.strip().lower()

    names = {name(d) for d in PYPROJECT["project"]["dependencies"]}
    assert "torch" in names
    assert not names & set(OPTIONAL)
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in ("lightning", "accelerate", "transformers", "tensorboard"):
        assert extra in extras


def test_importing_lrkit_and_its_torch_side_imports_none_of_them():
    code = (
        "import sys, lrkit, lrkit.distributed, lrkit.integrations, lrkit.integrations.loggers\n"
        "lrkit.Scheduler\n"
        f"print([m for m in {OPTIONAL!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
