"""Heatmap geometry: stepped colours by sign and size, one path per colour, values when small."""

from __future__ import annotations

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
