"""Every client error as JSON that names the field: 422 lists, and single-message 4xx."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.service.errors import InvalidRequestError, error_detail


def json_error(status: int, content: Any, headers: dict[str, str] | None = None) -> Response:
    """Return an error body as strict JSON."""
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


async def invalid_request_handler(request: Request, exc: Exception) -> Response:
    """Answer 422 with every problem, never echoing the (possibly huge or non-finite) input."""
    assert isinstance(exc, InvalidRequestError)
    return json_error(422, {"detail": exc.errors()})


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """Answer FastAPI's own parameter validation errors (loc 'query', 'path', …) likewise."""
    assert isinstance(exc, RequestValidationError)
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
