"""The corpus: realistic training scripts, each with its expected findings in a sidecar file.

``corpus/<name>.expected`` lists one ``LINE CODE`` per expected finding (empty for a clean
script). The expectations were written with the scripts, from what each script does wrong.
"""

from pathlib import Path

import pytest

from lrkit.lint import RULES, lint_file

CORPUS = Path(__file__).parent / "corpus"
SCRIPTS = sorted(CORPUS.glob("*.py"))


def expected(script: Path) -> list[tuple[int, str]]:
    lines = script.with_suffix(".expected").read_text().splitlines()
    return sorted((int(line.split()[0]), line.split()[1]) for line in lines if line.strip())


def test_the_corpus_is_large_enough():
    clean = [s for s in SCRIPTS if not expected(s)]
    assert len(SCRIPTS) >= 30
    assert len(clean) >= 10
    codes = {code for script in SCRIPTS for _, code in expected(script)}
    assert codes == set(RULES), "every rule appears in the corpus"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_corpus_script_gives_exactly_its_expected_findings(script):
    found = sorted((f.line, f.code) for f in lint_file(script))
    assert found == expected(script)


def test_no_false_positive_on_the_clean_scripts():
    clean = [s for s in SCRIPTS if not expected(s)]
    flagged = {s.name: [f.code for f in lint_file(s)] for s in clean}
    assert {name: codes for name, codes in flagged.items() if codes} == {}
