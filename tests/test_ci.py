"""CI runs what the README says: `.ci/run` ends with the README's test command, line for line."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _commands(text):
    """Shell lines with continuations joined and surrounding whitespace removed."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("this is what `.ci/run` runs", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "no ```sh block after the README's test instructions"
    wanted = _commands(block.group(1))
    assert any("pytest" in line for line in wanted)
    ci = _commands((ROOT / ".ci" / "run").read_text())
    assert ci[-len(wanted) :] == wanted


def test_ci_installs_the_live_oracles():
    """timm (without torchvision), optax (jax's CPU build) and keras (numpy backend): live tests run."""
    readme = (ROOT / "README.md").read_text()
    assert "python -m pip install -c constraints.txt --no-deps timm" in readme
    extra = (ROOT / "pyproject.toml").read_text().split("test = [", 1)[1].split("]\n", 1)[0]
    assert '"optax' in extra
    assert '"keras' in extra
    assert "timm==" in (ROOT / "constraints.txt").read_text()


@pytest.mark.skipif(not os.environ.get("CI"), reason="checks CI's environment (CI is not set)")
def test_in_ci_the_live_oracles_load():
    """In CI a missing oracle fails here instead of turning the live comparisons into skips."""
    # A separate process: loading timm's scheduler package alone replaces `timm` in sys.modules.
    code = (
        "import os, sys, optax, jax; os.environ.setdefault('KERAS_BACKEND', 'numpy'); import keras; "
        "sys.path.insert(0, 'tests/presets/reference'); "
        "from generate import _timm_scheduler_package as load; print(load().CosineLRScheduler.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, "timm, optax/jax or keras missing (README's test command): " + done.stderr
    assert done.stdout.strip() == "CosineLRScheduler"
