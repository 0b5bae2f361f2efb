"""`/embed` (the explorer without site chrome, configured by its URL) and `/guide`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.embed.options import EMBED_PARAMETERS, read_options, unknown_parameters
from app.explorer.routes import render
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.templates import htmx_source, templates
from app.web.urls import Urls

router = APIRouter(include_in_schema=False)


@router.api_route("/embed", methods=["GET", "HEAD"])
async def embed(request: Request) -> Response:
    """Render the explorer without site chrome, configured by its URL, for iframes."""
    params = request.query_params
    options, errors = read_options(params)
    for name in unknown_parameters(params):
        known = ", ".join(EMBED_PARAMETERS)
        errors[name] = f"is not a parameter of an embed; it takes {known}"
    return render(request, "/embed", options, errors, embed=True)


@router.api_route("/guide", methods=["GET", "HEAD"])
async def guide(request: Request) -> Response:
    """Render the instructor's guide to embedding."""
    settings = settings_of(request)
    context = {"htmx": htmx_source(settings), "urls": Urls.of(request)}
    headers = page_headers(settings, fragments=False)
    return templates.TemplateResponse(request, "guide.html", context, headers=headers)
