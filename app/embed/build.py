"""`/build`: the instructor's assignment builder, one GET form whose URL is its state.

It takes the explorer's state (typed, or from a preset, or the explorer's own when opened from
its share panel), what students do (`mode`), the panels, class names, locks, a prompt and a
title, and answers with the figure's page URL, embed URL, iframe snippet (sized to fit),
oEmbed URL, Markdown and HTML snippets, the exports, and a preview of the embed exactly as the
snippet frames it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from app.embed.heights import fitting_height
from app.embed.options import (
    LOCKABLE,
    PANEL_TITLES,
    EmbedOptions,
    names_for,
    read_options,
)
from app.embed.share import iframe_snippet
from app.embed.titles import figure_title
from app.explorer.form import Draft, check, draft_of, read_draft
from app.explorer.instruments import Instruments, read_instruments
from app.explorer.page import url_name
from app.explorer.state import LOSS_TITLES, REDUCTIONS, ExplorerState
from app.service.numbers import quoted
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.templates import htmx_source, templates
from app.web.urls import Urls, join_queries

router = APIRouter(include_in_schema=False)

# (key, words, the state's query): the presets, in the order an instructor meets them
PRESETS = (
    ("question", "The question's two classes", "logits=2,1&target=0"),
    ("three", "Three classes, one-hot", "logits=2,1,0.5&target=0"),
    ("soft", "Soft labels", "logits=2,1,0.5&target=0.7,0.2,0.1"),
    ("smoothing", "Label smoothing 0.1", "logits=2,1,0.5&target=0&label_smoothing=0.1"),
    ("temperature", "Temperature T = 2", "logits=2,1,0.5&target=0&temperature=2"),
    ("wrong", "Confidently wrong (−4, 4)", "logits=-4,4&target=0"),
    ("extreme", "Extreme logits (123, 456, 789)", "logits=123,456,789&target=0"),
)
# What students do: the figure's instruments, as query pairs (`probe` and `start` take j and Z).
MODES = (
    ("explore", "Explore freely"),
    ("predict", "Predict dE/dZ first (numbers)"),
    ("predict-sign", "Predict first (signs)"),
    ("nudge", "Nudge a logit (the slope is dE/dZ_j)"),
    ("descent", "Gradient descent on the logits"),
    ("derive", "Derive dE/dZ_j step by step (a faded worked example)"),
)
STATE_FIELDS = ("logits", "target", "temperature", "label_smoothing", "weights", "reduction")
BUILD_FIELDS: tuple[str, ...] = (
    *STATE_FIELDS,
    *("j", "loss", "mode", "panels", "controls", "theme", "names", "q", "title", "lock", "preset"),
)


def _mode_pairs(mode: str, state: ExplorerState) -> list[tuple[str, str]]:
    if mode == "predict":
        return [("mode", "predict")]
    if mode == "predict-sign":
        return [("mode", "predict"), ("ask", "sign")]
    if mode == "nudge":
        return [("probe", str(state.j))]
    if mode == "derive":
        return [("mode", "derive")]
    if mode == "descent":
        return [("start", ",".join(f"{z!r}" for z in state.logits))]
    return []


@dataclass(frozen=True, slots=True)
class Built:
    """What the builder hands back for a valid form."""

    page: str
    embed: str
    snippet: str
    oembed: str
    markdown: str
    html: str
    height: int
    title: str
    exports: str  # the figure's query, for the export links
    preview: str = ""  # the snippet as the builder's page shows it (no inline style)


def _options_of(params: QueryParams) -> tuple[EmbedOptions, dict[str, str]]:
    """Read the form's options; the checkboxes send `panels` and `lock` repeated."""
    pairs = [(k, v) for k, v in params.multi_items() if k not in ("panels", "lock")]
    panels = [p for v in params.getlist("panels") for p in v.split(",") if p]
    locks = [p for v in params.getlist("lock") for p in v.split(",") if p]
    if panels:
        pairs.append(("panels", ",".join(panels)))
    if locks:
        pairs.append(("lock", ",".join(locks)))
    return read_options(QueryParams(pairs))


def build(request: Request) -> Response:
    settings = settings_of(request)
    urls = Urls.of(request)
    params = request.query_params
    preset = params.get("preset", "")
    presets = {key: query for key, _, query in PRESETS}
    errors: dict[str, str] = {}
    if preset and preset not in presets and preset != "current":
        errors["preset"] = f"{quoted(preset)} is not a preset; choose from {', '.join(presets)}"
    state_params = QueryParams(presets[preset]) if preset in presets else params
    unknown = [k for k in dict.fromkeys(params.keys()) if k not in BUILD_FIELDS]
    for name in unknown:
        errors[name] = f"unknown field; the builder takes {', '.join(BUILD_FIELDS)}"
    draft: Draft = read_draft(state_params)
    outcome = check(draft, settings)
    errors.update({url_name(k): v for k, v in outcome.errors.items()})
    options, option_errors = _options_of(params)
    errors.update(option_errors)
    mode = params.get("mode", "explore")
    if mode not in dict(MODES):
        errors["mode"] = f"{quoted(mode)} is not one of {', '.join(dict(MODES))}"
        mode = "explore"
    built = None
    state = outcome.state
    if state is not None:
        errors.update(names_for(options, state.n))
        mode_query = urlencode(_mode_pairs(mode, state), safe=",")
        instruments, instrument_errors = read_instruments(
            QueryParams(join_queries(mode_query, options.query())), state.n, state.loss
        )
        errors.update(instrument_errors)
        if not errors:
            built = _outputs(urls, state, options, instruments, mode_query)
    form = draft_of(state) if state is not None else draft
    context = {
        "htmx": htmx_source(settings),
        "urls": urls,
        "draft": form,
        "errors": errors,
        "options": options,
        "mode": mode,
        "modes": MODES,
        "presets": PRESETS,
        "preset": preset,
        "panel_titles": PANEL_TITLES,
        "lockable": LOCKABLE,
        "loss_titles": LOSS_TITLES,
        "reductions": REDUCTIONS,
        "built": built,
        "keep": _kept(params),
    }
    headers = page_headers(settings, fragments=False)
    status = 200 if not errors else 422
    return templates.TemplateResponse(request, "build.html", context, status, headers)


def _kept(params: QueryParams) -> str:
    """Return the form's choices other than the state (and the names, which name the
    current classes, not a preset's), so a preset link keeps them."""
    dropped = (*STATE_FIELDS, "j", "preset", "names")
    kept = [(k, v) for k, v in params.multi_items() if k not in dropped]
    return urlencode(kept, safe=",")


def _markdown(text: str) -> str:
    """Escape a link text for Markdown: *grad* stays literal, <b> stays text. Only what could
    end the link or start emphasis, code or a table cell: "Z = \\(2, 1\\)" was inline maths
    to MkDocs' arithmatex, which reads \\( … \\) as TeX."""
    escaped = re.sub(r"([\\`*_\[\]|~])", r"\\\1", text)
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def _outputs(
    urls: Urls,
    state: ExplorerState,
    options: EmbedOptions,
    instruments: Instruments,
    mode_query: str,
) -> Built:
    query = join_queries(state.to_query(), options.query(), mode_query)
    embed = urls.absolute("/embed", query)
    height = fitting_height(options, state.n, state, instruments)
    title = figure_title(state, options, instruments)
    snippet = iframe_snippet(embed, height, title)
    page = urls.absolute("/", join_queries(state.to_query(), options.names_query(), mode_query))
    oembed = urls.absolute("/oembed", f"url={quote(embed, safe='')}&format=json")
    markdown = f"[{_markdown(title)}]({page})\n\n{snippet}"
    # the instructor's exports show the answer: the figure's query without what students do
    # (every panel, so that the chain rule's image exists whichever panels students see)
    drawn = EmbedOptions(names=options.names, theme=options.theme, title=options.title)
    exports = join_queries(state.to_query(), drawn.query())
    preview = iframe_snippet(embed, height, title, inline=False)
    return Built(page, embed, snippet, oembed, markdown, snippet, height, title, exports, preview)


@router.api_route("/build", methods=["GET", "HEAD"])
async def builder(request: Request) -> Response:
    """The assignment builder: its URL is the assignment."""
    return build(request)
