"""ASGI middleware: the body size cap, compression for pages, and the security headers."""

from __future__ import annotations

import asyncio
import logging

import orjson
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from app.web.assets import HTMX_CDN_URL


class BodyTooLargeError(Exception):
    """The request body passed the cap while it was being received."""


class BodyTooSlowError(Exception):
    """The request body did not arrive within the time allowed."""


class BodySizeLimit:
    """Answer 413 to bodies over `max_bytes` (at once from Content-Length, else while streaming)
    and 408 to bodies that take longer than `timeout` seconds to arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._drain(receive)
                await self._refuse(send)
                return
        received = 0
        started = False
        deadline: float | None = None
        complete = False

        async def counting_receive() -> Message:
            nonlocal received, deadline, complete
            if complete:  # after the body, e.g. waiting for a disconnect: no deadline
                return await receive()
            deadline = deadline or asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlowError from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
                complete = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._refuse(send)
        except BodyTooSlowError:
            if not started:
                await self._refuse(send, 408, f"body: not received within {self.timeout:g} s")

    async def _drain(self, receive: Receive) -> None:
        """Read and discard a bounded part of a refused body, briefly.

        Clients that send the whole body before reading (Python's urllib) see the 413 only if
        the server has not closed on them mid-body; past the bound they get a reset anyway.
        """
        drained = 0
        try:
            async with asyncio.timeout(min(self.timeout, 2.0)):
                while drained <= 2 * self.max_bytes:
                    message = await receive()
                    drained += len(message.get("body", b""))
                    if message["type"] != "http.request" or not message.get("more_body"):
                        return
        except TimeoutError:
            return

    async def _refuse(self, send: Send, status: int = 413, detail: str = "") -> None:
        detail = detail or f"body: larger than the limit of {self.max_bytes:,} bytes"
        body = orjson.dumps({"detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


log = logging.getLogger("dedz")


class InternalErrors:
    """Answer an unexpected exception with a short 500 (no traceback) and log it in one line.

    It sits inside the security headers, so even this answer carries them, and the connection
    stays open for the client's next request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            log.error(
                "500 %s %s: %s %s", scope["method"], scope["path"], type(exc).__name__, detail
            )
            if started:
                raise  # too late for an answer of our own: the server closes the connection
            json = scope["path"].startswith(("/gradient", "/oembed", "/openapi"))
            body = (
                orjson.dumps({"detail": "internal error: the server could not answer this request"})
                if json
                else b"<!doctype html><title>dEdZ: internal error</title>"
                b"<p>The server could not answer this request. Please try again later.</p>"
            )
            content_type = b"application/json" if json else b"text/html; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", content_type),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _refusal(status: int, detail: str) -> tuple[Message, Message]:
    body = orjson.dumps({"detail": detail})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class RequestLimits:
    """Refuse hosts this server does not answer for (400) and over-long query strings (414).

    Absolute URLs in pages are built from the Host header unless a public URL is set, so an
    unexpected Host must not be answered; `/healthz` answers any host (container probes).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hosts = settings.trusted_hosts()
        self.page_query = settings.max_page_query_bytes
        self.api_query = settings.max_body_bytes

    def _host(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"host":
                host: str = value.decode("latin-1").lower()
                return host if host.endswith("]") else host.rsplit(":", 1)[0]
        return ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        refusal = None
        if self.hosts is not None and path != "/healthz" and self._host(scope) not in self.hosts:
            refusal = _refusal(400, "host: this server does not answer for that Host header")
        else:
            limit = self.api_query if path.startswith("/gradient") else self.page_query
            if len(scope.get("query_string", b"")) > limit:
                refusal = _refusal(414, f"query: longer than the limit of {limit:,} bytes")
        if refusal is None:
            await self.app(scope, receive, send)
            return
        for message in refusal:
            await send(message)


class CompressPages:
    """Gzip HTML pages and fragments; leave the JSON API alone.

    Pages are repetitive markup that shrinks about fivefold; the API's large responses (a
    million-entry Jacobian) would cost more CPU to compress than they save, and caches or CDNs
    in front can compress them.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 2048, skip: str = "/gradient") -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.skip):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def content_security_policy(settings: Settings) -> str:
    """Return the CSP of every response: no inline script or style anywhere, /docs included."""
    script = f"'self' {HTMX_CDN_URL}" if settings.htmx_source == "cdn" else "'self'"
    style = "'self'"
    img = "'self' data:"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script}",
            f"style-src {style}",
            f"img-src {img}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {settings.frame_ancestors}",
        ]
    )


class SecurityHeaders:
    """Add the security headers to every HTTP response, errors and static files included."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        fixed = [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            ("cross-origin-opener-policy", "same-origin"),
        ]
        # Built once: appending prepared bytes costs nothing per request.
        self.headers = [
            (name.encode(), value.encode())
            for name, value in [
                *fixed,
                ("content-security-policy", content_security_policy(settings)),
            ]
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
