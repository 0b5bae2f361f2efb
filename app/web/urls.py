"""The one URL builder: every URL the app writes, under the app's root path."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True, slots=True)
class Urls:
    """Build page, API and static URLs, relative to the site or absolute where they must be."""

    origin: str  # scheme://host[:port]
    root: str  # the root path the app is mounted at ("" or "/dedz"), without a trailing slash

    @classmethod
    def of(cls, request: Request) -> Urls:
        """Return the builder for the host and root path a request was served under."""
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

    @property
    def base(self) -> str:
        """Return the absolute URL of the app's root, without a trailing slash."""
        return self.origin + self.root
