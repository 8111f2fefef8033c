"""Sequential, `jobs=2` and Ray runs give identical per-run results; a killed worker is rerun."""

import json
import textwrap

import pytest

from lrkit.compare import compare

SPECS = ["cosine()", "wc=warmup(cosine(), steps=0.2)"]

KILLER = textwrap.dedent(
    """
    import os
    import signal

    from lrkit.tasks import digits

    def killer(seed, marker={marker!r}):
        # The first worker that loads seed 1 dies (as if killed); the rerun goes through.
        if seed == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return digits(seed)
    """
)


def curves(result):
    return [
        [(r.seed, r.lr, r.train_loss, r.val_loss, r.val_accuracy, r.diverged) for r in entry.runs]
        for entry in result.entries
    ]


@pytest.fixture(scope="module")
def sequential():
    return compare(SPECS, task="digits", epochs=2, seeds=2, threads=1, jobs=1)


def test_jobs_2_gives_the_sequential_numbers_exactly(sequential, tmp_path):
    parallel = compare(SPECS, task="digits", epochs=2, seeds=2, threads=1, jobs=2, out=tmp_path)
    assert curves(parallel) == curves(sequential)
    assert parallel.jobs == 2
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["status"] == "complete"
    assert [[run["seed"] for run in s["runs"]] for s in data["schedules"]] == [[0, 1], [0, 1]]


def test_a_killed_worker_is_reported_and_rerun_keeping_the_finished_runs(sequential, tmp_path):
    task_file = tmp_path / "killer.py"
    task_file.write_text(KILLER.format(marker=str(tmp_path / "killed")))
    notices = []
    result = compare(
        SPECS, task=f"{task_file}:killer", epochs=2, seeds=2, threads=1, jobs=2, notice=notices.append
    )
    assert (tmp_path / "killed").exists()
    assert any("a worker died: rerunning" in line for line in notices), notices
    assert curves(result) == curves(sequential)


def test_ray_gives_the_sequential_numbers_and_reruns_a_killed_worker(sequential, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'lrkit[ray]'): Ray not tested")
    task_file = tmp_path / "killer.py"
    task_file.write_text(KILLER.format(marker=str(tmp_path / "killed")))
    notices = []
    result = compare(
        SPECS, task=f"{task_file}:killer", epochs=2, seeds=2, threads=1, backend="ray", notice=notices.append
    )
    assert (tmp_path / "killed").exists()
    assert any("a Ray worker died" in line for line in notices), notices
    assert curves(result) == curves(sequential)
    assert result.backend == "ray"
