"""Every client error as JSON that names the field: 422 lists, and single-message 4xx."""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

_INDEX = re.compile(r"\[(\d+)\]")


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


class InvalidRequestError(RequestValidationError):
    """A 422 whose errors are already in dEdZ's {loc, msg, type} form."""


def invalid_request(where: str, exc: ValidationError | PydanticCustomError) -> InvalidRequestError:
    """Wrap a pydantic error raised while validating `where` ('body' or 'query')."""
    errors: list[dict[str, Any]]
    if isinstance(exc, PydanticCustomError):
        errors = [{"msg": exc.message(), "type": exc.type, "ctx": exc.context}]
    else:
        errors = [{**e} for e in exc.errors(include_input=False, include_url=False)]
    return InvalidRequestError([error_detail(where, e) for e in errors])


def json_error(status: int, content: Any, headers: dict[str, str] | None = None) -> Response:
    """Return an error body as strict JSON."""
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """Answer 422 with every problem, never echoing the (possibly huge or non-finite) input."""
    assert isinstance(exc, RequestValidationError)
    if isinstance(exc, InvalidRequestError):
        errors = list(exc.errors())
    else:  # FastAPI's own parameter validation: loc starts with 'query', 'path', ...
        errors = [error_detail(str(e["loc"][0]), {**e, "loc": e["loc"][1:]}) for e in exc.errors()]
    return json_error(422, {"detail": errors})


def allowed_methods(request: Request) -> str:
    """Return every method some route serves at this path (GET and POST /gradient are two)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an HTTPException with {detail} as strict JSON (a 405 lists every allowed method)."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return json_error(exc.status_code, {"detail": exc.detail}, headers or None)


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    """A client that hung up mid-body gets nothing: there is no one left to answer."""
    return Response(status_code=400)
