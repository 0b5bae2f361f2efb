"""The embed's own options: which panels, which controls, which theme; and the iframe snippet."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

PANELS = ("logits", "probs", "grad", "loss", "chain", "jacobian")
PANEL_TITLES = {
    "logits": "Logits Z",
    "probs": "O beside Y",
    "grad": "Gradient dE/dZ",
    "loss": "Loss E",
    "chain": "Chain rule",
    "jacobian": "Jacobian dO/dZ",
}
CONTROLS = ("all", "logits", "none")
THEMES = ("auto", "light", "dark")
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
    if "panels" in params:  # one comma list in a URL, or repeated by the share form
        names = [p.strip() for v in params.getlist("panels") for p in v.split(",") if p.strip()]
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


@dataclass(frozen=True, slots=True)
class Share:
    """What the share panel offers for the current state and the chosen embed options."""

    options: EmbedOptions
    height: int
    link: str
    embed_src: str
    snippet: str
    host_script: str


def read_height(params: QueryParams) -> int:
    """Return the iframe's starting height from the share form, within 200..4000 px."""
    try:
        return min(max(int(params.get("height", DEFAULT_HEIGHT)), 200), 4000)
    except ValueError:
        return DEFAULT_HEIGHT


def share(base_url: str, state_query: str, params: QueryParams) -> Share:
    """Return the link, embed URL and snippets for a state and the share form's choices."""
    options, _ = read_options(params)
    height = read_height(params)
    extra = options.query()
    embed_src = f"{base_url}/embed?{state_query}" + (f"&{extra}" if extra else "")
    return Share(
        options=options,
        height=height,
        link=f"{base_url}/?{state_query}",
        embed_src=embed_src,
        snippet=iframe_snippet(embed_src, height),
        host_script=f'<script src="{escape(base_url)}/static/embed.js" defer></script>',
    )
