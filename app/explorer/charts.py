"""Bar chart geometry: numbers in, SVG coordinates out; the partials draw only this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape

from app.explorer.display import number
from app.explorer.scales import (
    Scale,
    Tick,
    digits_for,
    keyed,
    nice_bounds,
    text_width,
    tick_values,
)

WIDTH = 400  # SVG text then shows at about its CSS size in a half-width panel or on a phone
HEIGHT = 210
LEFT = 44  # the least room for the axis ticks; more when their labels are longer
RIGHT = 8
LABEL_ROOM = 18  # above and below the bars, for horizontal value labels
ROTATED_ROOM = 46  # for value labels turned upright, in narrow slots
CLASS_LABELS = 18  # below everything, for the class labels
DENSE_SLOT = 46.0  # narrower slots turn their value labels upright so they never overlap
KEY_SIZE, KEY_LINE, KEY_GAP = 12, 16, 14  # a key's entries: font size, line, column gap


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
    rotated: bool = False
    kind: str = ""
    below: bool = False  # the label sits below the bar (negative values)


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
    ghosts: list[Bar] = field(default_factory=list)  # outlines of earlier values (descent)
    arrows: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y1, y2)
    key: list[tuple[float, float, str]] = field(default_factory=list)  # (x, y, "1 name")


@dataclass(frozen=True, slots=True)
class _Frame:
    """The vertical scale and the horizontal slots shared by a chart's bars."""

    scale: Scale
    slot: float
    rotated: bool
    decimals: int | None = None  # fixed decimals (probabilities) instead of significant digits
    left: float = LEFT

    def label(self, value: float) -> str:
        if self.decimals is not None:
            return f"{value:.{self.decimals}f}"
        return number(value, self.digits)

    @property
    def digits(self) -> int:
        return digits_for(self.slot)

    def centre(self, i: int) -> float:
        return self.left + (i + 0.5) * self.slot

    def ticks(self) -> list[Tick]:
        return [Tick(self.scale.y(value), label) for value, label in tick_values(self.scale)]

    def bar(
        self,
        x: float,
        width: float,
        start: float,
        end: float,
        kind: str = "",
        *,
        labelled: bool = True,
    ) -> Bar:
        """Return a bar from value `start` to `end`, labelled with end − start away from zero."""
        value = end - start
        y_top, y_bottom = sorted((self.scale.y(start), self.scale.y(end)))
        negative = value < 0
        # A label goes beyond the bar's end, away from zero; a zero on the top edge goes below.
        below = negative or (value == 0 and self.scale.high == 0)
        if self.rotated:  # the label runs along the bar's axis, from its end outwards
            label_y = y_bottom + 4 if below else y_top - 4
        else:
            label_y = y_bottom + 13 if below else y_top - 4
        return Bar(
            x=x,
            y=y_top,
            width=width,
            height=max(y_bottom - y_top, 0.75 if value != 0 else 0.0),
            value=value,
            label=self.label(value) if labelled else "",
            label_x=x + width / 2 + (4 if self.rotated else 0),
            label_y=label_y,
            negative=negative,
            rotated=self.rotated,
            kind=kind,
            below=below,
        )

    def chart(
        self,
        bars: list[Bar],
        labels: Sequence[str],
        connectors: list[tuple[float, float, float]] | None = None,
        classes: int | None = None,
    ) -> BarChart:
        """Return the chart of these bars over their slots' labels; the first `classes` of
        them (all by default) are class names, numbered with a key below where they do not fit
        their slots readably (a waterfall's last label, "sum", is not a class)."""
        classes = len(labels) if classes is None else classes
        cut = keyed(labels[:classes], self.slot - 4, 13)
        key = []
        if cut is None:
            cut = [str(k + 1) for k in range(classes)]
            key = class_key(labels[:classes], HEIGHT)
        cut = [*cut, *labels[classes:]]
        # class labels may be an instructor's names: escaped, as the chart is drawn raw
        slots = [(self.centre(i), escape(label)) for i, label in enumerate(cut)]
        return BarChart(
            WIDTH,
            round(key[-1][1]) + 6 if key else HEIGHT,
            self.scale.y(0.0),
            self.left,
            WIDTH - RIGHT,
            self.ticks(),
            bars,
            slots,
            connectors or [],
            key=key,
        )


def class_key(names: Sequence[str], top: float) -> list[tuple[float, float, str]]:
    """Return a key of numbered class names ("1 Staffordshire"), in as many columns as fit
    the chart's width, row by row below `top`."""
    entries = [f"{k + 1} {name}" for k, name in enumerate(names)]
    column = max(text_width(e, KEY_SIZE) for e in entries) + KEY_GAP
    across = max(1, min(len(entries), int((WIDTH - 2 * RIGHT + KEY_GAP) // column)))
    start = (WIDTH - (across * column - KEY_GAP)) / 2
    return [
        (start + (k % across) * column, top + KEY_LINE * (k // across + 1), escape(e))
        for k, e in enumerate(entries)
    ]


def _frame(
    bounds: tuple[float, float],
    count: int,
    values: Sequence[float],
    decimals: int | None = None,
    labels_below: bool = False,
    labels_above: bool = False,
) -> _Frame:
    low, high = bounds
    # The axis gets as much room as its longest tick label needs.
    ticks = tick_values(Scale(low, high, 0.0, 1.0))
    left = max(LEFT, max(text_width(label, 12) for _, label in ticks) + 10)
    slot = (WIDTH - left - RIGHT) / count
    labels = [
        f"{v:.{decimals}f}" if decimals is not None else number(v, digits_for(slot)) for v in values
    ]
    widest = max((text_width(label, 12.5) for label in labels), default=0.0)
    # Labels turn along their bars in narrow slots, and wherever one would not fit its slot
    # lying down ("−0.00068" beside "−0.00031" in six 48-unit slots ran together).
    rotated = slot < DENSE_SLOT or widest + 4 > slot
    longest = widest + 8
    room = max(ROTATED_ROOM, longest) if rotated else LABEL_ROOM
    # Leave label room only on the sides where bars (or, in a waterfall, falling steps) reach.
    top = room if high > 0 or labels_above else 8
    bottom = HEIGHT - CLASS_LABELS - (room if low < 0 or labels_below or high == 0 else 4)
    return _Frame(Scale(low, high, top, bottom), slot, rotated, decimals, left)


def bar_chart(
    values: Sequence[float],
    labels: Sequence[str],
    fixed: tuple[float, float] | None = None,
    ghosts: Sequence[tuple[Sequence[float], str]] = (),
    steps: Sequence[float] | None = None,
) -> BarChart:
    """Return one signed bar per value, its label on the side away from zero; with `ghosts`,
    outlines of other values of the same bars (kind by kind), and with `steps` an arrow per bar
    from its value to value + step."""
    ends = [v for g, _ in ghosts for v in g]
    if steps is not None:
        ends += [v + d for v, d in zip(values, steps, strict=True)]
    if fixed is not None and ends:
        fixed = (min(fixed[0], *ends), max(fixed[1], *ends))
        fixed = nice_bounds(list(fixed))
    frame = _frame(nice_bounds([*values, *ends], fixed), len(values), values)
    width = min(frame.slot * 0.6, 56.0)
    bars = [frame.bar(frame.centre(i) - width / 2, width, 0.0, v) for i, v in enumerate(values)]
    chart = frame.chart(bars, labels)
    outlines = [
        frame.bar(frame.centre(i) - width / 2, width, 0.0, v, kind, labelled=False)
        for g, kind in ghosts
        for i, v in enumerate(g)
    ]
    arrows = []
    if steps is not None:
        for i, (v, d) in enumerate(zip(values, steps, strict=True)):
            arrows.append((frame.centre(i), frame.scale.y(v), frame.scale.y(v + d)))
    return replace(chart, ghosts=outlines, arrows=arrows)


def paired_bar_chart(
    first: Sequence[float], second: Sequence[float], labels: Sequence[str]
) -> BarChart:
    """Return two bars per class side by side (O beside Y) on [0, 1]; Y's labels where they fit."""
    frame = _frame((0.0, 1.0), len(first), [*first, *second], decimals=2)
    width = min(frame.slot * 0.36, 30.0)
    both = frame.slot >= 70
    bars: list[Bar] = []
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        centre = frame.centre(i)
        bars.append(frame.bar(centre - width - 1, width, 0.0, a, "first"))
        # Two labels at about one height would run together ("1.001.00"): the second then
        # goes (its value is in the table), unless they are far enough apart to read.
        apart = abs(frame.scale.y(a) - frame.scale.y(b)) >= 15
        bars.append(frame.bar(centre + 1, width, 0.0, b, "second", labelled=both and apart))
    return frame.chart(bars, labels)


def compare_chart(
    truth: Sequence[float], guess: Sequence[float], labels: Sequence[str]
) -> BarChart:
    """Return the true value and a prediction side by side for each class, on a shared signed
    axis: the truth as a filled bar, the prediction as an outline (kinds "truth", "guess")."""
    frame = _frame(nice_bounds([*truth, *guess]), len(truth), [*truth, *guess])
    width = min(frame.slot * 0.36, 30.0)
    bars: list[Bar] = []
    for i, (a, b) in enumerate(zip(truth, guess, strict=True)):
        centre = frame.centre(i)
        bars.append(frame.bar(centre - width - 1, width, 0.0, a, "truth"))
        apart = abs(frame.scale.y(a) - frame.scale.y(b)) >= 15 or (a < 0) != (b < 0)
        bars.append(
            frame.bar(centre + 1, width, 0.0, b, "guess", labelled=frame.slot >= 70 and apart)
        )
    return frame.chart(bars, labels)


def waterfall_chart(
    terms: Sequence[float], labels: Sequence[str], kinds: Sequence[str]
) -> BarChart:
    """Return each term as a step from the running sum, then the total from zero.

    The last label and kind belong to the total bar.
    """
    running = [0.0]
    for term in terms:
        running.append(running[-1] + term)
    frame = _frame(
        nice_bounds(running),
        len(terms) + 1,
        [*terms, running[-1]],
        labels_below=min(terms, default=0) < 0,
        # a rising step's label goes above its end, which may be the top (0) of the chart
        labels_above=max(terms, default=0) > 0,
    )
    width = min(frame.slot * 0.6, 56.0)
    bars = [
        frame.bar(frame.centre(i) - width / 2, width, running[i], running[i + 1], kind)
        for i, kind in enumerate(kinds[:-1])
    ]
    bars.append(frame.bar(frame.centre(len(terms)) - width / 2, width, 0.0, running[-1], kinds[-1]))
    connectors = [
        (bars[i].x + width, bars[i + 1].x, frame.scale.y(running[i + 1])) for i in range(len(terms))
    ]
    if labels and text_width(labels[-1], 13) > frame.slot - 4:  # "sum" was cut to "s…"
        labels = [*labels[:-1], "Σ"]
    return frame.chart(bars, labels, connectors, classes=len(terms))
