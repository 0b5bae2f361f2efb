"""Cache policies: who may keep a page, a fragment or an oEmbed answer, and what it varies on."""

from __future__ import annotations

from app.settings import Settings
from app.web.htmx import VARY


def page_headers(settings: Settings, fragments: bool = True) -> dict[str, str]:
    """Return the Cache-Control and Vary of a page (and, with `fragments`, its htmx fragments).

    Pages hold absolute URLs (share links, snippets). With a public URL set they come from it,
    so shared caches may keep them; without one they come from the Host header, so only the
    browser may, and it revalidates.
    """
    vary = [VARY] if fragments else []
    if settings.public_url:
        control = f"public, max-age={settings.page_cache_max_age}"
    else:
        control = "private, no-cache"
        vary.append("Host")
    headers = {"Cache-Control": control}
    if vary:
        headers["Vary"] = ", ".join(vary)
    return headers
