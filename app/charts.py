"""Chart geometry: numbers in, SVG coordinates out; the partials only draw what this computes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.formatting import number

WIDTH = 400  # a half-width panel: SVG text then shows at about its CSS size
WIDE = 640  # a full-width panel
HEIGHT = 200
TOP = 26  # room for value labels above the highest bar
BOTTOM = 30  # room for value labels below the lowest bar and the class labels
LEFT = 44  # room for the axis ticks
RIGHT = 8


@dataclass(frozen=True, slots=True)
class Scale:
    """A linear map from values in [low, high] to SVG y (top = high)."""

    low: float
    high: float
    top: float
    bottom: float

    def y(self, value: float) -> float:
        """Return the SVG y of a value."""
        span = self.high - self.low
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)


@dataclass(frozen=True, slots=True)
class Tick:
    """A horizontal grid line with its label."""

    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its box, its value's label and where the label goes."""

    x: float
    y: float
    width: float
    height: float
    value: float
    label: str
    label_x: float
    label_y: float
    negative: bool
    kind: str = ""


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars over a shared zero line, with class labels below."""

    width: int
    height: int
    zero_y: float
    left: float
    right: float
    ticks: list[Tick]
    bars: list[Bar]
    slots: list[tuple[float, str]]  # (x centre, class label)
    connectors: list[tuple[float, float, float]]  # (x1, x2, y): waterfall steps


def nice_bounds(
    values: Sequence[float], fixed: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Return a range that includes 0 and every value, rounded outwards to a nice step."""
    if fixed is not None:
        return fixed
    low = min(0.0, *values)
    high = max(0.0, *values)
    if high - low < 1e-300:
        return (0.0, 1.0)
    step = _nice_step((high - low) / 4)
    return (math.floor(low / step - 1e-9) * step, math.ceil(high / step - 1e-9) * step)


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    base = raw / 10**exponent
    nice = next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if base <= m + 1e-9)
    return float(nice * 10**exponent)


def _ticks(scale: Scale) -> list[Tick]:
    step = _nice_step((scale.high - scale.low) / 4)
    first = math.ceil(scale.low / step - 1e-9)
    last = math.floor(scale.high / step + 1e-9)
    return [Tick(scale.y(k * step), number(k * step, 2)) for k in range(first, last + 1)]


def _frame(
    values: Sequence[float], fixed: tuple[float, float] | None
) -> tuple[Scale, list[Tick], float]:
    low, high = nice_bounds(values, fixed)
    scale = Scale(low, high, TOP, HEIGHT - BOTTOM)
    return scale, _ticks(scale), scale.y(0.0)


def _bar(
    scale: Scale,
    x: float,
    width: float,
    start: float,
    end: float,
    kind: str = "",
    digits: int = 3,
    labelled: bool = True,
) -> Bar:
    """Return a bar from value `start` to `end`, labelled with end − start."""
    value = end - start
    y_top, y_bottom = sorted((scale.y(start), scale.y(end)))
    negative = value < 0
    label_y = y_bottom + 14 if negative else y_top - 5
    return Bar(
        x=x,
        y=y_top,
        width=width,
        height=max(y_bottom - y_top, 0.75 if value != 0 else 0.0),
        value=value,
        label=number(value, digits) if labelled else "",
        label_x=x + width / 2,
        label_y=label_y,
        negative=negative,
        kind=kind,
    )


def _digits(slot: float) -> int:
    """Return how many significant digits a value label may show without touching its neighbour."""
    return 3 if slot >= 48 else 2


def bar_chart(
    values: Sequence[float],
    labels: Sequence[str],
    fixed: tuple[float, float] | None = None,
) -> BarChart:
    """Return one signed bar per value, its label on the side away from zero."""
    scale, ticks, zero_y = _frame(values, fixed)
    slot = (WIDTH - LEFT - RIGHT) / len(values)
    width = min(slot * 0.6, 56.0)
    digits = _digits(slot)
    bars = [
        _bar(scale, LEFT + i * slot + (slot - width) / 2, width, 0.0, v, digits=digits)
        for i, v in enumerate(values)
    ]
    slots = [(LEFT + (i + 0.5) * slot, label) for i, label in enumerate(labels)]
    return BarChart(WIDTH, HEIGHT, zero_y, LEFT, WIDTH - RIGHT, ticks, bars, slots, [])


def symmetric_bounds(values: Sequence[float], least: float = 1.0) -> tuple[float, float]:
    """Return (−e, e) with e a nice bound of max |value|: steady while a value is dragged."""
    extent = max(least, *(abs(v) for v in values))
    step = _nice_step(extent / 2)
    bound = math.ceil(extent / step - 1e-9) * step
    return (-bound, bound)


def paired_bar_chart(
    first: Sequence[float], second: Sequence[float], labels: Sequence[str]
) -> BarChart:
    """Return two bars per class side by side (O beside Y), on [0, 1]."""
    scale, ticks, zero_y = _frame([*first, *second], (0.0, 1.0))
    slot = (WIDTH - LEFT - RIGHT) / len(first)
    width = min(slot * 0.36, 30.0)
    # Two labels per slot fit only in a wide slot; else the first series keeps its labels.
    both = slot >= 70
    digits = _digits(slot)
    bars: list[Bar] = []
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        centre = LEFT + (i + 0.5) * slot
        bars.append(_bar(scale, centre - width - 1, width, 0.0, a, "first", digits))
        bars.append(_bar(scale, centre + 1, width, 0.0, b, "second", digits, labelled=both))
    slots = [(LEFT + (i + 0.5) * slot, label) for i, label in enumerate(labels)]
    return BarChart(WIDTH, HEIGHT, zero_y, LEFT, WIDTH - RIGHT, ticks, bars, slots, [])


def waterfall_chart(
    terms: Sequence[float], labels: Sequence[str], kinds: Sequence[str]
) -> BarChart:
    """Return each term as a step from the running sum, then the total from zero.

    The last label and kind belong to the total bar.
    """
    running = [0.0]
    for term in terms:
        running.append(running[-1] + term)
    scale, ticks, zero_y = _frame(running, None)
    count = len(terms) + 1
    slot = (WIDE - LEFT - RIGHT) / count
    width = min(slot * 0.6, 56.0)
    digits = _digits(slot)
    bars = [
        _bar(
            scale,
            LEFT + i * slot + (slot - width) / 2,
            width,
            running[i],
            running[i + 1],
            kind,
            digits,
        )
        for i, kind in enumerate(kinds[:-1])
    ]
    x_total = LEFT + len(terms) * slot + (slot - width) / 2
    bars.append(_bar(scale, x_total, width, 0.0, running[-1], kinds[-1], digits))
    connectors = [
        (bars[i].x + width, bars[i + 1].x, scale.y(running[i + 1])) for i in range(len(terms))
    ]
    slots = [(LEFT + (i + 0.5) * slot, label) for i, label in enumerate(labels)]
    return BarChart(WIDE, HEIGHT, zero_y, LEFT, WIDE - RIGHT, ticks, bars, slots, connectors)


@dataclass(frozen=True, slots=True)
class Cell:
    """One heatmap cell."""

    x: float
    y: float
    size: float
    value: float
    label: str
    fill: str
    dark: bool  # True: the fill is dark, write the label in white
    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Heatmap:
    """An n×n grid on a diverging scale, symmetric around 0."""

    size: int
    cell: float
    offset: float
    cells: list[Cell]
    row_labels: list[tuple[float, str]]
    column_labels: list[tuple[float, str]]
    show_values: bool
    extent: float


# Diverging scale: blue (negative) through white to orange (positive); lightness carries the
# magnitude so the heatmap also reads in grey scale, and each cell holds its value as text.
_NEGATIVE = (33, 102, 172)
_POSITIVE = (178, 74, 10)


def _mix(colour: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(255 + (c - 255) * t) for c in colour)
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    matrix: Sequence[Sequence[float]], row_labels: Sequence[str], column_labels: Sequence[str]
) -> Heatmap:
    """Return the cells of a square matrix, coloured by value / max |value|."""
    n = len(matrix)
    offset = 40.0
    size = 320
    cell = (size - offset) / n
    extent = max((abs(v) for row in matrix for v in row), default=0.0) or 1.0
    cells = []
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            t = min(abs(value) / extent, 1.0)
            cells.append(
                Cell(
                    x=offset + j * cell,
                    y=offset + i * cell,
                    size=cell,
                    value=value,
                    label=number(value, 2),
                    fill=_mix(_NEGATIVE if value < 0 else _POSITIVE, t),
                    dark=t > 0.55,
                    row=i,
                    column=j,
                )
            )
    return Heatmap(
        size=size,
        cell=cell,
        offset=offset,
        cells=cells,
        row_labels=[(offset + (i + 0.5) * cell, label) for i, label in enumerate(row_labels)],
        column_labels=[(offset + (j + 0.5) * cell, label) for j, label in enumerate(column_labels)],
        show_values=n <= 6,
        extent=extent,
    )
