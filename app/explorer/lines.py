"""Line chart geometry (the loss along one logit, the outputs along it): numbers in, SVG out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.explorer.display import number
from app.explorer.scales import (
    Scale,
    Tick,
    fitted_all,
    nice_bounds,
    subscripted,
    text_width,
    tick_values,
)

WIDTH = 400
HEIGHT = 220
TOP = 12
BOTTOM = 40  # room for the t axis labels and its title
RIGHT = 34  # room for the curves' end labels: O10 at least
LABEL_SIZE = 12  # the end labels' font size (.lines .end-label)
MOST_LABEL_ROOM = 100.0  # an instructor's long class names are cut to this, not the plot


@dataclass(frozen=True, slots=True)
class Line:
    """One polyline with a CSS kind and an optional label at its right end."""

    kind: str
    points: str
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass(frozen=True, slots=True)
class Dot:
    """A marked point."""

    x: float
    y: float
    kind: str


@dataclass(frozen=True, slots=True)
class LineChart:
    """Lines over a t axis with its zero marked; everything outside the plot area is clipped."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_ticks: list[Tick]
    x_ticks: list[tuple[float, str]]
    zero_x: float
    lines: list[Line]
    dots: list[Dot]
    axis_label: str


@dataclass(frozen=True, slots=True)
class _Axes:
    t_low: float
    t_high: float
    scale: Scale
    left: float
    right: float

    def x(self, t: float) -> float:
        return self.left + (t - self.t_low) / (self.t_high - self.t_low) * (self.right - self.left)

    def points(self, ts: Sequence[float], ys: Sequence[float]) -> str:
        return " ".join(
            f"{self.x(t):.1f},{self.scale.y(y):.1f}" for t, y in zip(ts, ys, strict=True)
        )


def _axes(
    t: Sequence[float],
    values: Sequence[float],
    fixed: tuple[float, float] | None,
    right: float = WIDTH - RIGHT,
) -> _Axes:
    low, high = fixed if fixed is not None else nice_bounds(values)
    if low == high:
        low, high = low - 1.0, high + 1.0
    ticks = tick_values(Scale(low, high, 0.0, 1.0))
    left = max(40.0, max(text_width(label, 12) for _, label in ticks) + 10)
    return _Axes(t[0], t[-1], Scale(low, high, TOP, HEIGHT - BOTTOM), left, right)


def _end_names(names: Sequence[str], room_for: Sequence[str] = ()) -> tuple[float, list[str]]:
    """Return the plot's right edge, leaving room for the curves' end labels (an instructor's
    class names were cut off at the chart's edge) or for `room_for` (charts stacked on one step
    axis keep their plots aligned), and the labels, cut to that room if longer than
    MOST_LABEL_ROOM."""
    room = min(MOST_LABEL_ROOM, max(text_width(name, LABEL_SIZE) for name in (*names, *room_for)))
    return WIDTH - max(RIGHT, room + 6), fitted_all(names, room, LABEL_SIZE)


def _x_ticks(axes: _Axes) -> list[tuple[float, str]]:
    """Ticks at a 1-2-5 step, at most four either side of t = 0, their labels apart."""
    span = axes.t_high
    magnitude = 10.0 ** math.floor(math.log10(span / 4))
    for step in (m * magnitude for m in (1, 2, 5, 10, 20, 50, 100)):
        count = int(span // step)
        labels = [number(k * step, 3) for k in range(-count, count + 1)]
        room = axes.x(step) - axes.x(0.0)
        if count <= 4 and room >= max(text_width(label, 13) for label in labels) + 8:
            break
    return [
        (axes.x(k * step), label) for k, label in zip(range(-count, count + 1), labels, strict=True)
    ]


def loss_chart(
    t: Sequence[float],
    loss: Sequence[float],
    loss_at_zero: float,
    slope: float,
    h: float,
    chord: tuple[float, float],
    j_label: str,
) -> LineChart:
    """E(Z + t·e_j) over t, its tangent at t = 0 (slope dE/dZ_j) and the chord through ±h."""
    axes = _axes(t, [*loss, loss_at_zero], None)
    ends = (t[0], t[-1])
    tangent = [loss_at_zero + slope * v for v in ends]
    # The chord through ±h, drawn on across the plot (a secant): for a small h it would be a
    # dot's width long; here it shows how close to the tangent it lies.
    rise = (chord[1] - chord[0]) / (2 * h)
    secant = [(chord[0] + chord[1]) / 2 + rise * v for v in ends]
    lines = [
        Line("curve", axes.points(t, loss)),
        Line("tangent", axes.points(ends, tangent)),
        Line("chord", axes.points(ends, secant)),
    ]
    dots = [
        Dot(axes.x(0.0), axes.scale.y(loss_at_zero), "here"),
        Dot(axes.x(-h), axes.scale.y(chord[0]), "step"),
        Dot(axes.x(h), axes.scale.y(chord[1]), "step"),
    ]
    return LineChart(
        WIDTH,
        HEIGHT,
        axes.left,
        axes.right,
        TOP,
        HEIGHT - BOTTOM,
        [Tick(axes.scale.y(v), label) for v, label in tick_values(axes.scale)],
        _x_ticks(axes),
        axes.x(0.0),
        lines,
        dots,
        _t_axis(j_label),
    )


def _t_axis(j_label: str) -> Markup:
    """The t axis's title, "t: Z2 + t" (a class name as Z's subscript), within the plot."""
    return subscripted("t: Z", j_label, " + t", WIDTH - 40.0 - RIGHT, 12)


def _end_labels(ys: Sequence[float]) -> tuple[list[tuple[float, int]], list[float]]:
    """Place curves' end labels at least 14 units apart, in the order the curves end, within
    the plot's height: pushed down from the top, then back up from the bottom where they ran
    past it. Return the (y, curve) pairs in that order and each label's y."""
    ends = sorted((y, k) for k, y in enumerate(ys))
    gap, first, last = 14.0, TOP + 8.0, HEIGHT - BOTTOM + 2.0
    placed: list[float] = []
    for y, _ in ends:
        placed.append(max(y + 4, placed[-1] + gap if placed else first))
    for k in range(len(placed) - 1, -1, -1):
        placed[k] = min(placed[k], last if k == len(placed) - 1 else placed[k + 1] - gap)
    return ends, placed


def probs_chart(
    t: Sequence[float], probs: Sequence[Sequence[float]], labels: Sequence[str], j_label: str
) -> LineChart:
    """Every O_i(Z + t·e_j) on [0, 1], each labelled at its right end (O_j rises, the rest fall)."""
    right, names = _end_names([f"O{label}" if label.isdigit() else label for label in labels])
    axes = _axes(t, [0.0, 1.0], (0.0, 1.0), right)
    ends, placed = _end_labels([axes.scale.y(row_end) for row_end in probs[-1]])
    lines = []
    for (_, i), y_label in zip(ends, placed, strict=True):
        kind = "rising" if labels[i] == j_label else f"falling k{i % 4}"
        ys = [row[i] for row in probs]
        name = escape(names[i])  # an instructor's name: raw SVG
        lines.append(Line(kind, axes.points(t, ys), name, axes.right + 3, y_label))
    return LineChart(
        WIDTH,
        HEIGHT,
        axes.left,
        axes.right,
        TOP,
        HEIGHT - BOTTOM,
        [Tick(axes.scale.y(v), label) for v, label in tick_values(axes.scale)],
        _x_ticks(axes),
        axes.x(0.0),
        lines,
        [],
        _t_axis(j_label),
    )


def series_chart(
    x: Sequence[float],
    series: Sequence[Sequence[float]],
    labels: Sequence[str],
    axis_label: str,
    log: bool = False,
    fixed: tuple[float, float] | None = None,
    room_for: Sequence[str] = (),
) -> LineChart:
    """Lines against the step (x ≥ 0), one per series, labelled at their right ends; `log`
    plots log10 of positive values (ticks then read 10^k); room is left at the right for
    the labels and for `room_for` (those of the charts stacked with it)."""
    if log:
        floor = 1e-300
        series = [[math.log10(max(v, floor)) for v in s] for s in series]
    values = [v for s in series for v in s]
    low, high = fixed if fixed is not None else (min(values), max(values))
    if high - low < 1e-12:
        low, high = low - 1.0, high + 1.0
    scale = Scale(low, high, TOP, HEIGHT - BOTTOM)
    ticks = [(v, number(10.0**v, 2) if log else label) for v, label in tick_values(scale)]
    left = max(40.0, max(text_width(label, 12) for _, label in ticks) + 10)  # as shown: 1e−300
    right, names = _end_names(labels, room_for)
    span = (x[-1] - x[0]) or 1.0

    def px(v: float) -> float:
        return left + (v - x[0]) / span * (right - left)

    ends, placed = _end_labels([scale.y(s[-1]) for s in series])
    lines = [
        Line(
            f"falling k{k % 4}" if len(series) > 1 else "curve",
            " ".join(f"{px(a):.1f},{scale.y(b):.1f}" for a, b in zip(x, series[k], strict=True)),
            escape(names[k]),
            right + 3,
            y_label,
        )
        for (_, k), y_label in zip(ends, placed, strict=True)
    ]
    every = max(1, math.ceil(span / 4))  # whole steps
    x_ticks = [(px(x[0] + t), number(x[0] + t, 3)) for t in range(0, int(span) + 1, every)]
    y_ticks = [Tick(scale.y(v), label) for v, label in ticks]
    return LineChart(
        WIDTH,
        HEIGHT,
        left,
        right,
        TOP,
        HEIGHT - BOTTOM,
        y_ticks,
        x_ticks,
        px(x[0]),
        lines,
        [],
        axis_label,
    )
