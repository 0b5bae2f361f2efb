"""ASGI middleware: answers for unexpected errors, compression for pages, security headers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

import orjson
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from zlib_ng import zlib_ng

from app.settings import Settings
from app.web.assets import HTMX_CDN_URL

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


class CompressPages:
    """Gzip HTML pages and fragments; leave the JSON API alone.

    Pages are repetitive markup that shrinks about fivefold; the API's large responses (a
    million-entry Jacobian) would cost more CPU to compress than they save, and caches or CDNs
    in front can compress them.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 2048, skip: str = "/gradient") -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
        elif accepts_gzip(scope["headers"]):
            await QuickGzip(self.app, self.minimum_size)(scope, receive, send)
        else:  # sent as it is, but with Vary: Accept-Encoding, as the gzipped one has it
            await IdentityResponder(self.app, self.minimum_size)(scope, receive, send)


class QuickGzip(GZipResponder):
    """Starlette's gzip responder, deflating with zlib-ng at level 3: a ten-class fragment
    (33 kB) in 0.09 ms to 6.9 kB, where zlib took 0.16 ms to 7.3 kB at that level (and 0.33 ms
    at its default, 6). The bytes differ from zlib's; any gzip reader reads them the same."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size, compresslevel=3)
        self._deflate: zlib_ng._Compress | None = None

    def _compress_body(self, body: bytes, more_body: bool) -> bytes:
        if self._deflate is None:  # made on first use; gzip framing (wbits 16 + 15)
            self._deflate = zlib_ng.compressobj(self.compresslevel, zlib_ng.DEFLATED, 31)
        flush = zlib_ng.Z_SYNC_FLUSH if more_body else zlib_ng.Z_FINISH
        return self._deflate.compress(body) + self._deflate.flush(flush)


def accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Tell whether Accept-Encoding admits gzip: named (or `*`) with a q above 0. Starlette's
    middleware looks for the letters "gzip" anywhere, so `gzip;q=0` (a refusal) got gzip."""
    for name, value in headers:
        if name != b"accept-encoding":
            continue
        star = False
        for item in value.lower().split(b","):
            coding, _, params = item.partition(b";")
            q = 1.0
            for param in params.split(b";"):
                key, _, number = param.strip().partition(b"=")
                if key == b"q":
                    try:
                        q = float(number)
                    except ValueError:
                        q = 0.0
            coding = coding.strip()
            if coding in (b"gzip", b"x-gzip"):
                return q > 0.0
            star = star or (coding == b"*" and q > 0.0)
        return star
    return False


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


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """Return the security headers of a page, as prepared bytes."""
    fixed = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ]
    # No Cross-Origin-Opener-Policy: browsers refuse to load a COOP page into a popup opened
    # from a sandboxed frame, which is how "Open in dEdZ" leaves most course pages' embeds; and
    # dEdZ has no session or secret for a cross-window attack to reach.
    return [
        (name.encode(), value.encode())
        for name, value in [*fixed, ("content-security-policy", content_security_policy(settings))]
    ]


# Data (JSON, arrays, CSV, PNG, code): a policy that allows nothing and no framing, as an API's
# should be; a page's policy and Permissions-Policy govern documents only, and each response
# header's every byte is scanned by the server (the page's 500 bytes of them were a twentieth
# of an n = 10 API answer's cost).
DATA_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
# Where a response without a content type (a 304 revalidating a cached answer) is data.
DATA_PATHS = ("/gradient", "/static/", "/oembed", "/healthz", "/openapi.json", "/figure.")


ResponseKind = Literal["page", "svg", "data"]


def response_kind(headers: Iterable[tuple[bytes, bytes]], path: str) -> ResponseKind:
    """Tell what a response is by its content type: an HTML page (a document with the page's
    scripts and styles), an SVG figure, or data; one without a type (a 304) by its path, since
    the browser copies a 304's headers onto the response it revalidates."""
    for name, value in headers:
        if name == b"content-type":
            if value.startswith(b"text/html"):
                return "page"
            return "svg" if value.startswith(b"image/svg+xml") else "data"
    if path.endswith(".svg"):
        return "svg"
    return "data" if path.startswith(DATA_PATHS) else "page"


def svg_security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """An exported figure opened as a document: its own inline <style> (the page's policy
    refused it, and the figure was drawn unstyled), no script at all."""
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"frame-ancestors {settings.frame_ancestors}"
    )
    return [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", policy.encode())]


class SecurityHeaders:
    """Add the security headers to every HTTP response, errors and static files included: a
    page's, an SVG figure's, or data's (DATA_SECURITY_HEADERS)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        # built once: appending them costs nothing
        self.extras: dict[ResponseKind, list[tuple[bytes, bytes]]] = {
            "page": security_headers(settings),
            "svg": svg_security_headers(settings),
            "data": DATA_SECURITY_HEADERS,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extras, path = self.extras, scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                message["headers"] = [*headers, *extras[response_kind(headers, path)]]
            await send(message)

        await self.app(scope, receive, send_with_headers)
