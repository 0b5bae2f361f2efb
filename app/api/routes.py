"""`/gradient`: the REST API, as JSON, by POST (single rows and batches) and cacheable GET."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app.api.large import PartsResponse, StallingStream, Turns, busy
from app.api.negotiation import JSON_MEDIA_TYPE, encoding
from app.api.openapi import GET_RESPONSES, POST_EXTRA, POST_RESPONSES, QUERY_PARAMETERS
from app.api.serialise import (
    NPZ_MEDIA_TYPE,
    STREAM_ENTRIES,
    entries,
    gradient_chunks,
    gradient_json,
    gradient_npz,
    gradient_safetensors,
)
from app.service.compute import GradientResult, compute
from app.service.models import GradientRequest
from app.service.numbers import quoted
from app.service.responses import GradientResponse
from app.service.validation import parse_body, parse_query
from app.web.deps import settings_of

router = APIRouter(tags=["gradient"])

# Below this many array entries the computation takes microseconds: run it on the event loop
# rather than paying for a hop to the thread pool.
_INLINE_WORK = 50_000
INLINE_BODY = 64 * 1024
# A POST's fields are its body's; a query string beside it would be silently ignored.
QUERY_ON_POST = (
    "query: POST /gradient takes its fields in the JSON body, not the query string "
    "(GET /gradient takes them in the query)"
)


def is_small(request: GradientRequest) -> bool:
    """Tell whether a request's answer takes microseconds: computed on the event loop rather
    than in a thread, in turn with the other large answers."""
    size = int(request.logits.size)
    return (size * request.logits.shape[-1] if request.include else size) <= _INLINE_WORK


def _binary(result: GradientResult, media_type: str) -> list[bytes | memoryview]:
    """The answer in a binary encoding, as parts that view the result's own arrays."""
    if media_type == NPZ_MEDIA_TYPE:
        return gradient_npz(result)
    return gradient_safetensors(result)


async def _answer(
    http: Request,
    request: GradientRequest,
    headers: dict[str, str] | None = None,
    media_type: str = JSON_MEDIA_TYPE,
) -> Response:
    """Compute and write the answer: inline when small; else in a thread, in turn with the
    other large answers, and streamed when it is very large (binary answers always: they are
    sent from their arrays' own memory)."""
    if is_small(request):
        result = compute(request)
        if media_type != JSON_MEDIA_TYPE:
            body = b"".join(_binary(result, media_type))
            return Response(body, media_type=media_type, headers=headers)
        return Response(gradient_json(result), media_type=media_type, headers=headers)
    settings = settings_of(http)
    turns: Turns = http.app.state.large_answers
    if not await turns.take(settings.body_timeout):
        return busy(turns.limit)
    streaming = False
    try:
        result = await run_in_threadpool(compute, request)
        if media_type != JSON_MEDIA_TYPE:  # sent from the arrays' own memory
            # in a thread: the .npz's CRC-32s take a pass over the arrays
            parts = await run_in_threadpool(_binary, result, media_type)
            del result
            streaming = True  # the response gives the turn back when it is done
            return PartsResponse(
                parts,
                timeout=settings.send_timeout,
                done=turns.give_back,
                headers=headers or {},
                media_type=media_type,
            )
        if entries(result) <= STREAM_ENTRIES:
            body = await run_in_threadpool(gradient_json, result)
            return Response(body, media_type=media_type, headers=headers)
        streaming = True  # the stream gives the turn back when it is done
        return StallingStream(
            _stream(result), timeout=settings.send_timeout, done=turns.give_back, headers=headers
        )
    finally:
        if not streaming:
            turns.give_back()


async def _stream(result: GradientResult) -> AsyncIterator[bytes]:
    """Yield the answer's chunks, each written in a thread; when done, or when the client has
    gone (the stream is cancelled), free the arrays (Turns gives the memory back)."""
    chunks = gradient_chunks(result)
    del result  # the generator holds what it still needs
    try:
        while (chunk := await run_in_threadpool(next, chunks, None)) is not None:
            yield chunk
    finally:
        chunks.close()
        del chunks


@router.post(
    "/gradient",
    summary="Loss, gradient, Jacobian and chain-rule terms of softmax + cross-entropy",
    response_model=GradientResponse,
    responses=POST_RESPONSES,
    openapi_extra=POST_EXTRA,
    operation_id="gradient_post",
)
async def post_gradient(request: Request) -> Response:
    """Compute O, E, dE/dZ (and optional matrices) for one row or a batch of logits."""
    if request.url.query:
        raise HTTPException(400, QUERY_ON_POST)
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding != "identity":  # RFC 9110 §15.5.16: 415, saying which coding is read
        raise HTTPException(
            415,
            f"content-encoding: the body is read as sent (identity), got {quoted(coding, 40)}",
            headers={"Accept-Encoding": "identity"},
        )
    media_type = encoding(request.headers.getlist("accept"))
    body = await request.body()
    settings = settings_of(request)
    if len(body) <= INLINE_BODY:
        gradient_request = parse_body(body, settings)
    else:  # parsing megabytes of JSON takes milliseconds: not on the event loop
        gradient_request = await run_in_threadpool(parse_body, body, settings)
    return await _answer(request, gradient_request, {"Vary": "Accept"}, media_type)


# What a response depends on besides its request: the code that computes and writes it.
_CODE = hashlib.blake2b(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parents[1].glob("*/*.py"))),
    digest_size=8,
).digest()


_FLOATS = struct.Struct("<dd")


def etag_of(request: GradientRequest, media_type: str) -> str:
    """Return the strong ETag of a request's response, without computing the response: a hash
    of the code, the options, and each array's type, shape and bytes (each array's length is
    known from the type and shape before it, so no two requests write the same stream)."""
    h = hashlib.blake2b(_CODE, digest_size=16)
    options = (media_type, request.layout, request.reduction, request.ignore_index)
    h.update(f"{options}{request.include}{request.loss}|".encode())
    h.update(_FLOATS.pack(request.temperature, request.label_smoothing))
    for value in (request.logits, request.target, request.weights):
        if value is None:
            h.update(b"-")
        else:
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(value.tobytes())
    return f'"{h.hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "/gradient",
    summary="The same for one row, as a pure function of the URL (cacheable)",
    response_model=GradientResponse,
    responses=GET_RESPONSES,
    openapi_extra={"parameters": QUERY_PARAMETERS},
    operation_id="gradient_get",
)
@router.head("/gradient", include_in_schema=False)
async def get_gradient(request: Request) -> Response:
    """Compute the same response as POST for one row given in the query string."""
    settings = settings_of(request)
    media_type = encoding(request.headers.getlist("accept"))  # first, as POST does
    gradient_request = parse_query(request.query_params, settings)
    etag = etag_of(gradient_request, media_type)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.cache_max_age}",
        "Vary": "Accept",
    }
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)  # nothing computed
    return await _answer(request, gradient_request, headers, media_type)
