"""`/`: the explorer, as a full page or as the fragments htmx asks for (`/embed` shares it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from app.embed.exports import FORMAT_TITLES
from app.embed.options import (
    INSTRUMENT_PANELS,
    PANEL_TITLES,
    PANELS,
    THEMES,
    EmbedOptions,
    names_for,
    read_options,
    unknown_parameters,
)
from app.embed.share import choices_query, share
from app.embed.titles import figure_title
from app.explorer import page
from app.explorer.display import class_name, exact, number, number_html, px, subscripts
from app.explorer.edits import apply
from app.explorer.form import check, draft_of, read_draft, state_of
from app.explorer.instruments import read_instruments
from app.explorer.panels.descent import replay
from app.explorer.state import (
    LOSS_TITLES,
    MAX_CLASSES,
    MIN_CLASSES,
    REDUCTIONS,
    SEED_QUERY,
    ExplorerState,
)
from app.explorer.svg import draw_bars, draw_heatmap, draw_lines
from app.explorer.tables import chain_body, jacobian_body
from app.service.compute import compute
from app.service.values import MAX_TEMPERATURE, MIN_TEMPERATURE
from app.settings import Settings
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.htmx import HtmxDetails, reswap_none
from app.web.pages import rendered
from app.web.templates import htmx_source, templates
from app.web.urls import Urls, join_queries

router = APIRouter(include_in_schema=False)

templates.env.filters["num"] = number
templates.env.filters["numx"] = number_html
templates.env.filters["px"] = px  # SVG coordinates


@pass_context
def _cls(context: Any, k: object) -> Markup:
    """A class as the page names it (`names=`), escaped: names travel into SVG and MathML."""
    return Markup(escape(class_name(k, context.get("class_names", ()))))


@pass_context
def _subs(context: Any, text: str) -> Markup:
    """A sentence with its indices as subscripts, the page's class names among them."""
    return subscripts(text, context.get("class_names", ()))


MATH_NAME = 6  # characters of a class name that a formula's subscript still holds


def _too_long(name: str) -> bool:
    """Whether formulas write a class of this name as j: longer than MATH_NAME characters."""
    return len(name) > MATH_NAME


@pass_context
def _written_j(context: Any, k: object) -> bool:
    """Whether formulas write class k as j."""
    return _too_long(class_name(k, context.get("class_names", ())))


@pass_context
def _mcls(context: Any, k: object) -> Markup:
    """The class j as a MathML token: <mn>2</mn>, <mi>cat</mi> for a name, and <mi>j</mi> for a
    name longer than MATH_NAME characters (a formula cannot wrap inside a subscript, and on paper
    nothing scrolls): the heading above the formula says which class j is."""
    name = class_name(k, context.get("class_names", ()))
    if _too_long(name):
        return Markup("<mi>j</mi>")
    tag = "mn" if name.isdigit() else "mi"
    return Markup(f"<{tag}>{escape(name)}</{tag}>")


templates.env.filters["cls"] = _cls
templates.env.filters["mcls"] = _mcls
templates.env.filters["written_j"] = _written_j
templates.env.filters["exact"] = exact
templates.env.filters["subs"] = _subs  # O_i, O2, O_cat in a sentence → O<sub>i</sub>
templates.env.globals.update(
    draw_bars=draw_bars,
    draw_lines=draw_lines,
    draw_heatmap=draw_heatmap,
    jacobian_body=jacobian_body,
    chain_body=chain_body,
    panel_names=PANELS,
    instrument_panels=INSTRUMENT_PANELS,
    panel_titles=PANEL_TITLES,
    theme_names=THEMES,
    min_classes=MIN_CLASSES,
    max_classes=MAX_CLASSES,
    logit_range=page.LOGIT_RANGE,
    reductions=REDUCTIONS,
    loss_titles=LOSS_TITLES,
    export_formats=FORMAT_TITLES,
    temperature_range=(MIN_TEMPERATURE, MAX_TEMPERATURE),
)

# htmx asks for one of these by the id of the element it will swap.
_FRAGMENTS = {
    "panels": "partials/_panels_update.html",
    "explorer": "partials/_explorer_update.html",
    "share-output": "partials/_share_update.html",
}


def _last_valid(last: str | None, settings: Settings) -> tuple[ExplorerState, bool]:
    """Return the last valid state the form carried along, or the seed's (and True: a fresh
    load of an invalid URL has no last state to show)."""
    for query in (last, SEED_QUERY):
        state = state_of(query, settings) if query else None
        if state is not None:
            return state, query == SEED_QUERY
    raise AssertionError("the seed state is valid")


def _without_edit(params: QueryParams) -> str:
    """Return a query without the button's edit and the form's last state: the page itself."""
    kept = [(k, v) for k, v in params.multi_items() if k not in ("op", "last")]
    return urlencode(kept, safe=",")


def _embed_origin(htmx: HtmxDetails, urls: Urls, settings: Settings) -> str | None:
    """Return the embed URL htmx says the frame shows, if it is a valid embed of this site."""
    if not htmx.request:
        return None
    try:
        page = urlsplit(htmx.current_url)
    except ValueError:  # a header that is no URL at all ("http://[")
        return None
    if f"{page.scheme}://{page.netloc}" != urls.origin or page.path != urls.path("/embed"):
        return None
    params = QueryParams(page.query)
    _, errors = read_options(params)
    if errors or unknown_parameters(params) or state_of(page.query, settings) is None:
        return None
    return urls.path("/embed", _without_edit(params))


def render(
    request: Request,
    path: str,
    options: EmbedOptions,
    option_errors: dict[str, str],
    embed: bool,
) -> Response:
    """Render the explorer (or its embed) for the state in the query string."""
    settings = settings_of(request)
    params = request.query_params
    htmx = HtmxDetails.of(request)
    urls = Urls.of(request)
    draft = apply(read_draft(params), params.get("op"))
    outcome = check(draft, settings)
    state, example = (
        (outcome.state, False) if outcome.state else _last_valid(params.get("last"), settings)
    )
    # the embed's options, or the explorer's share form's (read once: the canonical URL and
    # the share panel use them too), whose class names label the explorer's own charts as well
    chosen, names_note = options, {}
    if embed:
        option_errors = {**option_errors, **names_for(options, state.n)}
        options = options.for_classes(state.n)
    else:  # a choice the URL got wrong is named on the page (422), not dropped by a redirect
        chosen, option_errors = read_options(params)
        # names for another number of classes label nothing (a class added or removed
        # since): a full page says so, without an error
        misnamed = names_for(chosen, state.n)
        options = replace(options, names=() if misnamed else chosen.names)
        names_note = {} if option_errors else misnamed
    instruments, instrument_errors = read_instruments(params, state.n, state.loss)
    if outcome.state is None:  # judged by the URL's own classes, not the example shown instead
        instrument_errors = read_instruments(params, draft.n, state.loss)[1]
    if (focus := instruments.focus) is not None:  # the path's j is the chain panel's
        # (only for the URL's own state: an invalid one shows an example of other classes)
        if "j" in params and not draft.j_error and outcome.state and draft.j != focus[1]:
            focus = (focus[0], draft.j)  # a j chosen in the form moves the path with it
            instruments = replace(instruments, focus=focus)
        state = replace(state, j=focus[1])
    instruments = instruments.anchored(state.logits)
    if instruments.start is not None and not instrument_errors:  # the k-th step from start
        replayed = replay(state, instruments)
        if isinstance(replayed, str):
            instrument_errors["steps"] = replayed
        else:
            state = replayed[0]
    valid = outcome.state is not None and not option_errors and not instrument_errors
    extra = options.query() if embed else choices_query(params, chosen)
    canonical = join_queries(state.to_query(), extra, instruments.query())
    if not htmx.request and valid and params and request.url.query != canonical:
        return RedirectResponse(urls.path(path, canonical), status_code=303)
    result = compute(state.request(settings))
    # The form shows what was typed while it is invalid, else the canonical state; a draft of
    # thousands of values is never drawn: the form shows the last valid state instead.
    form = draft_of(state) if outcome.state or draft.oversized else draft
    state_links = page.links(urls, state, path, options, instruments)
    context = page.context(
        form=form,
        errors={**outcome.errors, **instrument_errors},
        state=state,
        result=result,
        options=options,
        links=state_links,
        share=None if embed else share(urls, state, params, chosen, instruments),
        instruments=instruments,
        here=lambda query: urls.path(path, join_queries(query, extra)),
    )
    # An embed never changes its own URL, so htmx's HX-Current-URL is still the one the
    # instructor wrote: "Reset this figure" goes back to it, rebuilt from its query, and only
    # if it is one of our embeds with a valid state (it is a request header: never echo it).
    origin = _embed_origin(htmx, urls, settings) if embed else None
    if origin is None:
        origin = urls.path(path, _without_edit(params))
    context.update(
        option_errors=option_errors,
        htmx=htmx_source(settings),
        valid=valid,
        # the charts show the question's example, not a last valid state (an edit keeps the
        # panels on the page: they show the last valid state)
        example=example and not htmx.request,
        names_note=names_note,
        action=urls.path(path),
        reset_href=origin if embed else None,
        title=figure_title(state, options, instruments),
        # explorer.js puts this in the address bar once an edit settles; an embed never
        # touches history, not even its own URL.
        page_url=urls.path(path, canonical) if valid and not embed else "",
        urls=urls,
    )
    headers = page_headers(settings)
    if embed and htmx.request:  # the Reset link depends on HX-Current-URL
        headers["Vary"] += ", HX-Current-URL"
    if htmx.request:
        fragment = _FRAGMENTS.get(htmx.target, _FRAGMENTS["explorer"])
        if not valid and fragment == _FRAGMENTS["panels"]:
            reswap_none(headers)  # keep the last valid panels; only messages change
        return templates.TemplateResponse(request, fragment, context, headers=headers)
    template = "embed.html" if embed else "explorer.html"
    return templates.TemplateResponse(request, template, context, 200 if valid else 422, headers)


@router.api_route("/", methods=["GET", "HEAD"])
async def explorer(request: Request) -> Response:
    """Render the explorer for the state in the query string (and apply a button's edit)."""
    return await rendered(render, request, "/", EmbedOptions(), {}, embed=False)
