"""`/gradient`: the REST API, as JSON, by POST (single rows and batches) and cacheable GET."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.parsing import parse_body, parse_query
from app.rendering import gradient_json
from app.schemas import (
    SEED_EXAMPLE,
    GradientRequest,
    GradientResponse,
    MessageResponse,
    ValidationErrorResponse,
)
from app.service import compute
from app.settings import Settings

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


def get_settings(request: Request) -> Settings:
    """Return the settings of the app serving this request."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


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
async def post_gradient(request: Request, settings: SettingsDep) -> Response:
    """Compute O, E, dE/dZ (and optional matrices) for one row or a batch of logits."""
    body = await request.body()
    gradient_request = parse_body(body, settings)
    return Response(await _render(gradient_request), media_type="application/json")


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "/gradient",
    summary="The same for one row, as a pure function of the URL (cacheable)",
    response_model=GradientResponse,
    responses={**_ERRORS, 304: {"description": "Not modified (If-None-Match matched)."}},
)
async def get_gradient(
    request: Request,
    settings: SettingsDep,
    logits: Annotated[str, Query(description="Z, comma-separated: `2,1,0.1`.", examples=["2,1"])],
    target: Annotated[
        str,
        Query(
            description="A class index (0-based) such as `0`, or n probabilities `0.7,0.2,0.1`.",
            examples=["0"],
        ),
    ],
    temperature: Annotated[str | None, Query(description="T in [1e-4, 1e4] (default 1).")] = None,
    label_smoothing: Annotated[str | None, Query(description="ε in [0, 1] (default 0).")] = None,
    weights: Annotated[str | None, Query(description="n class weights, comma-separated.")] = None,
    reduction: Annotated[str | None, Query(description="mean, sum or none.")] = None,
    include: Annotated[
        str | None, Query(description="Comma-separated: jacobian, chain, check ('' for none).")
    ] = None,
) -> Response:
    """Compute the same response as POST for one row given in the query string.

    The declared parameters document the query; `parse_query` reads them all, strictly.
    """
    gradient_request = parse_query(request.query_params, settings)
    body = await _render(gradient_request)
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.cache_max_age}"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
