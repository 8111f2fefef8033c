"""scale_lr: the linear and square-root rules, written out."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.distributed import scale_lr


def test_linear_rule_goyal():
    # Goyal et al. 2017: lr 0.1 for batch 256, so 0.1 * k for batch 256 * k.
    for k in (1, 2, 4, 32):
        scaled = scale_lr(0.1, 256 * k, 256)
        assert scaled.lr == 0.1 * k
        assert scaled.factor == k
        assert scaled.rule == "linear"


def test_sqrt_rule():
    scaled = scale_lr(1e-3, 4096, 1024, rule="sqrt")
    assert scaled.lr == 1e-3 * 2.0
    assert scale_lr(1e-3, 256, 1024, rule="sqrt").lr == 1e-3 * 0.5


@given(
    lr=st.floats(1e-8, 10.0),
    batch=st.integers(1, 1 << 20),
    ref=st.integers(1, 1 << 20),
    rule=st.sampled_from(["linear", "sqrt"]),
)
def test_formula_and_explanation(lr, batch, ref, rule):
    scaled = scale_lr(lr, batch, ref, rule)
    factor = batch / ref if rule == "linear" else math.sqrt(batch / ref)
    assert scaled.lr == lr * factor
    assert str(scaled) == scaled.explanation
    assert scaled.explanation.startswith(f"{rule} rule: lr ")
    assert f"batch {batch} / reference {ref}" in scaled.explanation
    assert "\n" not in scaled.explanation
    assert ("(unchanged)" in scaled.explanation) == (batch == ref)


def test_explanation_reads_what_was_done():
    assert str(scale_lr(0.1, 1024, 256)) == "linear rule: lr 0.1 x (batch 1024 / reference 256 = 4) = 0.4"
    assert str(scale_lr(0.1, 256, 256)).endswith("= 0.1 (unchanged)")


@pytest.mark.parametrize(
    ("args", "kind", "name"),
    [
        ((0.0, 8, 8), ValueError, "lr"),
        ((float("nan"), 8, 8), ValueError, "lr"),
        (("0.1", 8, 8), TypeError, "lr"),
        ((0.1, 0, 8), ValueError, "batch_size"),
        ((0.1, 8.0, 8), TypeError, "batch_size"),
        ((0.1, 8, 0), ValueError, "reference_batch_size"),
        ((0.1, 8, 8, "cubic"), ValueError, "rule"),
    ],
)
def test_bad_arguments_are_named(args, kind, name):
    with pytest.raises(kind, match=rf"Argument `{name}` of scale_lr\(\) must be .* Received: {name}="):
        scale_lr(*args)


@given(
    global_batch=st.sampled_from([64, 128, 256, 512]),
    world=st.sampled_from([1, 2, 4, 8]),
    accumulation=st.sampled_from([1, 2, 4]),
)
def test_factorizations_of_one_global_batch_give_one_rate(global_batch, world, accumulation):
    from lrkit.distributed import run_totals

    per_device = global_batch // (world * accumulation)
    batch = run_totals(10_000, per_device, world_size=world, accumulation=accumulation).update_size
    assert batch == global_batch
    assert scale_lr(0.1, batch, 256).lr == scale_lr(0.1, global_batch, 256).lr == 0.1 * global_batch / 256
