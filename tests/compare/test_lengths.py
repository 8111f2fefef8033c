"""Length checks: a schedule longer and one shorter than the run are warned about and marked in the
table, report.html and results.json; `fit` stretches them to the run. The rates are checked
against torch's own schedulers (cut short / held) and against the formulas written out (fitted)."""

import json
import math
import subprocess
import sys

import pytest
import torch

from lrkit.compare import compare

LONG = "long=OneCycleLR(max_lr=0.1, total_steps=180)"  # its last step is 179, the run is 45 updates
SHORT = "short=LinearLR(start_factor=1.0, end_factor=0.1, total_iters=20)"  # done after 20 of 45
SPECS = [LONG, SHORT, "cosine()"]
RUN = 45  # digits: 45 updates per epoch, one epoch


def one_cycle(t, max_lr=0.1, total=180, pct=0.3, div=25.0, final_div=1e4):
    """torch's OneCycleLR (cos annealing, two phases) written out, at a real-valued step t."""
    initial, peak_step, last = max_lr / div, pct * total - 1, total - 1
    low = initial / final_div

    def cos(start, end, fraction):
        return end + (start - end) / 2.0 * (1.0 + math.cos(math.pi * fraction))

    if t <= peak_step:
        return cos(initial, max_lr, t / peak_step)
    return cos(max_lr, low, (t - peak_step) / (last - peak_step))


def first_group(run):
    return [rates[0] for rates in run.lr]


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    out = tmp_path_factory.mktemp("warned")
    notices = []
    result = compare(SPECS, task="digits", epochs=1, seeds=1, out=out, notice=notices.append)
    return result, notices, out


def test_longer_and_shorter_schedules_are_warned_about(warned):
    _, notices, _ = warned
    assert any(
        line.startswith("warning: long:") and "179 updates, longer than the run (45)" in line
        for line in notices
    ), notices
    assert any(
        line.startswith("warning: short:") and "20 updates, shorter than the run (45)" in line
        for line in notices
    ), notices
    assert not any("cosine()" in line for line in notices)


def test_they_are_marked_in_the_table_the_report_and_results_json(warned):
    result, _, out = warned
    table = result.table()
    labels = [row[1] for row in result.rows()[1:]]
    assert labels == ["long !", "short !", "cosine()"]
    assert "! long: its own length is 179 updates" in table
    assert "! short: its own length is 20 updates" in table
    page = (out / "report.html").read_text()
    assert "<td>long !</td>" in page
    assert "<td>short !</td>" in page
    assert "<p class='warn'>! long: its own length is 179 updates" in page
    data = json.loads((out / "results.json").read_text())
    lengths = {s["label"]: s["statistics"]["length"] for s in data["schedules"]}
    assert "longer than the run (45)" in lengths["long"]
    assert "shorter than the run (45)" in lengths["short"]
    assert lengths["cosine()"] is None


def test_without_fit_the_rates_are_torchs_cut_short_or_held(warned, torch_lrs):
    result, _, _ = warned
    long, short = (entry.runs[0] for entry in result.entries[:2])
    # torch's own schedulers on SGD with the digits base rate, 0.1
    expected_long = torch_lrs(
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=180), [0.1], RUN
    )[:, 0]
    expected_short = torch_lrs(
        lambda opt: torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=20),
        [0.1],
        RUN,
    )[:, 0]
    assert first_group(long) == pytest.approx(expected_long, rel=1e-12, abs=1e-15)
    assert first_group(short) == pytest.approx(expected_short, rel=1e-12, abs=1e-15)
    assert first_group(long)[-1] > 0.09  # still near its peak when the run ends: cut short
    assert first_group(short)[20:] == pytest.approx([0.01] * 25)  # held for the last 25 updates


def test_fit_stretches_both_to_the_run():
    notices = []
    result = compare(SPECS[:2], task="digits", epochs=1, seeds=1, fit=True, notice=notices.append)
    assert result.lengths == {}
    assert [row[1] for row in result.rows()[1:]] == ["long", "short"]
    assert not any(line.startswith("warning:") for line in notices)
    assert any(line.startswith("long:") and "stretched to the run" in line for line in notices)
    long, short = (entry.runs[0] for entry in result.entries)
    scale = 179 / RUN  # one-cycle's 179 steps played over the run's 45 updates
    assert first_group(long) == pytest.approx([one_cycle(k * scale) for k in range(RUN)], rel=1e-9)
    assert first_group(short) == pytest.approx([0.1 * (1 - 0.9 * k / RUN) for k in range(RUN)], rel=1e-9)
    assert all(entry.spec.startswith("stretch(") for entry in result.entries)


def test_the_command_line_warns_on_stderr_and_marks_the_table(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "lrkit", "compare", LONG, "--task", "digits", "--epochs", "1",
         "--seeds", "1", "--jobs", "1", "--out", str(tmp_path), "--no-progress"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "warning: long: its own length is 179 updates, longer than the run (45)" in completed.stderr
    assert "long !" in completed.stdout
    assert "Traceback" not in completed.stderr
