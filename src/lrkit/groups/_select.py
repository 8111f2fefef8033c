"""Selecting a model's parameters by module, by name pattern, or by a list of those.

A *selector* is

* an ``nn.Module`` that is part of the model: its parameters (recursively);
* a string: the parameters whose qualified name matches it as a glob (``"backbone.*"``,
  ``"*.bias"``) or lies under it as a module prefix (``"backbone"`` selects ``backbone.0.weight``);
* a list or tuple of selectors: the union, in model order.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias

import torch
from torch import nn

__all__ = ["Selector", "describe", "module_of", "named_parameters", "select"]

#: A module, a name pattern, or a list of those.
Selector: TypeAlias = "nn.Module | str | Sequence[nn.Module | str]"


def named_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The model's parameters with their qualified names, each tensor once, in model order."""
    return list(model.named_parameters())


def module_of(model: nn.Module, name: str) -> nn.Module:
    """The module that owns the parameter called `name` (its direct parent)."""
    owner, _, _ = name.rpartition(".")
    return model.get_submodule(owner) if owner else model


def _module_name(model: nn.Module, module: nn.Module) -> str | None:
    for name, candidate in model.named_modules():
        if candidate is module:
            return str(name)
    return None


def describe(model: nn.Module, selector: Any) -> str:
    """A readable name for a selector: a module's qualified name, the pattern, or a join of those."""
    if isinstance(selector, nn.Module):
        name = _module_name(model, selector)
        return (name or "model") if name is not None else type(selector).__name__
    if isinstance(selector, str):
        return selector
    if isinstance(selector, (list, tuple)):
        return "+".join(describe(model, item) for item in selector)
    return repr(selector)


def _matches(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + ".")


def _items(selector: Any) -> Iterator[Any]:
    if isinstance(selector, (list, tuple)):
        for item in selector:
            yield from _items(item)
    else:
        yield selector


def select(model: nn.Module, selector: Any, *, owner: str, argument: str) -> list[str]:
    """The qualified names of the parameters `selector` picks, in model order.

    Raises:
        ValueError: a module that has no parameters (an ``nn.ReLU``), a module that is not part of
            the model, or a pattern that matches no parameter; the message names it and the fix.
        TypeError: a selector that is neither a module, a string nor a list of those.
    """
    params = named_parameters(model)
    by_id = {id(p): name for name, p in params}
    chosen: set[str] = set()
    for item in _items(selector):
        if isinstance(item, nn.Module):
            own = list(item.parameters())
            label = describe(model, item)
            if not own:
                raise ValueError(
                    f"Argument `{argument}` of {owner}() selects the module {label!r} "
                    f"({type(item).__name__}), which has no parameters: activations, pooling and "
                    f"dropout layers have none, so a group built from it is empty. Fix: select a "
                    f"module with parameters (a Linear, Conv or norm layer) or drop this entry"
                )
            missing = [p for p in own if id(p) not in by_id]
            if missing:
                raise ValueError(
                    f"Argument `{argument}` of {owner}() selects a {type(item).__name__} that is not "
                    f"part of the model ({len(missing)} of its parameters are not the model's). "
                    f"Fix: select a submodule of the model you pass"
                )
            chosen.update(by_id[id(p)] for p in own)
        elif isinstance(item, str):
            hits = [name for name, _ in params if _matches(name, item)]
            if not hits:
                close = sorted({name.rsplit(".", 1)[0] for name, _ in params})[:6]
                raise ValueError(
                    f"Argument `{argument}` of {owner}() has the pattern {item!r}, which matches no "
                    f"parameter of the model. Parameter names look like "
                    f"{[name for name, _ in params][:3]!r} (modules: {close!r}). Fix: correct the "
                    f"pattern (globs: '*' matches dots too) or drop the entry"
                )
            chosen.update(hits)
        else:
            raise TypeError(
                f"Argument `{argument}` of {owner}() must hold modules, name patterns (str) or lists "
                f"of those. Received: {type(item).__name__} {item!r}"
            )
    return [name for name, _ in params if name in chosen]


def tensors(model: nn.Module, names: Sequence[str]) -> list[torch.Tensor]:
    """The parameters called `names`, in that order."""
    table = dict(named_parameters(model))
    return [table[name] for name in names]
