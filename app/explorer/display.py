"""How numbers read on the page: short, signed with a real minus, exact in the URL."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from markupsafe import Markup, escape

MINUS = "\u2212"
# An index written after a symbol in a plain-text sentence: O_i, δ_ij, Y′_k, Σ_i, term_i.
_INDEX = re.compile(r"(?<=[A-Za-zσδΣ′)])_(ij|[ijk])\b")


def px(v: float) -> str:
    """Return an SVG coordinate to a tenth, without a trailing ".0": 12, 12.5."""
    return f"{v:.1f}".removesuffix(".0")


# The format specs of `number`, made once (a page formats some four hundred numbers).
_GENERAL = {digits: f".{digits}g" for digits in range(1, 18)}
_SCIENTIFIC = {digits: f".{digits - 1}e" for digits in range(1, 18)}


def number(value: float, digits: int = 3) -> str:
    """Return `value` with `digits` significant digits for display: 0.269, −0.27, 5.55e−17."""
    magnitude = abs(value)
    if 1e-4 <= magnitude < 1e5:  # most numbers on a page: checked first
        text = format(value, _GENERAL.get(digits) or f".{digits}g")
        if "e" in text:  # a whole number with more digits than asked: 1794, not 1.79e+03
            text = format(value, ".0f")
    elif value == 0 or not math.isfinite(value):
        return "0" if value == 0 else ("∞" if value > 0 else f"{MINUS}∞")
    else:
        spec = _SCIENTIFIC.get(digits) or f".{digits - 1}e"
        mantissa, exponent = format(value, spec).split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def number_text(value: float, digits: int = 3) -> str:
    """Return `number(value, digits)` as HTML text for a page: e-notation as a power of ten,
    which is how a student reads it (8.9e−5 → 8.9×10<sup>−5</sup>); charts keep the short form.
    (A table's hundred cells call this directly: it is `number_html` without the Markup.)"""
    text = number(value, digits)
    if "e" not in text:  # `number` writes e-notation only as mantissa e exponent
        return text
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa}×10<sup>{exponent}</sup>"


def number_html(value: float, digits: int = 3) -> Markup:
    """Return `number_text(value, digits)` as Markup, for the templates' `numx` filter."""
    return Markup(number_text(value, digits))


# A number in e-notation as `number` writes it (1.71e−16, 2e5), not inside a word or a name.
_POWER = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)e(\u2212?[0-9]+)\b")


def _powers(text: str) -> str:
    """Write each number of `text` in e-notation as a power of ten (HTML)."""
    return _POWER.sub(r"\1×10<sup>\2</sup>", text)


# A class number written after a symbol: O2, dZ1, Y′3, w2, σ2 (not inside a word or a number).
_NUMBERED = re.compile(r"(?<![A-Za-ce-z0-9._])([OYZwcσ]′?)([0-9]+)\b")


def subscripts(text: str, names: tuple[str, ...] = ()) -> Markup:
    """Return a plain-text sentence as HTML with its indices as subscripts: O_i → O<sub>i</sub>,
    dZ2 → dZ<sub>2</sub>, and O_cat → O<sub>cat</sub> for an instructor's class names (the
    sentences are written once, as text, for the page and the JSON twin alike)."""
    html = _INDEX.sub(r"<sub>\1</sub>", str(escape(text)))
    html = _NUMBERED.sub(r"\1<sub>\2</sub>", html)
    html = _powers(html)  # as number_html writes tables
    if names:
        html = _named(names).sub(r"<sub>\1</sub>", html)
    return Markup(html)


@lru_cache(maxsize=64)
def _named(names: tuple[str, ...]) -> re.Pattern[str]:
    """The pattern of a class name written after a symbol (O_cat), longest names first; made
    once per set of names, not per sentence."""
    escaped = sorted((re.escape(str(escape(name))) for name in names), key=len, reverse=True)
    return re.compile(rf"(?<=[A-Za-zσδΣ′)])_({'|'.join(escaped)})(?![\w])")


def exact(value: float) -> str:
    """Return the shortest text that reads back as the same float64: 2, 0.1, 1e-20."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def class_name(k: object, names: tuple[str, ...] = ()) -> str:
    """Return how the page names class k (1-based): its instructor-given name, else k."""
    text = str(k)
    if names and text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    return text


def subscript(i: int, names: tuple[str, ...], n: int) -> str:
    """Return class i's (0-based) subscript in plain text: "2" (Z2), or "_cat" (Z_cat) when
    the instructor named all n classes."""
    return f"_{names[i]}" if len(names) == n else str(i + 1)
