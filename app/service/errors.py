"""Validation errors in dEdZ's {loc, msg, type} form, every message starting with its field."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

_INDEX = re.compile(r"\[(\d+)\]")
MAX_ERRORS = 20  # a 422 names the first problems, not one per item of a huge request


def _field_loc(field: str) -> list[str | int]:
    """Split `target[0][2]` into ['target', 0, 2]."""
    name = field.split("[", 1)[0]
    return [name, *(int(i) for i in _INDEX.findall(field))]


def _dotted(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query")]
    return ".".join(parts) or "body"


def error_detail(where: str, error: dict[str, Any]) -> dict[str, Any]:
    """Return one error as {loc, msg, type}, its message starting with the field's name."""
    ctx = error.get("ctx") or {}
    if "field" in ctx:
        field = str(ctx["field"])
        loc = [where, *(_field_loc(field) if field != where else [])]
        msg = str(error["msg"])
    else:
        loc = [where, *error.get("loc", ())]
        msg = f"{_dotted(loc)}: {error['msg']}"
    return {"loc": loc, "msg": msg, "type": str(error["type"])}


class InvalidRequestError(ValueError):
    """A request that fails validation: a 422 with errors in dEdZ's {loc, msg, type} form."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        """Return every problem found."""
        return self._errors


def invalid_request(where: str, exc: ValidationError | PydanticCustomError) -> InvalidRequestError:
    """Wrap a pydantic error raised while validating `where` ('body' or 'query')."""
    errors: list[dict[str, Any]]
    if isinstance(exc, PydanticCustomError):
        errors = [{"msg": exc.message(), "type": exc.type, "ctx": exc.context}]
    else:
        errors = [{**e} for e in exc.errors(include_input=False, include_url=False)[:MAX_ERRORS]]
    return InvalidRequestError([error_detail(where, e) for e in errors])
