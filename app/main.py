"""The app factory: wires settings, middleware, routes and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app import __version__
from app.errors import client_gone_handler, http_error_handler, validation_error_handler
from app.middleware import BodySizeLimit, CompressPages
from app.routes import api, health, oembed, pages
from app.schemas import request_json_schema
from app.security import SecurityHeaders
from app.settings import Settings, get_settings
from app.templating import STATIC_DIR

DESCRIPTION = """\
Softmax + cross-entropy, with every derivative: O = softmax(Z/T), the loss E,
dE/dZ, dE/dO, the Jacobian dO/dZ and the chain-rule terms dE/dO_i · dO_i/dZ_j,
with the semantics of PyTorch's `F.cross_entropy` computed in float64, more precisely
where the top probability rounds to 1.

Class indices are 0-based, as in PyTorch (the explorer's Z1, O1 … are 1-based).
Non-finite inputs are refused with 422; the output is strict JSON, and dE/dO_i is `null`
where O_i underflows to 0 (it is −∞ there).
"""


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """Build the OpenAPI document once, with the request schema and this server's limits."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema["components"]["schemas"]["GradientRequest"] = request_json_schema(settings)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the dEdZ ASGI app."""
    settings = settings or get_settings()
    app = FastAPI(title="dEdZ", version=__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout
    )
    app.add_middleware(CompressPages)
    # Open CORS without credentials: the API is a pure function, there is nothing to steal.
    # htmx inside a sandboxed iframe runs at an opaque origin: it needs CORS for its HX-*
    # request headers and must be able to read the HX-* response headers.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=["HX-Replace-Url", "HX-Reswap", "ETag"],
        max_age=86400,
    )
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(ClientDisconnect, client_gone_handler)
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(oembed.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


app = create_app()
