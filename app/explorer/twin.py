"""`GET /explorer.json`: the JSON twin of every explorer or embed state.

The same query as the page (`/?…` or `/embed?…`), read and checked the same way, gives the
numbers every panel of that state draws: the very view models the templates receive, without
their drawing geometry. An invalid query gets a 422 whose message names each field as the URL
does (`logits[1]: …`), as the page's messages do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams
from starlette.responses import Response

from app.api.openapi import BUSY, HOST, TOO_LONG
from app.embed.options import (
    EMBED_PARAMETERS,
    EmbedOptions,
    names_for,
    read_options,
    unknown_parameters,
)
from app.explorer import panels
from app.explorer.form import check, read_draft
from app.explorer.instruments import Instruments, read_instruments
from app.explorer.page import url_name
from app.explorer.panels import predict
from app.explorer.panels.descent import replay
from app.explorer.panels.facts import facts
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult, compute
from app.service.errors import did_you_mean
from app.settings import Settings
from app.web.caching import page_headers
from app.web.deps import settings_of
from app.web.pages import rendered
from app.web.urls import Urls, join_queries

router = APIRouter(tags=["explorer"])


def _parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


TWIN_PARAMETERS = [
    _parameter("logits", "Z, comma-separated, 2 to 10 classes (default 2,1)."),
    _parameter("target", "A class index (0-based) or n probabilities (default 0)."),
    _parameter("temperature", "T (default 1)."),
    _parameter("label_smoothing", "ε (default 0)."),
    _parameter("weights", "Class weights, comma-separated (default all 1)."),
    _parameter("reduction", "mean, sum or none (default mean)."),
    _parameter("j", "The class (0-based) whose chain-rule terms are shown (default 1)."),
    _parameter("loss", "cross_entropy (default), mse or bce: the loss every panel follows."),
    _parameter("panels", "Which panels, comma-separated, as in an embed (default all)."),
    _parameter("controls", "An embed's controls: all, logits or none."),
    _parameter("theme", "auto, light or dark."),
    _parameter("mode", "explore, or predict: the answer hidden until `guess` is given."),
    _parameter("ask", "value (a number per class) or sign (raises, lowers, none)."),
    _parameter("guess", "The prediction, one per class, comma-separated (page order)."),
    _parameter("why", "The student's reason, echoed back, never stored (≤ 300 characters)."),
    _parameter("seed", "The draw of 'Try another' (a whole number)."),
    _parameter("probe", "Nudge this logit (0-based): the loss along it and its slope."),
    _parameter("h", "The nudge's step (default 0.1)."),
    _parameter("focus", "i,j (0-based): follow the path Z_j → O_i → E."),
]

# Drawing geometry (SVG coordinates, chart objects) and form echoes: not numbers of the state.
_GEOMETRY = {"chart", "map", "curve", "strip", "nodes", "edges", "width", "height", "guess_fields"}


def _plain(value: Any) -> Any:
    """Turn view models into JSON values: dataclasses and named tuples into objects, arrays
    into lists, states into their queries; geometry left out."""
    if isinstance(value, ExplorerState):
        return value.to_query()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _GEOMETRY
        }
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def twin(
    state: ExplorerState,
    result: GradientResult,
    names: tuple[str, ...],
    instruments: Instruments,
    urls: Urls,
    extra: str,
    class_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return the state, its links and every shown panel's numbers."""
    shown = panels.shown(names, instruments, state)
    built = panels.build(state, result, shown, instruments, class_names)
    body: dict[str, Any] = {
        "state": {
            "logits": list(state.logits),
            "target": state.target if isinstance(state.target, int) else list(state.target),
            "temperature": state.temperature,
            "label_smoothing": state.label_smoothing,
            "weights": None if state.weights is None else list(state.weights),
            "reduction": state.reduction,
            "j": state.j,
            "loss": state.loss,
        },
        "instruments": _plain(instruments),
        "links": {
            "page": urls.path("/", join_queries(state.to_query(), instruments.query())),
            "embed": urls.path(
                "/embed", join_queries(state.to_query(), extra, instruments.query())
            ),
            "api": urls.path("/gradient", state.api_query()),
        },
        "panels": {name: _plain(built[name]) for name in shown},
    }
    if instruments.predicting and "loss" in body["panels"]:  # the page hides its gradient line
        for key in ("grad_j", "general"):
            body["panels"]["loss"].pop(key, None)
    if "predict" in built and instruments.revealed:  # the answer stays hidden until then
        f = facts(state, result, class_names)
        verdict = built["predict"]
        body["panels"]["predict"].update(
            truth=[float(v) for v in result.ce.grad_logits[0]],
            guess=None if instruments.guess is None else list(instruments.guess),
            matched=[d.model for d in verdict.diagnoses],
            models=predict.model_values(state, result, f),
        )
    return body


class PageRefusal(BaseModel):
    """The 422 of a query the page would refuse: its messages, as the page shows them."""

    detail: str = Field(description="Every message, `name: message`, joined by `; `.")
    errors: dict[str, str] = Field(
        description="Each message by the URL's name of its field (`logits[1]`, `panels`, …)."
    )


def _json(data: Any, status: int, headers: dict[str, str]) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


@router.get(
    "/explorer.json",
    summary="The numbers of every panel of an explorer or embed state (the page's JSON twin)",
    responses={
        200: {
            "description": "The state, its links and each shown panel's numbers.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **HOST,
        **TOO_LONG,
        422: {
            "model": PageRefusal,
            "description": "A field or option the page would refuse, with the page's message.",
        },
        **BUSY,
    },
    operation_id="explorer_json_get",
    openapi_extra={"parameters": TWIN_PARAMETERS},
)
@router.head("/explorer.json", include_in_schema=False)
async def explorer_json(request: Request) -> Response:
    """Read the query as the explorer reads it (`/?…` or `/embed?…`) and return, as strict JSON,
    the numbers each of its panels draws — the view models the page's templates receive —
    including the instruments' (`mode=predict`, `probe=`, `focus=`)."""
    return await rendered(_explorer_json, request)


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    """A valid explorer or embed query: the state (after any descent), its options and
    instruments."""

    state: ExplorerState
    options: EmbedOptions
    instruments: Instruments


def read_figure(params: QueryParams, settings: Settings) -> Figure | dict[str, str]:
    """Read an explorer or embed query as the pages do, or return its messages by URL name."""
    options, errors = read_options(params)
    for name in unknown_parameters(params):
        errors[name] = "unknown parameter" + did_you_mean(name, list(EMBED_PARAMETERS))
    draft = read_draft(params)
    outcome = check(draft, settings)
    errors.update(outcome.errors)
    state = outcome.state
    instruments, instrument_errors = read_instruments(  # the URL's classes, valid or not
        params, state.n if state else draft.n, state.loss if state else "cross_entropy"
    )
    errors.update(instrument_errors)
    if state is not None:
        errors.update(names_for(options, state.n))
    if state is None or errors:
        return {url_name(key): message for key, message in errors.items()}
    if instruments.focus is not None:
        state = replace(state, j=instruments.focus[1])
    instruments = instruments.anchored(state.logits)
    if instruments.start is not None:  # the k-th step from start
        replayed = replay(state, instruments)
        if isinstance(replayed, str):
            return {"steps": replayed}
        state = replayed[0]
    return Figure(state, options, instruments)


def refusal(errors: dict[str, str], headers: dict[str, str]) -> Response:
    """Return the 422 of a query that is not a valid figure: `detail` and `errors` by name."""
    detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
    return _json({"detail": detail, "errors": errors}, 422, headers)


def _explorer_json(request: Request) -> Response:
    settings = settings_of(request)
    headers = page_headers(settings, fragments=False)
    headers["Link"] = '</docs>; rel="help"'
    figure = read_figure(request.query_params, settings)
    if not isinstance(figure, Figure):
        return refusal(figure, headers)
    state, options, instruments = figure.state, figure.options, figure.instruments
    result = compute(state.request(settings))
    body = twin(
        state, result, options.panels, instruments, Urls.of(request), options.query(), options.names
    )
    return _json(body, 200, headers)
