"""The embed's own options: which panels, which controls, which theme.

The explorer at `/` is the embed with default options, so templates read `options.panels` and
`options.controls` instead of asking whether they are in an embed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from app.explorer.instruments import PARAMETERS as INSTRUMENT_PARAMETERS
from app.service.fields import QUERY_FIELDS

PANELS = ("probs", "grad", "chain", "loss", "logits", "jacobian")
# Instruments an instructor may add to a figure's panels (shown on their own when a URL asks for
# them: `probe=` adds the nudge, `focus=` the path, `mode=predict` the prediction).
INSTRUMENT_PANELS = ("predict", "nudge", "path", "compare", "binary", "descent")
PANEL_TITLES = {
    "predict": "Predict first",
    "nudge": "Nudge a logit",
    "path": "Follow one path",
    "compare": "Another loss's chain rule",
    "binary": "The two-class bridge",
    "descent": "Gradient descent on the logits",
    "logits": "Logits Z",
    "probs": "O beside Y",
    "grad": "Gradient dE/dZ",
    "loss": "Loss E",
    "chain": "Chain rule",
    "jacobian": "Jacobian dO/dZ",
}
CONTROLS = ("all", "logits", "none")
THEMES = ("auto", "light", "dark")
OPTION_FIELDS = ("panels", "controls", "theme")


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """How an explorer looks: its panels, its controls and its theme."""

    panels: tuple[str, ...] = PANELS
    controls: str = "all"
    theme: str = "auto"

    def pairs(self) -> list[tuple[str, str]]:
        """Return the options that differ from the defaults, as query pairs."""
        pairs = []
        if self.panels != PANELS:
            pairs.append(("panels", ",".join(self.panels)))
        if self.controls != "all":
            pairs.append(("controls", self.controls))
        if self.theme != "auto":
            pairs.append(("theme", self.theme))
        return pairs

    def query(self) -> str:
        """Return the options as query parameters, leaving out defaults."""
        return urlencode(self.pairs(), safe=",")


def read_options(params: QueryParams) -> tuple[EmbedOptions, dict[str, str]]:
    """Read the embed's options; each unknown value gets a message naming the choices."""
    errors: dict[str, str] = {}
    panels: tuple[str, ...] = PANELS
    if "panels" in params:  # one comma list in a URL, or repeated by the share form
        names = [p.strip() for v in params.getlist("panels") for p in v.split(",") if p.strip()]
        known = (*PANELS, *INSTRUMENT_PANELS)
        unknown = [p for p in names if p not in known]
        if unknown or not names:
            shown = ", ".join(repr(p) for p in unknown) or "nothing"
            errors["panels"] = f"{shown} is not a panel; choose from {', '.join(known)}"
        else:
            panels = tuple(p for p in known if p in names)
    choices = {}
    for name, allowed, default in (("controls", CONTROLS, "all"), ("theme", THEMES, "auto")):
        value = params.get(name, default)
        if value not in allowed:
            errors[name] = f"{value!r} is not one of {', '.join(allowed)}"
            value = default
        choices[name] = value
    return EmbedOptions(panels, choices["controls"], choices["theme"]), errors


# Every parameter an embed URL may carry: the API's fields, the page's own, the options.
EMBED_PARAMETERS = (
    # A page shows one row of cross-entropy: no ignore_index, no other loss.
    *(name for name in QUERY_FIELDS if name != "ignore_index"),
    "j",
    "op",
    "last",
    *OPTION_FIELDS,
    *INSTRUMENT_PARAMETERS,
)


def unknown_parameters(params: QueryParams) -> list[str]:
    """Return the parameters an embed does not know (`panel=chain` for `panels=chain`)."""
    return [name for name in dict.fromkeys(params.keys()) if name not in EMBED_PARAMETERS]
