"""Validation errors in dEdZ's {loc, msg, type} form, every message starting with its field."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from app.service.numbers import as_written, quoted

_INDEX = re.compile(r"\[(\d+)\]")
MAX_ERRORS = 20  # a 422 names the first problems, not one per item of a huge request


def _field_loc(field: str) -> list[str | int]:
    """Split `target[0][2]` into ['target', 0, 2]."""
    name = field.split("[", 1)[0]
    return [name, *(int(i) for i in _INDEX.findall(field))]


def _dotted(loc: tuple[Any, ...] | list[Any]) -> str:
    """Write a location as the messages do everywhere: `include[0]`, `logits[1][2]`."""
    parts = [p for p in loc if p not in ("body", "query")]
    if not parts:
        return "body"
    name = str(parts[0])
    return name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[1:])


def _shown(value: Any) -> str:
    """Quote what was sent, if it is short enough to quote; else name its JSON type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # in full: 10000.0000001 read "got 10000" beside "must be at most 10000"
        return as_written(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a string of {len(value):,} characters"
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__


# PyTorch's and other libraries' names for dEdZ's fields (`F.cross_entropy(input, target, weight)`).
_ALIASES = {"weight": "weights", "input": "logits", "inputs": "logits", "targets": "target"}


LONGEST_NAME = 64  # characters of a field name echoed whole


def did_you_mean(name: str, fields: list[str]) -> str:
    """Return `; did you mean 'weights'?` for a misspelt or borrowed field name, else ''."""
    if len(name) > LONGEST_NAME:
        return ""
    guess = _ALIASES.get(name.lower()) or next(
        iter(difflib.get_close_matches(name.lower(), fields, n=1, cutoff=0.8)), None
    )
    return f"; did you mean {guess!r}?" if guess in fields else ""


def _message(error: dict[str, Any], fields: str) -> str:
    """Say what pydantic's own checks found in dEdZ's words: the rule, then what was sent."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = f", got {_shown(error['input'])}" if "input" in error else ""
    rules = {
        "missing": "is required",
        "extra_forbidden": f"is not a field of this request; the fields are {fields}"
        + did_you_mean(str(error.get("loc", ("",))[-1]), fields.split(", ")),
        "literal_error": f"must be one of {ctx.get('expected')}",
        "less_than_equal": f"must be at most {_shown(ctx.get('le'))}",
        "less_than": f"must be less than {_shown(ctx.get('lt'))}",
        "greater_than_equal": f"must be at least {_shown(ctx.get('ge'))}",
        "greater_than": f"must be greater than {_shown(ctx.get('gt'))}",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "list_type": "must be a list",
        "string_type": "must be a string",
        "bool_type": "must be true or false",
    }
    if kind in rules:
        return rules[kind] + ("" if kind in ("missing", "extra_forbidden") else got)
    return str(error["msg"]).replace("Input should be", "should be", 1)


def _capped(part: Any) -> Any:
    return quoted(part, 40) if isinstance(part, str) and len(part) > LONGEST_NAME else part


def error_detail(where: str, error: dict[str, Any], fields: str = "") -> dict[str, Any]:
    """Return one error as {loc, msg, type}, its message starting with the field's name."""
    ctx = error.get("ctx") or {}
    if "field" in ctx:
        field = str(ctx["field"])
        loc = [where, *(_field_loc(field) if field != where else [])]
        msg = str(error["msg"])
    else:
        # an unknown name of megabytes is echoed by its start (its 422 was twice the body)
        loc = [where, *(_capped(part) for part in error.get("loc", ()))]
        msg = f"{_dotted(loc)}: {_message(error, fields)}"
    return {"loc": loc, "msg": msg, "type": str(error["type"])}


class InvalidRequestError(ValueError):
    """A request that fails validation: a 422 with errors in dEdZ's {loc, msg, type} form."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        """Return every problem found."""
        return self._errors


def invalid_request(
    where: str, exc: ValidationError | PydanticCustomError, fields: str = ""
) -> InvalidRequestError:
    """Wrap a pydantic error raised while validating `where` ('body' or 'query')."""
    errors: list[dict[str, Any]]
    if isinstance(exc, PydanticCustomError):
        errors = [{"msg": exc.message(), "type": exc.type, "ctx": exc.context}]
    else:
        errors = [{**e} for e in exc.errors(include_url=False)[:MAX_ERRORS]]
    return InvalidRequestError([error_detail(where, e, fields) for e in errors])
