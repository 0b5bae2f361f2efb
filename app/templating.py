"""The Jinja2 environment: template and static folders, number filters, the htmx source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.templating import Jinja2Templates

from app.assets import HTMX_CDN_URL, HTMX_SRI
from app.embed import CONTROLS, PANEL_TITLES, PANELS, THEMES
from app.formatting import exact, number
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["num"] = number
templates.env.filters["exact"] = exact
templates.env.filters["px"] = lambda v: f"{v:.1f}".removesuffix(".0")  # SVG coordinates
templates.env.globals.update(
    panel_names=PANELS, panel_titles=PANEL_TITLES, control_names=CONTROLS, theme_names=THEMES
)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


@dataclass(frozen=True, slots=True)
class HtmxSource:
    """Where the page loads htmx from."""

    local: bool
    url: str = HTMX_CDN_URL
    sri: str = HTMX_SRI


def htmx_source(settings: Settings) -> HtmxSource:
    """Return the htmx script the settings ask for."""
    return HtmxSource(local=settings.htmx_source == "local")
