"""Names in a linted script: imports and aliases, dotted receivers, literal values, name heuristics.

Nothing here imports or runs the linted file: imports are read from the AST
(``import torch.optim as optim`` makes ``optim.lr_scheduler.StepLR`` mean
``torch.optim.lr_scheduler.StepLR``), and a name has a literal value only when the whole file binds
it exactly once, to a number (``EPOCHS = 10``).
"""

from __future__ import annotations

import ast
import re

__all__ = [
    "Names",
    "dotted",
    "is_optimizer_name",
    "is_scheduler_name",
    "tokens",
]

_SCHEDULERS = frozenset(
    [
        "LRScheduler",
        "LambdaLR",
        "MultiplicativeLR",
        "StepLR",
        "MultiStepLR",
        "ConstantLR",
        "LinearLR",
        "ExponentialLR",
        "SequentialLR",
        "PolynomialLR",
        "CosineAnnealingLR",
        "ChainedScheduler",
        "ReduceLROnPlateau",
        "CyclicLR",
        "CosineAnnealingWarmRestarts",
        "OneCycleLR",
        "SWALR",
    ]
)
_OPTIMIZERS = frozenset(
    [
        "SGD",
        "Adam",
        "AdamW",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "ASGD",
        "LBFGS",
        "NAdam",
        "RAdam",
        "RMSprop",
        "Rprop",
        "SparseAdam",
        "Adafactor",
    ]
)


def _star_member(module: str, name: str) -> bool:
    """Whether a star import of `module` binds `name` (only the names the rules care about)."""
    if module in ("torch.optim.lr_scheduler", "lrkit.compat"):
        return name in _SCHEDULERS
    if module == "torch.optim":
        return name in _OPTIMIZERS or name == "lr_scheduler"
    if module == "torch.nn":
        return name[:1].isupper()
    if module == "lrkit":
        return name == "Scheduler"
    return False


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name; None for anything else.

    >>> import ast
    >>> dotted(ast.parse("self.sched.step", mode="eval").body)
    'self.sched.step'
    >>> dotted(ast.parse("f().step", mode="eval").body) is None
    True
    """
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


_SCHED = re.compile(r"sched|^sch$|^lr_policy$", re.IGNORECASE)
_OPT = re.compile(r"^optim|^opt($|_|\d)|_opt$|_optim|_optimi[sz]er|optimi[sz]er$", re.IGNORECASE)


def is_scheduler_name(key: str) -> bool:
    """True if the last part of `key` is named like a scheduler (``sched``, ``lr_scheduler``).

    >>> [is_scheduler_name(k) for k in ("scheduler", "self.lr_scheduler", "sch", "scaler")]
    [True, True, True, False]
    """
    return bool(_SCHED.search(key.rpartition(".")[2]))


def is_optimizer_name(key: str) -> bool:
    """True if the last part of `key` is named like an optimizer (``opt``, ``optimizer_g``).

    >>> [is_optimizer_name(k) for k in ("optimizer", "self.opt", "d_optimizer", "option")]
    [True, True, True, False]
    """
    return bool(_OPT.search(key.rpartition(".")[2]))


def tokens(node: ast.AST) -> set[str]:
    """The lowercase identifiers (names and attribute names) used anywhere in an expression."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id.lower())
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr.lower())
    return found


class Names:
    """What the names of one file stand for: imports (aliases) and literal constants."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.stars: list[str] = []
        self.imports_timm = False
        self._literal_nodes: dict[str, ast.expr | None] = {}

    # -- imports ---------------------------------------------------------------------------------

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Record what the names bound by an import statement refer to."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("timm"):
                    self.imports_timm = True
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    self.aliases[head] = head
            return
        module = node.module or ""
        if node.level or not module:
            return
        if module.startswith("timm"):
            self.imports_timm = True
        for alias in node.names:
            if alias.name == "*":
                self.stars.append(module)
                continue
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def qualify(self, node: ast.AST) -> str | None:
        """The full dotted name an expression refers to, through imports; None if unknown.

        Names that no import binds stay as written (``nn.Linear`` without an import of ``nn``
        is ``nn.Linear``), except scheduler classes brought in by a star import.
        """
        text = dotted(node)
        if text is None:
            return None
        head, dot, rest = text.partition(".")
        target = self.aliases.get(head)
        if target is None:
            for module in self.stars:
                if _star_member(module, head):
                    return f"{module}.{text}"
            return text
        return f"{target}{dot}{rest}"

    # -- literal constants ---------------------------------------------------------------------

    def bind(self, name: str, value: ast.expr | None) -> None:
        """Record one binding of `name` (to `value`, or to something that is not a literal)."""
        if name in self._literal_nodes:
            self._literal_nodes[name] = None
        else:
            self._literal_nodes[name] = value

    def number(self, node: ast.AST | None, depth: int = 0) -> int | float | None:
        """The value of a numeric literal, a name bound once to one, or simple arithmetic of them."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            return None
        if isinstance(node, ast.Name):
            return self.number(self._literal_nodes.get(node.id), depth + 1)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = self.number(node.operand, depth + 1)
            return None if operand is None else -operand
        if isinstance(node, ast.BinOp):
            left = self.number(node.left, depth + 1)
            right = self.number(node.right, depth + 1)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.FloorDiv) and right:
                return left // right
        return None

    def literal_node(self, node: ast.expr, depth: int = 0) -> ast.expr:
        """`node`, or the literal a name stands for (used to rebuild lrkit specs)."""
        if isinstance(node, ast.Name) and depth < 8:
            bound = self._literal_nodes.get(node.id)
            if bound is not None:
                return self.literal_node(bound, depth + 1)
        return node
