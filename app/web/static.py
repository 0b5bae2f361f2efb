"""Static files with a cache policy: fingerprinted URLs (`?v=<hash>`) are kept for a year."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.web.urls import fingerprint

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=3600"


class FingerprintedStatic(StaticFiles):
    """Serve static files; a URL written by `Urls.static` never changes its bytes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Return the file, with `immutable` caching when its URL carries its fingerprint (only
        its own: `?v=` of an older copy, or any other value, would pin these bytes under it)."""
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = scope.get("query_string", b"").decode("latin-1")
            versions = parse_qs(query).get("v", [])
            versioned = versions == [fingerprint(path)]
            response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
        return response
