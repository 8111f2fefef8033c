"""The spec language: round trips, safety, error positions and hints."""

import pytest

from lrkit import SpecError, cosine, parse, warmup


def test_parse_builds_equal_schedules_and_repr_round_trips():
    s = parse("warmup(cosine(end=0.1, exponent=2.0), steps=0.05, shape='cosine')")
    assert s == warmup(cosine(end=0.1, exponent=2.0), steps=0.05, shape="cosine")
    assert parse(repr(s)) == s


def test_lists_tuples_negative_numbers_and_none():
    s = parse("sequence((constant(1.0), linear(1.0, 0.0, None)), [+3])")
    assert s.boundaries == (3,)
    with pytest.raises(SpecError, match="must be"):
        parse("constant(-1.0)")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        "cosine().__class__",
        "(lambda: 1)()",
        "[x for x in ()]",
        "cosine(**{'end': 1})",
        "cosine(*[1])",
        "open('/etc/passwd')",
        "cosine(end=1)[0]",
        "cosine(end=2**8)",
        "f'{1}'",
    ],
)
def test_nothing_is_executed(text, capsys):
    with pytest.raises(SpecError):
        parse(text)
    assert capsys.readouterr().out == ""


def test_unknown_name_gives_position_and_closest_names():
    with pytest.raises(SpecError) as info:
        parse("warmup(cosin(end=0.1), steps=2)")
    assert info.value.column == 8
    assert "did you mean cosine" in str(info.value)


def test_unknown_argument_gives_closest_names():
    with pytest.raises(SpecError, match=r"unknown argument 'ends' for cosine.*did you mean end"):
        parse("cosine(ends=0.1)")


def test_syntax_error_gives_position():
    with pytest.raises(SpecError, match="invalid syntax") as info:
        parse("cosine(end=0.1")
    assert info.value.column is not None


def test_bad_value_is_reported_with_the_argument():
    with pytest.raises(SpecError, match=r"Argument `steps` of cosine\(\).*Received: steps=-1"):
        parse("cosine(steps=-1)")


def test_uncalled_name_and_non_schedule_results():
    with pytest.raises(SpecError, match="is a schedule: call it"):
        parse("cosine")
    with pytest.raises(SpecError, match="must describe a schedule"):
        parse("1.5")
    with pytest.raises(SpecError, match="must describe a schedule"):
        parse("absolute(0.1)")


def test_huge_or_deep_specs_fail_cleanly():
    with pytest.raises(SpecError):
        parse("cosine(" * 5000 + ")" * 5000)
    with pytest.raises(SpecError, match="at most"):
        parse("cosine()" + " " * 30000)


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        parse(3)  # type: ignore[arg-type]
