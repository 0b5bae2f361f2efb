"""`/embed` (the explorer without site chrome, configured by its URL) and `/guide`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.embed.heights import fitting_height
from app.embed.options import EMBED_PARAMETERS, EmbedOptions, read_options, unknown_parameters
from app.embed.share import iframe_snippet
from app.embed.titles import figure_title
from app.explorer.routes import render
from app.explorer.state import ExplorerState
from app.service.errors import did_you_mean
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.pages import rendered
from app.web.templates import htmx_source, templates
from app.web.urls import Urls, join_queries

router = APIRouter(include_in_schema=False)


@router.api_route("/embed", methods=["GET", "HEAD"])
async def embed(request: Request) -> Response:
    """Render the explorer without site chrome, configured by its URL, for iframes."""
    params = request.query_params
    options, errors = read_options(params)
    # The ones an instructor writes: not the page's own `op` and `last`, nor the API's `include`.
    names = [p for p in EMBED_PARAMETERS if p not in ("op", "last", "include")]
    for name in unknown_parameters(params):
        hint = did_you_mean(name, names)
        errors[name] = f"is not a parameter of an embed; it takes {', '.join(names)}{hint}"
    return await rendered(render, request, "/embed", options, errors, embed=True)


@router.api_route("/guide", methods=["GET", "HEAD"])
async def guide(request: Request) -> Response:
    """Render the instructor's guide to embedding."""
    settings = settings_of(request)
    urls = Urls.of(request)
    options = EmbedOptions(panels=("probs", "grad", "chain"))
    state = ExplorerState(logits=(2.0, 1.0), target=0)  # the question's example
    example = iframe_snippet(
        urls.absolute("/embed", join_queries(state.to_query(), options.query())),
        fitting_height(options, state.n, state),
        figure_title(state, options),
    )
    context = {"htmx": htmx_source(settings), "urls": urls, "example_snippet": example}
    headers = page_headers(settings, fragments=False)
    return templates.TemplateResponse(request, "guide.html", context, headers=headers)
