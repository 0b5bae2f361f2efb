"""Static files with a cache policy: fingerprinted URLs (`?v=<hash>`) are kept for a year."""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=3600"


class FingerprintedStatic(StaticFiles):
    """Serve static files; a URL written by `Urls.static` never changes its bytes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Return the file, with `immutable` caching when its URL carries a fingerprint."""
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = scope.get("query_string", b"")
            versioned = query.startswith(b"v=") or b"&v=" in query
            response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
        return response
