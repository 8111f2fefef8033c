"""`lrkit compare`: a tiny race from the command line, and one line with exit status 2 on bad input."""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrkit.cli import main


def run(capsys, *argv):
    status = main(["compare", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_tiny_race_prints_the_table_and_writes_the_files(capsys, tmp_path):
    out_dir = tmp_path / "race"
    status, out, err = run(
        capsys, "constant()", "wc=warmup(cosine(), steps=0.2)", "--epochs", "1", "--seeds", "1",
        "--out", str(out_dir), "--no-progress", "--target", "0.5", "--task", "digits", "--jobs", "1",
    )  # fmt: skip
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["rank", "schedule"]
    assert "epoch to 50%" in lines[0]
    assert lines[2].split()[1] == "constant()"
    assert lines[3].split()[1] == "wc"
    assert "validation: 360 predicted values; accuracy resolution 0.278 pp" in out
    assert "2 schedules x 1 seed in" in out
    assert f"{out_dir}/report.html" in out
    data = json.loads((out_dir / "results.json").read_text())
    assert data["epochs"] == 1
    assert data["target_accuracy"] == 0.5
    assert [s["label"] for s in data["schedules"]] == ["constant()", "wc"]
    assert {p.name for p in out_dir.iterdir()} == {"report.html", "report.png", "results.json", "results.csv"}
    assert err == ""  # no progress bar with --no-progress


def test_progress_bar_goes_to_stderr(capsys, tmp_path):
    status, _, err = run(
        capsys, "constant()", "--epochs", "2", "--seeds", "1", "--out", str(tmp_path), "--progress",
        "--task", "digits", "--jobs", "1",
    )  # fmt: skip
    assert status == 0
    assert "epoch" in err
    assert "2/2" in err


FAILING_TASK = textwrap.dedent(
    """
    import dataclasses
    import sys

    def broken(seed):
        raise RuntimeError("cannot open the dataset")

    def exits(seed):
        sys.exit()

    def exits_in_loss(seed):
        from lrkit.tasks import load_task

        def loss(outputs, targets):
            sys.exit(3)

        return dataclasses.replace(load_task("digits", seed=seed), loss=loss)
    """
)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cosin()"], "unknown schedule 'cosin'; did you mean cosine"),
        (["cosine(", "constant()"], "cosine("),
        (["warmup(cosine(), steps=100000)"], "must fit in the run"),
        (
            ["--task", "imagenet"],
            "Argument `task` of load_task() must be one of 'charlm', 'digits', 'digits-cnn'",
        ),
        (["--task", "{file}:broken"], "failed: RuntimeError: cannot open the dataset"),
        (["--task", "no_such_module_xyz:make"], "cannot import the module of task"),
        (["--epochs", "0"], "argument --epochs: must be an int in [1, 1000000]. Received: 0"),
        (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
        (["--seeds", "0"], "argument --seeds: must be an int in [1, 10000]. Received: 0"),
        (["--seeds", "1e11"], "argument --seeds: invalid int value: '1e11'"),
        (
            ["--seeds", "100000000000"],
            "argument --seeds: must be an int in [1, 10000]. Received: 100000000000",
        ),
        (["--threads", "100000"], "argument --threads: must be an int in [1, 1024]. Received: 100000"),
        (["--jobs", "0"], "argument --jobs: must be an int in [1, 1024]. Received: 0"),
        (["--address", "auto"], "argument --address: only with --backend ray"),
        (["--task", "{file}:exits"], "task '{file}:exits' called sys.exit(None)"),
        (["--task", "{file}:exits_in_loss"], "the task called sys.exit(3)"),
        (["--target", "97"], "argument --target: must be an accuracy in (0, 1]. Received: 97.0"),
        (["--threads", "0"], "argument --threads: must be an int in [1, 1024]"),
        (["--lr", "fast"], "argument --lr: must be a rate > 0 or 'find'. Received: 'fast'"),
        (["--lr", "0"], "argument --lr: must be a rate > 0 or 'find'. Received: '0'"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, argv, message):
    task_file = tmp_path / "failing_task.py"
    task_file.write_text(FAILING_TASK)
    argv = [arg.replace("{file}", str(task_file)) for arg in argv]
    if "--epochs" not in argv:
        argv += ["--epochs", "1"]
    status, out, err = run(capsys, *argv, "--no-progress", "--out", str(tmp_path / "out"))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("lrkit: error: ")
    assert message.replace("{file}", str(task_file)) in err
    assert "Traceback" not in err


def test_a_task_failing_mid_race_keeps_the_finished_schedules(capsys, tmp_path):
    task_file = tmp_path / "flaky_task.py"
    task_file.write_text(
        textwrap.dedent(
            """
            from lrkit.tasks import digits

            CALLS = []

            def flaky(seed):
                CALLS.append(seed)
                if len(CALLS) == 3:
                    raise RuntimeError("lost the data")
                return digits(seed)
            """
        )
    )
    out_dir = tmp_path / "out"
    status, _, err = run(
        capsys, "constant()", "cosine()", "--task", f"{task_file}:flaky", "--epochs", "1", "--seeds", "1",
        "--out", str(out_dir), "--no-progress", "--jobs", "1",
    )  # fmt: skip
    assert status == 2
    assert err.count("\n") == 1
    assert "lost the data" in err
    assert f"the runs that finished are in {out_dir / 'results.json'}" in err
    data = json.loads((out_dir / "results.json").read_text())
    assert data["status"] == "failed"
    assert [len(s["runs"]) for s in data["schedules"]] == [1, 0]


def test_console_script_has_no_traceback_on_a_bad_spec(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "lrkit", "compare", "nope()", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("lrkit: error: unknown schedule 'nope'")
    assert completed.stderr.count("\n") == 1


def test_help_lists_the_options_without_importing_torch():
    code = (
        "import sys\n"
        "from lrkit.cli import main\n"
        "try:\n"
        "    main(['compare', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for option in (
        "--task", "--epochs", "--seeds", "--out", "--target", "--threads", "--progress",
        "--jobs", "--backend", "--address", "--fit", "--predict", "--fit-on", "--law",
    ):  # fmt: skip
        assert option in completed.stdout


def test_every_option_of_the_help_is_in_the_options_table_of_the_docs(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", capsys.readouterr().out)) - {"--help"}
    page = (Path(__file__).resolve().parents[2] / "docs" / "compare.md").read_text(encoding="utf-8")
    table = page[page.index("| option | default | meaning |") :].split("\n\n")[0]
    documented = {row.split("|")[1] for row in table.splitlines()[2:]}
    missing = sorted(o for o in options if not any(re.search(rf"`{o}\b(?!-)", cell) for cell in documented))
    assert "--law" in options
    assert not missing, f"docs/compare.md's options table does not list {missing}"
