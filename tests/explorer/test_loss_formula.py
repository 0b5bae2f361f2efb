"""The loss panel's formulas in the state's numbers add up as written: each number line,
evaluated from the numbers it shows, gives the result it shows.

Each number stands for the interval of values that round to it at four significant digits
(the result: at the digits it shows), and the line's interval arithmetic must meet the
result's. An operand written to three digits where the result has four stands for too narrow
an interval and misses it.

A student checks such a line by hand: "= 0.231·1 − 0 = 0.2312" (operands to three digits, the
result to four) read as an error, and so did a squared-error formula whose "= E" came after
its note.
"""

from __future__ import annotations

import html
import math
import re

import pytest
from starlette.testclient import TestClient

from app.explorer.display import MINUS
from app.main import create_app

CLIENT = TestClient(create_app())
THREE = "logits=2,1,0.5&target=0"


def _loss_panel(query: str) -> str:
    page = CLIENT.get(f"/?{query}").text
    found = re.search(r'<section class="panel" id="panel-loss".*?</section>', page, re.S)
    assert found, query
    return found[0]


class Interval:
    """[low, high], with the arithmetic a number line uses."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    @classmethod
    def shown(cls, text: str, digits: int = 4) -> Interval:
        """The values that round to `text` at `digits` significant digits (0 is exact)."""
        value = float(text)
        if value == 0:
            return cls(0.0, 0.0)
        half = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
        return cls(value - half, value + half)

    def _of(self, values: list[float]) -> Interval:
        return Interval(min(values), max(values))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.low - other.high, self.high - other.low)

    def __neg__(self) -> Interval:
        return Interval(-self.high, -self.low)

    def __mul__(self, other: Interval) -> Interval:
        return self._of([a * b for a in (self.low, self.high) for b in (other.low, other.high)])

    def __truediv__(self, other: Interval) -> Interval:
        assert other.low > 0 or other.high < 0
        return self * Interval(1 / other.high, 1 / other.low)

    def __pow__(self, power: int) -> Interval:
        ends = [self.low**power, self.high**power]
        low = 0.0 if self.low <= 0 <= self.high else min(ends)
        return Interval(low, max(ends))

    def meets(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:e-?\d+)?)")


def _expression(mathml: str) -> str:
    """Return one <math> of numbers as a Python expression: fractions, squares, · and −."""
    child = r"(<mrow>.*?</mrow>|<mn>[^<]*</mn>)"
    text = re.sub(rf"<mfrac>{child}{child}</mfrac>", r"((\1)/(\2))", mathml, flags=re.S)
    text = re.sub(r"<msup><mrow>(.*?)</mrow><mn>2</mn></msup>", r"(\1)**2", text, flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    text = text.replace("·", "*").replace(MINUS, "-")
    return re.sub(r"\)\s*\(", ")*(", text)  # −1/N (…): a product


def _lines(panel: str) -> list[str]:
    """Return the panel's number lines, those of one formula joined: loss, then gradient."""
    loss, _, gradient = panel.partition("<h3>")
    numbers = r'<math display="block" class="formula numbers".*?</math>'
    return [
        " ".join(map(_expression, re.findall(numbers, part, re.S))) for part in (loss, gradient)
    ]


STATES = [
    f"{THREE}&j=2",
    f"{THREE}&j=1",
    f"{THREE}&temperature=2&label_smoothing=0.1&weights=2,1,1",
    f"{THREE}&loss=mse",
    f"{THREE}&loss=mse&j=0&temperature=2&label_smoothing=0.1",
    f"{THREE}&loss=mse&reduction=sum",
    "logits=3,-1,0.25,2&target=0.1,0.2,0.3,0.4&loss=mse&j=3",
    f"{THREE}&loss=bce&j=2",
    "logits=3,-1,0.25,2&target=3&reduction=sum&j=3",
]


@pytest.mark.parametrize("query", STATES)
def test_each_number_line_gives_the_result_it_shows(query: str) -> None:
    for line in _lines(_loss_panel(query)):
        assert line.strip(), f"{query}: a formula without its numbers"
        *steps, result = [side for side in line.split("=") if side.strip()]
        assert steps, f"{query}: {result} with no numbers that give it"
        digits = len(result.strip().lstrip("-").replace(".", "").lstrip("0"))
        shown = Interval.shown(result, digits)
        for step in steps:
            # only numbers (now intervals), + − · / ( ) and **2; the exponent stays a number
            text = _NUMBER.sub(r"Interval.shown('\1')", step).replace(
                "**Interval.shown('2')", "**2"
            )
            value = eval(text, {"__builtins__": {}, "Interval": Interval})
            assert value.meets(shown), f"{query}: {step} = [{value.low}, {value.high}]"


def test_the_squared_error_formula_ends_before_its_note() -> None:
    panel = _loss_panel(f"{THREE}&loss=mse").partition("<h3>")[0]
    assert panel.rindex("formula numbers") < panel.index('<p class="note">')
