"""How numbers read on the page: short, signed with a real minus, exact in the URL."""

from __future__ import annotations

import math
import re

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
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else ("∞" if value > 0 else f"{MINUS}∞")
    magnitude = abs(value)
    if 1e-4 <= magnitude < 1e5:
        text = format(value, _GENERAL.get(digits) or f".{digits}g")
        if "e" in text:  # a whole number with more digits than asked: 1794, not 1.79e+03
            text = format(value, ".0f")
    else:
        spec = _SCIENTIFIC.get(digits) or f".{digits - 1}e"
        mantissa, exponent = format(value, spec).split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def subscripts(text: str) -> Markup:
    """Return a plain-text sentence as HTML with its indices as subscripts: O_i → O<sub>i</sub>
    (the sentences are written once, as text, for the page and the JSON twin alike)."""
    return Markup(_INDEX.sub(r"<sub>\1</sub>", str(escape(text))))


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
