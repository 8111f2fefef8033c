"""Report formats of `lrkit lint`: ruff/flake8-style text, and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lrkit.lint._rules import Finding

__all__ = ["format_json", "format_text"]


def format_text(findings: Sequence[Finding], *, explain: bool = True) -> str:
    """One ``path:line:col: CODE message`` line per finding, then the consequence and the fix.

    Args:
        findings: what `lrkit.lint.lint_paths` or `lint_source` returned.
        explain: add the consequence, the fix and the docs link under each finding.

    Example:
        >>> from lrkit.lint import lint_source
        >>> found = lint_source("def f(:\\n", "bad.py")
        >>> print(format_text(found, explain=False))
        bad.py:1:7: LR000 syntax error: invalid syntax
        Found 1 problem.
    """
    lines: list[str] = []
    for finding in findings:
        lines.append(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}")
        if explain:
            lines.append(f"    {finding.rule.consequence}")
            lines.append(f"    Fix: {finding.rule.fix} See {finding.rule.url}")
    if findings:
        files = len({finding.path for finding in findings})
        plural = "" if len(findings) == 1 else "s"
        where = f" in {files} files" if files > 1 else ""
        lines.append(f"Found {len(findings)} problem{plural}{where}.")
    return "\n".join(lines)


def format_json(findings: Sequence[Finding]) -> str:
    """A JSON list with one object per finding (path, line, column, code, name, message,
    consequence, fix, url).

    Example:
        >>> import json
        >>> from lrkit.lint import lint_source
        >>> json.loads(format_json(lint_source("def f(:\\n", "bad.py")))[0]["code"]
        'LR000'
    """
    return json.dumps([finding.to_json() for finding in findings], indent=2)
