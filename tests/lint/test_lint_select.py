"""``# noqa`` comments and ``--select`` / ``--ignore``."""

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.lint import RULES, lint_source, parse_codes, selected_codes

# One file that triggers LR001 (line 7), LR006 (line 8), LR007 (line 9).
SOURCE = textwrap.dedent("""
    import torch
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2)
    for epoch in range(5):
        sched.get_last_lr()
        sched.step(){a}
        sched.step(epoch){b}
        print(sched.get_lr()){c}
        opt.step()
""")


def found(a="", b="", c="", **options):
    return [(f.line, f.code) for f in lint_source(SOURCE.format(a=a, b=b, c=c), "s.py", **options)]


ALL = [(7, "LR001"), (8, "LR001"), (8, "LR006"), (9, "LR007")]


def test_without_comments_every_finding_is_reported():
    assert found() == ALL


def test_noqa_with_a_code_silences_that_code_on_that_line_only():
    assert found(b="  # noqa: LR006") == [(7, "LR001"), (8, "LR001"), (9, "LR007")]
    assert found(a="  # noqa: LR006") == ALL


def test_noqa_lists_and_bare_noqa():
    assert found(b="  # noqa: LR001, LR006") == [(7, "LR001"), (9, "LR007")]
    assert found(b="  # noqa:LR001,LR006") == [(7, "LR001"), (9, "LR007")]
    assert found(c="  # noqa") == [(7, "LR001"), (8, "LR001"), (8, "LR006")]


def test_noqa_for_another_tool_silences_nothing_of_ours():
    assert found(c="  # noqa: E501") == ALL


def test_select_and_ignore_by_code_and_prefix():
    assert found(select=["LR006"]) == [(8, "LR006")]
    assert found(select=["LR00"]) == ALL
    assert found(ignore=["LR001"]) == [(8, "LR006"), (9, "LR007")]
    assert found(select=["LR00"], ignore=["LR007"]) == [(7, "LR001"), (8, "LR001"), (8, "LR006")]


def test_ignoring_lr000_silences_syntax_errors():
    assert lint_source("x = (", ignore=["LR000"]) == []


@given(st.sets(st.sampled_from(sorted(RULES))), st.sets(st.sampled_from(sorted(RULES))))
def test_selected_codes_is_select_minus_ignore(select, ignore):
    chosen = selected_codes(select or None, ignore)
    assert chosen == (set(select) if select else set(RULES)) - set(ignore)


def test_parse_codes_rejects_unknown_codes_with_the_allowed_ones():
    with pytest.raises(
        ValueError, match=r"Argument `select` of lrkit lint must be rule codes.*Received: select='E501'"
    ):
        parse_codes("E501")
    assert parse_codes(" lr001 ,LR01, ") == ("LR001", "LR01")


def test_noqa_lines_are_counted_as_python_counts_them():
    # a form feed is a line break for str.splitlines, not for Python
    source = "x = 1  \f  # a form feed\nsched.step(epoch)  # noqa: LR006\nsched.step(epoch)\n"
    assert [(f.line, f.code) for f in lint_source(source)] == [(3, "LR006")]


@given(st.sets(st.sampled_from(["LR001", "LR006", "LR007", "LR011"])))
def test_noqa_silences_exactly_the_listed_codes_on_its_line(listed):
    comment = f"  # noqa: {', '.join(sorted(listed))}" if listed else ""
    expected = [(line, code) for line, code in ALL if line != 8 or code not in listed]
    assert found(b=comment) == expected
