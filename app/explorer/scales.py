"""Axes of the bar charts: nice bounds and ticks, a linear scale, and label widths."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from app.explorer.display import number


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


# Advance widths of the characters charts write, in em of a sans-serif face (DejaVu Sans, which
# the page falls back to, is among the widest): enough to keep every label inside its chart.
# Class names are an instructor's words: the widest letters ("MMMM…" ran into its neighbour at
# 0.64 em a letter), capitals and the ellipsis that cuts a name have widths of their own. (The
# page's own labels, Z1, O10, Y and sum, keep the measure their charts were laid out and
# tested with.)
_EM = {"−": 0.84, "-": 0.36, "+": 0.84, ".": 0.32, "e": 0.62, "∞": 0.84, "…": 1.0}
_EM |= {"M": 1.0, "W": 1.1, "w": 0.9, "@": 1.0, "%": 0.95, "Z": 0.64, "O": 0.64, "Y": 0.64}
_EM |= {"m": 1.05}  # bold: "Hippopotamus" ran 3 units past the Jacobian's left edge
_CAPITAL = 0.8


def text_width(text: str, size: float) -> float:
    """Return an upper estimate of a label's width in SVG units at font size `size`."""
    return size * _ems(text)


@lru_cache(maxsize=1024)
def _ems(text: str) -> float:
    """A label's width in em (a page's labels repeat: ticks, class names, 0.25)."""
    return sum(_EM.get(c, _CAPITAL if c.isupper() else 0.64) for c in text)


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
    return (math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step)


def symmetric_bounds(values: Sequence[float], least: float = 1.0) -> tuple[float, float]:
    """Return (−e, e) with e a nice bound of max |value|: steady while a value is dragged."""
    extent = max(least, *(abs(v) for v in values))
    step = _nice_step(extent / 2)
    bound = math.ceil(extent / step - 1e-9) * step
    return (-bound, bound)


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    base = raw / 10**exponent
    nice = next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if base <= m + 1e-9)
    return float(nice * 10**exponent)


def digits_for(slot: float) -> int:
    """Return the significant digits a value label gets in a slot this wide."""
    return 3 if slot >= 60 else 2


MIN_TICK_GAP = 16.0  # SVG units between ticks: their 12-unit labels never touch


def tick_values(scale: Scale) -> list[tuple[float, str]]:
    """Return the axis ticks of a scale: nice values and their labels, at least MIN_TICK_GAP
    apart on a drawn axis (a short one, as in a waterfall between rotated labels, gets fewer)."""
    span = scale.high - scale.low
    step = _nice_step(span / 4)
    pixels = abs(scale.bottom - scale.top)
    while pixels >= 2 * MIN_TICK_GAP and step / span * pixels < MIN_TICK_GAP and step < span:
        step = _nice_step(step * 1.01)  # the next nice step
    first = math.ceil(scale.low / step - 1e-9)
    last = math.floor(scale.high / step + 1e-9)
    return [(k * step, number(k * step, 2)) for k in range(first, last + 1)]


def fitted(label: str, width: float, size: float) -> str:
    """Return a label cut with an ellipsis to fit `width` at font size `size` (an instructor's
    long class names under narrow bars); the tables carry the names whole."""
    if text_width(label, size) <= width:
        return label
    for end in range(len(label) - 1, 0, -1):
        if text_width(label[:end] + "…", size) <= width:
            return label[:end] + "…"
    return label[:1]


SUB_SIZE = 0.8  # an SVG subscript's font size, of its text's


def subscripted(before: str, label: str, after: str, room: float, size: float) -> Markup:
    """Return a chart's own words about class `label` ("t: Z" + "2" + " + t"), escaped for raw
    SVG and cut to `room`: an instructor's class name as Z's subscript (a <tspan>, as the
    page's HTML writes it; it read "Z_Giraffe calf"), a class number as it is ("Z2")."""
    if label.isdigit():
        return Markup.escape(fitted(f"{before}{label}{after}", room, size))
    name = fitted(label, room - text_width(before + after, size), size * SUB_SIZE)
    # lowered 2 units, not a whole "sub": an axis title's subscript stays inside its chart
    tspan = Markup('<tspan baseline-shift="-2" font-size="{:g}%">{}</tspan>')
    return Markup("{}{}{}").format(before, tspan.format(SUB_SIZE * 100, name), after)


def fitted_all(labels: Sequence[str], width: float, size: float) -> list[str]:
    """Return `fitted` labels, and where two different labels would be cut to the same text
    (an instructor's "Extraordinary1", "Extraordinary2"), cut those in the middle instead, so
    that their ends, which tell them apart, stay: "Ex…ry1"."""
    out = [fitted(label, width, size) for label in labels]
    counts = Counter(out)
    if len(counts) == len(set(labels)):
        return out
    return [
        _middle_cut(label, width, size) if counts[cut] > 1 and cut != label else cut
        for label, cut in zip(labels, out, strict=True)
    ]


READABLE = 3  # the fewest characters of a name a cut label may keep ("Sta…", not "…e")


def keyed(labels: Sequence[str], width: float, size: float) -> list[str] | None:
    """Return `fitted_all` labels, or None where one of them would keep fewer than READABLE
    characters of its name, or two names stay alike: ten dog breeds under a ten-bar chart were
    "…e", "…r", "L…", and a chart then numbers its classes and gives a key of the names."""
    out = fitted_all(labels, width, size)
    if len(set(out)) < len(set(labels)):  # still alike after the middle cut: "Z…ier" twice
        return None
    for label, cut in zip(labels, out, strict=True):
        if cut != label and len(cut.replace("…", "")) < min(READABLE, len(label)):
            return None
    return out


def _middle_cut(label: str, width: float, size: float) -> str:
    """The label's first third and last two thirds of what fits, joined by an ellipsis."""
    for keep in range(len(label) - 1, 1, -1):  # at least a character each side
        head = max(1, keep // 3)
        text = label[:head] + "…" + label[len(label) - (keep - head) :]
        if text_width(text, size) <= width:
            return text
    return "…" + label[-1:] if text_width("…" + label[-1:], size) <= width else label[-1:]
