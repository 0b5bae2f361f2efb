"""Heatmap geometry: stepped colours by sign and size, one path per colour, values when small."""

from __future__ import annotations

import re

from app.explorer.heatmap import LEVELS, heatmap


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
