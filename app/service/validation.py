"""Turn a JSON body or a query string into a validated `GradientRequest`."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pydantic_core
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from app.service.errors import did_you_mean, invalid_request
from app.service.fields import LIST_FIELDS, QUERY_FIELDS, read_value
from app.service.models import GradientRequest
from app.service.numbers import MAX_DIMENSIONS, invalid
from app.service.values import MAX_PARTS
from app.settings import Settings

# More fields than the request has (or more parts than `include` offers) are refused before any
# of them is validated: validating 700,000 unknown keys one by one took seconds and wrote a
# 67 MB answer.
_FIELDS = set(GradientRequest.model_fields)


def _precheck(data: dict[str, Any], where: str) -> None:
    if len(data) > len(_FIELDS):
        first = next(str(key) for key in data if key not in _FIELDS)[:40]
        extra = len(data) - len(_FIELDS)
        fields = ", ".join(sorted(_FIELDS))
        message = f"unknown field, and {extra:,} fields too many; the fields are {fields}"
        raise invalid_request(where, invalid(first, message))
    include = data.get("include")
    if isinstance(include, list) and len(include) > MAX_PARTS:
        raise invalid_request(
            where, invalid("include", f"at most {MAX_PARTS} items, got {len(include):,}")
        )


def validate(data: Any, settings: Settings, where: str) -> GradientRequest:
    """Validate request data against the schema and this server's limits."""
    if not isinstance(data, dict):
        raise invalid_request(where, invalid(where, "must be a JSON object"))
    _precheck(data, where)
    try:
        return GradientRequest.model_validate(data, context=settings)
    except ValidationError as exc:
        raise invalid_request(where, exc, ", ".join(sorted(_FIELDS))) from None


def _repeated_field(body: bytes, data: dict[str, Any]) -> str | None:
    """Return a field the body's top level names twice (JSON parsers keep the last silently).

    Each field's quoted name is counted in the raw bytes first, which is quick; only a body in
    which one appears twice, or that escapes characters as \\u, is parsed again to be sure
    (by the json module: slower, but it alone reports every pair).
    """
    # Only the request's own fields (at most eight): an unknown field is refused anyway, and
    # counting each of 100,000 unknown keys would cost seconds.
    known = _FIELDS.intersection(data)
    suspect = b"\\u" in body or any(body.count(b'"%s"' % key.encode()) > 1 for key in known)
    if not suspect:
        return None
    repeated: list[str | None] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        first = None
        for name, _ in items:
            if name in seen:
                first = name
                break
            seen.add(name)
        repeated.append(first)  # objects close inner first: the top level's comes last
        return dict(items)

    try:
        json.loads(body, object_pairs_hook=pairs, parse_constant=float)
    except (ValueError, RecursionError):  # what pydantic-core took and the json module does not
        return None
    return repeated[-1] if repeated else None


# A request is one object; nothing inside it is an object. Parsing 8 MiB of `{},{},…` made
# 2.8 million dicts (220 MB) before validation could refuse the first; forty such requests at
# once took a worker from 70 MB to 2.8 GB.
MAX_OBJECTS = 1_000


def _crowded(body: bytes, opener: bytes, most: int) -> bool:
    """Whether a body holds more than `most` of `opener` (arrays or objects), found before
    parsing; a body shorter than that cannot."""
    return len(body) > most and body.count(opener) > most


def _too_many_containers(body: bytes, settings: Settings) -> None:
    """Refuse, before parsing, a body with more arrays or objects than any valid request has.

    Logits and target each hold at most `max_batch_elements` numbers, nested at most
    MAX_DIMENSIONS deep, so a valid body has at most 2·MAX_DIMENSIONS arrays per number (and
    `include` one more). Parsing 8 MiB of `[[0]],[[0]],…` into Python lists took a second and
    hundreds of megabytes before the size limit could even be checked.
    """
    arrays = 2 * MAX_DIMENSIONS * settings.max_batch_elements + 2
    if _crowded(body, b"[", arrays):
        most = settings.max_batch_elements
        why = f"a request has at most {most:,} logits and as many target values"
        _refuse("body", f"holds more than {arrays:,} arrays; {why}")
    if _crowded(body, b"{", MAX_OBJECTS):
        why = "a request is one object of numbers, strings and arrays of numbers"
        _refuse("body", f"holds more than {MAX_OBJECTS:,} objects; {why}")


def _refuse(field: str, message: str) -> NoReturn:
    raise invalid_request("body", invalid(field, message))


def parse_body(body: bytes, settings: Settings) -> GradientRequest:
    """Parse a JSON body; NaN/Infinity tokens are read so that the error can name the field.

    A UTF-8 byte-order mark before it is skipped, as RFC 8259 §8.1 allows (Windows PowerShell's
    `-Encoding utf8` and Notepad write one).
    """
    body = body.removeprefix(b"\xef\xbb\xbf")
    _too_many_containers(body, settings)
    try:
        data = pydantic_core.from_json(body, allow_inf_nan=True)
    except ValueError as exc:
        if str(exc).startswith("number out of range"):  # valid JSON: a number float64 lacks
            _refuse("body", f"holds a number beyond float64's range, ±1.8e308 ({exc})")
        raise HTTPException(400, f"body: not valid JSON ({exc})") from None
    if isinstance(data, dict) and (name := _repeated_field(body, data)) is not None:
        raise invalid_request("body", invalid(name, "given more than once"))
    return validate(data, settings, "body")


def _as_one_list(name: str) -> str:
    """How a list is written in dEdZ's query, for a client that spelt it otherwise."""
    return f"; write a list as one comma-separated value: {name}=2,1"


def query_data(params: QueryParams) -> dict[str, Any]:
    """Read the API's fields from a query string such as `logits=2,1,0.1&target=0`."""
    data: dict[str, Any] = {}
    for key in params:
        if key not in QUERY_FIELDS:
            expected = ", ".join(QUERY_FIELDS)
            if key.endswith("[]") and key[:-2] in LIST_FIELDS:  # axios's and PHP's arrays
                hint = _as_one_list(key[:-2])
            else:
                hint = did_you_mean(key, list(QUERY_FIELDS))
            raise invalid(key, f"unknown parameter; expected one of {expected}{hint}")
        values = params.getlist(key)
        if len(values) > 1:  # requests and httpx repeat a list's name, one item each
            hint = _as_one_list(key) if key in LIST_FIELDS else ""
            raise invalid(key, "given more than once" + hint)
        data[key] = read_value(key, values[0])
    return data


def parse_query(params: QueryParams, settings: Settings) -> GradientRequest:
    """Parse and validate the query-string form of a single-row request."""
    try:
        data = query_data(params)
    except PydanticCustomError as exc:
        raise invalid_request("query", exc) from None
    return validate(data, settings, "query")
