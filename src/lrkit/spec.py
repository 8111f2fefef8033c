"""Specs: schedules written as text, parsed with a restricted grammar (never `eval`).

The grammar is a subset of Python expressions:

* calls of registered names, with positional and keyword arguments:
  ``warmup(cosine(end=0.1), steps=0.05)``, ``StepLR(step_size=2, gamma=0.5)``;
  dotted names for other libraries' schedules (``transformers.cosine(...)``);
* literals: numbers, strings, ``True``, ``False``, ``None``, lists and tuples;
* ``a * b`` multiplies two schedules (`product`) or scales a schedule by a number (`scale`).

Anything else (attribute access on values, subscripts, lambdas, comprehensions, names that are not
registered) is rejected with the column where it starts.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any

from lrkit.config import build
from lrkit.schedules import REGISTRY, Schedule

__all__ = ["SpecError", "parse"]

MAX_LENGTH = 20_000


class SpecError(ValueError):
    """A spec that cannot be parsed or built; `column` is where the problem starts (1-based)."""

    def __init__(self, message: str, spec: str, column: int | None = None) -> None:
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{message}{where} in spec {spec!r}")
        self.spec = spec
        self.column = column


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return None if parent is None else f"{parent}.{node.attr}"
    return None


class _Builder:
    def __init__(self, spec: str) -> None:
        self.spec = spec

    def error(self, message: str, node: ast.AST | None) -> SpecError:
        column = getattr(node, "col_offset", None)
        return SpecError(message, self.spec, None if column is None else column + 1)

    def unknown(self, name: str, node: ast.AST) -> SpecError:
        close = difflib.get_close_matches(name, sorted(REGISTRY), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return self.error(f"unknown schedule {name!r}{hint}", node)

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (bool, int, float, str)):
                return node.value
            raise self.error(f"unsupported literal {node.value!r}", node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.value(node.operand)
            if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                raise self.error("a sign can only stand before a number", node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.multiply(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        name = _dotted(node)
        if name is not None:
            if name in REGISTRY:
                raise self.error(f"{name!r} is a schedule: call it, e.g. {name}(...)", node)
            raise self.unknown(name, node)
        raise self.error(f"unsupported syntax ({type(node).__name__})", node)

    def multiply(self, node: ast.BinOp) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        try:
            if isinstance(left, Schedule) and isinstance(right, Schedule):
                return build("product", [[left, right]], {})
            if isinstance(left, Schedule):
                left, right = right, left
            if isinstance(right, Schedule) and isinstance(left, (int, float)) and not isinstance(left, bool):
                return build("scale", [right, left], {})
        except ValueError as error:
            raise self.error(str(error), node) from None
        raise self.error("'*' multiplies two schedules, or a number and a schedule", node)

    def call(self, node: ast.Call) -> Any:
        name = _dotted(node.func)
        if name is None:
            raise self.error("only registered schedule names can be called", node)
        if name not in REGISTRY:
            raise self.unknown(name, node.func)
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error("'*' arguments are not supported", arg)
            args.append(self.value(arg))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error("'**' arguments are not supported", keyword)
            kwargs[keyword.arg] = self.value(keyword.value)
        try:
            return build(name, args, kwargs)
        except (ValueError, TypeError) as error:
            raise self.error(str(error), node) from None


def parse(spec: str) -> Schedule:
    """Build the schedule a spec string describes.

    Args:
        spec: an expression such as ``"warmup(cosine(end=0.1), steps=2)"`` or
            ``"CosineAnnealingLR(T_max=10, eta_min=0.001)"``.

    Raises:
        SpecError: (a ValueError) the spec does not parse, names an unknown schedule or argument,
            or has a bad argument value; the message gives the column and the closest known names.

    Example:
        >>> from lrkit import parse
        >>> parse("warmup(cosine(end=0.1), steps=2)")
        warmup(cosine(end=0.1), steps=2)
        >>> parse("__import__('os')")
        Traceback (most recent call last):
        ...
        lrkit.spec.SpecError: unknown schedule '__import__' at column 1 in spec "__import__('os')"
    """
    if not isinstance(spec, str):
        raise TypeError(f"a spec is a string. Received: {spec!r}")
    if len(spec) > MAX_LENGTH:
        raise SpecError(f"a spec is at most {MAX_LENGTH} characters long", spec[:40] + "...")
    try:
        tree = ast.parse(spec.strip(), mode="eval")
    except SyntaxError as error:
        raise SpecError(f"invalid syntax ({error.msg})", spec, error.offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise SpecError("the spec is too deeply nested", spec) from None
    try:
        result = _Builder(spec.strip()).value(tree.body)
    except RecursionError:
        raise SpecError("the spec is too deeply nested", spec) from None
    if not isinstance(result, Schedule):
        raise SpecError(f"a spec must describe a schedule, not {result!r}", spec, 1)
    return result
