"""`/oembed`: oEmbed 1.0 JSON for explorer and embed URLs, so course sites can embed by link."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams
from starlette.responses import Response

from app.api.openapi import BUSY, HOST, INVALID, TOO_LONG, MessageResponse
from app.embed.heights import fitting_height
from app.embed.options import names_for, read_options, unknown_parameters
from app.embed.share import DEFAULT_WIDTH, iframe_snippet
from app.embed.titles import figure_title
from app.explorer.form import state_of
from app.explorer.instruments import read_instruments
from app.explorer.twin import read_figure
from app.service.errors import invalid_request
from app.service.numbers import invalid
from app.settings import Settings
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.urls import Urls, join_queries

router = APIRouter(tags=["embed"])


class OEmbed(BaseModel):
    """An oEmbed 1.0 `rich` response."""

    version: Literal["1.0"] = "1.0"
    type: Literal["rich"] = "rich"
    provider_name: str = "dEdZ"
    provider_url: str
    title: str
    html: str = Field(description="An iframe of the /embed view of the given URL's state.")
    width: int
    height: int
    cache_age: int


@router.get(
    "/oembed",
    summary="oEmbed 1.0 for dEdZ explorer and embed URLs",
    response_model=OEmbed,
    responses={
        **HOST,
        404: {"model": MessageResponse, "description": "Not a dEdZ page URL, or not valid."},
        **TOO_LONG,
        **INVALID,
        501: {"model": MessageResponse, "description": "A format other than json."},
        **BUSY,
    },
    operation_id="oembed_get",
)
@router.head("/oembed", include_in_schema=False)
async def oembed(
    request: Request,
    url: Annotated[str, Query(description="A dEdZ explorer (/) or embed (/embed) URL.")],
    maxwidth: Annotated[int | None, Query(ge=1, description="Largest width in pixels.")] = None,
    maxheight: Annotated[int | None, Query(ge=1, description="Largest height in pixels.")] = None,
    format: Annotated[str, Query(description="Only json is offered.")] = "json",
) -> Response:
    """Return the embed HTML for a dEdZ URL, as the oEmbed 1.0 spec describes."""
    settings = settings_of(request)
    for name in ("url", "maxwidth", "maxheight", "format"):  # as /gradient refuses them
        if len(request.query_params.getlist(name)) > 1:
            raise invalid_request("query", invalid(name, "given more than once"))
    if format not in ("json", ""):  # oEmbed 1.0: 501 for a format the provider does not offer
        raise HTTPException(501, f"format: only json is offered, not {format!r}")
    urls = Urls.of(request)
    try:
        page = urlsplit(url)
    except ValueError:  # "http://[": urlsplit refuses what cannot be a URL at all
        raise HTTPException(404, f"url: not a URL of {urls.base}") from None
    pages = (urls.path(""), urls.path("/"), urls.path("/embed"))
    if f"{page.scheme}://{page.netloc}" != urls.origin or page.path not in pages:
        raise HTTPException(404, f"url: not a dEdZ page on {urls.base} (/ or /embed)")
    params = QueryParams(page.query)
    state = state_of(page.query, settings)
    options, option_errors = read_options(params)
    # An explorer URL may carry the share panel's starting height too.
    unknown = set(unknown_parameters(params)) - ({"height"} if page.path != "/embed" else set())
    if state is not None:
        option_errors.update(names_for(options, state.n))
    if state is None or option_errors or unknown:
        raise HTTPException(404, _not_valid(params, settings))
    instruments, instrument_errors = read_instruments(params, state.n, state.loss)
    if instrument_errors:
        raise HTTPException(404, _not_valid(params, settings))
    width = min(DEFAULT_WIDTH, maxwidth or DEFAULT_WIDTH)
    fitting = fitting_height(options, state.n, state, instruments)
    height = min(fitting, maxheight or fitting)
    # The canonical state and options, never the URL as given: its op, last or height would
    # make the frame show something else than the title says.
    src = urls.absolute(
        "/embed", join_queries(state.to_query(), options.query(), instruments.query())
    )
    title = figure_title(state, options, instruments)
    body = OEmbed(
        provider_url=urls.absolute("/"),
        title=title,
        html=iframe_snippet(src, height, title).replace('width="100%"', f'width="{width}"'),
        width=width,
        height=height,
        cache_age=settings.cache_max_age,
    )
    headers = page_headers(settings, fragments=False)
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


def _not_valid(params: QueryParams, settings: Settings) -> str:
    """The 404's words for a dEdZ URL whose state or options are wrong: what is wrong, as the
    page itself would say it (a consumer logs it; a 404 with no reason sent people to the page)."""
    errors = read_figure(params, settings)
    reasons = (
        "; ".join(f"{key}: {message}" for key, message in list(errors.items())[:3])
        if isinstance(errors, dict)
        else ""
    )
    return "url: not a valid dEdZ state" + (
        f" ({reasons})" if reasons else "; open it to see what is wrong"
    )
