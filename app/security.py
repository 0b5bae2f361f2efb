"""Security headers on every response, from one middleware: CSP, framing, sniffing, referrer."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
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
        self.settings = settings
        self.fixed = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = content_security_policy(self.settings, scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed:
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)
