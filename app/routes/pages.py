"""`/`: the explorer, as a full page or as the fragments htmx asks for."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from app.explorer import SEED_QUERY, Outcome, apply, check, page_query, read_draft
from app.routes.api import SettingsDep
from app.service import compute
from app.templating import htmx_source, templates
from app.views import page_context

router = APIRouter(include_in_schema=False)

# htmx asks for one of these by the id of the element it will swap.
_FRAGMENTS = {"panels": "partials/_panels_update.html", "explorer": "partials/_explorer.html"}


def _last_valid(outcome: Outcome, last: str | None, request: Request) -> tuple[Outcome, str]:
    """Return the state the panels should show: this one if valid, else the last valid one."""
    if outcome.request is not None:
        return outcome, page_query(outcome.draft)
    settings = request.app.state.settings
    for query in (last, SEED_QUERY):
        if query:
            previous = check(read_draft(QueryParams(query)), settings)
            if previous.request is not None:
                return previous, page_query(previous.draft)
    raise AssertionError("the seed state is valid")


@router.get("/")
async def explorer(request: Request, settings: SettingsDep) -> Response:
    """Render the explorer for the state in the query string (and apply a button's edit)."""
    params = request.query_params
    draft = apply(read_draft(params), params.get("op"))
    outcome = check(draft, settings)
    htmx = request.headers.get("hx-request") == "true"
    shown, query = _last_valid(outcome, params.get("last"), request)
    if not htmx and outcome.request is not None and params and request.url.query != query:
        return RedirectResponse(f"/?{query}", status_code=303)
    assert shown.request is not None
    context = page_context(draft, compute(shown.request), outcome.errors, query)
    context["htmx"] = htmx_source(settings)
    headers = {"Vary": "HX-Request, HX-Target"}
    if htmx:
        fragment = _FRAGMENTS.get(request.headers.get("hx-target", ""), _FRAGMENTS["explorer"])
        if outcome.request is not None:
            headers["HX-Replace-Url"] = f"/?{query}"
        elif fragment == _FRAGMENTS["panels"]:
            headers["HX-Reswap"] = "none"  # keep the last valid panels; only messages change
        context["valid"] = outcome.request is not None
        return templates.TemplateResponse(request, fragment, context, headers=headers)
    status = 200 if outcome.request is not None else 422
    return templates.TemplateResponse(request, "explorer.html", context, status, headers)
