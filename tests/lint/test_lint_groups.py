"""LR010 (parameter groups without parameters): lrkit.lint.checks_groups."""

import ast

import pytest
from lint_snippets import codes

# -- LR010 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "flagged"),
    [
        ("nn.ReLU()", True),
        ("nn.Dropout(0.1)", True),
        ("nn.MaxPool2d(2)", True),
        ("nn.Sequential(nn.ReLU(), nn.Dropout())", True),
        ("nn.InstanceNorm2d(8)", True),
        ("nn.InstanceNorm2d(8, affine=True)", False),
        ("nn.PReLU()", False),
        ("nn.BatchNorm1d(8)", False),
        ("nn.Linear(8, 8)", False),
    ],
)
def test_lr010_group_of_a_module_without_parameters(layer, flagged):
    source = f"""
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(8, 8), {layer}, nn.Linear(8, 2))
        groups = [{{"params": model[0].parameters()}}, {{"params": model[1].parameters(), "lr": 0.1}}]
        optimizer = torch.optim.SGD(groups, lr=0.01)
    """
    assert codes(source) == (["LR010"] if flagged else [])
    # the model's parameter count, from torch: the rule agrees with what torch builds
    namespace: dict[str, object] = {}
    exec(compile(ast.parse(f"import torch\nfrom torch import nn\nm = {layer}"), "<layer>", "exec"), namespace)
    assert (sum(1 for _ in namespace["m"].parameters()) == 0) == flagged  # type: ignore[attr-defined]


def test_lr010_model_defined_elsewhere_is_not_guessed():
    source = """
        import torch
        from models import model
        optimizer = torch.optim.SGD([{"params": model[1].parameters(), "lr": 0.1}])
    """
    assert codes(source) == []
