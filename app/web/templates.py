"""The Jinja2 environment: template and static folders, number filters, the htmx source.

Faces add their own globals (the embed's choices, the explorer's limits) when they load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.templating import Jinja2Templates

from app.settings import Settings
from app.web.assets import HTMX_CDN_URL, HTMX_LOCAL_PATH, HTMX_SRI

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.trim_blocks = True
# Templates change only with a new release: no stat() of each include on every render (25 for
# one explorer edit).
templates.env.auto_reload = False
templates.env.lstrip_blocks = True


@dataclass(frozen=True, slots=True)
class HtmxSource:
    """Where the page loads htmx from."""

    local: bool
    fallback: bool = False  # the CDN is asked first; the local copy exists if it is blocked
    url: str = HTMX_CDN_URL
    sri: str = HTMX_SRI


def htmx_source(settings: Settings) -> HtmxSource:
    """Return the htmx script the settings ask for, and whether a local copy can stand in."""
    local = settings.htmx_source == "local"
    return HtmxSource(local=local, fallback=not local and (ROOT / HTMX_LOCAL_PATH).is_file())
