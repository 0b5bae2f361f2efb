"""A quick reading of the commonest requests, for the API's lean lane.

A body such as `{"logits": [2, 1, 0.1], "target": 0}` (or a batch of such rows with one class
index each) and a query such as `logits=2,1,0.1&target=0` are read here with a few checks
instead of the whole validation. Each reader returns the `GradientRequest` the full validation
(`app.service.validation`) would return, or None for anything else: another field or form, a
value out of range, anything the full validation must look at or word an error for. Whatever it
accepts, the full validation accepts with the same numbers (tests/api/test_lane.py compares the
answers).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

from app.core import IGNORE_INDEX
from app.service.models import GradientRequest, checked_include
from app.service.values import MAX_ABS_LOGIT, MAX_TEMPERATURE, MIN_TEMPERATURE
from app.settings import Settings

_BODY_FIELDS = ("logits", "target", "include", "temperature", "reduction")
_KEYS = {name: b'"%s"' % name.encode() for name in _BODY_FIELDS}
_REDUCTIONS = ("mean", "sum", "none")
_LITERALS = (b"true", b"false", b"null")
_NUMBER_BYTES = b"0123456789+-.,[] \t\r\n"  # what numbers, arrays and JSON's spaces are made of
_PARTS = ("jacobian", "chain", "check")
# Query numbers: ASCII digits, '.', 'e', 'E' and '-' only, at most 24 characters each, read as
# JSON numbers (so exactly decimal literals: no spaces, underscores, 'inf' or 'nan' get through,
# and "1.", ".5" or "01", which JSON refuses, go the long way). JSON's integers are ints, as the
# full validation reads them: "-0" is 0, not −0.0.
_QUERY_NUMBERS = re.compile(r"[-0-9.eE]{1,24}(?:,[-0-9.eE]{1,24})*")
_INDEX = re.compile(r"[0-9]{1,6}")


def _request(
    logits: Any,
    target: Any,
    settings: Settings,
    temperature: Any = 1.0,
    reduction: Any = "mean",
    include: Any = None,
) -> GradientRequest | None:
    """Return the request for plain logits and class indices, or None if it is anything else.

    The logits are known to hold numbers and lists only (no strings, booleans or nulls).
    """
    if type(temperature) is not float or not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        return None
    if reduction not in _REDUCTIONS:
        return None
    if include is not None and (
        type(include) is not list or len(include) > 3 or any(p not in _PARTS for p in include)
    ):
        return None
    if type(logits) is not list or not logits:
        return None
    try:
        Z = np.array(logits, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):  # ragged, an object, too large an integer
        return None
    if Z.ndim == 1:
        B, n = 1, Z.shape[0]
        if type(target) is not int or not 0 <= target < n:
            return None
        indices = np.array(target, dtype=np.int64)
    elif Z.ndim == 2 and Z.shape[1] and type(target) is list:
        B, n = Z.shape
        indices = np.array(target)
        if indices.shape != (B,) or indices.dtype != np.int64:
            return None
        if not (indices.min() >= 0 and indices.max() < n):
            return None
    else:
        return None
    if n > settings.max_classes or B * n > settings.max_batch_elements:
        return None
    if not np.abs(Z).max() <= MAX_ABS_LOGIT:  # finite and in range
        return None
    try:
        parts = checked_include(include, Z.ndim == 2, B * n * n, settings)
    except ValueError:  # the full validation words it
        return None
    return GradientRequest.checked(
        logits=Z,
        target=indices,
        temperature=temperature,
        label_smoothing=0.0,
        weights=None,
        ignore_index=IGNORE_INDEX,
        reduction=reduction,
        include=parts,
    )


def quick_body(body: bytes, settings: Settings) -> GradientRequest | None:
    """Read a small JSON body of plain logits and class indices, or return None."""
    # The body without the characters of numbers and arrays: its names, strings and literals,
    # a few dozen bytes where the checks below look (a third of a 25 kB batch's reading time
    # went to scanning the whole body five times). Deleting can only join characters into a
    # name or literal that was not there, which sends the body the long way: never the reverse.
    words = body.translate(None, _NUMBER_BYTES)
    if b"\\" in words:  # escaped names could spell a field twice
        return None
    try:
        # orjson: twice as quick as pydantic-core's parser, and it reads every finite number
        # to the same float (tests/api/test_lane.py); it refuses NaN, ±Infinity, overflowing
        # numbers and integers past 64 bits, which the long way words.
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or "logits" not in data or "target" not in data:
        return None
    for key in data:
        if key not in _KEYS or words.count(_KEYS[key]) != 1:  # unknown, or perhaps repeated
            return None
    include = data.get("include")
    # Strings only as the field names, `reduction` and the parts of `include`; and no true,
    # false or null anywhere (numpy would read "1", True and None as numbers).
    strings = len(data) + ("reduction" in data) + (len(include) if type(include) is list else 0)
    if words.count(b'"') != 2 * strings or any(word in words for word in _LITERALS):
        return None
    return _request(
        data["logits"],
        data["target"],
        settings,
        data.get("temperature", 1.0),
        data.get("reduction", "mean"),
        include,
    )


def quick_query(query: bytes, settings: Settings) -> GradientRequest | None:
    """Read a query string `logits=…&target=k` (and perhaps `temperature`), or return None."""
    if b"%" in query or b"+" in query:  # encoded characters: the long way decodes them
        return None
    fields: dict[str, str] = {}
    for pair in query.decode("ascii", "replace").split("&"):
        key, equals, value = pair.partition("=")
        if not equals or key in fields or key not in ("logits", "target", "temperature"):
            return None
        fields[key] = value
    logits, target = fields.get("logits"), fields.get("target")
    if logits is None or target is None or not _QUERY_NUMBERS.fullmatch(logits):
        return None
    if not _INDEX.fullmatch(target):
        return None
    temperature: Any = 1.0
    try:
        # one parse for the row (a tenth of the time of float() per number); orjson reads
        # every finite number to the float float() reads (tests/api/test_lane.py)
        row = orjson.loads(f"[{logits}]")
        if "temperature" in fields:
            text = fields["temperature"]
            if not _QUERY_NUMBERS.fullmatch(text):
                return None
            temperature = float(orjson.loads(text))
    except orjson.JSONDecodeError:  # not a number after all ("1e", "1-2", "."): the long way
        return None
    return _request(row, int(target), settings, temperature)
