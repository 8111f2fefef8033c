"""Lightning's ``configure_optimizers``: which schedulers it returns, and at which interval.

Lightning steps the schedulers that ``configure_optimizers`` returns itself, once per epoch unless
the scheduler's config says ``"interval": "step"``. The forms read: ``return [opt], [sched]``,
``return {"optimizer": opt, "lr_scheduler": sched}``, ``{"lr_scheduler": {"scheduler": sched,
"interval": "step"}}``, with the dictionaries possibly built in a variable first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lrkit.lint._facts import Binding, Func, classify
from lrkit.lint._model import Model
from lrkit.lint._names import dotted

__all__ = ["lightning_schedulers"]


def _returned(model: Model, func: Func) -> Iterator[tuple[ast.expr, str, ast.AST]]:
    """(scheduler expression, interval, where) for each scheduler configure_optimizers returns."""

    def resolve(node: ast.expr) -> ast.expr:
        key = dotted(node)
        if key is not None:
            values = model.literals.get((id(func), key))
            if values:
                return values[-1]
        return node

    def config(written: ast.expr) -> Iterator[tuple[ast.expr, str, ast.AST]]:
        node = resolve(written)
        if isinstance(node, ast.Dict):
            entries = {
                k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)
            }
            if "scheduler" in entries:
                interval = entries.get("interval")
                text = interval.value if isinstance(interval, ast.Constant) else "epoch"
                yield entries["scheduler"], str(text), interval if interval is not None else written
                return
            if "lr_scheduler" in entries:
                yield from config(entries["lr_scheduler"])
                return
        elif not isinstance(node, (ast.Constant, ast.List, ast.Tuple)):
            yield node, "epoch", written

    for value in func.returns:
        value = resolve(value)
        if isinstance(value, ast.Dict):
            yield from config(value)
        elif isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == 2:
            second = resolve(value.elts[1])
            if isinstance(second, (ast.List, ast.Tuple)):
                for item in second.elts:
                    yield from config(item)


def _binding_of(model: Model, func: Func, node: ast.expr) -> Binding | None:
    if isinstance(node, ast.Call):
        found = classify(model.names.qualify(node.func))
        if found is None:
            return None
        binding = Binding("<inline>", node, found[0], found[1], func, ())
        first = binding.argument(0, "optimizer")
        key = dotted(first) if first is not None else None
        binding.optimizer = None if key is None else model.canonical(key, func)
        return binding if binding.is_scheduler else None
    key = dotted(node)
    return None if key is None else model.lookup(key, func)


def lightning_schedulers(model: Model) -> Iterator[tuple[Binding, str, ast.AST]]:
    """(scheduler binding, interval, where to report) for each scheduler of a known kind that a
    ``configure_optimizers`` method returns.

    Example:
        >>> import ast
        >>> code = (
        ...     "import torch\\n"
        ...     "class M:\\n"
        ...     "    def configure_optimizers(self):\\n"
        ...     "        opt = torch.optim.SGD(self.parameters(), lr=0.1)\\n"
        ...     "        sched = torch.optim.lr_scheduler.StepLR(opt, 10)\\n"
        ...     "        return [opt], [sched]\\n"
        ... )
        >>> [(b.cls, interval) for b, interval, _ in lightning_schedulers(Model(ast.parse(code)))]
        [('StepLR', 'epoch')]
    """
    for func in model.funcs:
        if func.name != "configure_optimizers":
            continue
        for node, interval, where in _returned(model, func):
            binding = _binding_of(model, func, node)
            if binding is not None:
                yield binding, interval, where
