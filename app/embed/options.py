"""The embed's own options: which panels, which controls, which theme.

The explorer at `/` is the embed with default options, so templates read `options.panels` and
`options.controls` instead of asking whether they are in an embed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from app.explorer.instruments import PARAMETERS as INSTRUMENT_PARAMETERS
from app.service.fields import QUERY_FIELDS
from app.service.numbers import quoted

PANELS = ("probs", "grad", "chain", "loss", "logits", "jacobian")
# Instruments an instructor may add to a figure's panels (shown on their own when a URL asks for
# them: `probe=` adds the nudge, `focus=` the path, `mode=predict` the prediction).
INSTRUMENT_PANELS = ("predict", "nudge", "path", "compare", "binary", "descent", "derive")
PANEL_TITLES = {
    "predict": "Predict first",
    "nudge": "Nudge a logit",
    "path": "Follow one path",
    "compare": "Another loss's chain rule",
    "binary": "The two-class bridge",
    "descent": "Gradient descent on the logits",
    "derive": "A faded derivation",
    "logits": "Logits Z",
    "probs": "O beside Y",
    "grad": "Gradient dE/dZ",
    "loss": "Loss E",
    "chain": "Chain rule",
    "jacobian": "Jacobian dO/dZ",
}
CONTROLS = ("all", "logits", "none")
THEMES = ("auto", "light", "dark")
OPTION_FIELDS = ("panels", "controls", "theme", "names", "q", "title", "lock")
MAX_NAMES, MAX_NAME = 10, 16  # class names: at most 10, each at most 16 characters
MAX_PROMPT = 200  # the prompt shown above the figure (`q=`)
MAX_TITLE = 120
# What an instructor may lock: a locked field shows as text, not as a control. It focuses a
# lesson; it is no security: the URL still says everything, and a student can edit it.
LOCKABLE = (
    "logits",
    "target",
    "temperature",
    "label_smoothing",
    "weights",
    "reduction",
    "j",
    "loss",
)


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """How an explorer looks: its panels, its controls and its theme."""

    panels: tuple[str, ...] = PANELS
    controls: str = "all"
    theme: str = "auto"
    names: tuple[str, ...] = ()  # the classes' names; () labels them 1 … n
    prompt: str = ""  # `q=`: plain text shown above the figure
    title: str = ""  # the figure's title (iframe, page, oEmbed); "" derives one from the state
    locks: tuple[str, ...] = ()  # fields shown as text, not controls

    def locked(self, name: str) -> bool:
        """Tell whether a field is shown as text rather than as a control."""
        return name in self.locks

    def pairs(self) -> list[tuple[str, str]]:
        """Return the options that differ from the defaults, as query pairs."""
        pairs = []
        if self.panels != PANELS:
            pairs.append(("panels", ",".join(self.panels)))
        if self.controls != "all":
            pairs.append(("controls", self.controls))
        if self.theme != "auto":
            pairs.append(("theme", self.theme))
        if self.names:
            pairs.append(("names", ",".join(self.names)))
        if self.prompt:
            pairs.append(("q", self.prompt))
        if self.title:
            pairs.append(("title", self.title))
        if self.locks:
            pairs.append(("lock", ",".join(self.locks)))
        return pairs

    def for_classes(self, n: int) -> EmbedOptions:
        """Return these options for a state of n classes: their names only if they name each
        of the n (names for another number of classes label nothing)."""
        return replace(self, names=()) if names_for(self, n) else self

    def names_query(self) -> str:
        """Return `names=…` alone (or ""): what a link into the explorer keeps of the options
        (it shows the classes by their names; the rest is the figure's own)."""
        return urlencode([("names", ",".join(self.names))], safe=",") if self.names else ""

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
        if len(params.getlist(name)) > 1:
            errors[name] = "given more than once"
        value = params.get(name, default)
        if value not in allowed:
            errors[name] = f"{value!r} is not one of {', '.join(allowed)}"
            value = default
        choices[name] = value
    for name in ("names", "q", "title", "lock"):
        if len(params.getlist(name)) > 1:
            errors[name] = "given more than once"
    class_names = _names(params.get("names"), errors)
    prompt = _plain(params.get("q", ""), "q", MAX_PROMPT, errors)
    title = _plain(params.get("title", ""), "title", MAX_TITLE, errors)
    locks: tuple[str, ...] = ()
    if "lock" in params:
        asked = [p.strip() for p in params["lock"].split(",") if p.strip()]
        unknown = [p for p in asked if p not in LOCKABLE]
        if unknown:
            errors["lock"] = (
                f"{', '.join(quoted(p) for p in unknown)} cannot be locked; "
                f"choose from {', '.join(LOCKABLE)}"
            )
        else:
            locks = tuple(p for p in LOCKABLE if p in asked)
    options = EmbedOptions(
        panels, choices["controls"], choices["theme"], class_names, prompt, title, locks
    )
    return options, errors


def _plain(text: str, name: str, most: int, errors: dict[str, str]) -> str:
    """Read a plain-text option: whitespace collapsed, control characters refused."""
    text = " ".join(text.split())
    if len(text) > most:
        errors[name] = f"at most {most} characters, got {len(text):,}"
        return ""
    if not all(c.isprintable() for c in text):  # controls, noncharacters (XML refuses U+FFFF)
        errors[name] = "must be plain text, without control characters"
        return ""
    return text


def _names(text: str | None, errors: dict[str, str]) -> tuple[str, ...]:
    """Read `names=cat,dog,bird`: at most 10 names of 1 to 16 characters, all different."""
    if text is None:
        return ()
    names = [" ".join(n.split()) for n in text.split(",")]
    if len(names) > MAX_NAMES:
        errors["names"] = f"at most {MAX_NAMES} names, got {len(names):,}"
    elif any(not n or len(n) > MAX_NAME for n in names):
        errors["names"] = f"each name must have 1 to {MAX_NAME} characters, got " + ", ".join(
            quoted(n) for n in names if not n or len(n) > MAX_NAME
        )
    elif len(set(names)) != len(names):
        errors["names"] = "names must all be different"
    elif not all(c.isprintable() for n in names for c in n):
        errors["names"] = "names must be plain text, without control characters"
    else:
        return tuple(names)
    return ()


def names_for(options: EmbedOptions, n: int) -> dict[str, str]:
    """Return the message when the names do not name each of the state's n classes."""
    if options.names and len(options.names) != n:
        return {"names": f"must give one name per class ({n}), got {len(options.names)}"}
    return {}


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
