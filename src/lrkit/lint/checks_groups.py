"""Rules on parameter groups: LR010."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lrkit.lint._cadence import Cadence
from lrkit.lint._facts import Func
from lrkit.lint._model import Model
from lrkit.lint._names import dotted
from lrkit.lint._rules import RULES, Finding

__all__ = ["check_empty_groups"]

#: torch.nn modules that never hold parameters.
_NO_PARAMETERS = frozenset(
    [
        "ReLU",
        "ReLU6",
        "LeakyReLU",
        "RReLU",
        "ELU",
        "SELU",
        "CELU",
        "GELU",
        "SiLU",
        "Mish",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "Softmin",
        "Softmax2d",
        "LogSoftmax",
        "Softplus",
        "Softsign",
        "Hardtanh",
        "Hardswish",
        "Hardsigmoid",
        "Hardshrink",
        "Softshrink",
        "Tanhshrink",
        "LogSigmoid",
        "Threshold",
        "GLU",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
        "Identity",
        "Flatten",
        "Unflatten",
        "MaxPool1d",
        "MaxPool2d",
        "MaxPool3d",
        "AvgPool1d",
        "AvgPool2d",
        "AvgPool3d",
        "AdaptiveAvgPool1d",
        "AdaptiveAvgPool2d",
        "AdaptiveAvgPool3d",
        "AdaptiveMaxPool1d",
        "AdaptiveMaxPool2d",
        "AdaptiveMaxPool3d",
        "LPPool1d",
        "LPPool2d",
        "Upsample",
        "UpsamplingNearest2d",
        "UpsamplingBilinear2d",
        "PixelShuffle",
        "PixelUnshuffle",
        "ChannelShuffle",
        "ZeroPad2d",
        "ConstantPad1d",
        "ConstantPad2d",
        "ConstantPad3d",
        "ReflectionPad1d",
        "ReflectionPad2d",
        "ReplicationPad1d",
        "ReplicationPad2d",
        "ReplicationPad3d",
    ]
)
_NO_PARAMETERS_BY_DEFAULT = dict.fromkeys(("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"), "affine")


def _without_parameters(model: Model, node: ast.expr | None) -> str | None:
    """The class name of a module-building call that holds no parameters; None otherwise."""
    if not isinstance(node, ast.Call):
        return None
    qualname = model.names.qualify(node.func) or ""
    module, _, cls = qualname.rpartition(".")
    if module not in ("torch.nn", "nn"):
        return None
    if cls in _NO_PARAMETERS:
        return cls
    if cls in _NO_PARAMETERS_BY_DEFAULT:
        flag = _NO_PARAMETERS_BY_DEFAULT[cls]
        if not any(
            k.arg == flag and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        ):
            return cls
        return None
    if cls == "Sequential" and not node.keywords and all(_without_parameters(model, i) for i in node.args):
        return "Sequential"
    return None


def _module_of(model: Model, func: Func, node: ast.expr) -> tuple[str, ast.expr | None] | None:
    """(how it is written, the call that built it) for ``model[i]`` or ``model.attr``."""
    if isinstance(node, ast.Subscript):
        owner = dotted(node.value)
        index = model.names.number(node.slice)
        if owner is None or not isinstance(index, int):
            return None
        binding = model.lookup(owner, func)
        if binding is None or binding.family != "sequential":
            return None
        items = binding.call.args
        if any(isinstance(item, ast.Starred) for item in items) or not -len(items) <= index < len(items):
            return None
        return f"{owner}[{index}]", items[index]
    if isinstance(node, ast.Attribute):
        owner = dotted(node.value)
        if owner is None:
            return None
        cls: str | None
        if owner == "self":
            cls = func.cls
        else:
            binding = model.lookup(owner, func)
            cls = binding.cls if binding is not None and binding.family == "instance" else None
        attrs = model.class_attrs.get(cls or "", {})
        if node.attr in attrs:
            return f"{owner}.{node.attr}", attrs[node.attr]
    return None


def _params_source(node: ast.expr) -> ast.expr | None:
    """``X`` for ``X.parameters()`` (also inside ``list(...)``)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "list"
        and node.args
    ):
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters":
        return node.func.value
    return None


def check_empty_groups(model: Model, cadence: Cadence, path: str) -> Iterator[Finding]:
    """LR010: a parameter group ``{'params': model[1].parameters()}`` of a module with no parameters.

    Example:
        >>> from lrkit.lint import lint_source
        >>> code = (
        ...     "import torch\\nfrom torch import nn\\n"
        ...     "model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())\\n"
        ...     "opt = torch.optim.SGD([{'params': model[1].parameters(), 'lr': 0.1}])\\n"
        ... )
        >>> [f.message for f in lint_source(code)]
        ['model[1] is nn.ReLU, which has no parameters: this group is empty']
    """
    rule = RULES["LR010"]
    for binding in model.bindings:
        if binding.family != "optimizer":
            continue
        groups = binding.argument(0, "params")
        key = dotted(groups) if groups is not None else None
        if key is not None:
            values = model.literals.get((id(binding.func), key))
            groups = values[-1] if values else None
        if not isinstance(groups, (ast.List, ast.Tuple)):
            continue
        for group in groups.elts:
            if not isinstance(group, ast.Dict):
                continue
            for name, value in zip(group.keys, group.values, strict=True):
                if not (isinstance(name, ast.Constant) and name.value == "params"):
                    continue
                source = _params_source(value)
                found = None if source is None else _module_of(model, binding.func, source)
                if found is None:
                    continue
                written, call = found
                cls = _without_parameters(model, call)
                if cls is not None:
                    yield rule.at(
                        path,
                        value,
                        f"{written} is nn.{cls}, which has no parameters: this group is empty",
                    )
