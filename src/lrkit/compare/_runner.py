"""Where the runs of a race execute: in this process, in `jobs` local processes, or on a Ray cluster.

A run is a plain `RunSpec` (the task's name, the schedule's config, the seed, the run's length,
the rate, torch's threads): each backend calls `execute` on it, which loads the task fresh with
that seed, so a run gives the same numbers whichever process or machine runs it.

A worker that dies (killed, out of memory, a crash in native code) loses only the run it was
doing: the runs that finished are kept, the lost one is reported and rerun (up to `RETRIES`
times). A task whose own code fails (`lrkit.tasks.TaskError`) is not rerun: the race stops.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from lrkit.compare._results import RunResult

__all__ = ["RETRIES", "RunSpec", "WorkerLostError", "execute", "run_all", "run_one"]

#: How many times a run whose worker died is started again before the race fails.
RETRIES = 2


class WorkerLostError(RuntimeError):
    """A run's worker died more than `RETRIES` times (the finished runs are kept)."""


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One run of a race, in plain data (picklable, sent to a worker).

    `index` is the schedule's position in the race; `schedule` its `lrkit.to_config` form.
    """

    index: int
    label: str
    schedule: dict[str, Any]
    task: str
    seed: int
    epochs: int
    steps_per_epoch: int
    lr: float | None
    threads: int | None


def execute(spec: RunSpec, on_epoch: Callable[[], None] | None = None) -> RunResult:
    """Load the task with the run's seed and train it under the schedule (see `train_run`), calling
    `on_epoch` after each epoch when given."""
    import torch

    from lrkit.compare._train import train_run
    from lrkit.config import from_config
    from lrkit.tasks import load_task

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    return train_run(
        load_task(spec.task, seed=spec.seed),
        from_config(spec.schedule),
        seed=spec.seed,
        epochs=spec.epochs,
        steps_per_epoch=spec.steps_per_epoch,
        lr=spec.lr,
        on_epoch=on_epoch,
    )


def run_one(
    schedule: Any,
    *,
    seed: int = 0,
    task: str = "charlm",
    epochs: int | None = None,
    lr: float | None = None,
    threads: int | None = 1,
) -> tuple[RunResult, int]:
    """One run of a race, as `lrkit.compare.compare` would make it: ``(result, steps_per_epoch)``.

    `schedule` is a spec string or a schedule; `epochs` None takes the task's; `threads` sets
    torch's threads for the run (restored afterwards). ``result.records(steps_per_epoch)`` gives
    one ``{update, lr, train_loss, val_loss}`` record per update.

    Example:
        >>> run, spe = run_one("cosine()", task="digits", epochs=1)
        >>> len(run.records(spe)), run.records(spe)[-1]["val_loss"] is not None
        (45, True)
    """
    import torch

    from lrkit.compare._train import train_run
    from lrkit.schedules import Schedule
    from lrkit.spec import parse
    from lrkit.tasks import load_task, updates_per_epoch

    parsed = parse(schedule) if isinstance(schedule, str) else schedule
    if not isinstance(parsed, Schedule):
        raise TypeError(
            f"Argument `schedule` of run_one() must be a spec or a schedule. Received: {schedule!r}"
        )
    loaded = load_task(task, seed=seed)
    spe = updates_per_epoch(loaded)
    count = epochs if epochs is not None else (loaded.epochs or 20)
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        result = train_run(loaded, parsed, seed=seed, epochs=count, steps_per_epoch=spe, lr=lr)
    finally:
        torch.set_num_threads(previous)
    return result, spe


Done = Callable[[RunSpec, RunResult], None]
Notice = Callable[[str], None]


def run_all(
    specs: Sequence[RunSpec],
    done: Done,
    *,
    jobs: int = 1,
    backend: str = "local",
    address: str | None = None,
    notice: Notice | None = None,
    on_epoch: Callable[[], None] | None = None,
) -> None:
    """Run every spec and call ``done(spec, result)`` as each finishes (in completion order).

    ``backend="local"`` with ``jobs=1`` runs in this process, in order (with `on_epoch` called
    after each epoch); ``jobs > 1`` uses that many local processes; ``backend="ray"`` sends each
    run to a Ray cluster (`address`, or a local one started for the race) as a task of one CPU.

    Raises:
        lrkit.tasks.TaskError: a run's task failed (the runs already done were reported).
        WorkerLostError: a run's worker died more than `RETRIES` times.
    """
    say = notice or (lambda text: print(text, file=sys.stderr))
    if backend == "ray":
        _run_ray(specs, done, address, say)
    elif jobs == 1:
        for spec in specs:  # torch's threads: already the runs', set by compare()
            done(spec, execute(spec, on_epoch))
    else:
        _run_processes(specs, done, jobs, say)


def _describe_run(spec: RunSpec) -> str:
    return f"{spec.label!r} (seed {spec.seed})"


def _run_processes(specs: Sequence[RunSpec], done: Done, jobs: int, say: Notice) -> None:
    """A pool of `jobs` spawned processes; a broken pool is replaced and the unfinished runs resubmitted."""
    pending = list(specs)
    attempts = dict.fromkeys(range(len(specs)), 0)
    order = {id(spec): k for k, spec in enumerate(specs)}
    context = multiprocessing.get_context("spawn")
    while pending:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context)
        futures: dict[Future[RunResult], RunSpec] = {}
        try:
            for spec in pending:
                futures[pool.submit(execute, spec)] = spec
            lost: list[RunSpec] = []
            remaining = set(futures)
            while remaining:
                finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for future in finished:
                    spec = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(spec)
                        continue
                    done(spec, result)
                    pending.remove(spec)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for spec in lost:
            key = order[id(spec)]
            attempts[key] += 1
            if attempts[key] > RETRIES:
                raise WorkerLostError(
                    f"the worker running {_describe_run(spec)} died {attempts[key]} times; "
                    f"the runs that finished are kept"
                )
        if lost:
            say(
                f"a worker died: rerunning {len(lost)} unfinished run(s) "
                f"({', '.join(_describe_run(s) for s in lost[:4])}{', ...' if len(lost) > 4 else ''})"
            )


def _run_ray(specs: Sequence[RunSpec], done: Done, address: str | None, say: Notice) -> None:
    """Each run as a Ray task of one CPU; a task whose worker died is resubmitted (up to `RETRIES`)."""
    try:
        import ray
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "lrkit compare --backend ray needs ray: pip install 'lrkit[ray]'", name="ray"
        ) from error
    from ray.exceptions import RayTaskError, WorkerCrashedError

    started_here = not ray.is_initialized()
    if started_here:
        # The workers import lrkit like this process does (the same source folder first).
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}},
        )
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(execute)
        attempts = dict.fromkeys(range(len(specs)), 0)
        refs = {remote.remote(spec): k for k, spec in enumerate(specs)}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                key = refs.pop(ref)
                spec = specs[key]
                try:
                    result = ray.get(ref)
                except RayTaskError as error:
                    cause = error.as_instanceof_cause()  # type: ignore[no-untyped-call]
                    raise cause if isinstance(cause, Exception) else error from None
                except (WorkerCrashedError, ray.exceptions.RayError) as error:
                    attempts[key] += 1
                    if attempts[key] > RETRIES:
                        raise WorkerLostError(
                            f"the Ray worker running {_describe_run(spec)} died {attempts[key]} times; "
                            f"the runs that finished are kept"
                        ) from error
                    say(f"a Ray worker died running {_describe_run(spec)}: rerunning it")
                    refs[remote.remote(spec)] = key
                    continue
                done(spec, result)
    finally:
        if started_here:
            ray.shutdown()
