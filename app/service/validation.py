"""Turn a JSON body or a query string into a validated `GradientRequest`."""

from __future__ import annotations

from typing import Any

import pydantic_core
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from app.service.errors import invalid_request
from app.service.fields import QUERY_FIELDS, read_value
from app.service.models import GradientRequest
from app.service.numbers import invalid
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


def parse_body(body: bytes, settings: Settings) -> GradientRequest:
    """Parse a JSON body; NaN/Infinity tokens are read so that the error can name the field."""
    try:
        data = pydantic_core.from_json(body, allow_inf_nan=True)
    except ValueError as exc:
        raise HTTPException(400, f"body: not valid JSON ({exc})") from None
    return validate(data, settings, "body")


def query_data(params: QueryParams) -> dict[str, Any]:
    """Read the API's fields from a query string such as `logits=2,1,0.1&target=0`."""
    data: dict[str, Any] = {}
    for key in params:
        if key not in QUERY_FIELDS:
            raise invalid(key, f"unknown parameter; expected one of {', '.join(QUERY_FIELDS)}")
        values = params.getlist(key)
        if len(values) > 1:
            raise invalid(key, "given more than once")
        data[key] = read_value(key, values[0])
    return data


def parse_query(params: QueryParams, settings: Settings) -> GradientRequest:
    """Parse and validate the query-string form of a single-row request."""
    try:
        data = query_data(params)
    except PydanticCustomError as exc:
        raise invalid_request("query", exc) from None
    return validate(data, settings, "query")
