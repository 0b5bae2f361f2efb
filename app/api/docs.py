"""`/docs`: Swagger UI for the API, served first-party (pinned, integrity-checked, same CSP)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.web.assets import SWAGGER_DIR, SWAGGER_FILES, SWAGGER_VERSION
from app.web.templates import ROOT, templates
from app.web.urls import Urls

router = APIRouter(include_in_schema=False)


def swagger_present() -> bool:
    """Tell whether `make vendor` has fetched Swagger UI's files."""
    return all((ROOT / SWAGGER_DIR / name).is_file() for name in SWAGGER_FILES)


@router.api_route("/docs", methods=["GET", "HEAD"])
async def docs(request: Request) -> Response:
    """Render the interactive API documentation (or say how to get it, with the schema link)."""
    urls = Urls.of(request)
    context = {
        "urls": urls,
        "present": swagger_present(),
        "version": SWAGGER_VERSION,
        "sri": SWAGGER_FILES,
        "vendor": SWAGGER_DIR.removeprefix("static/"),
    }
    return templates.TemplateResponse(request, "docs.html", context)
