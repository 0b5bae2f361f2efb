"""The app factory: wires settings, middleware, routes and the OpenAPI document."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache, partial

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.api import docs
from app.api import routes as api
from app.api.lane import FastLane
from app.api.large import DroppedAnswers, Turns
from app.api.openapi import DESCRIPTION, openapi_document
from app.embed import build, exports, oembed
from app.embed import routes as embed
from app.explorer import routes as explorer
from app.explorer import twin
from app.service.errors import InvalidRequestError
from app.settings import Settings, get_settings
from app.web import health
from app.web.cors import DATA_EXPOSED, OpenCors, cors_headers
from app.web.errors import (
    client_gone_handler,
    http_error_handler,
    invalid_request_handler,
    validation_error_handler,
)
from app.web.htmx import HTMX_RESPONSE_HEADERS
from app.web.limits import BodySizeLimit, RequestLimits
from app.web.memory import freeze_heap, tune_heap
from app.web.middleware import (
    DATA_SECURITY_HEADERS,
    CompressPages,
    InternalErrors,
    SecurityHeaders,
)
from app.web.static import FingerprintedStatic
from app.web.templates import STATIC_DIR

log = logging.getLogger("dedz")
EXPOSED_HEADERS = [*HTMX_RESPONSE_HEADERS, "ETag"]  # readable by pages on other origins


class DedzAPI(FastAPI):
    """FastAPI with the lean lane in front: the plain small `/gradient` requests it answers
    never enter the framework (not even its per-request OpenTelemetry check)."""

    lane: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lane is not None:
            await self.lane(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


@cache  # once per process
def _word_dropped_answers() -> None:
    logging.getLogger("uvicorn.error").addFilter(DroppedAnswers())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the worker has started: freeze what it has built and tune the heap for large
    answers (app.web.memory)."""
    freeze_heap()
    tune_heap()
    _word_dropped_answers()
    yield


def create_app(settings: Settings | None = None) -> DedzAPI:
    """Create the dEdZ ASGI app."""
    settings = settings or get_settings()
    for warning in settings.warnings():
        log.warning("%s", warning)
    app = DedzAPI(
        title="dEdZ",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by app.api.docs, first-party
        redoc_url=None,
        # No trailing-slash redirects: their Location would be built from the Host header.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.large_answers = Turns(settings.max_large_answers)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        min_rate=settings.body_min_rate,
    )
    app.add_middleware(InternalErrors)
    app.add_middleware(CompressPages)
    app.add_middleware(RequestLimits, settings=settings)
    # Outside RequestLimits: its refusals (414, a foreign Host's 400) are readable from other
    # origins too; a preflight is answered before them (it carries no data either way).
    app.add_middleware(OpenCors, expose=EXPOSED_HEADERS, expose_data=DATA_EXPOSED)
    app.add_middleware(SecurityHeaders, settings=settings)
    if settings.fast_lane:
        # In front of the framework and its middleware, adding what they add: app.api.lane.
        headers = [*cors_headers(DATA_EXPOSED), *DATA_SECURITY_HEADERS]
        app.lane = FastLane(partial(FastAPI.__call__, app), settings=settings, headers=headers)
    app.add_exception_handler(InvalidRequestError, invalid_request_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(ClientDisconnect, client_gone_handler)
    for router in (
        api.router,
        docs.router,
        health.router,
        explorer.router,
        twin.router,
        embed.router,
        oembed.router,
        exports.router,
        build.router,
    ):
        app.include_router(router)
    app.mount("/static", FingerprintedStatic(directory=STATIC_DIR), name="static")
    app.openapi = lambda: openapi_document(app, settings)  # type: ignore[method-assign]
    return app


app = create_app()
