"""Heatmap geometry: stepped colours by sign and size, one path per colour, values when small."""

from __future__ import annotations

import re

import pytest

from app.explorer.heatmap import LEVELS, heatmap
from app.explorer.svg import draw_heatmap


def test_heatmap_cells_are_coloured_by_sign_and_size() -> None:
    hm = heatmap([[0.2, -0.2], [-0.2, 0.2]], ["O1", "O2"], ["Z1", "Z2"])
    assert len(hm.cells) == 4
    diagonal, off = hm.cells[0], hm.cells[1]
    assert diagonal.fill != off.fill
    assert diagonal.dark
    assert hm.show_values
    assert heatmap([[0.0] * 10] * 10, ["o"] * 10, ["z"] * 10).show_values is False


def test_one_path_per_colour_covers_every_cell() -> None:
    matrix = [[0.1 * (i - j) for j in range(10)] for i in range(10)]
    hm = heatmap(matrix, ["o"] * 10, ["z"] * 10)
    assert len(hm.layers) <= 2 * LEVELS + 1
    assert sum(d.count("z") for _, d in hm.layers) == 100
    assert hm.diagonal.count("z") == 10


def test_the_diagonal_outline_stays_inside_the_map() -> None:
    # Each diagonal square is stroked 1.5 wide (half of it outside the path): the last one's
    # outline was cut by 0.75 px at the map's right and bottom edges, on screen and on paper.
    for n in (2, 3, 7, 10):
        h = heatmap([[0.1] * n for _ in range(n)], [str(k) for k in range(n)], ["x"] * n)
        squares = re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)", h.diagonal)
        assert len(squares) == n
        half_stroke = 0.75
        for x, y, side in ((float(a), float(b), float(c)) for a, b, c in squares):
            assert x - half_stroke >= h.offset - 0.05
            assert x + float(side) + half_stroke <= h.size + 0.05, (n, x, side)
            assert y + float(side) + half_stroke <= h.size + 0.05


def test_long_row_names_widen_the_maps_left_band_only() -> None:
    """A long row name pushed the grid down as well as right: 70 units of empty band above
    a 3×3 map with "Hippopotamus" on a phone."""
    names = ["Giraffe calf", "Hippopotamus", "Zebra"]
    matrix = [[0.2, -0.1, -0.1], [-0.1, 0.2, -0.1], [-0.1, -0.1, 0.2]]
    h = heatmap(matrix, names, names)
    assert h.offset > 100  # room for the row names on the left
    assert h.at(0, 0)[1] == 40  # and only the column names' line above the grid
    svg = str(draw_heatmap(h, "c", "t", "d"))
    box = re.search(r'viewBox="0 0 (\S+) (\S+)"', svg)
    assert box
    width, height = float(box[1]), float(box[2])
    assert height == pytest.approx(40 + 3 * h.cell, abs=0.1)
    assert height < width - 60
