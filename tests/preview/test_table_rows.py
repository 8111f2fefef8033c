"""lrkit.preview.table: the rows of a preview and their text, CSV and JSON forms."""

import csv
import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import absolute, constant, cosine, linear, parse, warmup
from lrkit.preview import format_rows, rows, to_csv, to_json, to_text
from lrkit.preview.table import MAX_STEPS


class TestRows:
    def test_warmup_cosine_matches_the_cross_library_curve(self):
        # peak 1, floor 0.1, 2 warmup steps from 0, 10 total steps (anchors C.11, item 80).
        got = rows(warmup(cosine(end=0.1), steps=2), steps=11, total=10)[:, 0]
        expected = [0.0, 0.5] + [0.1 + 0.9 * (1 + math.cos(math.pi * (t - 2) / 8)) / 2 for t in range(2, 11)]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            got, [0, 0.5, 1, 0.96575, 0.8682, 0.72221, 0.55, 0.37779, 0.2318, 0.13425, 0.1], atol=5e-6
        )

    def test_row_zero_is_the_rate_before_the_first_step_as_in_torch(self, torch_lrs):
        got = rows(linear(0.25, 1.0, steps=4), steps=6, lrs=0.1)
        expected = torch_lrs(
            lambda opt: torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4), [0.1], 6
        )
        np.testing.assert_allclose(got, expected, rtol=1e-15)
        assert got[0, 0] == pytest.approx(0.025)

    def test_several_groups_with_an_absolute_floor_match_torch(self, torch_lrs):
        base_lrs = [0.1, 0.01, 0.5]
        got = rows(cosine(end=absolute(0.001), steps=40), steps=40, lrs=base_lrs)
        expected = torch_lrs(
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.001), base_lrs, 40
        )
        assert got.shape == (40, 3)
        np.testing.assert_allclose(got, expected, rtol=1e-12)

    def test_default_lr_of_one_prints_absolute_values_themselves(self):
        got = rows(constant(absolute(0.003)), steps=3)
        assert got[:, 0].tolist() == [0.003, 0.003, 0.003]

    def test_total_defaults_to_steps_and_can_differ(self):
        schedule = cosine()  # the rest of the run: its length is the total
        by_default = rows(schedule, steps=5)[:, 0]
        assert by_default[4] == pytest.approx((1 + math.cos(math.pi * 4 / 5)) / 2, abs=1e-15)
        longer = rows(schedule, steps=5, total=8)[:, 0]
        assert longer[4] == pytest.approx((1 + math.cos(math.pi * 4 / 8)) / 2, abs=1e-15)
        shorter = rows(schedule, steps=6, total=2)[:, 0]
        assert shorter.tolist()[2:] == [0.0] * 4  # held after its end

    def test_a_spec_string_is_parsed(self):
        assert rows("linear(steps=2)", steps=3, lrs=[0.1, 0.01]).tolist() == [
            [0.1, 0.01],
            [0.05, 0.005],
            [0.0, 0.0],
        ]

    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({"steps": 0}, ValueError, "`steps` of rows"),
            ({"steps": -3}, ValueError, "Received: steps=-3"),
            ({"steps": MAX_STEPS + 1}, ValueError, "steps=10000001"),
            ({"steps": 2.5}, TypeError, "`steps`"),
            ({"steps": 3, "total": 0}, ValueError, "`total` of rows"),
            ({"steps": 3, "lrs": -0.1}, ValueError, "`lrs` of rows"),
            ({"steps": 3, "lrs": [0.1, math.nan]}, ValueError, "lrs=nan"),
            ({"steps": 3, "lrs": math.inf}, ValueError, "lrs=inf"),
            ({"steps": 3, "lrs": []}, ValueError, "at least one"),
            ({"steps": 3, "lrs": "0.1"}, TypeError, "`lrs`"),
        ],
    )
    def test_bad_arguments_raise_naming_them(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            rows(cosine(), **kwargs)

    def test_bad_schedule_and_bad_spec(self):
        with pytest.raises(TypeError, match="`schedule` of rows"):
            rows(42, steps=3)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown schedule 'cosin'"):
            rows("cosin()", steps=3)
        with pytest.raises(ValueError, match="warmup"):
            rows(warmup(cosine(), steps=20), steps=10)  # longer than the run

    @settings(max_examples=50, deadline=None)
    @given(
        steps=st.integers(1, 300),
        warm=st.integers(1, 50),
        end=st.floats(0.0, 1.0),
        lrs=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=4),
    )
    def test_each_group_is_its_base_rate_times_the_factor(self, steps, warm, end, lrs):
        schedule = warmup(cosine(end=end), steps=warm)
        total = max(steps, warm + 1)
        got = rows(schedule, steps=steps, lrs=lrs, total=total)
        factors = schedule.resolve(total)(np.arange(steps))
        assert got.shape == (steps, len(lrs))
        for g, lr in enumerate(lrs):
            assert np.array_equal(got[:, g], lr * factors)
        assert np.isfinite(got).all()
        assert (got >= 0).all()


class TestFormats:
    values = np.array([[0.1, 0.01], [0.05, 0.010000000000000002], [1e-7, 0.0]])

    def test_text_has_aligned_columns_and_ten_digits(self):
        text = to_text(self.values)
        lines = text.splitlines()
        assert lines[0].split() == ["step", "lr0", "lr1"]
        assert [line.split() for line in lines[1:]] == [
            ["0", "0.1", "0.01"],
            ["1", "0.05", "0.01"],  # float noise hidden at 10 significant digits
            ["2", "1e-07", "0"],
        ]
        starts = {line.index(line.split()[1]) for line in lines}
        assert len(starts) == 1  # the lr column starts at the same place on every line

    def test_text_header_for_one_group(self):
        assert to_text(np.array([[0.5]])).splitlines() == ["step  lr", "   0  0.5"]

    def test_csv_keeps_every_digit(self):
        parsed = list(csv.reader(io.StringIO(to_csv(self.values))))
        assert parsed[0] == ["step", "lr0", "lr1"]
        assert [int(r[0]) for r in parsed[1:]] == [0, 1, 2]
        assert np.array_equal(np.array([[float(x) for x in r[1:]] for r in parsed[1:]]), self.values)

    def test_json_is_spec_and_lr(self):
        data = json.loads(to_json(self.values, "cosine()"))
        assert set(data) == {"spec", "lr"}
        assert data["spec"] == "cosine()"
        assert np.array_equal(np.array(data["lr"]), self.values)

    def test_format_rows_dispatches_and_rejects_unknown_formats(self):
        assert format_rows(self.values, "text") == to_text(self.values)
        assert format_rows(self.values, "csv") == to_csv(self.values)
        assert format_rows(self.values, "json", spec="x()") == to_json(self.values, "x()")
        with pytest.raises(ValueError, match="`fmt` of format_rows"):
            format_rows(self.values, "xml")

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.floats(0.0, 1e3), min_size=1, max_size=30))
    def test_csv_and_json_round_trip_exactly(self, column):
        values = np.array(column)[:, None]
        from_csv = [float(r[1]) for r in list(csv.reader(io.StringIO(to_csv(values))))[1:]]
        assert from_csv == column
        assert [row[0] for row in json.loads(to_json(values, "s"))["lr"]] == column


def test_spec_round_trip_through_rows():
    schedule = warmup(cosine(end=0.1), steps=3)
    assert np.array_equal(rows(repr(schedule), steps=20), rows(parse(repr(schedule)), steps=20))
