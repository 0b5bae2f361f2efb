"""`/` and `/embed`: the explorer, as a full page or as the fragments htmx asks for."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from app.embed import EmbedOptions, read_options, share
from app.explorer import SEED_QUERY, Outcome, apply, check, page_query, read_draft
from app.routes import settings_of
from app.service import compute
from app.settings import Settings
from app.templating import htmx_source, templates
from app.views import page_context

router = APIRouter(include_in_schema=False)

# htmx asks for one of these by the id of the element it will swap.
_FRAGMENTS = {
    "panels": "partials/_panels_update.html",
    "explorer": "partials/_explorer_update.html",
    "share-output": "partials/_share_output.html",
}


def _last_valid(outcome: Outcome, last: str | None, settings: Settings) -> tuple[Outcome, str]:
    """Return the state the panels should show: this one if valid, else the last valid one."""
    if outcome.request is not None:
        return outcome, page_query(outcome.draft)
    for query in (last, SEED_QUERY):
        if query:
            previous = check(read_draft(QueryParams(query)), settings)
            if previous.request is not None:
                return previous, page_query(previous.draft)
    raise AssertionError("the seed state is valid")


def _render(
    request: Request, settings: Settings, embed: EmbedOptions | None, option_errors: dict[str, str]
) -> Response:
    """Render the explorer (or its embed) for the state in the query string."""
    params = request.query_params
    draft = apply(read_draft(params), params.get("op"))
    outcome = check(draft, settings)
    valid = outcome.request is not None and not option_errors
    htmx = request.headers.get("hx-request") == "true"
    shown, query = _last_valid(outcome, params.get("last"), settings)
    path = "/embed" if embed else "/"
    canonical = f"{query}&{embed.query()}".rstrip("&") if embed else query
    if not htmx and valid and params and request.url.query != canonical:
        return RedirectResponse(f"{path}?{canonical}", status_code=303)
    assert shown.request is not None
    base_url = str(request.base_url).rstrip("/")
    # An embed never changes its own URL, so htmx's HX-Current-URL is still the one the
    # instructor wrote: "Reset this figure" goes back to it (if it is one of our embeds).
    origin = request.headers.get("hx-current-url", "")
    if not origin.startswith(f"{base_url}/embed"):
        origin = str(request.url)
    context = page_context(draft, compute(shown.request), outcome.errors, shown.draft)
    context.update(
        option_errors=option_errors,
        htmx=htmx_source(settings),
        valid=valid,
        embed=embed,
        action=path,
        share=None if embed else share(base_url, query, params),
        base_url=base_url,
        embed_origin=origin,
    )
    headers = {"Vary": "HX-Request, HX-Target"}
    if htmx:
        fragment = _FRAGMENTS.get(request.headers.get("hx-target", ""), _FRAGMENTS["explorer"])
        if valid and not embed:  # an embed never touches history, not even its own URL
            headers["HX-Replace-Url"] = f"{path}?{canonical}"
        elif not valid and fragment == _FRAGMENTS["panels"]:
            headers["HX-Reswap"] = "none"  # keep the last valid panels; only messages change
        return templates.TemplateResponse(request, fragment, context, headers=headers)
    page = "embed.html" if embed else "explorer.html"
    return templates.TemplateResponse(request, page, context, 200 if valid else 422, headers)


@router.api_route("/", methods=["GET", "HEAD"])
async def explorer(request: Request) -> Response:
    """Render the explorer for the state in the query string (and apply a button's edit)."""
    settings = settings_of(request)
    return _render(request, settings, None, {})


@router.api_route("/embed", methods=["GET", "HEAD"])
async def embed(request: Request) -> Response:
    """Render the explorer without site chrome, configured by its URL, for iframes."""
    settings = settings_of(request)
    options, errors = read_options(request.query_params)
    return _render(request, settings, options, errors)


@router.api_route("/guide", methods=["GET", "HEAD"])
async def guide(request: Request) -> Response:
    """Render the instructor's guide to embedding."""
    settings = settings_of(request)
    context = {
        "htmx": htmx_source(settings),
        "base_url": str(request.base_url).rstrip("/"),
    }
    return templates.TemplateResponse(request, "guide.html", context)
