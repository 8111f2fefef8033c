"""lrkit.preview.terminal: the Unicode curve drawn in the terminal."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.preview import render

BLANK = 0x2800
# Dot bits of a Braille cell, [row][column], as defined by Unicode (U+2800 block).
BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def canvas(text, height, title=False):
    """The canvas rows (the part after the axis character) of a rendered plot."""
    lines = text.splitlines()
    body = lines[1:] if title else lines
    return [line.split("┤" if "┤" in line else "│", 1)[1] for line in body[:height]]


def dots(rows):
    """The plot as a boolean dot grid of (4 * height, 2 * width)."""
    height, width = len(rows), len(rows[0])
    grid = np.zeros((4 * height, 2 * width), dtype=bool)
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            code = 0 if char == " " else ord(char) - BLANK
            assert 0 <= code < 256, repr(char)
            for dr in range(4):
                for dc in range(2):
                    grid[4 * r + dr, 2 * c + dc] = bool(code & BITS[dr][dc])
    return grid


class TestShape:
    def test_lines_and_widths(self):
        text = render(np.linspace(1, 0, 500), width=40, height=10, title="a title")
        lines = text.splitlines()
        assert len(lines) == 1 + 10 + 2
        assert lines[0] == "a title"
        body = lines[1:11]
        assert len({len(line) for line in body}) == 1  # every canvas row has the same width
        assert all(len(row) == 40 for row in canvas(text, 10, title=True))
        axis = lines[11]
        assert axis.strip() == "└" + "─" * 40
        assert len(axis) == len(body[0])
        assert lines[12].split() == ["0", "499"]

    def test_without_title(self):
        lines = render([1.0, 0.5], width=8, height=2).splitlines()
        assert len(lines) == 4

    def test_labels_show_the_range(self):
        lines = render(np.linspace(0.1, 0.0, 100), width=20, height=6).splitlines()
        assert lines[0].split()[0] == "0.1"
        assert lines[5].split()[0] == "0"


class TestDrawing:
    def test_a_decreasing_line_goes_from_top_left_to_bottom_right(self):
        grid = dots(canvas(render(np.linspace(1, 0, 1000), width=30, height=8), 8))
        assert grid[0, 0]
        assert grid[-1, -1]
        assert not grid[-1, 0]
        assert not grid[0, -1]

    def test_a_jump_is_drawn_where_it_happens(self):
        values = np.r_[np.zeros(50), np.ones(50)]
        grid = dots(canvas(render(values, width=10, height=4), 4))
        # Left half: only the bottom dot row; right half: only the top dot row, except the joining column.
        assert grid[-1, :10].all()
        assert not grid[:-1, :10].any()
        assert grid[0, 11:].all()
        assert not grid[1:, 11:].any()
        assert grid[:, 10].all()  # the vertical join at the step where the value jumps

    def test_a_constant_is_a_flat_line_at_the_top(self):
        grid = dots(canvas(render(np.full(30, 0.2), width=10, height=3), 3))
        assert grid[0].all()
        assert not grid[1:].any()

    def test_several_groups_are_drawn_on_the_same_axes(self):
        values = np.c_[np.full(40, 1.0), np.full(40, 0.0)]
        grid = dots(canvas(render(values, width=10, height=3), 3))
        assert grid[0].all()
        assert grid[-1].all()
        assert not grid[1:-1].any()

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.floats(0.0, 100.0), min_size=1, max_size=400),
        st.integers(8, 50),
        st.integers(2, 12),
    )
    def test_every_dot_column_is_drawn_and_extremes_are_reached(self, values, width, height):
        text = render(values, width=width, height=height)
        lines = text.splitlines()
        assert len(lines) == height + 2
        grid = dots(canvas(text, height))
        assert grid.shape == (4 * height, 2 * width)
        assert grid.any(axis=0).all()  # the curve is continuous: no empty column
        if max(values) > 0.0:
            assert grid[0].any()  # the maximum is on the top dot row
        if min(values) == 0.0:
            assert grid[-1].any()  # the axis starts at 0


@pytest.mark.parametrize(
    ("values", "kwargs", "match"),
    [
        ([], {}, "non-empty"),
        (np.zeros((2, 2, 2)), {}, "1-D or 2-D"),
        ([0.0, np.nan], {}, "finite"),
        ([0.0, np.inf], {}, "finite"),
        ([1.0], {"width": 7}, "`width` of render"),
        ([1.0], {"height": 1}, "`height` of render"),
    ],
)
def test_bad_input_raises(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        render(values, **kwargs)
