"""The model of a training script that the rules read: bindings, call sites, loops, functions.

One walk over the AST records, in source order:

* bindings: ``sched = torch.optim.lr_scheduler.StepLR(opt, ...)`` (a scheduler of a known class
  on the optimizer ``opt``), optimizers, ``nn.Sequential`` models, instances of classes defined in
  the file, and aliases (``self.scheduler = scheduler``, ``a, b = accelerator.prepare(a, b)``);
* call sites ``receiver.method(...)`` (``step``, ``get_lr``, ``load_state_dict``), each with the
  function and the loops it sits in and the ``if`` branches on the way;
* the loops of each function: their header, their literal iteration count, the loops nested in
  them, and whether they call anything that could step an optimizer;
* ``torch.save`` calls and the dictionaries they save, Lightning's ``configure_optimizers``.

The file is never imported or run.

(Over 400 lines for one job, the model: the walk that records bindings, sites and loops, and the
queries the rules ask of them, which read the same private records.)
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from lrkit.lint._facts import Binding, Func, Loop, Site, classify, exclusive
from lrkit.lint._names import Names, dotted, is_optimizer_name, is_scheduler_name, tokens

if TYPE_CHECKING:
    from lrkit.lint._project import Project

__all__ = ["Model", "build"]

#: Calls that never step an optimizer (a loop made only of these cannot train anything).
_SAFE_FUNCTIONS = frozenset(
    [
        "print",
        "len",
        "range",
        "enumerate",
        "zip",
        "str",
        "int",
        "float",
        "round",
        "min",
        "max",
        "sum",
        "abs",
        "format",
        "list",
        "dict",
        "tuple",
        "set",
        "sorted",
        "isinstance",
        "repr",
        "bool",
        "iter",
        "next",
        "any",
        "all",
        "map",
        "filter",
    ]
)
_SAFE_METHODS = frozenset(
    [
        "append",
        "extend",
        "item",
        "format",
        "get_last_lr",
        "info",
        "debug",
        "warning",
        "write",
        "add_scalar",
        "add_scalars",
        "log",
        "keys",
        "values",
        "items",
        "get",
        "tolist",
        "numpy",
        "cpu",
        "detach",
    ]
)

#: The methods whose calls are recorded as sites (what the rules look at).
_RECORDED = frozenset({"step", "get_lr", "load_state_dict", "update", "setdefault", "optimizer_step"})

_COMPOSERS = ("SequentialLR", "ChainedScheduler")

#: Names of checkpoint-saving helpers whose first argument is the payload.
_HELPER_SAVE = re.compile(
    r"^(save_on_master|save_checkpoint|save_ckpt|save_training_checkpoint|save_state_dict|"
    r"save_train_state|save_model_checkpoint)$"
)


class Model:
    """Everything one walk learns about a file; the rules query it."""

    def assignments(self) -> list[ast.Assign]:
        """Every ``a = ...`` statement of the file, at any depth, in the order the model's walk met them."""
        return self._assignments

    def __init__(self, tree: ast.Module) -> None:
        self.names = Names()
        self.tree = tree
        self.module = Func(None, "<module>", None)
        self.funcs: list[Func] = [self.module]
        self.sites: list[Site] = []
        #: Results the rules derive from the whole file, computed once per file (by the rule's name).
        self.derived: dict[str, Any] = {}
        self._assignments: list[ast.Assign] = []
        self.bindings: list[Binding] = []
        self._scoped: dict[tuple[int, str], Binding] = {}
        self._global: dict[str, Binding] = {}
        #: Every binding of a key, in source order: per scope, and over the whole file.
        self._all: dict[tuple[int, str], list[Binding]] = {}
        self._global_all: dict[str, list[Binding]] = {}
        #: Keys bound to different classes in different functions: no guess from elsewhere.
        self._ambiguous: set[str] = set()
        self._aliases: dict[tuple[int, str], str] = {}
        self._global_aliases: dict[str, str] = {}
        self.literals: dict[tuple[int, str], list[ast.expr]] = {}
        self.saves: list[tuple[ast.Call, Func]] = []
        #: ``torch.load(...)`` calls (where a resume reads its checkpoint).
        self.torch_loads: list[tuple[ast.Call, Func]] = []
        #: ``accelerator.load_state`` or a framework's ``load_checkpoint``: restores every registered object.
        self.restores_whole_state = False
        #: The ``if`` tests around each constructor call bound to a name (by the call's id).
        self.binding_guards: dict[int, tuple[tuple[ast.expr, int], ...]] = {}
        #: The file's module name (its stem), when it is read from a file of a linted tree.
        self.module_name: str | None = None
        #: The linted tree this file belongs to (set by `lrkit.lint._project.Project`), or None.
        self.project: Project | None = None
        #: Calls given a ``verbose=`` keyword (removed from torch's schedulers).
        self.verbose_calls: list[ast.Call] = []
        self.class_attrs: dict[str, dict[str, ast.Call]] = {}
        #: Classes defined in the file: their bases (last part of the name).
        self.class_bases: dict[str, list[str]] = {}
        #: ``self.<attr> = <value>`` in the methods of a class: (class, attr) -> (value, method).
        self.attr_sources: dict[tuple[str, str], tuple[ast.expr, Func]] = {}
        #: Every call of a plain name or ``self.<name>`` / ``x.<name>`` with its function: name -> calls.
        self.calls_by_name: dict[str, list[tuple[ast.Call, Func]]] = {}
        self.composed: set[str] = set()
        self.composed_calls: set[int] = set()
        self._func = self.module
        self._cls: str | None = None
        self._loops: tuple[Loop, ...] = ()
        self._branches: tuple[tuple[int, int], ...] = ()
        self._guards: tuple[tuple[ast.expr, int], ...] = ()
        self._accumulate = 0
        #: Keys passed through ``accelerator.prepare(...)`` (a prepared scheduler steps with the
        #: optimizer: once per synchronized update under ``accumulate()``).
        self.prepared: set[str] = set()
        #: The line of the ``accelerator.prepare`` call that prepared each key.
        self.prepared_at: dict[str, int] = {}
        #: ``accelerator.load_state(...)`` calls (they restore only prepared or registered objects).
        self.state_loads: list[tuple[ast.Call, Func]] = []
        #: Keys given to ``accelerator.register_for_checkpointing(...)``.
        self.registered: set[str] = set()
        #: ``deepspeed.initialize(..., lr_scheduler=X)`` calls (DeepSpeed steps X at every update).
        self.deepspeed_calls: list[tuple[ast.Call, Func]] = []
        #: ``a, b = f(...)``: (key, index, call, func) for names unpacked from a call's result.
        self.unpacked: list[tuple[str, int, ast.Call, Func]] = []
        self._if_depth_in_loop = 0
        self._body(tree.body)

    # -- queries -----------------------------------------------------------------------------------

    def canonical(self, key: str, func: Func) -> str:
        """Follow aliases (``self.sched = sched``) to the key the object was first bound to."""
        for _ in range(6):
            nxt = self._aliases.get((id(func), key))
            if nxt is None and (id(func), key) not in self._scoped:
                nxt = self._global_aliases.get(key)
            if nxt is None or nxt == key:
                return key
            key = nxt
        return key

    def lookup(self, key: str, func: Func, site: Site | None = None) -> Binding | None:
        """The binding of `key` seen from `func` (and from `site`, when given): own scope first.

        A name bound to different classes in different branches (``if kind == "plateau": sched =
        ReduceLROnPlateau(...) else: sched = StepLR(...)``) has the class of the branch the site
        is in, when the site is in one of them; seen from elsewhere its class is not known (None).
        """
        key = self.canonical(key, func)
        candidates = self._all.get((id(func), key))
        if not candidates and key not in self._ambiguous:
            candidates = self._global_all.get(key)
        if not candidates:
            return None
        if site is not None and candidates[0].func is site.func:
            before = [b for b in candidates if (b.call.lineno, b.call.col_offset) < site.position]
            candidates = [b for b in (before or candidates) if not exclusive(b.branches, site.branches)]
            if not candidates:
                return None
            last = candidates[-1]
            # The last binding before the site wins when every branch it is under holds the site too.
            if set(last.branches) <= set(site.branches):
                candidates = [last]
        classes = {(b.family, b.cls) for b in candidates}
        found = candidates[-1] if len(classes) == 1 else None
        # A call of something unknown (a factory of the project) says nothing about the class.
        return None if found is None or found.family == "other" else found

    def raw_binding(self, key: str, func: Func) -> Binding | None:
        """The last binding of `key` in `func`'s scope, whatever it builds (a factory's call too)."""
        found = self._all.get((id(func), self.canonical(key, func)))
        return found[-1] if found else None

    def resolve(self, key: str, func: Func, site: Site | None = None) -> Binding | None:
        """`lookup`, then through the other functions and files of the linted tree."""
        found = self.lookup(key, func, site)
        if found is None and self.project is not None:
            found = self.project.resolve(self, self.canonical(key, func), func)
        return found

    def kind(self, key: str, func: Func) -> str | None:
        """'scheduler', 'optimizer', 'scaler', 'model' or None (unknown) for a receiver."""
        binding = self.lookup(key, func)
        if binding is not None:
            if binding.is_scheduler:
                return "scheduler"
            return binding.family if binding.family in ("optimizer", "scaler") else "model"
        key = self.canonical(key, func)
        if is_scheduler_name(key):
            return "scheduler"
        if is_optimizer_name(key):
            return "optimizer"
        if "scaler" in key.rpartition(".")[2].lower():
            return "scaler"
        return None

    def optimizer_steps(self) -> list[tuple[Site, str]]:
        """Every call that performs an optimizer update, with the optimizer's key."""
        found: list[tuple[Site, str]] = []
        for site in self.sites:
            if site.method == "optimizer_step" and site.call.args:
                key = dotted(site.call.args[0])
                if key is not None:
                    found.append((site, self.canonical(key, site.func)))
            if site.method != "step":
                continue
            kind = self.kind(site.key, site.func)
            if kind == "optimizer":
                found.append((site, self.canonical(site.key, site.func)))
            elif kind == "scaler" and site.call.args:
                key = dotted(site.call.args[0])
                if key is not None:
                    found.append((site, self.canonical(key, site.func)))
        return found

    def scheduler_sites(self, method: str) -> list[tuple[Site, Binding | None]]:
        """Calls of `method` on a scheduler, with the scheduler's binding when it is known."""
        found: list[tuple[Site, Binding | None]] = []
        for site in self.sites:
            if site.method == method and self.kind(site.key, site.func) == "scheduler":
                found.append((site, self.resolve(site.key, site.func, site)))
        return found

    def loads_scheduler_state(self) -> bool:
        """True if a scheduler's state is restored anywhere (this file, or the linted tree)."""
        if self.project is not None:
            return self.project.loads_scheduler_state(self)
        return self.loads_scheduler_state_here()

    def loads_scheduler_state_here_by_name(self) -> bool:
        """True if this file calls ``load_state_dict`` on a scheduler."""
        return any(
            site.method == "load_state_dict" and self.kind(site.key, site.func) == "scheduler"
            for site in self.sites
        )

    def loads_scheduler_state_here(self) -> bool:
        """True if this file restores a scheduler (``load_state_dict``, or ``accelerator.load_state``)."""
        for site in self.sites:
            if site.method == "load_state_dict" and self.kind(site.key, site.func) == "scheduler":
                return True
        return self.restores_whole_state

    def project_scheduler_attributes(self, cls: str | None = None) -> bool:
        """True if class `cls` holds a scheduler through a subclass elsewhere in the linted tree."""
        if self.project is None or cls is None:
            return False
        return self.project.subclass_has_scheduler(cls)

    def defines_schedulers(self, cls: str | None = None) -> bool:
        """True if the linted tree (or this file) defines scheduler classes of its own (a class
        deriving from ``_LRScheduler``, ``LRScheduler`` or another ``...Scheduler``); with `cls`,
        whether that class is one."""
        bases: dict[str, Any] = dict(self.project.bases if self.project is not None else self.class_bases)
        if cls is not None:
            bases = {cls: bases.get(cls, ())}
        return any(
            any(base.endswith(("LRScheduler", "Scheduler")) for base in found) for found in bases.values()
        )

    def loop_count(self, loop: Loop) -> int | None:
        """How many times a ``for ... in range(<literals>)`` loop runs; None if not known."""
        if loop.exits or loop.range_args is None:
            return None
        values = [self.names.number(arg) for arg in loop.range_args]
        if any(not isinstance(v, int) for v in values) or not values:
            return None
        ints = [int(v) for v in values if v is not None]
        if len(ints) == 1:
            return max(ints[0], 0)
        step = ints[2] if len(ints) == 3 else 1
        return len(range(ints[0], ints[1], step)) if step else None

    # -- the walk ----------------------------------------------------------------------------------

    def _body(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self._stmt(statement)

    def _stmt(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.names.add_import(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(node)
        elif isinstance(node, ast.ClassDef):
            for expr in node.bases:
                self._expr(expr)
            self.class_bases[node.name] = [
                (dotted(base) or "").rpartition(".")[2] for base in node.bases if dotted(base)
            ]
            outer, self._cls = self._cls, node.name
            self._body(node.body)
            self._cls = outer
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._expr(node.iter)
            self._bind_target(node.target, None)
            self._loop(node, tokens(node.target) | tokens(node.iter), _range_args(node.iter))
            self._body(node.orelse)
        elif isinstance(node, ast.While):
            self._loop(node, tokens(node.test), None)
            self._body(node.orelse)
        elif isinstance(node, ast.If):
            self._expr(node.test)
            self._branch(node, 0, node.body)
            self._branch(node, 1, node.orelse)
        elif isinstance(node, ast.Assign):
            self._assignments.append(node)
            self._expr(node.value)
            for target in node.targets:
                self._assign(target, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._expr(node.value)
                self._assign(node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            self._expr(node.value)
            self._bind_target(node.target, None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            accumulate = False
            for item in node.items:
                self._expr(item.context_expr)
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, None)
                context = item.context_expr
                if isinstance(context, ast.Call) and isinstance(context.func, ast.Attribute):
                    accumulate |= context.func.attr == "accumulate"
            self._accumulate += accumulate
            self._body(node.body)
            self._accumulate -= accumulate
        elif isinstance(node, ast.Try):
            self._body(node.body)
            for handler in node.handlers:
                self._body(handler.body)
            self._body(node.orelse)
            self._body(node.finalbody)
        elif isinstance(node, ast.Return):
            for loop in self._loops:
                loop.exits = True
            if node.value is not None:
                self._expr(node.value)
                self._func.returns.append(node.value)
        elif isinstance(node, ast.Break):
            if self._loops:
                self._loops[-1].exits = True
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._stmt(child)
                elif isinstance(child, ast.expr):
                    self._expr(child)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in node.decorator_list:
            self._expr(expr)
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            self.names.bind(arg.arg, None)
        func = Func(node, node.name, self._cls)
        self.funcs.append(func)
        saved = (
            self._func,
            self._loops,
            self._branches,
            self._if_depth_in_loop,
            self._guards,
            self._accumulate,
        )
        self._func, self._loops, self._branches, self._if_depth_in_loop = func, (), (), 0
        self._guards, self._accumulate = (), 0
        self._body(node.body)
        (self._func, self._loops, self._branches, self._if_depth_in_loop, self._guards, self._accumulate) = (
            saved
        )

    def _loop(
        self, node: ast.For | ast.AsyncFor | ast.While, header: set[str], args: list[ast.expr] | None
    ) -> None:
        parent = self._loops[-1] if self._loops else None
        loop = Loop(node, parent, self._func, header, args)
        (parent.children if parent else self._func.loops).append(loop)
        saved = (self._loops, self._if_depth_in_loop)
        self._loops, self._if_depth_in_loop = (*self._loops, loop), 0
        if isinstance(node, ast.While):
            self._expr(node.test)
        else:
            self._expr(node.target)
        self._body(node.body)
        self._loops, self._if_depth_in_loop = saved

    def _branch(self, node: ast.If, side: int, body: list[ast.stmt]) -> None:
        saved = self._branches, self._guards
        self._branches = (*self._branches, (id(node), side))
        self._guards = (*self._guards, (node.test, side))
        self._if_depth_in_loop += 1
        self._body(body)
        self._if_depth_in_loop -= 1
        self._branches, self._guards = saved

    def _expr(self, node: ast.AST) -> None:
        # NOTE: a hand-written walk: names, constants and attribute chains (most of a file's
        # nodes) are handled without the generators of ast.walk, which dominated the run time.
        kind = type(node)
        if kind is ast.Name or kind is ast.Constant:
            return
        if kind is ast.Attribute:
            self._expr(node.value)  # type: ignore[attr-defined]
            return
        if kind is ast.Call:
            call: ast.Call = node  # type: ignore[assignment]
            self._call(call)
            self._expr(call.func)
            for arg in call.args:
                self._expr(arg)
            for keyword in call.keywords:
                self._expr(keyword.value)
            return
        if kind is ast.BinOp:
            self._expr(node.left)  # type: ignore[attr-defined]
            self._expr(node.right)  # type: ignore[attr-defined]
            return
        if kind is ast.Subscript:
            self._expr(node.value)  # type: ignore[attr-defined]
            self._expr(node.slice)  # type: ignore[attr-defined]
            return
        if kind is ast.Tuple or kind is ast.List:
            for item in node.elts:  # type: ignore[attr-defined]
                self._expr(item)
            return
        if kind is ast.NamedExpr:
            named: ast.NamedExpr = node  # type: ignore[assignment]
            self._bind_target(named.target, named.value)
        for child in ast.iter_child_nodes(node):
            self._expr(child)

    def _call(self, call: ast.Call) -> None:
        func = call.func
        kind = type(func)
        name: str | None = None
        if kind is ast.Attribute:
            name = func.attr  # type: ignore[attr-defined]
            receiver = dotted(func.value) if name in _RECORDED else None  # type: ignore[attr-defined]
            if receiver is not None:
                site = Site(
                    receiver,
                    name,
                    call,
                    self._func,
                    self._loops,
                    self._branches,
                    self._if_depth_in_loop > 0 or (not self._loops and bool(self._branches)),
                    self._guards,
                    self._accumulate > 0,
                )
                self.sites.append(site)
                if self._loops:
                    self._loops[-1].sites.append(site)
        elif kind is ast.Name:
            name = func.id  # type: ignore[attr-defined]
        if self._loops:
            self._loop_call(func, name, call)
        if name is None:
            return
        self.calls_by_name.setdefault(name, []).append((call, self._func))
        if call.keywords and any(keyword.arg == "verbose" for keyword in call.keywords):
            self.verbose_calls.append(call)
        if name == "initialize" and any(k.arg == "lr_scheduler" for k in call.keywords):
            self.deepspeed_calls.append((call, self._func))
        if name in ("load_state", "load_checkpoint", "resume_from_checkpoint") and kind is ast.Attribute:
            self.restores_whole_state = True
            if name == "load_state":
                self.state_loads.append((call, self._func))
        if name == "register_for_checkpointing":
            self.registered.update(key for key in map(dotted, call.args) if key is not None)
        if name == "load" and kind is ast.Attribute and self.names.qualify(func) == "torch.load":
            self.torch_loads.append((call, self._func))
        elif _HELPER_SAVE.search(name) and call.args and not name.startswith("save_pretrained"):
            # A project's own checkpoint helper given the payload (``save_checkpoint({...}, path)``,
            # ``utils.save_on_master({...}, path)``): read like torch.save.
            qualname = self.names.qualify(func)
            if qualname != "torch.save" and isinstance(call.args[0], (ast.Dict, ast.Name)):
                self.saves.append((call, self._func))
        if name == "save" or name in _COMPOSERS or (kind is ast.Name and name in self.names.aliases):
            qualname = self.names.qualify(func)
            if qualname == "torch.save":
                self.saves.append((call, self._func))
            elif qualname is not None and qualname.rpartition(".")[2] in _COMPOSERS:
                self._composer(call)

    def _loop_call(self, func: ast.expr, name: str | None, call: ast.Call) -> None:
        """Note a call inside loops: its name, and whether it could step an optimizer."""
        # Functions of this file called from the loop: plain calls and methods of the same class
        # (not ``model.train()``, which is no call of a function named ``train``).
        if name is not None and (isinstance(func, ast.Name) or dotted(func) == f"self.{name}"):
            self._loops[-1].called.add(name)
            self._loops[-1].call_sites.append((name, call, self._branches))
        if isinstance(func, ast.Attribute):
            safe = name in _SAFE_METHODS or is_scheduler_name(dotted(func.value) or "")
        else:
            safe = name in _SAFE_FUNCTIONS
        if not safe:
            for loop in self._loops:
                loop.opaque = True

    def _composer(self, call: ast.Call) -> None:
        """Record the children of a SequentialLR / ChainedScheduler (they are composed)."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, (ast.List, ast.Tuple)):
                for item in arg.elts:
                    key = dotted(item)
                    if key is not None:
                        self.composed.add(self.canonical(key, self._func))
                    elif isinstance(item, ast.Call):
                        self.composed_calls.add(id(item))

    # -- bindings ----------------------------------------------------------------------------------

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.names.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                self._bind_target(item, None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None)

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        self._bind_target(target, value if isinstance(target, ast.Name) else None)
        scope = id(self._func)
        if isinstance(target, ast.Subscript):
            owner = dotted(target.value)
            if owner is not None:
                self.literals.setdefault((scope, owner), []).append(value)
            return
        key = dotted(target)
        if isinstance(target, (ast.Tuple, ast.List)):
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "prepare"
            ):
                for item, arg in zip(target.elts, value.args, strict=False):
                    item_key, arg_key = dotted(item), dotted(arg)
                    if item_key is not None and arg_key is not None and item_key != arg_key:
                        self._alias(item_key, arg_key)
                    if item_key is not None:
                        self.prepared.add(item_key)
                        self.prepared_at.setdefault(item_key, value.lineno)
            elif isinstance(value, ast.Call):
                for index, item in enumerate(target.elts):
                    item_key = dotted(item)
                    if item_key is not None:
                        self.unpacked.append((item_key, index, value, self._func))
            return
        if key is None:
            return
        self.literals.setdefault((scope, key), []).append(value)
        if self._func.cls is not None and key.startswith("self.") and key.count(".") == 1:
            self.attr_sources.setdefault((self._func.cls, key[5:]), (value, self._func))
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "prepare"
            and len(value.args) == 1
        ):
            # ``sched = accelerator.prepare(sched)``: the same object, now stepped with the optimizer.
            arg_key = dotted(value.args[0])
            if arg_key is not None:
                self.prepared.add(key)
                self.prepared_at.setdefault(key, value.lineno)
                if arg_key != key:
                    self._alias(key, arg_key)
                return
        source = dotted(value)
        if source is not None:
            if source != key:
                self._alias(key, source)
            return
        if not isinstance(value, ast.Call):
            return
        if self._cls is not None and key.startswith("self.") and key.count(".") == 1:
            self.class_attrs.setdefault(self._cls, {})[key[5:]] = value
        qualname = self.names.qualify(value.func)
        found = classify(qualname)
        if found is None and isinstance(value.func, ast.Attribute):
            if value.func.attr == "lr_schedulers":
                found = ("unknown-scheduler", "lr_schedulers")
            elif value.func.attr == "optimizers":
                found = ("optimizer", "optimizers")
        if found is None and isinstance(value.func, ast.Name) and value.func.id in self.class_attrs:
            found = ("instance", value.func.id)
        if found is None:
            found = ("other", qualname or "")
        family, cls = found
        binding = Binding(key, value, family, cls, self._func, self._branches, loops=self._loops, owner=self)
        self.binding_guards[id(value)] = self._guards
        if binding.is_scheduler:
            first = binding.argument(0, "optimizer")
            opt_key = dotted(first) if first is not None else None
            binding.optimizer = None if opt_key is None else self.canonical(opt_key, self._func)
        self.bindings.append(binding)
        self._scoped[(scope, key)] = binding
        self._all.setdefault((scope, key), []).append(binding)
        self._global_all.setdefault(key, []).append(binding)
        previous = self._global.get(key)
        if previous is not None and previous.func is not self._func and previous.cls != binding.cls:
            self._ambiguous.add(key)
        self._global[key] = binding
        self._aliases.pop((scope, key), None)

    def _alias(self, key: str, source: str) -> None:
        self._aliases[(id(self._func), key)] = source
        self._global_aliases.setdefault(key, source)


def _range_args(node: ast.expr) -> list[ast.expr] | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        if node.keywords or not 1 <= len(node.args) <= 3:
            return None
        return list(node.args)
    return None


def build(tree: ast.Module) -> Model:
    """Walk a parsed file once and return its model."""
    return Model(tree)
