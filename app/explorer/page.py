"""Everything an explorer page or fragment shows, from one state and one result.

The form shows the draft as typed when it is invalid (with a message beside each field) and
the canonical state otherwise; the panels, links, snippets and summary always show the state
the panels were computed from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from app.core.objectives import one_loss
from app.embed.options import EmbedOptions
from app.embed.share import Share
from app.explorer import panels
from app.explorer.display import exact, number, subscript
from app.explorer.form import Draft
from app.explorer.instruments import Instruments
from app.explorer.state import LOSS_TITLES, ExplorerState
from app.service.compute import GradientResult
from app.web.urls import Urls, join_queries

LOGIT_RANGE = (-10.0, 10.0)  # the sliders' range; typed logits may go beyond it


@dataclass(frozen=True, slots=True)
class Links:
    """The URLs of one state: on this site, as JSON, for oEmbed, and in a new tab."""

    explorer: str  # this state in the full explorer
    api: str  # GET /gradient of this state
    api_query: str
    oembed: str
    twin: str  # GET /explorer.json: every panel's numbers


def links(
    urls: Urls,
    state: ExplorerState,
    path: str,
    options: EmbedOptions,
    instruments: Instruments | None = None,
) -> Links:
    """Return the URLs of a state shown at `path` ('/' or '/embed') with these options."""
    instruments = instruments or Instruments()
    query = join_queries(state.to_query(), options.query())
    shown = join_queries(query, instruments.query())
    # What a figure asks of its students goes with it (its mode and instruments, never an
    # answer given): into oEmbed's URL and the explorer it opens.
    carried = urlencode(instruments.asked(), safe=",")
    embedded = join_queries(query, carried)
    oembed_query = f"url={quote(urls.absolute(path, embedded), safe='')}&format=json"
    return Links(
        explorer=urls.path("/", join_queries(state.to_query(), options.names_query(), carried)),
        api=urls.path("/gradient", state.api_query()),
        api_query=state.api_query(),
        oembed=urls.absolute("/oembed", oembed_query),
        twin=urls.path("/explorer.json", shown),
    )


def field_keys(draft: Draft) -> set[str]:
    """Return the key of every inline error message the form has room for."""
    keys = {
        "logits",
        "target",
        "temperature",
        "label_smoothing",
        "weights",
        "reduction",
        "j",
        "loss",
        "form",
        "guess",
        "why",
    }
    keys |= {f"logits-{i}" for i in range(draft.n)} | {f"weights-{i}" for i in range(draft.n)}
    if draft.soft:
        keys |= {f"target-{i}" for i in range(draft.n)}
    return keys


def _panel_keys(shown: tuple[str, ...]) -> frozenset[str]:
    """The fields of the panels shown that carry their own message."""
    return frozenset({"lr"}) if "descent" in shown else frozenset()


def placed_errors(
    draft: Draft, errors: dict[str, str], panel_keys: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Put each message beside a field the form shows (or a panel shown: the descent's step
    size); the rest go to the form's own line, named as the URL names them (`start: …`: the
    form has no field to mark)."""
    keys = field_keys(draft) | panel_keys
    placed: dict[str, str] = {}
    for key, message in errors.items():
        where = key if key in keys else "form"
        if where != key:
            message = f"{url_name(key)}: {message}"
        placed[where] = f"{placed[where]} {message}" if where in placed else message
    return placed


def _slider(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return "0"
    return exact(min(max(value, LOGIT_RANGE[0]), LOGIT_RANGE[1])) if value == value else "0"


def _target_sum(draft: Draft) -> str:
    try:
        return number(sum(float(t) for t in draft.target), 6)
    except ValueError:
        return "?"


def summary(
    result: GradientResult, j: int, predicting: bool = False, names: tuple[str, ...] = ()
) -> str:
    """Return the one-line summary a screen reader hears after each edit (without the
    gradient while a prediction of it is asked)."""
    ce = result.ce
    grad = [float(g) for g in ce.grad_logits[0]]
    loss = one_loss(ce)
    if predicting:
        return f"E = {number(loss, 4)}; the gradient is hidden until you give your answer"
    return (
        f"E = {number(loss, 4)}; dE/dZ = ("
        + ", ".join(number(g, 3) for g in grad)
        + f"); dE/dZ{subscript(j, names, len(grad))} = "
        + number(grad[j], 3)
    )


def settings_line(state: ExplorerState) -> str:
    """Return the state in words, for a printout (the controls that show it are not printed)."""
    parts = list(state.in_words(4))
    if state.temperature != 1.0:
        parts.append(f"T = {number(state.temperature, 4)}")
    if state.label_smoothing != 0.0:
        parts.append(f"label smoothing ε = {number(state.label_smoothing, 4)}")
    if state.weights is not None:
        parts.append("weights w = (" + ", ".join(number(w, 4) for w in state.weights) + ")")
    if state.reduction != "mean":
        parts.append(f"reduction {state.reduction}")
    if state.loss != "cross_entropy":
        parts.append(f"loss: {LOSS_TITLES[state.loss]}")
    return "; ".join(parts) + "."


def url_name(key: str) -> str:
    """Return a form error's key as the URL names the value: 'logits-2' → 'logits[2]'."""
    name, _, index = key.partition("-")
    return f"{name}[{index}]" if index else name


@dataclass(frozen=True, slots=True)
class MenuItem:
    """One instrument the explorer offers: its name, the instruments that switch it on (or,
    when it is on, off), and whether it is on."""

    words: str
    instruments: Instruments
    on: bool


def instrument_menu(
    state: ExplorerState, instruments: Instruments, names: tuple[str, ...] = ()
) -> list[MenuItem]:
    """Return the explorer's instruments for this state, each a link that turns it on or off
    (predict first and the derivation replace the explorer's view; the others add a panel).
    Those about cross-entropy's own chain rule are offered under cross-entropy only."""
    j, i = state.j, 0 if state.j != 0 else min(1, state.n - 1)
    J = subscript(j, names, state.n)  # "2", or "_cat"
    # an instrument that is on names the class it is on (a nudge stays on its logit as j moves)
    probed = J if instruments.probe is None else subscript(instruments.probe, names, state.n)
    fi, fj = instruments.focus or (i, j)
    path = f"Z{subscript(fj, names, state.n)} → O{subscript(fi, names, state.n)} → E"
    plain = replace(instruments, mode="explore", guess=None, why="", typed=(), answers=())
    ce = state.loss == "cross_entropy"
    items = [  # (words, on, with it on, with it off, offered, its panel)
        (
            "Predict dE/dZ first",
            instruments.mode == "predict",
            replace(plain, mode="predict"),
            plain,
            ce,
            "",
        ),
        (
            "Derive it step by step",
            instruments.mode == "derive",
            replace(plain, mode="derive"),
            plain,
            ce,
            "",
        ),
        (
            f"Nudge Z{probed}",
            instruments.probe is not None,
            replace(instruments, probe=j),
            replace(instruments, probe=None),
            True,
            "nudge",
        ),
        (
            f"Follow the path {path}",
            instruments.focus is not None,
            replace(instruments, focus=(i, j)),
            replace(instruments, focus=None),
            ce,
            "path",
        ),
        (
            "Compare with MSE",
            instruments.compare is not None,
            replace(instruments, compare="mse"),
            replace(instruments, compare=None),
            ce,
            "compare",
        ),
        (
            "Gradient descent",
            instruments.start is not None,
            replace(instruments, start=state.logits, steps=0),
            instruments.without_descent(),
            True,
            "descent",
        ),
    ]
    # while a prediction is asked, the panels that would give the answer away wait for it
    hidden = panels.ANSWERS if instruments.predicting else ()
    return [
        MenuItem(
            words + (" (shown after you answer)" if on and panel in hidden else ""),
            off if on else with_it,
            on,
        )
        for words, on, with_it, off, offered, panel in items
        if offered or on
    ]


def context(
    *,
    form: Draft,
    errors: dict[str, str],
    state: ExplorerState,
    result: GradientResult,
    options: EmbedOptions,
    links: Links,
    share: Share | None,
    instruments: Instruments | None = None,
    here: Callable[[str], str] | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Return what the explorer's templates need (`here` writes a URL of this page's path and
    options for a query)."""
    instruments = instruments or Instruments()
    # the explorer's own defaults (the bridge for two classes); an embed shows what it names
    names = panels.shown(options.panels, instruments, state if share is not None else None)
    if only is not None:  # an export's panels (the page's own, or one of them)
        names = only
    built = panels.build(state, result, names, instruments, options.names)
    panel_keys = _panel_keys(names)

    def href(other: ExplorerState, changes: Instruments | None = None) -> str:
        """The URL of another state (or other instruments) on this page. Another state leaves a
        descent, whose replay would put the old logits back."""
        chosen = changes or instruments
        if other.logits != state.logits or other.target != state.target:
            chosen = chosen.without_descent()
        query = join_queries(other.to_query(), chosen.query())
        return here(query) if here is not None else "?" + query

    return {
        "shown": names,
        "instruments": instruments,
        # the explorer's own page offers its instruments; an embed shows what its URL names
        "menu": instrument_menu(state, instruments, options.names) if share is not None else [],
        "focus": panels.focus_of(state, instruments) if "path" in names else None,
        "href": href,
        "draft": form,
        "errors": placed_errors(form, errors, panel_keys),
        # As an embed's URL names them (logits[2]), for a figure whose fields are hidden.
        "url_errors": [(url_name(key), message) for key, message in errors.items()],
        # an embed lists them even with its controls shown when some have no field to mark
        "unplaced_errors": not (field_keys(form) | panel_keys).issuperset(errors),
        "sliders": [_slider(text) for text in form.logits],
        "weights": form.weights or ["1"] * form.n,
        "target_sum": _target_sum(form),
        "state": state,
        "panels": built,
        "class_names": options.names,
        "options": options,
        "links": links,
        "last": state.to_query(),
        # The prediction form's hidden fields: the state, the options and the instruments.
        "predict_pairs": [
            *parse_qsl(state.to_query()),
            *options.pairs(),
            *instruments.carried(),
        ],
        "share": share,
        "summary": summary(result, state.j, instruments.predicting, options.names),
        "settings_line": settings_line(state),
        "advanced_open": bool(
            state.advanced
            or errors.keys() & {"temperature", "label_smoothing", "weights", "reduction"}
            or any(key.startswith("weights-") for key in errors)
        ),
    }
