"""Security headers on every response, from one middleware: CSP, framing, sniffing, referrer."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.assets import HTMX_CDN_URL
from app.settings import Settings

# FastAPI's /docs page loads Swagger UI from jsDelivr and starts it with an inline script.
_DOCS_PATHS = ("/docs", "/redoc")
_DOCS_CDN = "https://cdn.jsdelivr.net"


def content_security_policy(settings: Settings, path: str) -> str:
    """Return the CSP for a path: no inline script or style anywhere but the API docs."""
    script = f"'self' {HTMX_CDN_URL}" if settings.htmx_source == "cdn" else "'self'"
    style = "'self'"
    img = "'self' data:"
    if path.startswith(_DOCS_PATHS):
        script = f"'self' 'unsafe-inline' {_DOCS_CDN}"
        style = f"'self' 'unsafe-inline' {_DOCS_CDN}"
        img = "'self' data: https://fastapi.tiangolo.com"
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
        self.headers = {
            docs: [
                (name.encode(), value.encode())
                for name, value in [
                    *fixed,
                    ("content-security-policy", content_security_policy(settings, path)),
                ]
            ]
            for docs, path in ((False, "/"), (True, _DOCS_PATHS[0]))
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers[scope["path"].startswith(_DOCS_PATHS)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
