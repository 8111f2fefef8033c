# ruff: noqa: E501  (pasted calls read best one per line)
"""The spec language: round trips, safety, error positions and hints."""

import re

import pytest

from lrkit import SpecError, constant, cosine, parse, warmup


def test_parse_builds_equal_schedules_and_repr_round_trips():
    s = parse("warmup(cosine(end=0.1, exponent=2.0), steps=0.05, shape='cosine')")
    assert s == warmup(cosine(end=0.1, exponent=2.0), steps=0.05, shape="cosine")
    assert parse(repr(s)) == s


def test_lists_tuples_negative_numbers_and_none():
    s = parse("sequence((constant(1.0), linear(1.0, 0.0, None)), [+3])")
    assert s.boundaries == (3,)
    assert parse("constant(-1.0)") == constant(-1.0)  # a signed value, as optax's
    with pytest.raises(SpecError, match="must be"):
        parse("step_decay(5, gamma=-1.0)")


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


# -- calls as they appear in training code (issue 13) ------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "plain"),
    [
        ("torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)", "StepLR(step_size=5, gamma=0.5)"),
        ("optim.lr_scheduler.StepLR(opt, 5, 0.5, last_epoch=-1)", "StepLR(5, 0.5)"),
        ("lr_scheduler.StepLR(self.optimizer, 5)", "StepLR(5)"),
        ("transformers.optimization.get_linear_schedule_with_warmup(opt, 2, 10)", "transformers.linear(2, 10)"),
        ("get_cosine_schedule_with_warmup(opt, 2, 10)", "transformers.cosine(2, 10)"),
        ("transformers.get_scheduler('linear', optimizer, 2, 10)", "transformers.linear(2, 10)"),
        ("get_scheduler(SchedulerType.LINEAR, optimizer, num_warmup_steps=2, num_training_steps=10)",
         "transformers.linear(2, 10)"),
        ("timm.scheduler.CosineLRScheduler(optimizer, t_initial=10, initialize=True)", "timm.CosineLRScheduler(10)"),
        ("timm.scheduler.cosine_lr.CosineLRScheduler(optimizer, 10)", "timm.CosineLRScheduler(10)"),
        ("CosineLRScheduler(optimizer, 10, t_in_epochs=False)", "timm.CosineLRScheduler(10)"),
        ("optax.schedules.cosine_decay_schedule(1.0, 100)", "optax.cosine_decay_schedule(1.0, 100)"),
        ("warmup_cosine_decay_schedule(0.0, 1.0, 10, 100)", "optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100)"),
        ("keras.optimizers.schedules.CosineDecay(1.0, 100, name='cos')", "keras.CosineDecay(1.0, 100)"),
        ("tf.keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5)", "keras.ExponentialDecay(1.0, 10, 0.5)"),
        ("fvcore.common.param_scheduler.CosineParamScheduler(1.0, 0.0)", "fvcore.CosineParamScheduler(1.0, 0.0)"),
        ("detectron2.solver.WarmupParamScheduler(CosineParamScheduler(1.0, 0.0), 0.1, 0.1)",
         "detectron2.WarmupParamScheduler(fvcore.CosineParamScheduler(1.0, 0.0), 0.1, 0.1)"),
    ],
)  # fmt: skip
def test_calls_as_written_in_code(pasted, plain):
    assert parse(pasted) == parse(plain)


def test_unknown_module_path_and_optimizer_where_none_is_taken_are_refused():
    with pytest.raises(SpecError, match=r"unknown schedule 'numpy\.cos'"):
        parse("numpy.cos(1.0)")
    with pytest.raises(SpecError, match="unknown schedule 'opt'"):  # optax takes no optimizer
        parse("optax.cosine_decay_schedule(opt, 100)")
    with pytest.raises(SpecError, match="unknown schedule 'opt2'"):  # only one optimizer, first
        parse("StepLR(opt, opt2)")


def test_closest_names_include_prefixed_presets():
    with pytest.raises(SpecError, match=r"did you mean .*transformers\.get_cosine_schedule_with_warmup"):
        parse("get_cosine_schedule_with_warmupp(opt, 1, 2)")


def test_duplicate_keyword_is_an_error_with_its_column():
    with pytest.raises(SpecError, match="keyword argument 'start' is given twice") as info:
        parse("cosine(start=1, start=2)")
    assert info.value.column == 17
    with pytest.raises(SpecError, match="given twice"):
        parse("StepLR(optimizer=a, step_size=2, optimizer=b)")
    with pytest.raises(SpecError, match="the key 'num_cycles' is given twice"):
        parse("get_scheduler('cosine', opt, 1, 9, {'num_cycles': 1, 'num_cycles': 2})")


@pytest.mark.parametrize("text", ["cosine()\udcff", "cosine(end=0.1\ud800)"])
def test_invalid_text_says_so_not_too_deeply_nested(text):
    with pytest.raises(SpecError, match=r"not valid text") as info:
        parse(text)
    assert "nested" not in str(info.value)
    assert info.value.column == text.index(text[-1] if text.endswith("\udcff") else "\ud800") + 1


def test_get_scheduler_dispatches_and_errs_as_transformers():
    with pytest.raises(SpecError, match="cosine requires `num_warmup_steps`"):
        parse("get_scheduler('cosine', optimizer)")
    with pytest.raises(SpecError, match="cosine requires `num_training_steps`"):
        parse("get_scheduler('cosine', optimizer, 5)")
    with pytest.raises(SpecError, match="is not a scheduler name"):
        parse("get_scheduler(args.lr_scheduler_type, optimizer, 5, 10)")
    # constant ignores every other argument, as in transformers
    assert parse("get_scheduler('constant', optimizer, 5, 10)") == parse("transformers.constant()")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=args.epochs)", "args.epochs"),
        ("OneCycleLR(optimizer, max_lr=0.1, steps_per_epoch=len(train_loader), epochs=3)", "len"),
        ("StepLR(optimizer, step_size=cfg.step, gamma=0.1)", "cfg.step"),
    ],
)
def test_a_name_from_the_users_code_says_to_write_its_value(text, name):
    # Pasted code often passes variables; the message says a spec reads none and what to write.
    with pytest.raises(SpecError, match=rf"unknown schedule '{re.escape(name)}' \(a spec reads no names"):
        parse(text)
