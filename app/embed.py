"""The embed's own options: which panels, which controls, which theme; and the iframe snippet."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

PANELS = ("logits", "probs", "grad", "loss", "chain", "jacobian")
CONTROLS = ("all", "logits", "none")
THEMES = ("auto", "light", "dark")
EMBED_FIELDS = frozenset({"panels", "controls", "theme"})
DEFAULT_HEIGHT = 720
DEFAULT_WIDTH = 640


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """How an embedded explorer looks: its panels, its controls and its theme."""

    panels: tuple[str, ...] = PANELS
    controls: str = "all"
    theme: str = "auto"

    def query(self) -> str:
        """Return the options as query parameters, leaving out defaults."""
        pairs = []
        if self.panels != PANELS:
            pairs.append(("panels", ",".join(self.panels)))
        if self.controls != "all":
            pairs.append(("controls", self.controls))
        if self.theme != "auto":
            pairs.append(("theme", self.theme))
        return urlencode(pairs, safe=",")


def read_options(params: QueryParams) -> tuple[EmbedOptions, dict[str, str]]:
    """Read the embed's options; each unknown value gets a message naming the choices."""
    errors: dict[str, str] = {}
    panels: tuple[str, ...] = PANELS
    if "panels" in params:
        names = [p.strip() for p in params["panels"].split(",") if p.strip()]
        unknown = [p for p in names if p not in PANELS]
        if unknown or not names:
            shown = ", ".join(repr(p) for p in unknown) or "nothing"
            errors["panels"] = f"{shown} is not a panel; choose from {', '.join(PANELS)}"
        else:
            panels = tuple(p for p in PANELS if p in names)
    choices = {}
    for name, allowed, default in (("controls", CONTROLS, "all"), ("theme", THEMES, "auto")):
        value = params.get(name, default)
        if value not in allowed:
            errors[name] = f"{value!r} is not one of {', '.join(allowed)}"
            value = default
        choices[name] = value
    return EmbedOptions(panels, choices["controls"], choices["theme"]), errors


def iframe_snippet(src: str, height: int = DEFAULT_HEIGHT, title: str = "dEdZ explorer") -> str:
    """Return the HTML an instructor pastes into a course page."""
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" height="{height}" '
        'loading="lazy" style="border:0;max-width:100%" '
        'allow="clipboard-write" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )
