"""megatron.<style> presets against Megatron-LM's OptimizerParamScheduler.

megatron-core is not installed in CI: the oracle is ``reference/megatron.json``, written by
``reference/generate.py`` from megatron-core 0.16.1's ``OptimizerParamScheduler`` (``get_lr`` and
``get_wd`` at each step; the version is in the file). Values must agree to 1e-12 relative (1e-15
absolute near 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from _reference import assert_matches, assert_round_trips, cases, curve, load

from lrkit import parse
from lrkit.presets import megatron as M  # noqa: N812

LIBRARY = "megatron"
STYLE = {
    "constant": "constant",
    "linear": "linear",
    "cosine": "cosine",
    "inverse-square-root": "inverse_square_root",
    "WSD": "wsd",
}


def lr_cases():
    return [c for c in cases(LIBRARY) if c.values[0]["name"] != "wd"]


def style_kwargs(case):
    kwargs = {k: v for k, v in case["kwargs"].items() if k != "lr_decay_style"}
    if case["name"] == "constant":
        kwargs = {k: v for k, v in kwargs.items() if k in ("max_lr", "init_lr", "lr_warmup_steps")}
    return kwargs


def test_reference_file_names_the_library_and_version():
    data = load(LIBRARY)
    assert (data["library"], data["version"]) == ("megatron", "0.16.1")


@pytest.mark.parametrize("case", lr_cases())
def test_scheduler_class_matches_stored_lr(case):
    args = {
        "init_lr": 0.0,
        "max_lr": 1.0,
        "min_lr": 0.0,
        "lr_warmup_steps": 0,
        "lr_decay_steps": len(case["values"]) - 1,
        **case["kwargs"],
    }
    s = M.OptimizerParamScheduler(**args)
    assert_matches(curve(s, case), case["values"])


@pytest.mark.parametrize("case", lr_cases())
def test_style_function_matches_stored_lr(case):
    name = STYLE[case["name"]]
    kwargs = style_kwargs(case)
    kwargs.setdefault("max_lr", 1.0)
    if name != "constant":
        kwargs.setdefault("lr_decay_steps", len(case["values"]) - 1)
    s = getattr(M, name)(**kwargs)
    assert_matches(curve(s, case), case["values"])
    assert_round_trips(s, LIBRARY, {"name": name, "kwargs": kwargs})


@pytest.mark.parametrize("case", cases(LIBRARY, "wd"))
def test_weight_decay_matches_stored_wd(case):
    s = M.weight_decay(**case["kwargs"])
    assert_matches(curve(s, {"values": case["wd"]}), case["wd"])
    assert_round_trips(s, LIBRARY, {"name": "weight_decay", "kwargs": case["kwargs"]})


def test_inverse_square_root_cliff_after_the_decay_steps():
    s = parse("megatron.inverse_square_root(max_lr=1.0, min_lr=0.1, lr_warmup_steps=2, lr_decay_steps=10)")
    assert s(10) == pytest.approx(np.sqrt(2 / 10), rel=1e-15)
    assert s(11) == 0.1


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: M.cosine(max_lr=1.0, lr_decay_steps=10, min_lr=2.0), "min_lr"),
        (lambda: M.cosine(max_lr=1.0, lr_decay_steps=10, init_lr=2.0), "init_lr"),
        (lambda: M.linear(max_lr=1.0, lr_decay_steps=10, lr_warmup_steps=10), "lr_warmup_steps"),
        (
            lambda: M.wsd(max_lr=1.0, lr_decay_steps=10, wsd_decay_steps=9, lr_warmup_steps=2),
            "wsd_decay_steps",
        ),
        (
            lambda: M.wsd(max_lr=1.0, lr_decay_steps=10, wsd_decay_steps=2, lr_wsd_decay_style="step"),
            "lr_wsd_decay_style",
        ),
        (lambda: M.OptimizerParamScheduler(0.0, 1.0, 0.0, 0, 10, "poly"), "lr_decay_style"),
        (lambda: M.weight_decay(0.1, 0.2, 10, "constant"), "end_wd"),
        (lambda: M.weight_decay(0.2, 0.1, 10, "linear"), "end_wd"),
    ],
)
def test_bad_arguments_raise(call, name):
    with pytest.raises(ValueError, match=f"Argument `{name}` of megatron."):
        call()


@pytest.mark.parametrize("case", lr_cases())
def test_pasted_with_module_path_and_optimizer_matches_stored_lr(case):
    """Megatron-LM's call as code writes it (its signature: the test after this one)."""
    args = {
        "init_lr": 0.0,
        "max_lr": 1.0,
        "min_lr": 0.0,
        "lr_warmup_steps": 0,
        "lr_decay_steps": len(case["values"]) - 1,
        **case["kwargs"],
    }
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    spec = f"megatron.core.optimizer_param_scheduler.OptimizerParamScheduler(optimizer, {text})"
    assert_matches(curve(parse(spec), case), case["values"])


#: megatron-core 0.16.1's ``OptimizerParamScheduler.__init__`` arguments after the optimizer, in
#: order, with their defaults, read from its source (megatron/core/optimizer_param_scheduler.py in
#: the wheel ``pip download megatron-core==0.16.1 --no-deps`` gives; the package does not install
#: here). ``<required>`` marks an argument without a default.
MEGATRON_0_16_1 = [
    ("init_lr", "<required>"),
    ("max_lr", "<required>"),
    ("min_lr", "<required>"),
    ("lr_warmup_steps", "<required>"),
    ("lr_decay_steps", "<required>"),
    ("lr_decay_style", "<required>"),
    ("start_wd", "<required>"),
    ("end_wd", "<required>"),
    ("wd_incr_steps", "<required>"),
    ("wd_incr_style", "<required>"),
    ("use_checkpoint_opt_param_scheduler", True),
    ("override_opt_param_scheduler", False),
    ("wsd_decay_steps", None),
    ("lr_wsd_decay_style", None),
]
#: Megatron requires them; they do not change the rate, so lrkit lets them out (default None).
WEIGHT_DECAY_ARGS = {"start_wd", "end_wd", "wd_incr_steps", "wd_incr_style"}


def test_accepted_arguments_equal_megatrons_signature():
    import inspect

    ours = [
        (p.name, "<required>" if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(M.OptimizerParamScheduler).parameters.values()
    ]
    assert [name for name, _ in ours] == [name for name, _ in MEGATRON_0_16_1]
    for (name, mine), (_, theirs) in zip(ours, MEGATRON_0_16_1, strict=True):
        assert mine == (None if name in WEIGHT_DECAY_ARGS else theirs), name


def test_the_full_signature_pasted_equals_the_stored_lr():
    case = next(c.values[0] for c in lr_cases() if c.values[0]["kwargs"].get("lr_decay_style") == "cosine")
    args = {
        "init_lr": 0.0,
        "max_lr": 1.0,
        "min_lr": 0.0,
        "lr_warmup_steps": 0,
        "lr_decay_steps": len(case["values"]) - 1,
        **case["kwargs"],
    }
    wd = "start_wd=0.01, end_wd=0.1, wd_incr_steps=100, wd_incr_style='linear'"
    flags = "use_checkpoint_opt_param_scheduler=True, override_opt_param_scheduler=False"
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    spec = (
        "megatron.core.optimizer_param_scheduler.OptimizerParamScheduler("
        f"optimizer, {text}, {wd}, {flags}, wsd_decay_steps=None, lr_wsd_decay_style=None)"
    )
    assert_matches(curve(parse(spec), case), case["values"])


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ({"start_wd": -0.1}, "start_wd"),
        ({"start_wd": 0.1, "end_wd": 0.05}, "end_wd"),
        ({"override_opt_param_scheduler": True}, "override_opt_param_scheduler"),
    ],
)
def test_megatrons_own_refusals(extra, name):
    """Megatron asserts these in its constructor; lrkit refuses them with Megatron's reason."""
    with pytest.raises(ValueError, match=f"Argument `{name}` of megatron.OptimizerParamScheduler"):
        M.OptimizerParamScheduler(0.0, 1.0, 0.0, 0, 10, "cosine", **extra)
