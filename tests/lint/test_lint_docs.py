"""The rule docs and the pre-commit hook: every rule has its section, every link its anchor."""

import re
import shlex
from pathlib import Path

from lrkit.cli import main
from lrkit.lint import RULES

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "lint.md").read_text()


def test_every_rule_has_an_anchored_section_and_links_to_it():
    anchors = set(re.findall(r'<a id="([^"]+)"></a>\n## (LR\d{3})', DOCS))
    assert {(code.lower(), code) for code in RULES} <= anchors
    for rule in RULES.values():
        assert rule.url.endswith(f"docs/lint.md#{rule.code.lower()}")
        assert len(rule.consequence) < 240, "one or two lines"
        assert len(rule.fix) < 240, "one or two lines"


def test_the_pre_commit_hook_runs_lrkit_lint_on_python_files(tmp_path, capsys):
    # read without a YAML library (not a test dependency): one hook, one `key: value` per line
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hook = dict(re.findall(r"^-? *(\w+): (.+)$", text, re.MULTILINE))
    assert hook["id"] == "lrkit-lint"
    assert hook["types"] == "[python]"
    program, *arguments = shlex.split(hook["entry"])
    assert program == "lrkit"
    script = tmp_path / "train.py"
    script.write_text("import torch\nopt.load_state_dict(s)\nsch = torch.optim.lr_scheduler.StepLR(opt, 2)\n")
    # pre-commit appends the staged file names to the entry
    assert main([*arguments, str(script)]) == 1
    assert "LR008" in capsys.readouterr().out


def test_the_example_at_the_top_of_the_docs_prints_what_the_docs_show(tmp_path, capsys, monkeypatch):
    script = re.search(r"```python\n# train.py\n(.*?)```", DOCS, re.DOTALL).group(1)
    shown = re.search(r"```console\n\$ lrkit lint train.py\n(.*?)```", DOCS, re.DOTALL).group(1)
    (tmp_path / "train.py").write_text(script)
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "train.py"]) == 1
    assert capsys.readouterr().out == shown
