"""`/figure.svg`, `/figure.png`, `/figure.csv`, `/figure.tex`, `/figure.py`: a figure's exports
for slides, handouts and notebooks, from the same query as the page or embed it comes from.

`panel=chain` (any shown panel) exports one panel; without it, every shown panel. `theme=`
is the embed's (`auto` exports light); `scale=1|2` sizes the PNG. Every export is computed by
the same view models as the page, so an export and the page never disagree.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from app.embed import figure as svg
from app.embed import raster, snippets
from app.embed.titles import figure_title
from app.explorer import page, panels
from app.explorer.form import draft_of
from app.explorer.twin import Figure, read_figure, refusal, twin
from app.service.compute import compute
from app.service.numbers import quoted
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.pages import rendered
from app.web.templates import templates
from app.web.urls import Urls, join_queries

router = APIRouter(include_in_schema=False)
OWN = ("panel", "scale")  # the exports' own parameters, beside the figure's
SCALES = ("1", "2")
MEDIA = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "csv": "text/csv; charset=utf-8",
    "tex": "application/x-tex; charset=utf-8",
    "py": "text/x-python; charset=utf-8",
}


def _read(request: Request) -> tuple[Figure, str | None, int] | dict[str, str]:
    params = request.query_params
    errors: dict[str, str] = {}
    for name in OWN:
        if len(params.getlist(name)) > 1:
            errors[name] = "given more than once"
    scale = params.get("scale", "1")
    if scale not in SCALES:
        errors["scale"] = f"must be 1 or 2 (the PNG's pixels per SVG unit), got {quoted(scale)}"
    figure_params = QueryParams([(k, v) for k, v in params.multi_items() if k not in OWN])
    figure = read_figure(figure_params, settings_of(request))
    if not isinstance(figure, Figure):
        return {**figure, **errors}
    panel = params.get("panel")
    names = panels.shown(figure.options.panels, figure.instruments, figure.state)
    if panel is not None and panel not in names:
        errors["panel"] = (
            f"{quoted(panel)} is not a panel of this figure; it shows {', '.join(names)}"
        )
    if errors:
        return errors
    return figure, panel, int(scale)


def _panels_html(request: Request, figure: Figure, names: tuple[str, ...]) -> tuple[str, str]:
    """Render the named panels with the page's templates; return their HTML and the title."""
    settings = settings_of(request)
    state = figure.state
    result = compute(state.request(settings))
    urls = Urls.of(request)
    context = page.context(
        form=draft_of(state),
        errors={},
        state=state,
        result=result,
        options=figure.options,
        links=page.links(urls, state, "/embed", figure.options, figure.instruments),
        share=None,
        instruments=figure.instruments,
        only=names,
    )
    context["shown"] = names
    context["urls"] = urls
    html = templates.get_template("partials/_panels.html").render(context)
    # one panel's export is titled for that panel (the chain rule, not the whole explorer)
    options = replace(figure.options, panels=names) if len(names) == 1 else figure.options
    return html, figure_title(state, options, figure.instruments)


def _theme(figure: Figure) -> str:
    return "dark" if figure.options.theme == "dark" else "light"


def _document(request: Request, figure: Figure, panel: str | None) -> str | dict[str, str]:
    names = (
        (panel,) if panel else panels.shown(figure.options.panels, figure.instruments, figure.state)
    )
    html, title = _panels_html(request, figure, names)
    charts = svg.charts_of(html)
    if not charts:
        return {"panel": f"{panel or 'this figure'} has no chart to draw; take /figure.tex"}
    description = f"{page.settings_line(figure.state)} Made with dEdZ."
    return svg.standalone(charts, _theme(figure), title, description)


def _headers(request: Request, kind: str, panel: str | None) -> dict[str, str]:
    headers = page_headers(settings_of(request), fragments=False)
    headers["Content-Type"] = MEDIA[kind]
    name = f"dedz-{panel or 'figure'}.{kind}"
    headers["Content-Disposition"] = f'inline; filename="{name}"'
    return headers


@router.api_route("/figure.svg", methods=["GET", "HEAD"])
async def figure_svg(request: Request) -> Response:
    """The figure (or `panel=`) as a standalone SVG."""
    read = _read(request)
    if isinstance(read, dict):
        return refusal(read, {})
    figure, panel, _ = read
    document = await rendered(_document, request, figure, panel)
    if isinstance(document, dict):
        return refusal(document, {})
    return Response(document, headers=_headers(request, "svg", panel))


@router.api_route("/figure.png", methods=["GET", "HEAD"])
async def figure_png(request: Request) -> Response:
    """The figure (or `panel=`) as a PNG at 1× or 2× (`scale=`), rendered from its SVG."""
    read = _read(request)
    if isinstance(read, dict):
        return refusal(read, {})
    figure, panel, scale = read
    document = await rendered(_document, request, figure, panel)
    if isinstance(document, dict):
        return refusal(document, {})
    if raster.pixels(document, scale) > raster.MAX_PIXELS:
        return refusal({"scale": f"the image would exceed {raster.MAX_PIXELS:,} pixels"}, {})
    try:
        png = await raster.rasterise(document, scale)
    except raster.BusyError:
        headers = {"Retry-After": "2"}
        busy = {"detail": "busy rendering other images; retry in a moment", "errors": {}}
        return Response(json.dumps(busy), 503, headers, media_type="application/json")
    return Response(png, headers=_headers(request, "png", panel))


def rows(body: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """Flatten explorer.json's panels into (panel, quantity, i, k, value) rows: one per number
    (i and k are 0-based positions in a list or a matrix, empty for a single number)."""
    out: list[tuple[str, str, str, str, Any]] = []

    def walk(panel: str, name: str, value: Any, index: tuple[int, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(panel, f"{name}.{key}" if name else key, item, index)
        elif isinstance(value, list):
            if len(index) >= 2 or any(isinstance(v, dict) for v in value):
                for k, item in enumerate(value):
                    walk(panel, f"{name}[{k}]", item, index)
            else:
                for k, item in enumerate(value):
                    walk(panel, name, item, (*index, k))
        elif value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            row = str(index[0]) if index else ""
            column = str(index[1]) if len(index) > 1 else ""
            out.append((panel, name, row, column, value))

    for panel, data in body["panels"].items():
        walk(panel, "", data, ())
    return out


@router.api_route("/figure.csv", methods=["GET", "HEAD"])
async def figure_csv(request: Request) -> Response:
    """Every number of the figure's panels (or of `panel=`), one row each, as explorer.json."""
    return await rendered(_csv, request)


def _csv(request: Request) -> Response:
    read = _read(request)
    if isinstance(read, dict):
        return refusal(read, {})
    figure, panel, _ = read
    settings = settings_of(request)
    result = compute(figure.state.request(settings))
    # explorer.json's own panels, in its order (the export takes one of them, or all)
    body = twin(
        figure.state,
        result,
        figure.options.panels,
        figure.instruments,
        Urls.of(request),
        "",
        figure.options.names,
    )
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("panel", "quantity", "i", "k", "value"))
    for row in rows(body):
        if panel is None or row[0] == panel:
            value = row[4]
            # empty where explorer.json has null (NaN, ±∞): never a nan or inf token
            finite = value is not None and math.isfinite(value)
            writer.writerow((*row[:4], repr(value) if finite else ""))
    return Response(text.getvalue(), headers=_headers(request, "csv", panel))


def _hidden() -> dict[str, str]:
    return {
        "mode": "the gradient is hidden while students predict or derive it; "
        "export the same query without mode="
    }


@router.api_route("/figure.tex", methods=["GET", "HEAD"])
async def figure_tex(request: Request) -> Response:
    """The loss and the dE/dZ_j derivation in LaTeX, with the state's numbers."""
    return await rendered(_tex, request)


def _tex(request: Request) -> Response:
    read = _read(request)
    if isinstance(read, dict):
        return refusal(read, {})
    figure, panel, _ = read
    if figure.instruments.predicting:
        return refusal(_hidden(), {})
    result = compute(figure.state.request(settings_of(request)))
    text = snippets.latex(figure.state, result, figure.options.names)
    return Response(text, headers=_headers(request, "tex", panel))


@router.api_route("/figure.py", methods=["GET", "HEAD"])
async def figure_py(request: Request) -> Response:
    """A runnable PyTorch snippet that reproduces the figure's numbers."""
    return await rendered(_py, request)


def _py(request: Request) -> Response:
    read = _read(request)
    if isinstance(read, dict):
        return refusal(read, {})
    figure, panel, _ = read
    if figure.instruments.predicting:
        return refusal(_hidden(), {})
    result = compute(figure.state.request(settings_of(request)))
    text = snippets.pytorch(figure.state, result, figure.options.names)
    return Response(text, headers=_headers(request, "py", panel))


FORMATS = {  # the export form's choices: format → (extension, extra query)
    "svg": ("svg", ""),
    "png": ("png", ""),
    "png2": ("png", "scale=2"),
    "csv": ("csv", ""),
    "tex": ("tex", ""),
    "py": ("py", ""),
}
FORMAT_TITLES = (
    ("svg", "SVG (for slides)"),
    ("png", "PNG"),
    ("png2", "PNG at 2×"),
    ("csv", "CSV (every number)"),
    ("tex", "LaTeX"),
    ("py", "PyTorch snippet"),
)


@router.api_route("/figure", methods=["GET", "HEAD"])
async def figure_form(request: Request) -> Response:
    """The share panel's export form: `query` (the figure's), `panel`, `format` → a 303 to the
    export itself, which checks the figure's query."""
    params = request.query_params
    errors: dict[str, str] = {}
    kind = params.get("format", "svg")
    if kind not in FORMATS:
        errors["format"] = f"must be one of {', '.join(FORMATS)}, got {quoted(kind)}"
    for name in ("query", "panel", "format"):
        if len(params.getlist(name)) > 1:
            errors[name] = "given more than once"
    unknown = [k for k in params if k not in ("query", "panel", "format")]
    for name in unknown:
        errors[name] = "unknown parameter; expected query, panel, format"
    if errors:
        return refusal(errors, {})
    extension, extra = FORMATS[kind]
    panel = params.get("panel", "")
    query = join_queries(params.get("query", ""), f"panel={quote(panel)}" if panel else "", extra)
    return RedirectResponse(Urls.of(request).path(f"/figure.{extension}", query), status_code=303)
