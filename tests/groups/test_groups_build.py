"""Group builders: patterns and modules, defaults, layer-wise decay, spreads, no-decay, frozen."""

import math
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lrkit.groups import (
    auto_blocks,
    discriminative,
    is_no_decay,
    layerwise,
    layerwise_rates,
    param_groups,
    spread,
)


class Tiny(nn.Module):
    """A ViT-like model: a token on the model itself, an embedding, blocks in a ModuleList, a head."""

    def __init__(self, depth: int = 3) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 4))
        self.embed = nn.Linear(3, 4)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.LayerNorm(4)) for _ in range(depth)
        )
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2)


def seed_model():
    """The seeds' model (learning-rate differential page): item 1 is a ReLU."""
    return nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))


def names(model, group):
    table = {id(p): n for n, p in model.named_parameters()}
    return [table[id(p)] for p in group["params"]]


def test_patterns_and_modules_with_a_default():
    model = Tiny()
    groups = param_groups(model, {"head": 1e-2, model.embed: 1e-4}, default=1e-3)
    assert [(g["name"], g["lr"]) for g in groups] == [("head", 1e-2), ("embed", 1e-4), ("default", 1e-3)]
    assert names(model, groups[0]) == ["head.weight", "head.bias"]
    assert names(model, groups[1]) == ["embed.weight", "embed.bias"]
    assert names(model, groups[2])[0] == "cls_token"
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    torch.optim.SGD(groups)  # every group has an lr: no default needed


def test_first_matching_entry_wins():
    model = Tiny()
    groups = param_groups(model, {"blocks.0.*": 1e-5, "blocks.*": 1e-4}, default=1e-3)
    assert names(model, groups[0]) == [
        "blocks.0.0.weight",
        "blocks.0.0.bias",
        "blocks.0.2.weight",
        "blocks.0.2.bias",
    ]
    assert all(n.startswith(("blocks.1", "blocks.2")) for n in names(model, groups[1]))


def test_entry_left_empty_by_earlier_entries_is_an_error():
    model = Tiny()
    with pytest.raises(
        ValueError,
        match=r"group 'blocks\.0' .* empty: all 4 parameters .* taken by earlier entries \['blocks'\]",
    ):
        param_groups(model, {"blocks": 1e-4, "blocks.0": 1e-5}, default=1e-3)


def test_options_mapping_and_name_override():
    model = Tiny()
    groups = param_groups(model, {"head": {"lr": 0.1, "momentum": 0.5, "name": "classifier"}}, default={})
    assert groups[0]["name"] == "classifier"
    assert groups[0]["momentum"] == 0.5
    assert "lr" not in groups[1]  # `default={}`: the optimizer's default applies
    opt = torch.optim.SGD(groups, lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]


def test_module_without_parameters_is_named_with_the_fix():
    model = seed_model()
    with pytest.raises(
        ValueError, match=r"module '1' \(ReLU\), which has no parameters.*Fix: select a module"
    ):
        param_groups(model, {model[0]: 1e-3, model[1]: 1e-2})


def test_pattern_matching_nothing_is_named():
    with pytest.raises(ValueError, match=r"pattern 'backbone\.\*', which matches no parameter.*Fix"):
        param_groups(seed_model(), {"backbone.*": 1e-3}, default=1e-2)


def test_foreign_module_is_rejected():
    with pytest.raises(ValueError, match=r"not part of the model"):
        param_groups(seed_model(), {nn.Linear(2, 2): 1e-3}, default=1e-2)


def test_unassigned_parameters_error_warn_ignore():
    model = seed_model()
    with pytest.raises(
        ValueError, match=r"2 trainable parameters .* in no group .*'2\.weight', '2\.bias'.*default="
    ):
        param_groups(model, {"0": 1e-3})
    with pytest.warns(UserWarning, match=r"in no group"):
        groups = param_groups(model, {"0": 1e-3}, unassigned="warn")
    assert len(groups) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(param_groups(model, {"0": 1e-3}, unassigned="ignore")) == 1
    with pytest.raises(ValueError, match=r"Argument `unassigned` of param_groups\(\) must be one of"):
        param_groups(model, {"0": 1e-3}, unassigned="drop")


def test_bad_rates_are_rejected():
    model = seed_model()
    with pytest.raises(
        ValueError, match=r"Argument `rates\['0'\]` of param_groups\(\) must be a finite number"
    ):
        param_groups(model, {"0": -1.0}, default=1e-3)
    with pytest.raises(TypeError, match=r"must hold modules, name patterns"):
        param_groups(model, {3: 1e-3}, default=1e-3)
    with pytest.raises(ValueError, match=r"`default`"):
        param_groups(model)


def test_no_decay_default_rule_splits_biases_and_norm_weights():
    model = Tiny(depth=1)
    groups = param_groups(model, {"head": 1e-2}, default=1e-3, weight_decay=0.05, no_decay=True)
    by_name = {g["name"]: g for g in groups}
    assert list(by_name) == ["head", "head/no_decay", "default", "default/no_decay"]
    assert names(model, by_name["head"]) == ["head.weight"]
    assert names(model, by_name["head/no_decay"]) == ["head.bias"]
    assert names(model, by_name["default/no_decay"]) == [
        "embed.bias",
        "blocks.0.0.bias",
        "blocks.0.2.weight",
        "blocks.0.2.bias",
    ]
    assert by_name["default"]["weight_decay"] == 0.05
    assert by_name["default/no_decay"]["weight_decay"] == 0.0
    assert by_name["head/no_decay"]["lr"] == 1e-2


def test_no_decay_custom_rule_and_patterns():
    model = Tiny(depth=1)
    ndim = param_groups(model, default=1e-3, no_decay=lambda name, p, m: p.ndim <= 1)
    assert "cls_token" in names(model, ndim[0])  # 2-d: decayed
    assert all(p.ndim <= 1 for p in ndim[1]["params"])
    patterns = param_groups(model, default=1e-3, no_decay=["cls_token", "*.bias"])
    assert names(model, patterns[1])[0] == "cls_token"
    assert is_no_decay("blocks.0.2.weight", model.blocks[0][2].weight, model.blocks[0][2])
    assert not is_no_decay("embed.weight", model.embed.weight, model.embed)


def test_frozen_parameters_get_their_own_group_with_rate_zero():
    model = seed_model()
    groups = param_groups(model, {"2": 1e-2}, frozen=model[0])
    assert [(g["name"], g["lr"]) for g in groups] == [("2", 1e-2), ("frozen", 0.0)]
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]


def test_spread_matches_fastai_slice():
    # anchors (c) item 60: slice(1e-3) over 3 groups and slice(1e-5, 1e-3).
    assert spread(None, 1e-3, 3) == [1e-3 / 10, 1e-3 / 10, 1e-3]
    got = spread(1e-5, 1e-3, 3)
    assert got[0] == 1e-5
    assert got[1] == pytest.approx(1e-4, rel=1e-15)
    assert got[2] == pytest.approx(1e-3, rel=1e-15)
    assert spread(2.0, 3.0, 1) == [3.0]
    with pytest.raises(ValueError, match=r"Argument `start` of spread\(\)"):
        spread(0.0, 1e-3, 3)


def test_layerwise_rates_exact_values():
    # rate_i = rate * decay ** (depth - i): powers of two are exact.
    assert layerwise_rates(1.0, 0.5, 4) == [0.125, 0.25, 0.5, 1.0]
    assert layerwise_rates(3.0, 0.25, 3) == [3.0 / 16, 3.0 / 4, 3.0]
    assert layerwise_rates(0.1, 0.9, 1) == [0.1]
    with pytest.raises(
        ValueError, match=r"Argument `decay` of layerwise\(\) must be a finite number in \(0, 1\]"
    ):
        layerwise_rates(0.1, 1.5, 3)


@given(
    rate=st.floats(1e-8, 10.0),
    decay=st.floats(0.05, 1.0),
    n=st.integers(1, 30),
)
def test_layerwise_rates_property(rate, decay, n):
    rates = layerwise_rates(rate, decay, n)
    assert len(rates) == n
    assert rates[-1] == rate
    for i, value in enumerate(rates):
        expected = rate
        for _ in range(n - 1 - i):
            expected *= decay
        assert value == pytest.approx(expected, rel=1e-12)


def test_layerwise_over_explicit_blocks():
    model = Tiny(depth=2)
    blocks = [["cls_token", model.embed], *model.blocks, model.head]
    groups = layerwise(model, 1e-3, 0.5, blocks=blocks)
    assert [g["name"] for g in groups] == ["0:cls_token+embed", "1:blocks.0", "2:blocks.1", "3:head"]
    depth = 3
    assert [g["lr"] for g in groups] == [1e-3 * 0.5 ** (depth - i) for i in range(4)]
    assert [g["lr"] for g in groups] == [0.000125, 0.00025, 0.0005, 0.001]


def test_auto_blocks_follow_module_nesting():
    model = Tiny(depth=3)
    blocks = auto_blocks(model)
    assert blocks[0] == ["cls_token", model.embed]  # direct parameters join the first block
    assert blocks[1:4] == list(model.blocks)
    assert blocks[4] is model.head
    groups = layerwise(model, 1.0, 0.5)
    assert [g["lr"] for g in groups] == [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0]
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_auto_blocks_skip_parameterless_children():
    model = seed_model()
    assert auto_blocks(model) == [model[0], model[2]]
    with pytest.raises(ValueError, match=r"a model with parameters"):
        auto_blocks(nn.ReLU())


def test_discriminative_counts_rates():
    model = seed_model()
    groups = discriminative(model, [1e-4, 1e-3])
    assert [(g["name"], g["lr"]) for g in groups] == [("0:0", 1e-4), ("1:2", 1e-3)]
    with pytest.raises(ValueError, match=r"one rate per block \(2 blocks: \['0', '2'\]\)"):
        discriminative(model, [1e-4, 1e-3, 1e-2])


def test_builders_never_produce_duplicate_or_empty_groups():
    model = Tiny(depth=2)
    groups = layerwise(model, 1e-3, 0.8, no_decay=True, weight_decay=0.01)
    assert len({g["name"] for g in groups}) == len(groups)
    assert all(g["params"] for g in groups)
    seen = [id(p) for g in groups for p in g["params"]]
    assert len(seen) == len(set(seen)) == len(list(model.parameters()))
    assert all(math.isfinite(g["lr"]) for g in groups)
