"""Strict parsing of JSON numbers and number lists into float64 arrays, with exact messages."""

from __future__ import annotations

import math
import re
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic_core import PydanticCustomError

_NUMBER_TYPES = {int, float}
# Decimal literals only: no "nan", "inf", "0x1p3" or "1_000", which Python's float() would take.
# ASCII digits only: Python's \d and float() would also take Arabic-Indic or full-width digits.
NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_TOKEN = re.compile(NUMBER_PATTERN)
_INTEGER_TOKEN = re.compile(r"[+-]?[0-9]+")
# Longer integers are read as floats: int() refuses more than 4,300 digits (and would spend
# quadratic time below that), and no index or float64 needs more than 309.
_LONGEST_INT = 320


def invalid(field: str, message: str) -> PydanticCustomError:
    """Return a validation error whose message starts with the field it concerns."""
    return PydanticCustomError("invalid", "{field}: {detail}", {"field": field, "detail": message})


def quoted(text: str, most: int = 20) -> str:
    """Quote what was typed; a long text by its start, marked as cut and with its length."""
    return repr(text) if len(text) <= most else f"{text[:most]!r}… ({len(text):,} characters)"


def describe(value: Any) -> str:
    """Write a value as JSON would (true, null, NaN), shortened; an infinity may have been a
    number too large for float64 (1e309), which reads as one."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return ("-" if value < 0 else "") + "Infinity (or a number beyond float64's ±1.8e308)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bad_element(field: str, row: list[Any], prefix: str) -> PydanticCustomError:
    for i, v in enumerate(row):
        if type(v) not in _NUMBER_TYPES:
            # JavaScript's JSON.stringify writes NaN and ±Infinity as null, without a word
            why = " (JSON.stringify writes NaN and ±Infinity as null)" if v is None else ""
            return invalid(f"{field}{prefix}[{i}]", f"must be a number, got {describe(v)}{why}")
        if not math.isfinite(v):
            return invalid(f"{field}{prefix}[{i}]", f"must be finite, got {describe(v)}")
    return invalid(field, "must hold numbers")


def number_row(value: Any, field: str, prefix: str = "") -> NDArray[np.float64]:
    """Return a non-empty list of finite JSON numbers (not booleans, not strings) as float64."""
    name = f"{field}{prefix}"
    if not isinstance(value, list):
        raise invalid(name, f"must be a list of numbers, got {describe(value)}")
    if not value:
        raise invalid(name, "must not be empty")
    if not set(map(type, value)) <= _NUMBER_TYPES:
        raise _bad_element(field, value, prefix)
    try:
        row = np.array(value, dtype=np.float64)
    except OverflowError:
        raise invalid(name, "holds an integer too large for float64") from None
    if not np.isfinite(row).all():
        raise _bad_element(field, value, prefix)
    return row


# (N, C, d1, d2, d3): images and volumes. PyTorch takes any K; the schema spells out each depth.
MAX_DIMENSIONS = 5


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value and depth <= MAX_DIMENSIONS:
        value, depth = value[0], depth + 1
    return depth


def _shape(value: Any, depth: int) -> list[int]:
    shape = []
    for _ in range(depth):
        shape.append(len(value))
        value = value[0]
    return shape


def _too_many(field: str, size: int, limit: int | None, count: str = "") -> None:
    """Refuse an array of more numbers than a request may hold, before reading any of them."""
    if limit is not None and size > limit:
        what = "logits" if field == "logits" else "numbers"
        raise invalid(field, f"at most {limit:,} {what} per request{count}, got {size:,}")


def number_tensor(
    value: Any, field: str, prefix: str = "", limit: int | None = None
) -> NDArray[np.float64]:
    """Return nested lists of numbers, rectangular, 1 to MAX_DIMENSIONS deep, as float64.

    The shape is read from the first element at each depth and its size checked against
    `limit` before anything else; the nested lists are then flattened into rows level by level
    (each level's lengths checked) and read in one go. Only a request already known to be wrong
    takes the slow path that names the first bad element.
    """
    depth = _depth(value)
    if depth > MAX_DIMENSIONS:
        raise invalid(
            f"{field}{prefix}",
            f"has more than {MAX_DIMENSIONS} dimensions "
            f"(at most (N, C, d1, …, dK) with K ≤ {MAX_DIMENSIONS - 2})",
        )
    if depth <= 2:
        return number_rows(value, field, prefix, limit)
    shape = _shape(value, depth)
    _too_many(field, math.prod(shape), limit)
    rows: list[Any] = value
    for level in range(1, depth - 1):
        width = shape[level]
        if not all(type(item) is list and len(item) == width for item in rows):
            return _tensor_slow(value, field, prefix)
        rows = list(chain.from_iterable(rows))
    try:
        flat = number_rows(rows, field, prefix)
    except PydanticCustomError:
        return _tensor_slow(value, field, prefix)  # to name the element by its own location
    return flat.reshape(shape)


def _tensor_slow(value: Any, field: str, prefix: str) -> NDArray[np.float64]:
    """Read nested lists element by element, naming the first thing wrong by its location."""
    if _depth(value) <= 2:
        return number_rows(value, field, prefix)
    parts: list[NDArray[np.float64]] = []
    for i, item in enumerate(value):
        where = f"{prefix}[{i}]"
        if not isinstance(item, list):
            raise invalid(f"{field}{where}", f"must be a list, got {describe(item)}")
        part = _tensor_slow(item, field, where)
        if parts and part.shape != parts[0].shape:
            raise invalid(
                f"{field}{where}",
                f"has shape {list(part.shape)} but {field}{prefix}[0] has "
                f"{list(parts[0].shape)}: the array must not be ragged",
            )
        parts.append(part)
    return np.stack(parts)


def number_rows(
    value: Any, field: str, prefix: str = "", limit: int | None = None
) -> NDArray[np.float64]:
    """Return a list of numbers (one row) or a list of equal-length rows as a float64 array."""
    if not (isinstance(value, list) and value and isinstance(value[0], list)):
        return number_row(value, field, prefix)
    n = len(value[0])
    _too_many(field, len(value) * n, limit, " (B·n)")
    # Fast path, one check for the whole batch; the slow path below finds what is wrong.
    if (
        n
        and all(type(row) is list and len(row) == n for row in value)
        and set(map(type, chain.from_iterable(value))) <= _NUMBER_TYPES
    ):
        try:
            rows = np.array(value, dtype=np.float64)
        except OverflowError:
            rows = None
        if rows is not None and np.isfinite(rows).all():
            return rows
    # The slow path finds the first thing wrong, cheap checks first: a ragged row is found
    # before any row's numbers are read, and a row is read only if its types are right.
    for b, row in enumerate(value):
        where = f"{field}{prefix}[{b}]"
        if not isinstance(row, list):
            raise invalid(where, f"must be a list of numbers, got {describe(row)}")
        if len(row) != n:
            raise invalid(
                where,
                f"has {len(row)} values but {field}{prefix}[0] has {n}: a batch must not be ragged",
            )
    for b, row in enumerate(value):
        if not row or not set(map(type, row)) <= _NUMBER_TYPES:
            number_row(row, field, f"{prefix}[{b}]")  # raises, naming the element
    try:
        rows = np.array(value, dtype=np.float64)
    except OverflowError:  # an integer too large for float64: find its row
        for b, row in enumerate(value):
            number_row(row, field, f"{prefix}[{b}]")
        raise
    b, i = (int(k) for k in np.argwhere(~np.isfinite(rows))[0])
    raise invalid(f"{field}{prefix}[{b}][{i}]", f"must be finite, got {describe(value[b][i])}")


def within(array: NDArray[np.float64], field: str, low: float, high: float) -> None:
    """Raise unless every entry lies in [low, high], naming the first one outside."""
    outside = (array < low) | (array > high)
    if outside.any():
        index = "".join(f"[{i}]" for i in np.argwhere(outside)[0]) if array.ndim else ""
        value = float(array[tuple(np.argwhere(outside)[0])])
        raise invalid(
            f"{field}{index}",
            f"must be between {bound(low)} and {bound(high)}, got {as_written(value)}",
        )


def bound(value: float) -> str:
    """Return a limit as the docs write it: -1e6 and 1e6, 0.0001, not -1e+06."""
    text = f"{value:g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def as_written(value: float) -> str:
    """Return a value as it was given where possible: 1000001 (an index), not 1e+06; other
    values in full (repr): 0.1, -2.5e-300. Whole numbers past 2⁵³ are float64's nearest
    (9223372036854775807 arrives as 9223372036854775808.0): written as floats, 9.2e+18, rather
    than as an integer that was never sent."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def parse_token(token: str, field: str) -> int | float:
    """Parse one comma-separated query value: an integer or a finite decimal literal."""
    token = token.strip(" ")  # spaces only: a URL's other control characters are refused
    if not token:
        raise invalid(field, "is empty; expected a finite decimal number")
    if _INTEGER_TOKEN.fullmatch(token) and len(token) <= _LONGEST_INT:
        return int(token)
    if not _NUMBER_TOKEN.fullmatch(token):
        raise invalid(field, _why_not(token))
    number = float(token)
    if not math.isfinite(number):
        raise invalid(field, f"{quoted(token, 40)} is out of float64's range")
    return number


def _why_not(token: str) -> str:
    """Say why a token is not a number, quoting it, and what would be."""
    shown = repr(token) if len(token) <= 40 else repr(token[:37] + "...")
    if token[:1] in ("\u2212", "\u2013", "\u2012", "\u2010") and _NUMBER_TOKEN.fullmatch(
        "-" + token[1:]
    ):
        return f"{shown} starts with a typographic minus; type the ASCII minus: -{token[1:]}"
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", token):
        return f"{shown} has a decimal comma; use a decimal point: {token.replace(',', '.')}"
    if any(c.isdigit() and not c.isascii() for c in token):
        return f"{shown} has non-ASCII digits; type 0-9"
    return f"{shown} is not a finite decimal number (such as -1.5, 2 or 3e-4)"


def parse_list(text: str, field: str) -> list[int | float]:
    """Parse a comma-separated query list such as `2,1,0.1`."""
    if not text.strip(" "):
        raise invalid(field, "must not be empty")
    return [parse_token(t, f"{field}[{i}]") for i, t in enumerate(text.split(","))]


def is_integer_token(text: str) -> bool:
    """Tell whether a query value is a single integer (a class index)."""
    return _INTEGER_TOKEN.fullmatch(text.strip(" ")) is not None
