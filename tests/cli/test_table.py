"""`lrkit table`: rates per step and per base rate, one-line errors, no torch."""

import csv
import io
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from lrkit.cli import main


def run(capsys, *argv):
    status = main(["table", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def column(text, index=1):
    return [float(line.split()[index]) for line in text.splitlines()[1:]]


def test_steplr_example_of_the_seeds(capsys, torch_lrs):
    status, out, err = run(capsys, "StepLR(step_size=2, gamma=0.5)", "--lr", "0.1", "--steps", "4")
    assert status == 0
    assert err == ""
    assert column(out) == [0.1, 0.1, 0.05, 0.05]
    expected = torch_lrs(lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), [0.1], 4)
    assert column(out) == expected[:, 0].tolist()


def test_text_is_the_cross_library_warmup_cosine(capsys):
    status, out, _ = run(capsys, "warmup(cosine(end=0.1), steps=2)", "--steps", "11", "--total", "10")
    assert status == 0
    assert out.splitlines()[0].split() == ["step", "lr"]
    assert [int(line.split()[0]) for line in out.splitlines()[1:]] == list(range(11))
    expected = [0.0, 0.5] + [0.1 + 0.9 * (1 + math.cos(math.pi * (t - 2) / 8)) / 2 for t in range(2, 11)]
    np.testing.assert_allclose(column(out), expected, rtol=1e-9, atol=1e-12)


def test_csv_has_one_column_per_base_rate_and_matches_torch(capsys, torch_lrs):
    spec = "cosine(end=absolute(0.001), steps=30)"
    status, out, _ = run(capsys, spec, "--lr", "0.1,0.01", "--steps", "30", "--format", "csv")
    assert status == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["step", "lr0", "lr1"]
    got = np.array([[float(x) for x in row[1:]] for row in table[1:]])
    expected = torch_lrs(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30, eta_min=0.001), [0.1, 0.01], 30
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_json_is_spec_and_lr_per_step_and_group(capsys, torch_lrs):
    status, out, _ = run(
        capsys, "linear(0.25, 1.0, steps=4)", "--lr", "0.1,1", "--steps", "6", "--format", "json"
    )
    assert status == 0
    data = json.loads(out)
    assert data["spec"] == "linear(0.25, 1.0, steps=4)"
    expected = torch_lrs(
        lambda opt: torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4), [0.1, 1.0], 6
    )
    np.testing.assert_allclose(np.array(data["lr"]), expected, rtol=1e-15)


def test_default_lr_is_one_so_absolute_specs_print_their_own_rates(capsys):
    status, out, _ = run(capsys, "cosine(start=absolute(0.1), end=absolute(0.001), steps=2)", "--steps", "3")
    assert status == 0
    np.testing.assert_allclose(column(out), [0.1, 0.001 + 0.099 / 2, 0.001], rtol=1e-12)


def test_total_defaults_to_steps(capsys):
    _, default, _ = run(capsys, "linear()", "--steps", "5")
    _, explicit, _ = run(capsys, "linear()", "--steps", "5", "--total", "5")
    _, longer, _ = run(capsys, "linear()", "--steps", "5", "--total", "10")
    assert default == explicit
    assert column(default) == [1.0, 0.8, 0.6, 0.4, 0.2]
    assert column(longer) == [1.0, 0.9, 0.8, 0.7, 0.6]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["cosin()", "--steps", "3"], "unknown schedule 'cosin'; did you mean cosine"),
        (["cosine(", "--steps", "3"], "invalid syntax"),
        (["__import__('os').system('echo hacked')", "--steps", "3"], "at column 1"),
        (["cosine(steps=-1)", "--steps", "3"], "`steps` of cosine()"),
        (["cosine()", "--steps", "0"], "argument --steps"),
        (["cosine()", "--steps", "-5"], "argument --steps"),
        (["cosine()", "--steps", "x"], "argument --steps: invalid int value"),
        (["cosine()", "--steps", "100000000"], "argument --steps"),
        (["cosine()"], "--steps"),
        (["cosine()", "--steps", "3", "--total", "0"], "argument --total"),
        (["cosine()", "--steps", "3", "--format", "xml"], "argument --format: invalid choice"),
        (["cosine()", "--steps", "3", "--lr", "abc"], "argument --lr"),
        (["cosine()", "--steps", "3", "--lr", "0.1,,0.2"], "argument --lr"),
        (["cosine()", "--steps", "3", "--lr", "-0.1"], "argument --lr"),
        (["cosine()", "--steps", "3", "--lr", "nan"], "argument --lr"),
        (["cosine()", "--steps", "3", "--lr", "inf"], "argument --lr"),
        (["warmup(cosine(), steps=20)", "--steps", "10"], "must fit in the run"),
        (["cosine(end=absolute(0.1))", "--steps", "3", "--lr", "0"], "base value of 0"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv, match):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("lrkit: error: ")
    assert err.count("\n") == 1
    assert match in err
    assert "Traceback" not in err


def test_error_in_a_real_process_is_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "lrkit", "table", "cosin()", "--steps", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("lrkit: error: unknown schedule 'cosin'")
    assert result.stderr.count("\n") == 1


def test_table_does_not_import_torch():
    code = (
        "import sys\n"
        "from lrkit.cli import main\n"
        "spec = 'warmup(cosine(end=0.1), steps=0.05)'\n"
        "status = main(['table', spec, '--lr', '0.1,0.01', '--steps', '1000'])\n"
        "assert status == 0, status\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1001


def test_closed_pipe_ends_quietly():
    # `lrkit table ... | head -1`: the reader goes away; no BrokenPipeError traceback.
    process = subprocess.Popen(
        [sys.executable, "-m", "lrkit", "table", "cosine()", "--steps", "200000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
    assert process.returncode in (0, 1)


def test_absolute_torch_spec_with_the_default_lr_matches_torch(capsys, torch_lrs):
    # OneCycleLR's rates are absolute (max_lr): with the default --lr 1.0 the table shows torch's rates.
    spec = "OneCycleLR(max_lr=0.1, total_steps=20)"
    status, out, _ = run(capsys, spec, "--steps", "20", "--format", "json")
    assert status == 0
    got = np.array(json.loads(out)["lr"])
    expected = torch_lrs(
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=0.1, total_steps=20, cycle_momentum=False
        ),
        [0.5],
        20,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)
