"""`lrkit find` in-process: the bundled digits task, files written, one-line errors."""

import json

import pytest

from lrkit.cli import main


@pytest.mark.slow
def test_find_on_digits_writes_plot_and_json(tmp_path, capsys):
    png, data = tmp_path / "find.png", tmp_path / "find.json"
    status = main(["find", "--steps", "40", "--no-progress", "-o", str(png), "--json", str(data)])
    out = capsys.readouterr().out
    assert status == 0
    assert "task 'digits' (seed 0), SGD" in out
    assert "valley" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    saved = json.loads(data.read_text())
    assert len(saved["lrs"]) == len(saved["losses"]) <= 40
    assert saved["lrs"][0] == 1e-6
    assert set(saved["suggestions"]) == {"valley", "steepest", "minimum"}
    for s in saved["suggestions"].values():
        assert s["lr"] is None or s["low"] <= s["lr"] <= s["high"]


def test_find_restores_the_task_model(monkeypatch):
    import torch

    from lrkit import tasks

    seen = {}
    real = tasks.load_task

    def spy(name, *, seed=0):
        task = real(name, seed=seed)
        seen["task"] = task
        seen["before"] = [p.detach().clone() for p in task.model.parameters()]
        return task

    monkeypatch.setattr(tasks, "load_task", spy)
    assert main(["find", "--steps", "12", "--no-progress"]) == 0
    after = list(seen["task"].model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(after, seen["before"], strict=True))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["find", "--task", "mnist"], "Argument `task` of load_task() must be one of"),
        (["find", "--steps", "1", "--no-progress"], "Argument `steps` of find_lr() must be an int >= 2"),
        (["find", "--start", "1", "--end", "0.1", "--no-progress"], "Argument `end` of find_lr()"),
        (["find", "--mode", "cosine", "--no-progress"], "Argument `mode` of find_lr() must be one of"),
        (["find", "-o", "plot.jpg"], "-o/--output: the file name must end in .png, .svg, .pdf"),
    ],
)
def test_bad_input_is_one_line_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrkit: error: ")
    assert message in err
    assert err.count("\n") == 1
