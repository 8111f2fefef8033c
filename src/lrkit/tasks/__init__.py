"""Training tasks to race schedules on: the bundled digits tasks, or your own `module:function`.

`load_task(name_or_path, seed=...)` returns a fresh `Task` (a new model, an optimizer factory,
the loaders and the loss). `lrkit compare` calls it once per run, so that every schedule starts
from the same weights and sees the same batches for a given seed; `lrkit find` uses it too.

Bundled tasks (see `TASKS`): ``"charlm"`` (the default race's: a small character-level transformer
language model trained with AdamW on the standard library's own source, see `lrkit.tasks.charlm`),
``"digits"`` (an MLP) and ``"digits-cnn"`` (a small CNN) on scikit-learn's handwritten digits,
which ship inside scikit-learn (no download).

Your own task is a ``"module:function"`` string (``"mytasks:cifar_small"``; the module is imported
from the current directory or the installed packages) or ``"path/to/file.py:function"``.
The function

* takes no required argument; if it has a ``seed`` parameter, it is called with the run's seed
  (torch's global generator is also seeded with it before the call);
* returns a `Task`, or the 4-tuple ``(model, optimizer_factory, (train_loader, val_loader), loss)``
  where ``optimizer_factory(model)`` builds the optimizer (see `Task` for each item's contract);
* is called once per run and must return a fresh model each time.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lrkit._validate import check_int
from lrkit.tasks._task import (
    Batch,
    OptimizerFactory,
    StepHook,
    Task,
    TaskError,
    _describe,
    steps_per_epoch,
    updates_per_epoch,
)
from lrkit.tasks.charlm import charlm
from lrkit.tasks.digits import digits, digits_cnn

__all__ = [
    "TASKS",
    "Batch",
    "OptimizerFactory",
    "StepHook",
    "Task",
    "TaskError",
    "charlm",
    "digits",
    "digits_cnn",
    "load_task",
    "steps_per_epoch",
    "updates_per_epoch",
]

#: The bundled tasks, by name: each is called as ``builder(seed)``.
TASKS: dict[str, Callable[[int], Task]] = {"charlm": charlm, "digits": digits, "digits-cnn": digits_cnn}


def load_task(name_or_path: str, *, seed: int = 0) -> Task:
    """A fresh task: a bundled one by name, or a user's ``module:function`` called with `seed`.

    Args:
        name_or_path: a name from `TASKS` (``"charlm"``, ``"digits"``, ``"digits-cnn"``),
            ``"module:function"`` or ``"path/to/file.py:function"``.
        seed: the run's seed, an int >= 0: torch's global generator is seeded with it, and it is
            passed to a function that has a ``seed`` parameter.

    Raises:
        TaskError: an unknown name, a module or function that cannot be found, a function that
            raises, or one that returns something else than a `Task` or the 4-tuple.
        TypeError: `name_or_path` is not a string.

    Example:
        >>> from lrkit.tasks import load_task
        >>> task = load_task("digits", seed=0)
        >>> task.name, type(task.model).__name__
        ('digits', 'Sequential')
    """
    if not isinstance(name_or_path, str):
        raise TypeError(f"Argument `task` of load_task() must be a string. Received: task={name_or_path!r}")
    seed = check_int("load_task", "seed", seed)
    if name_or_path in TASKS:
        builder = TASKS[name_or_path]
        call: Callable[[], Any] = lambda: builder(seed)  # noqa: E731
    elif ":" in name_or_path:
        function = _find_function(name_or_path)
        try:
            takes_seed = "seed" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            takes_seed = False
        call = (lambda: function(seed=seed)) if takes_seed else function
    else:
        known = ", ".join(repr(name) for name in TASKS)
        raise TaskError(
            f"Argument `task` of load_task() must be one of {known} or a 'module:function' string. "
            f"Received: task={name_or_path!r}"
        )
    torch.manual_seed(seed)
    try:
        result = call()
    except TaskError:
        raise
    except SystemExit as error:
        raise TaskError(f"task {name_or_path!r} called sys.exit({error.code!r})") from None
    except Exception as error:
        raise TaskError(f"task {name_or_path!r} failed: {_describe(error)}") from error
    return _as_task(name_or_path, result)


def _find_function(name_or_path: str) -> Callable[..., Any]:
    module_name, _, attribute = name_or_path.rpartition(":")
    if not module_name or not attribute:
        raise TaskError(f"task {name_or_path!r} must read 'module:function' (both parts non-empty)")
    try:
        if module_name.endswith(".py"):
            module = _import_file(Path(module_name))
        else:
            if "" not in sys.path and os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except TaskError:
        raise
    except SystemExit as error:
        raise TaskError(
            f"the module of task {name_or_path!r} called sys.exit({error.code!r}) when imported"
        ) from None
    except Exception as error:
        raise TaskError(f"cannot import the module of task {name_or_path!r}: {_describe(error)}") from error
    function = getattr(module, attribute, None)
    if function is None:
        raise TaskError(f"task {name_or_path!r}: module {module_name!r} has no attribute {attribute!r}")
    if not callable(function):
        raise TaskError(f"task {name_or_path!r}: {attribute!r} is not callable")
    return function  # type: ignore[no-any-return]


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise TaskError(f"task file {str(path)!r} does not exist")
    # NOTE: imported once per process, like a module: the name is unique to the file's location.
    digest = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()[:12]
    name = f"_lrkit_task_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TaskError(f"task file {str(path)!r} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as error:
        del sys.modules[name]
        raise TaskError(f"task file {str(path)!r} called sys.exit({error.code!r}) when imported") from None
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _as_task(name: str, result: Any) -> Task:
    if isinstance(result, Task):
        return result
    if isinstance(result, tuple) and len(result) == 4:
        model, optimizer, loaders, loss = result
        if not (isinstance(loaders, (tuple, list)) and len(loaders) == 2):
            raise TaskError(
                f"task {name!r} must return loaders as a pair (train_loader, val_loader) in "
                f"(model, optimizer_factory, (train_loader, val_loader), loss)"
            )
        try:
            return Task(model, optimizer, loaders[0], loaders[1], loss, name=name)
        except TypeError as error:
            raise TaskError(f"task {name!r} returned a bad task: {error}") from error
    raise TaskError(
        f"task {name!r} must return a lrkit.tasks.Task or the tuple "
        f"(model, optimizer_factory, (train_loader, val_loader), loss). Received: {type(result).__name__}"
    )
