"""The linted tree as a whole: what a name holds and what a call does across functions and files.

`lrkit.lint.lint_paths` parses every file first, then builds one `Project` over their models,
so a rule in one file can see:

* the scheduler behind a parameter (``def train_one_epoch(..., scheduler)``), an attribute
  set from a constructor argument (``self.scheduler = kwargs["scheduler"]``, filled by
  ``Trainer(scheduler=sched)`` in another file) or a factory's return value
  (``scheduler = build_scheduler(args, optimizer)``, ``optimizer, scheduler = get_optimizer(...)``);
* whether a function called in a loop updates an optimizer (``train()`` holds ``optimizer.step()``);
* the schedulers held by a subclass of a class (a base trainer that checkpoints ``self.optimizer``
  while ``self.lr_scheduler`` lives in its subclass);
* whether any file restores a scheduler's state.

Names are matched by their bare name (``build_scheduler``, ``Trainer``): a name defined in two
files with different results gives nothing (the rules stay silent rather than guess).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lrkit.lint._facts import Binding, Func, Site
from lrkit.lint._model import Model
from lrkit.lint._names import dotted, is_scheduler_name

__all__ = ["Project"]

_MAX_DEPTH = 3


class Project:
    """Cross-file queries over the models of the linted files (each model gets `.project`)."""

    def __init__(self, models: Iterable[Model]) -> None:
        self.models = list(models)
        self.functions: dict[str, list[tuple[Model, Func]]] = {}
        self.calls: dict[str, list[tuple[Model, ast.Call, Func]]] = {}
        self.bases: dict[str, set[str]] = {}
        self._memo: dict[tuple[int, str, int], Binding | None] = {}
        self._updates: dict[str, bool] = {}
        self._loaders: set[str] | None = None
        self.modules: dict[str, list[Model]] = {}
        for model in self.models:
            model.project = self
            if model.module_name is not None:
                self.modules.setdefault(model.module_name, []).append(model)
            for func in model.funcs:
                if func.node is not None:
                    self.functions.setdefault(func.name, []).append((model, func))
            for name, calls in model.calls_by_name.items():
                bucket = self.calls.setdefault(name, [])
                for call, func in calls:
                    bucket.append((model, call, func))
            for cls, bases in model.class_bases.items():
                self.bases.setdefault(cls, set()).update(bases)

    # -- state ---------------------------------------------------------------------------------------

    def loads_scheduler_state(self, model: Model) -> bool:
        """True if `model`'s file restores a scheduler's state, itself or through a function of
        the tree that it calls (``load_checkpoint(path, model, optimizer, scheduler)``)."""
        if model.loads_scheduler_state_here():
            return True
        if self._loaders is None:
            self._loaders = {
                func.name
                for other in self.models
                for site in other.sites
                if site.method == "load_state_dict"
                and site.func.node is not None
                and other.kind(site.key, site.func) == "scheduler"
                for func in (site.func,)
            }
        return any(name in self._loaders for name in model.calls_by_name)

    def subclass_has_scheduler(self, cls: str) -> bool:
        """True if `cls` or a class deriving from it (in any file) sets a scheduler attribute."""
        family = {cls}
        changed = True
        while changed:
            changed = False
            for name, bases in self.bases.items():
                if name not in family and bases & family:
                    family.add(name)
                    changed = True
        for model in self.models:
            for (owner, attr), _ in model.attr_sources.items():
                if owner in family and is_scheduler_name(attr):
                    return True
        return False

    # -- calls ---------------------------------------------------------------------------------------

    def updates_optimizer(self, name: str) -> bool:
        """True if every function of that name in the tree calls an optimizer update (directly,
        or through another function of the tree, two calls deep)."""
        if name not in self._updates:
            self._updates[name] = False  # guards recursion
            found = self.functions.get(name, [])
            self._updates[name] = bool(found) and all(self._func_updates(m, f, 0) for m, f in found)
        return self._updates[name]

    def _func_updates(self, model: Model, func: Func, depth: int) -> bool:
        for site, _ in model.optimizer_steps():
            if site.func is func:
                return True
        if depth >= 2 or func.node is None:
            return False
        for node in ast.walk(func.node):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else None
                if (
                    name is None
                    and isinstance(node.func, ast.Attribute)
                    and dotted(node.func) == f"self.{node.func.attr}"
                ):
                    name = node.func.attr
                if (
                    name
                    and name != func.name
                    and any(self._func_updates(m, f, depth + 1) for m, f in self.functions.get(name, []))
                ):
                    return True
        return False

    # -- what a name holds ---------------------------------------------------------------------------

    def resolve(self, model: Model, key: str, func: Func, depth: int = 0) -> Binding | None:
        """The scheduler (or optimizer) binding behind `key` in `func` found through other
        functions or files, or None."""
        memo = (id(model), key, id(func))
        if memo in self._memo:
            return self._memo[memo]
        self._memo[memo] = None  # guards cycles
        found = None if depth > _MAX_DEPTH else self._resolve(model, key, func, depth)
        self._memo[memo] = found
        return found

    def _resolve(self, model: Model, key: str, func: Func, depth: int) -> Binding | None:
        # A factory's result: ``sched = build_scheduler(...)`` or ``opt, sched = get_optimizer(...)``.
        raw = model.raw_binding(key, func)
        if raw is not None and raw.family == "other":
            return self._returned(raw.call, None, depth)
        for name, index, call, where in model.unpacked:
            if name == key and where is func:
                return self._returned(call, index, depth)
        # An attribute set in a method from a parameter: ``self.scheduler = scheduler`` or
        # ``self.scheduler = kwargs["scheduler"]``.
        if key.startswith("self.") and key.count(".") == 1 and func.cls is not None:
            source = model.attr_sources.get((func.cls, key[5:]))
            if source is None:
                return None
            value, method = source
            parameter = _parameter_of(value, method)
            if parameter is None:
                key2 = dotted(value)
                if key2 is not None and key2 != key:
                    return model.lookup(key2, method) or self.resolve(model, key2, method, depth + 1)
                return None
            return self._from_callers(func.cls, method, parameter, depth)
        # A parameter of the function: what its callers pass.
        if func.node is not None and "." not in key and key in _parameters(func):
            return self._from_callers(func.name, func, key, depth)
        # A name imported from a file of the tree: ``from fine_tuning import lr_scheduler``.
        if "." not in key and model.lookup(key, model.module) is None:
            qualified = model.names.aliases.get(key)
            if qualified is not None and "." in qualified:
                module, _, name = qualified.rpartition(".")
                others = self.modules.get(module.rpartition(".")[2], [])
                if len(others) == 1 and others[0] is not model:
                    other = others[0]
                    return other.lookup(name, other.module) or self.resolve(
                        other, name, other.module, depth + 1
                    )
        return None

    def _returned(self, call: ast.Call, index: int | None, depth: int) -> Binding | None:
        name = call.func.id if isinstance(call.func, ast.Name) else None
        if name is None and isinstance(call.func, ast.Attribute):
            name = call.func.attr
        if name is None:
            return None
        found: list[Binding] = []
        for model, func in self.functions.get(name, []):
            for value in func.returns:
                if index is not None:
                    if not isinstance(value, ast.Tuple) or index >= len(value.elts):
                        continue
                    value = value.elts[index]
                key = dotted(value)
                if key is None:
                    continue
                binding = model.lookup(key, func) or self.resolve(model, key, func, depth + 1)
                if binding is None:
                    return None  # one return we cannot read: do not guess
                found.append(binding)
        return _one_class(found)

    def _from_callers(self, callee: str, func: Func, parameter: str, depth: int) -> Binding | None:
        names = _parameters(func)
        position = names.index(parameter) if parameter in names else None
        if position is not None and func.cls is not None and names and names[0] == "self":
            position -= 1
        found: list[Binding] = []
        for model, call, where in self.calls.get(callee, []):
            if any(isinstance(a, ast.Starred) for a in call.args):
                continue
            argument = next((k.value for k in call.keywords if k.arg == parameter), None)
            if argument is None and position is not None and 0 <= position < len(call.args):
                argument = call.args[position]
            if argument is None:
                continue
            key = dotted(argument)
            if key is None:
                continue
            binding = model.lookup(key, where) or self.resolve(model, key, where, depth + 1)
            if binding is not None:
                found.append(binding)
        return _one_class(found)


def _one_class(found: list[Binding]) -> Binding | None:
    if not found:
        return None
    classes = {(b.family, b.cls) for b in found}
    return found[0] if len(classes) == 1 else None


def _parameters(func: Func) -> list[str]:
    node = func.node
    if node is None:
        return []
    arguments = node.args
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


def _parameter_of(value: ast.expr, method: Func) -> str | None:
    """The parameter an attribute's value comes from: ``scheduler``, ``kwargs["scheduler"]``,
    ``kwargs.get("scheduler")``."""
    if isinstance(value, ast.Name) and value.id in _parameters(method):
        return value.id
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
    ):
        return value.slice.value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and isinstance(value.func.value, ast.Name)
        and value.args
        and isinstance(value.args[0], ast.Constant)
        and isinstance(value.args[0].value, str)
    ):
        return value.args[0].value
    return None


def site_binding(model: Model, site: Site) -> Binding | None:
    """The binding of a call site's receiver, in its file or through the project."""
    found = model.lookup(site.key, site.func, site)
    if found is None and model.project is not None:
        found = model.project.resolve(model, model.canonical(site.key, site.func), site.func)
    return found
