"""Heatmap geometry for the Jacobian: cells, stepped colours, labels, as SVG coordinates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from app.explorer.display import number, px
from app.explorer.scales import fitted_all, keyed, text_width

TOP = 40.0  # room above the grid for one line of column labels


@dataclass(frozen=True, slots=True)
class Cell:
    """One heatmap cell."""

    x: float
    y: float
    size: float
    label: str
    fill: str
    dark: bool  # True: the fill is dark, write the label in white


@dataclass(frozen=True, slots=True)
class Heatmap:
    """An n×n grid on a stepped diverging scale, symmetric around 0.

    Cells of one colour are drawn as one SVG path (`layers`), which keeps a 10×10 grid small;
    `cells` carries each value for the labels drawn on small grids.
    """

    size: int
    offset: float  # the row labels' band: the grid's left edge
    cells: list[Cell]
    layers: list[tuple[str, str]]  # (fill, path data)
    diagonal: str  # path data outlining the diagonal cells
    row_labels: list[tuple[float, str]]
    column_labels: list[tuple[float, str]]
    show_values: bool
    cell: float = 0.0  # a cell's side
    top: float = TOP  # the column labels' band: the grid's top edge

    @property
    def height(self) -> float:
        """Return the map's height: the column labels and the grid (a long row label widens
        the map's left band only; it left a tall empty band above the grid too)."""
        return self.top + self.size - self.offset

    def at(self, i: int, j: int) -> tuple[float, float]:
        """Return the top-left corner of row i, column j."""
        return self.offset + j * self.cell, self.top + i * self.cell


# Diverging scale: blue (negative) through white to orange (positive), in LEVELS steps; lightness
# carries the magnitude so the heatmap also reads in grey scale, and the table holds every value.
_NEGATIVE = (33, 102, 172)
_POSITIVE = (178, 74, 10)
LEVELS = 6


def _mix(colour: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(255 + (c - 255) * t) for c in colour)
    return f"#{r:02x}{g:02x}{b:02x}"


# The stepped scale, by sign and level: PALETTE[value < 0][level].
PALETTE = tuple(
    tuple(_mix(colour, level / LEVELS) for level in range(LEVELS + 1))
    for colour in (_POSITIVE, _NEGATIVE)
)


def _square(x: str, y: str, side: str) -> str:
    return f"M{x} {y}h{side}v{side}h-{side}z"


def _room(row_labels: Sequence[str]) -> float:
    """Return the room for the longest row label (class names), within reason; longer ones
    are cut."""
    return min(max(40.0, max((text_width(lb, 13) for lb in row_labels), default=0) + 10), 110.0)


def heatmap(
    matrix: Sequence[Sequence[float]], row_labels: Sequence[str], column_labels: Sequence[str]
) -> Heatmap:
    """Return the cells of a square matrix, coloured by value / max |value| in steps."""
    n = len(matrix)
    size = 320
    offset = _room(row_labels)
    cell = (size - offset) / n
    columns = keyed(column_labels, cell - 2, 13)
    if columns is None:  # names cut to a letter ("e r L d"): numbered, the rows saying whose
        columns = [str(k + 1) for k in range(n)]
        row_labels = [f"{k + 1} {label}" for k, label in enumerate(row_labels)]
        offset = _room(row_labels)
        cell = (size - offset) / n
    row_labels, column_labels = fitted_all(row_labels, offset - 8, 13), columns
    extent = max((abs(v) for row in matrix for v in row), default=0.0) or 1.0
    # values only where every one fits its cell (11 px labels): five long row names left
    # 42-unit cells, and "−0.0684" ran into its neighbours
    labels = [[number(v, 3) for v in row] for row in matrix] if n <= 6 else []
    show_values = bool(labels) and all(
        text_width(label, 11) + 4 <= cell for row in labels for label in row
    )
    cells = []
    paths: dict[str, list[str]] = {}
    side = px(cell)
    at = [px(offset + k * cell) for k in range(n)]  # the columns' offsets
    down = [px(TOP + k * cell) for k in range(n)]  # the rows'
    inset = [(px(offset + k * cell + 0.75), px(TOP + k * cell + 0.75)) for k in range(n)]
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            level = math.ceil(min(abs(value) / extent, 1.0) * LEVELS - 1e-9)
            fill = PALETTE[value < 0][level]
            x, y = offset + j * cell, TOP + i * cell
            paths.setdefault(fill, []).append(_square(at[j], down[i], side))
            if show_values:  # labels only where the cells are big enough to carry them
                cells.append(Cell(x, y, cell, labels[i][j], fill, level / LEVELS > 0.55))
    return Heatmap(
        size=size,
        offset=offset,
        cells=cells,
        layers=[(fill, "".join(d)) for fill, d in paths.items()],
        # inset by half its stroke (1.5): the last square's outline stays inside the map
        diagonal="".join(_square(x, y, px(cell - 1.5)) for x, y in inset),
        row_labels=[(TOP + (i + 0.5) * cell, escape(lb)) for i, lb in enumerate(row_labels)],
        column_labels=[
            (offset + (j + 0.5) * cell, escape(lb)) for j, lb in enumerate(column_labels)
        ],
        show_values=show_values,
        cell=cell,
    )
