"""Write the reference curves of other libraries' schedules, for lrkit's preset tests.

Run it with the real libraries installed (it is not run by the tests or by CI):

    pip install -c constraints.txt transformers fvcore megatron-core jax jaxlib optax keras
    pip install -c constraints.txt --no-deps timm
    python tests/presets/reference/generate.py [library ...]

It writes one file per library, ``tests/presets/reference/<library>.json``::

    {"library": "optax", "version": "0.2.8", "cases": [
        {"name": "cosine_decay_schedule", "kwargs": {...}, "values": [v(0), v(1), ..., v(N)]}, ...]}

``name`` and ``kwargs`` are the library's own call (its function or class name and keyword
arguments), so that a test can build ``lrkit``'s ``<library>.<name>(**kwargs)`` preset from the same
data. Extra keys say how the values were taken:

* ``lr``: the optimizer's base learning rate (libraries whose schedule scales it: transformers,
  timm); the values are learning rates, not factors.
* ``total``: the run's length used to map steps to the library's own clock (fvcore, whose
  schedules are functions of progress ``where = step / total`` as detectron2's ``LRMultiplier``
  evaluates them).
* ``metrics``: for plateau rules, the metric fed after each step (value ``i`` is the rate after
  the ``i``-th metric).
* ``clean``: for timm cases with noise, the values without noise.

Every library computes in float64 here: optax with ``jax_enable_x64``, Keras with ``floatx`` set to
``float64`` on the numpy backend and its float64-to-float32 promotion rule switched off.
Megatron-LM's ``OptimizerParamScheduler`` is run from
megatron-core. detectron2 is not on the package index: its ``WarmupParamScheduler`` is emulated with
fvcore's ``CompositeParamScheduler`` exactly as detectron2 builds it (``solver/lr_scheduler.py``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import sys
import types
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

Case = dict[str, Any]


def _plain(value: Any) -> Any:
    """JSON-safe data (tuples to lists, numpy scalars to Python numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (int, float, str)):
        return value.item()
    return value


def _write(library: str, version: str, cases: list[Case]) -> None:
    for case in cases:
        for v in case["values"]:
            if not math.isfinite(v):
                raise RuntimeError(f"{library} {case['name']}: non-finite value {v!r}")
    data = {"library": library, "version": version, "cases": _plain(cases)}
    path = HERE / f"{library}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"{path.name}: {library} {version}, {len(cases)} cases")


# -- transformers ---------------------------------------------------------------------------------


def transformers_cases() -> tuple[str, list[Case]]:
    import torch
    import transformers
    from transformers import get_scheduler

    def run(name: str, n: int, lr: float = 1.0, metrics: list[float] | None = None, **kwargs: Any) -> Case:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        top = {k: kwargs.pop(k) for k in ("num_warmup_steps", "num_training_steps") if k in kwargs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = get_scheduler(name, opt, scheduler_specific_kwargs=dict(kwargs), **top)
        values = [opt.param_groups[0]["lr"]]
        if metrics is not None:
            values = []
            for m in metrics:
                sched.step(m)
                values.append(opt.param_groups[0]["lr"])
        else:
            for _ in range(n):
                opt.step()
                sched.step()
                values.append(opt.param_groups[0]["lr"])
        case: Case = {"name": name, "kwargs": {**top, **kwargs}, "lr": lr, "values": values}
        if metrics is not None:
            case["metrics"] = metrics
        return case

    cases = [
        run("constant", 6),
        run("constant", 6, lr=0.01),
        run("constant_with_warmup", 8, num_warmup_steps=3),
        run("constant_with_warmup", 5, num_warmup_steps=0),
        run("constant_with_warmup", 5, num_warmup_steps=1),
    ]
    for w, t in [(2, 10), (0, 10), (1, 1), (3, 3), (5, 17), (10, 1000)]:
        n = min(t + 4, 60) if t < 100 else 1010
        cases.append(run("linear", n, num_warmup_steps=w, num_training_steps=t))
        cases.append(run("cosine", n, num_warmup_steps=w, num_training_steps=t))
        cases.append(run("cosine_with_min_lr", n, num_warmup_steps=w, num_training_steps=t, min_lr_rate=0.1))
    cases += [
        run("cosine", 30, lr=0.3, num_warmup_steps=4, num_training_steps=20),
        run("cosine", 14, num_warmup_steps=2, num_training_steps=10, num_cycles=1.0),
        run("cosine", 14, num_warmup_steps=2, num_training_steps=10, num_cycles=2.0),
        run("cosine", 14, num_warmup_steps=0, num_training_steps=12, num_cycles=0.25),
        run("cosine_with_restarts", 13, num_warmup_steps=2, num_training_steps=10, num_cycles=2),
        run("cosine_with_restarts", 13, num_warmup_steps=2, num_training_steps=10),
        run("cosine_with_restarts", 26, num_warmup_steps=0, num_training_steps=24, num_cycles=3),
        run("cosine_with_restarts", 26, num_warmup_steps=4, num_training_steps=24, num_cycles=5),
        # Half periods and cycles that are not whole steps (lrkit: `stretch` of whole-step schedules).
        run("cosine", 24, num_warmup_steps=2, num_training_steps=12, num_cycles=0.3),
        run("cosine", 24, num_warmup_steps=0, num_training_steps=7, num_cycles=0.7),
        run(
            "cosine_with_min_lr",
            20,
            num_warmup_steps=3,
            num_training_steps=13,
            num_cycles=1.25,
            min_lr_rate=0.1,
        ),
        run(
            "cosine_warmup_with_min_lr",
            16,
            num_warmup_steps=2,
            num_training_steps=11,
            num_cycles=0.3,
            min_lr_rate=0.05,
        ),
        run("cosine_with_restarts", 14, num_warmup_steps=2, num_training_steps=12, num_cycles=3),
        run("cosine_with_restarts", 14, num_warmup_steps=0, num_training_steps=10, num_cycles=4),
        run("cosine_with_restarts", 20, num_warmup_steps=1, num_training_steps=18, num_cycles=7),
        run("polynomial", 12, num_warmup_steps=2, num_training_steps=10, power=2.0, lr_end=0.1),
        run("polynomial", 12, num_warmup_steps=2, num_training_steps=10),
        run("polynomial", 14, lr=0.01, num_warmup_steps=0, num_training_steps=10, power=0.5, lr_end=1e-4),
        run("polynomial", 14, lr=2.0, num_warmup_steps=3, num_training_steps=12, power=3.0, lr_end=0.5),
        run("inverse_sqrt", 12, num_warmup_steps=2),
        run("inverse_sqrt", 12, num_warmup_steps=4, timescale=10),
        run("inverse_sqrt", 12, num_warmup_steps=0, timescale=3),
        run("inverse_sqrt", 40, num_warmup_steps=0),
        run("cosine_with_min_lr", 12, lr=0.01, num_warmup_steps=2, num_training_steps=10, min_lr=1e-4),
        run("cosine_with_min_lr", 12, num_warmup_steps=2, num_training_steps=10, min_lr_rate=0.0),
        run("cosine_warmup_with_min_lr", 12, num_warmup_steps=2, num_training_steps=10, min_lr_rate=0.1),
        run("cosine_warmup_with_min_lr", 14, num_warmup_steps=4, num_training_steps=12, min_lr_rate=0.05),
        run(
            "cosine_warmup_with_min_lr",
            14,
            num_warmup_steps=4,
            num_training_steps=12,
            min_lr_rate=0.05,
            warmup_lr_rate=0.2,
        ),
        run("cosine_warmup_with_min_lr", 12, lr=0.01, num_warmup_steps=3, num_training_steps=10, min_lr=1e-3),
        run("cosine_warmup_with_min_lr", 8, num_warmup_steps=0, num_training_steps=6, min_lr_rate=0.1),
    ]
    for wt in ("linear", "cosine", "1-sqrt"):
        for dt in ("linear", "cosine", "1-sqrt"):
            cases.append(
                run(
                    "warmup_stable_decay",
                    13,
                    num_warmup_steps=2,
                    num_training_steps=10,
                    num_decay_steps=4,
                    warmup_type=wt,
                    decay_type=dt,
                    min_lr_ratio=0.1,
                )
            )
    cases += [
        run("warmup_stable_decay", 12, num_warmup_steps=2, num_training_steps=10, num_decay_steps=4),
        run("warmup_stable_decay", 14, num_warmup_steps=2, num_decay_steps=3, num_stable_steps=5),
        run("warmup_stable_decay", 9, num_warmup_steps=0, num_training_steps=6, num_decay_steps=0),
        run("warmup_stable_decay", 9, num_warmup_steps=2, num_decay_steps=0, num_stable_steps=3),
        run("warmup_stable_decay", 12, num_warmup_steps=0, num_training_steps=10, num_decay_steps=10),
        run("warmup_stable_decay", 12, num_warmup_steps=3, num_training_steps=10, num_decay_steps=7),
        run(
            "warmup_stable_decay",
            16,
            num_warmup_steps=2,
            num_training_steps=14,
            num_decay_steps=6,
            num_cycles=1.0,
            min_lr_ratio=0.2,
        ),
        run(
            "warmup_stable_decay",
            16,
            num_warmup_steps=2,
            num_training_steps=14,
            num_decay_steps=5,
            decay_type="cosine",
            num_cycles=0.3,
            min_lr_ratio=0.1,
        ),
    ]
    flat = [1.0] * 12
    cases += [
        run("reduce_lr_on_plateau", 0, metrics=flat, factor=0.5, patience=1),
        run("reduce_lr_on_plateau", 0, lr=0.1, metrics=flat),
        run(
            "reduce_lr_on_plateau",
            0,
            metrics=[5.0, 4.0, 4.0, 4.0, 3.0, 3.5, 3.5, 3.5, 3.5, 2.0, 2.0, 2.0],
            factor=0.1,
            patience=2,
            cooldown=1,
            min_lr=0.005,
        ),
        run(
            "reduce_lr_on_plateau",
            0,
            metrics=[0.1, 0.2, 0.2, 0.2, 0.2, 0.25, 0.25, 0.25],
            mode="max",
            factor=0.5,
            patience=1,
            threshold=0.1,
            threshold_mode="abs",
        ),
    ]
    return transformers.__version__, cases


# -- timm -----------------------------------------------------------------------------------------


def _timm_scheduler_package() -> Any:
    """timm's `scheduler` package, loaded without timm's top-level (which needs torchvision)."""
    try:
        return importlib.import_module("timm.scheduler")
    except ImportError:
        pass
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed")
    for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
        del sys.modules[name]
    stub = types.ModuleType("timm")
    stub.__path__ = list(spec.submodule_search_locations)
    sys.modules["timm"] = stub
    return importlib.import_module("timm.scheduler")


def timm_cases() -> tuple[str, list[Case]]:
    import torch

    ts = _timm_scheduler_package()
    version = importlib.metadata.version("timm")

    def run(
        cls_name: str, n: int, lr: float = 1.0, metrics: list[float] | None = None, **kwargs: Any
    ) -> Case:
        cls = getattr(ts, cls_name)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = cls(opt, **kwargs)
        if isinstance(sched, tuple):  # create_scheduler_v2 returns (scheduler, num_epochs)
            sched = sched[0]
        case: Case = {"name": cls_name, "kwargs": dict(kwargs), "lr": lr}
        values = []
        if metrics is not None:
            for t, m in enumerate(metrics):
                sched.step(t + 1, m)
                values.append(opt.param_groups[0]["lr"])
            case["metrics"] = metrics
        else:
            clean = []
            for t in range(n + 1):
                if kwargs.get("t_in_epochs", kwargs.get("step_on_epochs", True)):
                    sched.step(t)
                else:
                    sched.step_update(t)
                values.append(opt.param_groups[0]["lr"])
                clean.append(sched._get_lr(t)[0])
            if kwargs.get("noise_range_t") is not None:
                case["clean"] = clean
        case["values"] = values
        return case

    cases: list[Case] = []
    for cls_name, extra in [
        ("CosineLRScheduler", {}),
        ("TanhLRScheduler", {}),
        ("PolyLRScheduler", {}),
        ("TanhLRScheduler", {"lb": -5.0, "ub": 2.0}),
        ("PolyLRScheduler", {"power": 2.0}),
    ]:
        cases += [
            run(cls_name, 12, t_initial=8, **extra),
            run(cls_name, 12, lr=0.5, t_initial=8, lr_min=0.05, **extra),
            run(cls_name, 16, t_initial=10, warmup_t=3, warmup_lr_init=0.1, **extra),
            run(cls_name, 16, t_initial=10, warmup_t=3, warmup_lr_init=0.1, warmup_prefix=True, **extra),
            run(cls_name, 30, t_initial=5, cycle_limit=3, cycle_decay=0.5, lr_min=0.1, **extra),
            run(cls_name, 32, t_initial=4, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, **extra),
            run(
                cls_name,
                40,
                t_initial=4,
                cycle_mul=1.5,
                cycle_limit=4,
                warmup_t=2,
                warmup_prefix=True,
                **extra,
            ),
            run(cls_name, 12, t_initial=8, t_in_epochs=False, **extra),
            run(cls_name, 20, t_initial=6, warmup_t=2, warmup_lr_init=0.01, noise_range_t=[3, 15], **extra),
        ]
        if cls_name != "TanhLRScheduler":
            cases.append(run(cls_name, 12, t_initial=8, k_decay=2.0, **extra))
            cases.append(run(cls_name, 20, t_initial=6, cycle_limit=2, k_decay=0.5, lr_min=0.2, **extra))
    cases += [
        run("StepLRScheduler", 12, decay_t=3, decay_rate=0.5),
        run("StepLRScheduler", 14, decay_t=2, decay_rate=0.1, warmup_t=3, warmup_lr_init=0.01),
        run("StepLRScheduler", 14, decay_t=2, decay_rate=0.1, warmup_t=3, warmup_prefix=False),
        run("StepLRScheduler", 12, decay_t=3),
        run("StepLRScheduler", 12, decay_t=3, decay_rate=2.0, warmup_t=2, warmup_lr_init=0.01),
        # The factory, a pure function of its arguments.
        run("create_scheduler_v2", 25, lr=0.1, sched="cosine", num_epochs=20, warmup_epochs=3, min_lr=1e-4),
        run("create_scheduler_v2", 25, lr=0.1, sched="step", num_epochs=20, decay_epochs=4, decay_rate=0.5),
        run("create_scheduler_v2", 25, lr=0.1, sched="multistep", num_epochs=20, decay_milestones=[5, 12]),
        run("create_scheduler_v2", 25, lr=0.1, sched="poly", num_epochs=20, decay_rate=2.0, warmup_epochs=2),
        run("create_scheduler_v2", 25, lr=0.1, sched="tanh", num_epochs=20, cycle_limit=2, cycle_decay=0.5),
        run("create_scheduler_v2", 25, lr=0.1, sched="wsd", num_epochs=20, warmup_epochs=2),
        run("create_scheduler_v2", 25, lr=0.1, sched="rsqrt", num_epochs=20, warmup_epochs=3),
        run("create_scheduler_v2", 25, lr=0.1, sched="constant", num_epochs=20, warmup_epochs=3),
        run(
            "create_scheduler_v2",
            25,
            lr=0.1,
            sched="cosine",
            num_epochs=4,
            warmup_epochs=1,
            step_on_epochs=False,
            updates_per_epoch=5,
        ),
        run(
            "StepLRScheduler",
            14,
            lr=0.1,
            decay_t=4,
            decay_rate=0.5,
            noise_range_t=2,
            noise_std=0.5,
            noise_pct=0.3,
        ),
        run("MultiStepLRScheduler", 10, decay_t=[3, 6], decay_rate=0.1),
        run("MultiStepLRScheduler", 12, decay_t=[1, 4, 5], decay_rate=0.5, warmup_t=2),
        run("MultiStepLRScheduler", 12, decay_t=[3, 6], decay_rate=0.5, warmup_t=2, warmup_prefix=False),
        run("MultiStepLRScheduler", 12, decay_t=[2, 5], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.2),
    ]
    for decay_fn in ("1-sqrt", "linear", "cosine", "power", "exp"):
        cases.append(run("WSDLRScheduler", 14, t_initial=10, decay_t=4, warmup_t=2, decay_fn=decay_fn))
    cases += [
        run("WSDLRScheduler", 14, t_initial=10, decay_t=4, warmup_t=2, lr_min=0.1, decay_fn="linear"),
        run("WSDLRScheduler", 16, t_initial=12, decay_t=4, decay_fn="power", decay_power=2.0, lr_min=0.05),
        run("WSDLRScheduler", 16, t_initial=12, decay_t=4, decay_fn="exp", decay_ratio=0.3),
        run("WSDLRScheduler", 12, t_initial=10, decay_t=10, warmup_t=0),
        run("WSDLRScheduler", 18, t_initial=14, decay_t=5, warmup_t=2, stable_fn="rsqrt", decay_fn="linear"),
        run(
            "WSDLRScheduler",
            18,
            t_initial=14,
            decay_t=5,
            warmup_t=0,
            stable_fn="power",
            stable_power=0.3,
            stable_timescale=3,
            lr_min=0.1,
        ),
        run(
            "WSDLRScheduler",
            30,
            t_initial=20,
            decay_t=4,
            warmup_t=2,
            stable_fn="rsqrt",
            lr_min=0.6,
            decay_fn="cosine",
        ),
        run("WSDLRScheduler", 14, t_initial=10, decay_t=4, warmup_t=2, warmup_lr_init=0.1, t_in_epochs=False),
    ]
    flat = [1.0] * 12
    cases += [
        run("PlateauLRScheduler", 0, metrics=flat, decay_rate=0.5, patience_t=1, mode="min"),
        run("PlateauLRScheduler", 0, metrics=[0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3], patience_t=2),
        run(
            "PlateauLRScheduler",
            0,
            lr=0.1,
            metrics=flat,
            decay_rate=0.5,
            patience_t=0,
            warmup_t=3,
            warmup_lr_init=0.01,
            mode="min",
        ),
    ]
    return version, cases


# -- optax ----------------------------------------------------------------------------------------


def optax_cases() -> tuple[str, list[Case]]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax
    import optax.contrib

    def run(name: str, n: int, **kwargs: Any) -> Case:
        fn = getattr(optax, name)
        call = dict(kwargs)
        if "boundaries_and_scales" in call and call["boundaries_and_scales"] is not None:
            call["boundaries_and_scales"] = {int(k): v for k, v in call["boundaries_and_scales"]}
        schedule = fn(**call)
        values = [float(schedule(jnp.asarray(t, dtype=jnp.int64))) for t in range(n + 1)]
        return {"name": name, "kwargs": kwargs, "values": values}

    cases = [
        run("constant_schedule", 5, value=0.3),
        run("linear_schedule", 10, init_value=1.0, end_value=0.1, transition_steps=6),
        run("linear_schedule", 10, init_value=0.0, end_value=1.0, transition_steps=4, transition_begin=3),
        run("linear_schedule", 6, init_value=0.5, end_value=0.5, transition_steps=3),
        # optax's logged fallbacks: T <= 0 is the constant init_value, a negative begin counts as 0.
        run("linear_schedule", 5, init_value=1.0, end_value=0.0, transition_steps=0),
        run("linear_schedule", 5, init_value=1.0, end_value=0.0, transition_steps=-2),
        run("linear_schedule", 6, init_value=1.0, end_value=0.0, transition_steps=3, transition_begin=-1),
        run("polynomial_schedule", 5, init_value=1.0, end_value=0.0, power=2, transition_steps=0),
        run("warmup_constant_schedule", 5, init_value=0.0, peak_value=1.0, warmup_steps=0),
        run("warmup_cosine_decay_schedule", 8, init_value=0.0, peak_value=1.0, warmup_steps=0, decay_steps=6),
        run(
            "warmup_exponential_decay_schedule",
            8,
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=0,
            transition_steps=0,
            decay_rate=0.5,
        ),
        run(
            "polynomial_schedule",
            8,
            init_value=1.0,
            end_value=0.1,
            power=2,
            transition_steps=4,
            transition_begin=2,
        ),
        run("polynomial_schedule", 10, init_value=1.0, end_value=0.0, power=0.5, transition_steps=8),
        run("polynomial_schedule", 10, init_value=0.1, end_value=1.0, power=3.0, transition_steps=5),
        run("exponential_decay", 7, init_value=1.0, transition_steps=2, decay_rate=0.5, staircase=True),
        run("exponential_decay", 7, init_value=1.0, transition_steps=2, decay_rate=0.5),
        run(
            "exponential_decay",
            8,
            init_value=1.0,
            transition_steps=2,
            decay_rate=0.5,
            transition_begin=2,
            end_value=0.3,
        ),
        run("exponential_decay", 10, init_value=0.1, transition_steps=3, decay_rate=2.0, end_value=0.5),
        # Growth (decay_rate > 1, end_value a ceiling) and optax's logged fallbacks.
        run("exponential_decay", 10, init_value=0.1, transition_steps=2, decay_rate=1.5, staircase=True),
        run(
            "exponential_decay",
            14,
            init_value=0.1,
            transition_steps=3,
            decay_rate=2.0,
            transition_begin=2,
            staircase=True,
            end_value=0.7,
        ),
        run("exponential_decay", 6, init_value=0.5, transition_steps=2, decay_rate=2.0, end_value=0.2),
        run("exponential_decay", 5, init_value=1.0, transition_steps=0, decay_rate=0.5),
        run("exponential_decay", 5, init_value=1.0, transition_steps=-3, decay_rate=0.5, end_value=0.1),
        run("exponential_decay", 5, init_value=1.0, transition_steps=2, decay_rate=0.0),
        run("exponential_decay", 6, init_value=1.0, transition_steps=2, decay_rate=0.5, transition_begin=-2),
        run(
            "exponential_decay",
            12,
            init_value=2.0,
            transition_steps=3,
            decay_rate=0.1,
            transition_begin=1,
            staircase=True,
            end_value=0.01,
        ),
        run("cosine_decay_schedule", 10, init_value=1.0, decay_steps=8),
        run("cosine_decay_schedule", 10, init_value=1.0, decay_steps=8, alpha=0.1, exponent=2.0),
        run("cosine_decay_schedule", 10, init_value=0.5, decay_steps=5, alpha=0.2, exponent=0.5),
        run(
            "warmup_cosine_decay_schedule",
            12,
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=2,
            decay_steps=10,
            end_value=0.1,
        ),
        run(
            "warmup_cosine_decay_schedule",
            12,
            init_value=0.1,
            peak_value=2.0,
            warmup_steps=3,
            decay_steps=9,
            exponent=2.0,
        ),
        run(
            "warmup_cosine_decay_schedule",
            12,
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=0,
            decay_steps=10,
            end_value=0.1,
        ),
        run(
            "warmup_exponential_decay_schedule",
            12,
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=2,
            transition_steps=2,
            decay_rate=0.5,
        ),
        run(
            "warmup_exponential_decay_schedule",
            14,
            init_value=0.1,
            peak_value=1.0,
            warmup_steps=3,
            transition_steps=2,
            decay_rate=0.5,
            transition_begin=2,
            staircase=True,
            end_value=0.2,
        ),
        run("warmup_constant_schedule", 6, init_value=0.0, peak_value=1.0, warmup_steps=3),
        run("warmup_constant_schedule", 6, init_value=0.2, peak_value=0.5, warmup_steps=1),
        run("piecewise_constant_schedule", 8, init_value=1.0, boundaries_and_scales=[[3, 0.1], [6, 0.1]]),
        run("piecewise_constant_schedule", 8, init_value=0.5, boundaries_and_scales=[[1, 2.0], [4, 0.25]]),
        run("piecewise_constant_schedule", 4, init_value=0.5),
        run(
            "piecewise_interpolate_schedule",
            10,
            interpolate_type="linear",
            init_value=1.0,
            boundaries_and_scales=[[4, 0.1], [8, 0.1]],
        ),
        run(
            "piecewise_interpolate_schedule",
            12,
            interpolate_type="cosine",
            init_value=1.0,
            boundaries_and_scales=[[2, 0.5], [5, 0.2], [10, 3.0]],
        ),
        run(
            "piecewise_interpolate_schedule",
            8,
            interpolate_type="linear",
            init_value=0.5,
            boundaries_and_scales=[[0, 2.0], [4, 0.5]],
        ),
        run("linear_onecycle_schedule", 12, transition_steps=10, peak_value=1.0),
        run(
            "linear_onecycle_schedule",
            24,
            transition_steps=20,
            peak_value=0.1,
            pct_start=0.25,
            pct_final=0.9,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        run("cosine_onecycle_schedule", 12, transition_steps=10, peak_value=1.0),
        run(
            "cosine_onecycle_schedule",
            24,
            transition_steps=20,
            peak_value=0.1,
            pct_start=0.25,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
    ]
    # join_schedules and sgdr_schedule take schedules (callables): the case stores the inner
    # calls as [name, kwargs] pairs.
    join_specs = [
        ["linear_schedule", {"init_value": 0.0, "end_value": 1.0, "transition_steps": 3}],
        ["cosine_decay_schedule", {"init_value": 1.0, "decay_steps": 6, "alpha": 0.1}],
        ["constant_schedule", {"value": 0.05}],
    ]
    schedules = [getattr(optax, n)(**kw) for n, kw in join_specs]
    joined = optax.join_schedules(schedules, [3, 9])
    cases.append(
        {
            "name": "join_schedules",
            "kwargs": {"schedules": join_specs, "boundaries": [3, 9]},
            "values": [float(joined(jnp.asarray(t, dtype=jnp.int64))) for t in range(14)],
        }
    )
    for cosine_kwargs in (
        [{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 1, "decay_steps": 4}] * 2,
        [
            {"init_value": 0.1, "peak_value": 1.0, "warmup_steps": 2, "decay_steps": 6, "end_value": 0.1},
            {"init_value": 0.0, "peak_value": 0.5, "warmup_steps": 1, "decay_steps": 4, "end_value": 0.0},
            {"init_value": 0.0, "peak_value": 0.25, "warmup_steps": 0, "decay_steps": 3, "end_value": 0.05},
        ],
    ):
        s = optax.sgdr_schedule(cosine_kwargs)
        cases.append(
            {
                "name": "sgdr_schedule",
                "kwargs": {"cosine_kwargs": cosine_kwargs},
                "values": [float(s(jnp.asarray(t, dtype=jnp.int64))) for t in range(16)],
            }
        )
    # reduce_on_plateau: the scale after each update with the given loss.
    for kwargs, losses in [
        ({"factor": 0.5, "patience": 2}, [1.0] * 10),
        ({"factor": 0.1, "patience": 1, "cooldown": 1, "min_scale": 0.005}, [1.0] * 10),
        (
            {"factor": 0.5, "patience": 2, "rtol": 0.1, "atol": 0.0},
            [5.0, 4.0, 3.9, 3.8, 3.0, 3.0, 2.9, 2.9, 2.9, 1.0, 1.0],
        ),
    ]:
        tx = optax.contrib.reduce_on_plateau(**kwargs)
        params = {"w": jnp.zeros(1)}
        state = tx.init(params)
        scales = []
        for loss in losses:
            _, state = tx.update({"w": jnp.ones(1)}, state, params, value=jnp.asarray(loss))
            scales.append(float(state.scale))
        cases.append({"name": "reduce_on_plateau", "kwargs": kwargs, "metrics": losses, "values": scales})
    return optax.__version__, cases


# -- Keras ----------------------------------------------------------------------------------------


def keras_cases() -> tuple[str, list[Case]]:
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    import keras
    import numpy as np

    keras.config.set_floatx("float64")
    # Outside TensorFlow, Keras' dtype promotion turns float64 into float32 (to match JAX's
    # default). Keep float64, so that Keras' own formulas run in double precision.
    from keras.src.backend.common import dtypes

    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    schedules = keras.optimizers.schedules

    def run(name: str, n: int, **kwargs: Any) -> Case:
        call = dict(kwargs)
        schedule = getattr(schedules, name)(**call)
        values = [float(np.asarray(schedule(np.float64(t)))) for t in range(n + 1)]
        return {"name": name, "kwargs": kwargs, "values": values}

    cases = [
        run("ExponentialDecay", 7, initial_learning_rate=1.0, decay_steps=2, decay_rate=0.5, staircase=True),
        run("ExponentialDecay", 7, initial_learning_rate=0.1, decay_steps=3, decay_rate=0.96),
        run("ExponentialDecay", 7, initial_learning_rate=0.1, decay_steps=2, decay_rate=1.5),
        run("ExponentialDecay", 9, initial_learning_rate=0.1, decay_steps=2, decay_rate=3.0, staircase=True),
        run("ExponentialDecay", 5, initial_learning_rate=1.0, decay_steps=2, decay_rate=0.0),
        run("PiecewiseConstantDecay", 7, boundaries=[2, 4], values=[1.0, 0.1, 0.01]),
        run("PiecewiseConstantDecay", 7, boundaries=[3], values=[0.5, 0.05]),
        run("PiecewiseConstantDecay", 9, boundaries=[0, 5], values=[1.0, 0.5, 2.0]),
        run(
            "PolynomialDecay", 9, initial_learning_rate=1.0, decay_steps=3, end_learning_rate=0.1, cycle=True
        ),
        run("PolynomialDecay", 9, initial_learning_rate=1.0, decay_steps=5),
        run("PolynomialDecay", 9, initial_learning_rate=1.0, decay_steps=5, end_learning_rate=0.2, power=2.0),
        run(
            "PolynomialDecay",
            14,
            initial_learning_rate=1.0,
            decay_steps=4,
            end_learning_rate=0.0,
            power=0.5,
            cycle=True,
        ),
        # cycle=True over >= 5 cycles: several (decay_steps, power, end), a rising one, one-step cycles.
        run(
            "PolynomialDecay",
            20,
            initial_learning_rate=1.0,
            decay_steps=2,
            end_learning_rate=0.05,
            power=2.0,
            cycle=True,
        ),
        run(
            "PolynomialDecay",
            40,
            initial_learning_rate=0.5,
            decay_steps=5,
            end_learning_rate=0.2,
            power=1.5,
            cycle=True,
        ),
        run(
            "PolynomialDecay",
            30,
            initial_learning_rate=1.0,
            decay_steps=3,
            end_learning_rate=0.0,
            power=3.0,
            cycle=True,
        ),
        run("PolynomialDecay", 50, initial_learning_rate=0.1, decay_steps=7, power=0.7, cycle=True),
        run(
            "PolynomialDecay", 8, initial_learning_rate=1.0, decay_steps=1, end_learning_rate=0.3, cycle=True
        ),
        run(
            "PolynomialDecay",
            24,
            initial_learning_rate=0.1,
            decay_steps=4,
            end_learning_rate=0.5,
            power=1.0,
            cycle=True,
        ),
        run("InverseTimeDecay", 6, initial_learning_rate=1.0, decay_steps=1, decay_rate=0.5),
        run("InverseTimeDecay", 10, initial_learning_rate=0.1, decay_steps=3, decay_rate=2.0, staircase=True),
        run("InverseTimeDecay", 10, initial_learning_rate=0.5, decay_steps=4, decay_rate=0.3),
        run("CosineDecay", 10, initial_learning_rate=1.0, decay_steps=8),
        run(
            "CosineDecay",
            12,
            initial_learning_rate=0.0,
            decay_steps=8,
            alpha=0.1,
            warmup_target=1.0,
            warmup_steps=2,
        ),
        run("CosineDecay", 12, initial_learning_rate=0.5, decay_steps=6, alpha=0.2),
        run("CosineDecay", 12, initial_learning_rate=0.1, decay_steps=6, warmup_target=0.5, warmup_steps=4),
        run("CosineDecayRestarts", 11, initial_learning_rate=1.0, first_decay_steps=2, t_mul=2.0, m_mul=0.5),
        run(
            "CosineDecayRestarts",
            16,
            initial_learning_rate=1.0,
            first_decay_steps=3,
            t_mul=1.0,
            m_mul=1.0,
            alpha=0.1,
        ),
        run("CosineDecayRestarts", 30, initial_learning_rate=0.5, first_decay_steps=4),
        run(
            "CosineDecayRestarts",
            30,
            initial_learning_rate=1.0,
            first_decay_steps=4,
            t_mul=1.5,
            m_mul=0.8,
            alpha=0.05,
        ),
    ]
    # ReduceLROnPlateau: the learning rate after each epoch's metric.
    for kwargs, metrics, lr in [
        ({"factor": 0.5, "patience": 2}, [1.0] * 10, 1.0),
        ({"factor": 0.1, "patience": 1, "cooldown": 1, "min_lr": 0.005}, [1.0] * 10, 1.0),
        (
            {"factor": 0.5, "patience": 1, "mode": "max", "min_delta": 0.05},
            [0.1, 0.2, 0.22, 0.3, 0.3, 0.31, 0.4, 0.4, 0.4],
            0.1,
        ),
    ]:
        callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", **kwargs)
        optimizer = types.SimpleNamespace(learning_rate=lr)
        callback.set_model(types.SimpleNamespace(optimizer=optimizer))
        callback.on_train_begin()
        values = []
        for epoch, m in enumerate(metrics):
            callback.on_epoch_end(epoch, {"loss": m})
            values.append(float(optimizer.learning_rate))
        cases.append(
            {"name": "ReduceLROnPlateau", "kwargs": kwargs, "lr": lr, "metrics": metrics, "values": values}
        )
    return keras.__version__, cases


# -- fvcore / detectron2 --------------------------------------------------------------------------


def fvcore_cases() -> tuple[str, list[Case]]:
    from fvcore.common import param_scheduler as ps

    version = importlib.metadata.version("fvcore")

    def build(name: str, kwargs: dict[str, Any]) -> Any:
        if name == "CompositeParamScheduler":
            children = [build(n, kw) for n, kw in kwargs["schedulers"]]
            return ps.CompositeParamScheduler(
                children, list(kwargs["lengths"]), list(kwargs["interval_scaling"])
            )
        if name == "WarmupParamScheduler":
            return _d2_warmup(
                ps, build(*kwargs["scheduler"]), **{k: v for k, v in kwargs.items() if k != "scheduler"}
            )
        return getattr(ps, name)(**kwargs)

    def run(name: str, total: int, **kwargs: Any) -> Case:
        scheduler = build(name, kwargs)
        # detectron2's LRMultiplier: multiplier(step / max_iter), for step in [0, max_iter).
        values = [float(scheduler(t / total)) for t in range(total)]
        return {"name": name, "kwargs": kwargs, "total": total, "values": values}

    cos = ["CosineParamScheduler", {"start_value": 1.0, "end_value": 0.0}]
    cases = [
        run("ConstantParamScheduler", 5, value=0.3),
        run("CosineParamScheduler", 10, start_value=1.0, end_value=0.1),
        run("CosineParamScheduler", 7, start_value=0.0, end_value=1.0),
        run("ExponentialParamScheduler", 10, start_value=2.0, decay=0.02),
        run("LinearParamScheduler", 8, start_value=0.0001, end_value=0.01),
        run("LinearParamScheduler", 5, start_value=1.0, end_value=0.0),
        run("MultiStepParamScheduler", 90, values=[1.0, 0.1, 0.01], num_updates=90, milestones=[30, 60]),
        run("MultiStepParamScheduler", 90, values=[1.0, 0.1, 0.01], num_updates=90),
        run("MultiStepParamScheduler", 9, values=[1.0, 0.1, 0.01], milestones=[3, 6, 9]),
        run(
            "MultiStepParamScheduler",
            12,
            values=[0.5, 0.25, 0.125, 0.0625],
            num_updates=12,
            milestones=[2, 7, 8],
        ),
        run("PolynomialDecayParamScheduler", 10, base_value=0.1, power=0.9),
        run("PolynomialDecayParamScheduler", 6, base_value=1.0, power=2.0),
        run("StepParamScheduler", 12, num_updates=12, values=[0.1, 0.01, 0.001, 0.0001]),
        run("StepParamScheduler", 10, num_updates=120, values=[1.0, 0.5]),
        # More values than updates: several values land on one step, the last one wins.
        run("StepParamScheduler", 3, num_updates=3, values=[1.0, 0.8, 0.6, 0.4, 0.2, 0.1, 0.05]),
        run("StepParamScheduler", 2, num_updates=2, values=[1.0, 0.5, 0.25, 0.125, 0.0625]),
        run("StepWithFixedGammaParamScheduler", 12, base_value=0.1, gamma=0.1, num_decays=3, num_updates=12),
        run("StepWithFixedGammaParamScheduler", 20, base_value=1.0, gamma=0.5, num_decays=4, num_updates=5),
        run(
            "CompositeParamScheduler",
            10,
            schedulers=[
                ["ConstantParamScheduler", {"value": 0.42}],
                ["CosineParamScheduler", {"start_value": 0.42, "end_value": 1e-4}],
            ],
            lengths=[0.3, 0.7],
            interval_scaling=["rescaled", "rescaled"],
        ),
        run(
            "CompositeParamScheduler",
            20,
            schedulers=[["LinearParamScheduler", {"start_value": 0.001, "end_value": 1.0}], cos],
            lengths=[0.25, 0.75],
            interval_scaling=["rescaled", "fixed"],
        ),
        run(
            "CompositeParamScheduler",
            20,
            schedulers=[
                ["LinearParamScheduler", {"start_value": 0.0, "end_value": 1.0}],
                ["ConstantParamScheduler", {"value": 1.0}],
                ["CosineParamScheduler", {"start_value": 1.0, "end_value": 0.1}],
            ],
            lengths=[0.1, 0.5, 0.4],
            interval_scaling=["rescaled", "fixed", "rescaled"],
        ),
        # A step child counts its fractions of its own (rescaled) window.
        run(
            "CompositeParamScheduler",
            12,
            schedulers=[
                ["LinearParamScheduler", {"start_value": 0.1, "end_value": 1.0}],
                ["StepParamScheduler", {"num_updates": 4, "values": [1.0, 0.5, 0.25]}],
            ],
            lengths=[0.25, 0.75],
            interval_scaling=["rescaled", "rescaled"],
        ),
        run(
            "CompositeParamScheduler",
            20,
            schedulers=[
                ["ConstantParamScheduler", {"value": 0.1}],
                [
                    "MultiStepParamScheduler",
                    {"values": [1.0, 0.3, 0.1], "num_updates": 10, "milestones": [4, 7]},
                ],
                ["StepParamScheduler", {"num_updates": 4, "values": [0.05, 0.01]}],
            ],
            lengths=[0.1, 0.5, 0.4],
            interval_scaling=["rescaled", "rescaled", "fixed"],
        ),
        run(
            "CompositeParamScheduler",
            7,
            schedulers=[
                ["ConstantParamScheduler", {"value": 0.1}],
                ["StepParamScheduler", {"num_updates": 4, "values": [1.0, 0.8, 0.6, 0.4, 0.2, 0.1]}],
            ],
            lengths=[0.3, 0.7],
            interval_scaling=["rescaled", "rescaled"],
        ),
        run("WarmupParamScheduler", 20, scheduler=cos, warmup_factor=0.001, warmup_length=0.1),
        run(
            "WarmupParamScheduler",
            20,
            scheduler=cos,
            warmup_factor=0.001,
            warmup_length=0.1,
            warmup_method="constant",
        ),
        run(
            "WarmupParamScheduler",
            20,
            scheduler=cos,
            warmup_factor=0.01,
            warmup_length=0.25,
            rescale_interval=True,
        ),
        run(
            "WarmupParamScheduler",
            30,
            scheduler=["MultiStepParamScheduler", {"values": [1.0, 0.1, 0.01], "milestones": [10, 20, 30]}],
            warmup_factor=0.1,
            warmup_length=0.2,
        ),
    ]
    return version, cases


def _d2_warmup(
    ps: Any,
    scheduler: Any,
    warmup_factor: float,
    warmup_length: float,
    warmup_method: str = "linear",
    rescale_interval: bool = False,
) -> Any:
    """detectron2's WarmupParamScheduler (detectron2/solver/lr_scheduler.py), transcribed."""
    end_value = scheduler(warmup_length)  # the value to reach when warmup ends
    start_value = warmup_factor * scheduler(0.0)
    if warmup_method == "constant":
        warmup = ps.ConstantParamScheduler(start_value)
    elif warmup_method == "linear":
        warmup = ps.LinearParamScheduler(start_value, end_value)
    else:
        raise ValueError(f"Unknown warmup method: {warmup_method}")
    return ps.CompositeParamScheduler(
        [warmup, scheduler],
        interval_scaling=["rescaled", "rescaled" if rescale_interval else "fixed"],
        lengths=[warmup_length, 1 - warmup_length],
    )


# -- Megatron-LM ----------------------------------------------------------------------------------


def megatron_cases() -> tuple[str, list[Case]]:
    import logging

    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler
    version = importlib.metadata.version("megatron-core")

    def run(name: str, n: int, **kwargs: Any) -> Case:
        args = {
            "init_lr": 0.0,
            "max_lr": 1.0,
            "min_lr": 0.0,
            "lr_warmup_steps": 0,
            "lr_decay_steps": n,
            "lr_decay_style": "linear",
            "start_wd": 0.0,
            "end_wd": 0.0,
            "wd_incr_steps": n,
            "wd_incr_style": "constant",
        }
        args.update(kwargs)
        optimizer = types.SimpleNamespace(param_groups=[{}])
        sched = OptimizerParamScheduler(optimizer, **args)
        values, wds = [], []
        for t in range(n + 1):
            sched.num_steps = t
            values.append(sched.get_lr(optimizer.param_groups[0]))
            wds.append(sched.get_wd())
        return {"name": name, "kwargs": kwargs, "values": values, "wd": wds}

    base = {"init_lr": 0.0, "max_lr": 1.0, "min_lr": 0.1, "lr_warmup_steps": 2, "lr_decay_steps": 10}
    cases = []
    for style in ("constant", "linear", "cosine", "inverse-square-root"):
        cases.append(run(style, 13, lr_decay_style=style, **base))
        cases.append(
            run(
                style,
                14,
                lr_decay_style=style,
                init_lr=0.01,
                max_lr=0.5,
                min_lr=0.0,
                lr_warmup_steps=0,
                lr_decay_steps=12,
            )
        )
        cases.append(
            run(
                style,
                30,
                lr_decay_style=style,
                init_lr=0.1,
                max_lr=2.0,
                min_lr=0.2,
                lr_warmup_steps=5,
                lr_decay_steps=25,
            )
        )
    for cooldown in ("exponential", "linear", "cosine", "minus_sqrt"):
        cases.append(
            run("WSD", 13, lr_decay_style="WSD", wsd_decay_steps=4, lr_wsd_decay_style=cooldown, **base)
        )
        cases.append(
            run(
                "WSD",
                22,
                lr_decay_style="WSD",
                wsd_decay_steps=8,
                lr_wsd_decay_style=cooldown,
                init_lr=0.0,
                max_lr=0.5,
                min_lr=0.0,
                lr_warmup_steps=3,
                lr_decay_steps=20,
            )
        )
    for style, start, end in (
        ("linear", 0.0, 0.1),
        ("cosine", 0.0, 0.1),
        ("cosine", 0.02, 0.05),
        ("constant", 0.05, 0.05),
    ):
        cases.append(run("wd", 12, start_wd=start, end_wd=end, wd_incr_steps=10, wd_incr_style=style))
    return version, cases


LIBRARIES: dict[str, Callable[[], tuple[str, list[Case]]]] = {
    "transformers": transformers_cases,
    "timm": timm_cases,
    "optax": optax_cases,
    "keras": keras_cases,
    "fvcore": fvcore_cases,
    "megatron": megatron_cases,
}


# -- signatures -----------------------------------------------------------------------------------


def library_entry(library: str, name: str) -> Any:
    """The library's own class or function that the preset ``<library>.<name>`` mirrors, or None.

    transformers' short names (``cosine``, ``linear``, ...) are ``SchedulerType`` names, not
    callables: None. detectron2's warmup is not on the package index: None.
    """
    if library == "optax":
        import optax
        import optax.contrib

        return getattr(optax, name, None) or getattr(optax.contrib, name, None)
    if library == "transformers":
        import transformers

        return getattr(transformers, name, None) if name.startswith("get_") else None
    if library == "keras":
        os.environ.setdefault("KERAS_BACKEND", "numpy")
        import keras

        return getattr(keras.optimizers.schedules, name, None) or getattr(keras.callbacks, name, None)
    if library == "fvcore":
        from fvcore.common import param_scheduler as ps

        return getattr(ps, name, None)
    if library == "timm":
        return getattr(_timm_scheduler_package(), name, None)
    return None


def parameters(entry: Any) -> list[list[str]]:
    """``[name, repr(default) or "<required>"]`` of each argument but the optimizer.

    A signature of ``**kwargs`` only is written ``[["**kwargs", "<forwarded>"]]`` (transformers'
    ``get_reduce_on_plateau_schedule`` forwards them to torch's ``ReduceLROnPlateau``).
    """
    import inspect

    out = []
    forwards = False
    for p in inspect.signature(entry).parameters.values():
        forwards = forwards or p.kind == p.VAR_KEYWORD
        if p.name in ("self", "optimizer") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append([p.name, "<required>" if p.default is inspect.Parameter.empty else repr(p.default)])
    return out or ([["**kwargs", "<forwarded>"]] if forwards else [])


def signatures_file() -> None:
    """``reference/signatures.json``: each library's own signature of every entry point lrkit mirrors."""
    sys.path.insert(0, str(HERE.parents[2] / "src"))
    from lrkit.schedules import REGISTRY

    data: dict[str, Any] = {}
    for key in sorted(REGISTRY):
        library, _, name = key.partition(".")
        if library not in ("optax", "transformers", "keras", "fvcore", "timm"):
            continue
        entry = library_entry(library, name)
        if entry is not None:
            lib = data.setdefault(library, {"version": importlib.metadata.version(library), "entries": {}})
            lib["entries"][name] = parameters(entry)
    path = HERE / "signatures.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    versions = ", ".join(f"{k} {v['version']}" for k, v in data.items())
    print(f"{path.name}: {versions}")


def main(names: Iterable[str]) -> int:
    wanted = list(names) or [*LIBRARIES, "signatures"]
    failed = 0
    if "signatures" in wanted:
        wanted.remove("signatures")
        signatures_file()
    for name in wanted:
        try:
            version, cases = LIBRARIES[name]()
        except ImportError as error:
            print(f"{name}: not installed ({error}); skipped")
            failed += 1
            continue
        _write(name, version, cases)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
