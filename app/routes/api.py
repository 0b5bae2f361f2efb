"""`/gradient`: the REST API, as JSON, by POST (single rows and batches) and cacheable GET."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.numbers import NUMBER_PATTERN
from app.parsing import parse_body, parse_query
from app.rendering import gradient_json
from app.routes import settings_of
from app.schemas import (
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    SEED_EXAMPLE,
    GradientRequest,
    GradientResponse,
    MessageResponse,
    ValidationErrorResponse,
)
from app.service import compute

router = APIRouter(tags=["gradient"])

# Below this many array entries the computation takes microseconds: run it on the event loop
# rather than paying for a hop to the thread pool.
_INLINE_WORK = 50_000

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": MessageResponse, "description": "The body is not valid JSON."},
    413: {"model": MessageResponse, "description": "The body is larger than the limit."},
    422: {
        "model": ValidationErrorResponse,
        "description": "A field is invalid or over a limit; each message names the field.",
    },
}


def _work(request: GradientRequest) -> int:
    size = int(request.logits.size)
    return size * request.logits.shape[-1] if request.include else size


async def _render(request: GradientRequest) -> bytes:
    if _work(request) <= _INLINE_WORK:
        return gradient_json(compute(request))
    return await run_in_threadpool(lambda: gradient_json(compute(request)))


@router.post(
    "/gradient",
    summary="Loss, gradient, Jacobian and chain-rule terms of softmax + cross-entropy",
    response_model=GradientResponse,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/GradientRequest"},
                    "examples": {
                        "seed": {
                            "summary": "Two neurons, Y1 = 1: dE/dZ = (O1 − 1, O2)",
                            "value": SEED_EXAMPLE,
                        },
                        "batch": {
                            "summary": "A batch with soft labels and label smoothing",
                            "value": {
                                "logits": [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]],
                                "target": [[0.7, 0.2, 0.1], [0.0, 1.0, 0.0]],
                                "label_smoothing": 0.1,
                                "include": ["jacobian", "chain", "check"],
                            },
                        },
                    },
                }
            },
        }
    },
)
async def post_gradient(request: Request) -> Response:
    """Compute O, E, dE/dZ (and optional matrices) for one row or a batch of logits."""
    body = await request.body()
    gradient_request = parse_body(body, settings_of(request))
    return Response(await _render(gradient_request), media_type="application/json")


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


# A query value as `parse_query` reads it: decimals, comma-separated, spaces allowed around.
_NUMBER = f" *{NUMBER_PATTERN} *"
_NUMBERS = f"^{_NUMBER}(,{_NUMBER})*$"
_PART = " *(jacobian|chain|check) *"


def _query_parameter(
    name: str, description: str, schema: dict[str, Any], example: str | None = None
) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": name in ("logits", "target"),
        "description": description,
        "schema": schema,
    }
    if example is not None:
        parameter["example"] = example
    return parameter


# Documented here and read by `parse_query`, strictly, rather than declared as FastAPI
# parameters: one parser for the query form, and no second validation pass per request.
_QUERY_PARAMETERS = [
    _query_parameter(
        "logits",
        "Z, comma-separated decimals: `2,1,0.1`.",
        {"type": "string", "pattern": _NUMBERS},
        "2,1",
    ),
    _query_parameter(
        "target",
        "A class index (0-based) such as `0`, or n probabilities `0.7,0.2,0.1`.",
        {"type": "string", "pattern": _NUMBERS},
        "0",
    ),
    _query_parameter(
        "temperature",
        "T (default 1).",
        {"type": "number", "minimum": MIN_TEMPERATURE, "maximum": MAX_TEMPERATURE},
    ),
    _query_parameter(
        "label_smoothing", "ε (default 0).", {"type": "number", "minimum": 0, "maximum": 1}
    ),
    _query_parameter(
        "weights",
        "n class weights, comma-separated (default: all 1).",
        {"type": "string", "pattern": f"^({_NUMBERS[1:-1]})?$"},
    ),
    _query_parameter(
        "reduction", "How row losses combine.", {"type": "string", "enum": ["mean", "sum", "none"]}
    ),
    _query_parameter(
        "include",
        "Comma-separated optional outputs (`include=` for none; default: see POST).",
        {"type": "string", "pattern": f"^({_PART}(,{_PART})*)?$"},
    ),
]


@router.get(
    "/gradient",
    summary="The same for one row, as a pure function of the URL (cacheable)",
    response_model=GradientResponse,
    responses={**_ERRORS, 304: {"description": "Not modified (If-None-Match matched)."}},
    openapi_extra={"parameters": _QUERY_PARAMETERS},
)
async def get_gradient(request: Request) -> Response:
    """Compute the same response as POST for one row given in the query string."""
    settings = settings_of(request)
    gradient_request = parse_query(request.query_params, settings)
    body = await _render(gradient_request)
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.cache_max_age}"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
