"""Open CORS without credentials, identical for every origin, so caches keep one copy.

The API is a pure function with nothing to steal, and htmx inside a sandboxed iframe runs at an
opaque origin: its requests are cross-origin, need CORS for their HX-* request headers, and must
read the HX-* response headers. Every response therefore carries the same
`Access-Control-Allow-Origin: *`, whatever the request's Origin (or none): no `Vary: Origin`,
which would make a CDN keep a copy per origin of the same bytes. A preflight is answered 204; a
refused one (a method the API has not) gets a JSON body saying why, like every other 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.service.numbers import quoted
from app.web.middleware import response_kind

ALLOWED_METHODS = ("GET", "HEAD", "POST")
MAX_AGE = 86400


DATA_EXPOSED = ("ETag", "Retry-After")  # what API clients on other origins may read


def cors_headers(expose: Sequence[str]) -> list[tuple[bytes, bytes]]:
    """Return the CORS headers of every response that is not a preflight's."""
    return [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-expose-headers", ", ".join(expose).encode()),
    ]


class OpenCors:
    """Add the same CORS headers to every HTTP response and answer preflights; a page exposes
    `expose` (what htmx reads from a page fetched from another origin), everything else
    `expose_data` (what an API client reads)."""

    def __init__(self, app: ASGIApp, expose: Sequence[str], expose_data: Sequence[str]) -> None:
        self.app = app
        self.document = cors_headers(expose)
        self.data = cors_headers(expose_data)
        self.preflight = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", ", ".join(ALLOWED_METHODS).encode()),
            (b"access-control-allow-headers", b"*"),
            (b"access-control-max-age", str(MAX_AGE).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(headers["access-control-request-method"], send)
            return
        document, data, path = self.document, self.data, scope["path"]

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = message.get("headers", ())
                page = response_kind(sent, path) == "page"
                message["headers"] = [*sent, *(document if page else data)]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, method: str, send: Send) -> None:
        if method.upper() in ALLOWED_METHODS:
            status, body, extra = 204, b"", []
        else:
            allowed = ", ".join(ALLOWED_METHODS)
            detail = f"CORS: method {quoted(method)} is not allowed; allowed: {allowed}"
            body = json.dumps({"detail": detail}).encode()
            status = 400
            extra = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send(
            {"type": "http.response.start", "status": status, "headers": [*self.preflight, *extra]}
        )
        await send({"type": "http.response.body", "body": body})
