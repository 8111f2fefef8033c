"""check_groups: each validation error names the group, the parameter or module and the fix; summary."""

import warnings

import pytest
import torch
from torch import nn

from lrkit.groups import GroupRow, check_groups, param_groups, summary


def seed_model():
    """The seeds' model (learning-rate differential page): item 1 is a ReLU."""
    return nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))


def test_the_seeds_relu_group_is_caught():
    model = seed_model()
    # torch accepts this silently and builds an empty second group:
    opt = torch.optim.Adam(
        [{"params": model[0].parameters(), "lr": 0.001}, {"params": model[1].parameters(), "lr": 0.01}]
    )
    assert len(opt.param_groups[1]["params"]) == 0
    with pytest.raises(
        ValueError, match=r"group 1 \(no name\) has no parameters.*nn\.ReLU.*Fix: build it from a module"
    ):
        check_groups(opt, model)


def test_named_group_appears_in_the_message():
    groups = [{"name": "act", "params": [], "lr": 0.1}]
    with pytest.raises(ValueError, match=r"group 0 \('act'\) has no parameters"):
        check_groups(groups)


def test_parameter_in_two_groups():
    model = seed_model()
    groups = [
        {"name": "first", "params": list(model[0].parameters()), "lr": 0.1},
        {"name": "all", "params": list(model.parameters()), "lr": 0.01},
    ]
    with pytest.raises(
        ValueError,
        match=r"parameter '0\.weight' is in two groups: group 0 \('first'\) and group 1 \('all'\)\. Fix",
    ):
        check_groups(groups, model)
    with pytest.raises(ValueError, match=r"a tensor of shape \(5, 10\) is in two groups"):
        check_groups(groups)  # without the model: described by its shape


def test_parameter_not_in_the_model():
    model = seed_model()
    stray = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r"not a parameter of the model"):
        check_groups([{"params": [*model.parameters(), stray.weight], "lr": 0.1}], model)


def test_parameters_in_no_group_error_warn_ignore():
    model = seed_model()
    groups = [{"name": "first", "params": list(model[0].parameters()), "lr": 0.1}]
    with pytest.raises(
        ValueError, match=r"2 trainable parameters .* in no group: '2\.weight', '2\.bias'.*Fix: add them"
    ):
        check_groups(groups, model)
    with pytest.warns(UserWarning, match=r"never be updated"):
        check_groups(groups, model, unassigned="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_groups(groups, model, unassigned="ignore")
    model[2].requires_grad_(False)  # frozen parameters left out of the optimizer are fine
    check_groups(groups, model)


def test_group_without_lr_and_no_default():
    model = seed_model()
    groups = [
        {"name": "head", "params": list(model[2].parameters())},
        {"params": list(model[0].parameters()), "lr": 0.1},
    ]
    with pytest.raises(
        ValueError,
        match=r"group 0 \('head'\) has no `lr`, and no default is known\. Fix: give the group an 'lr'",
    ):
        check_groups(groups, model)
    checked = check_groups(groups, model, default_lr=0.001)
    assert [g.get("lr") for g in checked] == [None, 0.1]
    check_groups(torch.optim.SGD(groups, lr=0.001), model)  # the optimizer has a default


def test_bad_lr_values():
    model = seed_model()
    with pytest.raises(ValueError, match=r"has lr=-0\.1; an lr must be a finite number >= 0"):
        check_groups([{"params": list(model.parameters()), "lr": -0.1}])
    with pytest.raises(ValueError, match=r"has lr=nan"):
        check_groups([{"params": list(model.parameters()), "lr": float("nan")}])


def test_frozen_parameters_with_a_rate():
    model = seed_model()
    model[0].requires_grad_(False)
    opt = torch.optim.SGD([{"name": "body", "params": list(model.parameters()), "lr": 0.1}])
    with pytest.raises(
        ValueError,
        match=r"group 0 \('body'\) has lr=0\.1 but holds 2 frozen parameters .* '0\.weight'\. Fix",
    ):
        check_groups(opt, model)
    check_groups(param_groups(model, {"2": 0.1}, frozen=model[0]), model)  # frozen with lr 0 is fine


def test_duplicate_names():
    model = seed_model()
    groups = [
        {"name": "x", "params": list(model[0].parameters()), "lr": 0.1},
        {"name": "x", "params": list(model[2].parameters()), "lr": 0.1},
    ]
    with pytest.raises(ValueError, match=r"group 1 \('x'\) has the same name as group 0"):
        check_groups(groups, model)


def test_generators_are_read_once_and_returned_as_lists():
    model = seed_model()
    original = [{"params": model.parameters(), "lr": 0.1}]
    checked = check_groups(original, model)
    assert isinstance(checked[0]["params"], list)
    assert len(checked[0]["params"]) == 4
    assert checked[0] is not original[0]


def test_wrong_types():
    with pytest.raises(
        TypeError, match=r"Argument `groups` of check_groups\(\) must be an optimizer or a list"
    ):
        check_groups(3)
    with pytest.raises(TypeError, match=r"a list of dicts with a 'params' entry"):
        check_groups([{"lr": 0.1}])


def test_summary_rows():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
    model[0].requires_grad_(False)
    groups = param_groups(model, {"3": 1e-2}, default=1e-3, no_decay=True, frozen=model[0])
    opt = torch.optim.AdamW(groups, weight_decay=0.05)
    table = summary(opt, model)
    assert table.rows == (
        GroupRow("3", 1, 8 * 2, 1e-2, 0.05, "no"),
        GroupRow("3/no_decay", 1, 2, 1e-2, 0.0, "no"),
        GroupRow("default/no_decay", 2, 16, 1e-3, 0.0, "no"),
        GroupRow("frozen", 2, 4 * 8 + 8, 0.0, 0.0, "yes"),
    )
    text = str(table).splitlines()
    assert text[0].split() == ["group", "tensors", "parameters", "lr", "weight", "decay", "frozen"]
    assert text[-1].split() == ["total", "6", "74"]
