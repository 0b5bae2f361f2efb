"""The one URL builder: every URL the app writes, under the app's root path."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from app.settings import Settings

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


@cache
def fingerprint(path: str) -> str:
    """Return a short hash of a static file's bytes, so its URL changes when it does."""
    data = (STATIC_DIR / path).read_bytes() if (STATIC_DIR / path).is_file() else b""
    return hashlib.blake2b(data, digest_size=6).hexdigest()


def join_queries(*queries: str) -> str:
    """Join query strings with `&`, leaving out the empty ones."""
    return "&".join(q for q in queries if q)


@dataclass(frozen=True, slots=True)
class Urls:
    """Build page, API and static URLs, relative to the site or absolute where they must be."""

    origin: str  # scheme://host[:port]
    root: str  # the root path the app is mounted at ("" or "/dedz"), without a trailing slash

    @classmethod
    def of(cls, request: Request) -> Urls:
        """Return the builder for this app: its public URL if set, else the request's host."""
        settings: Settings = request.app.state.settings
        if settings.public_url:
            public = urlsplit(settings.public_url)
            return cls(f"{public.scheme}://{public.netloc}", public.path.rstrip("/"))
        base = str(request.base_url).rstrip("/")
        root = str(request.scope.get("root_path", "")).rstrip("/")
        origin = base.removesuffix(root) if root else base
        return cls(origin=origin, root=root)

    def path(self, path: str, query: str = "") -> str:
        """Return a site-relative URL such as `/gradient?logits=2,1&target=0`."""
        return f"{self.root}{path}" + (f"?{query}" if query else "")

    def absolute(self, path: str, query: str = "") -> str:
        """Return an absolute URL, for what leaves the site: share links, snippets, oEmbed."""
        return self.origin + self.path(path, query)

    def static(self, path: str) -> str:
        """Return the fingerprinted, site-relative URL of a static file (cached for a year)."""
        return self.path(f"/static/{path}", f"v={fingerprint(path)}")

    @property
    def base(self) -> str:
        """Return the absolute URL of the app's root, without a trailing slash."""
        return self.origin + self.root
