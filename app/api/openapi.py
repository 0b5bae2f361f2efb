"""The API's documentation: the OpenAPI text, examples, parameters and error models."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from app.service.models import SEED_EXAMPLE, GradientRequest
from app.service.numbers import NUMBER_PATTERN
from app.service.values import MAX_PARTS, MAX_TEMPERATURE, MIN_TEMPERATURE
from app.settings import Settings

DESCRIPTION = """\
Softmax + cross-entropy, with every derivative: O = softmax(Z/T), the loss E,
dE/dZ, dE/dO, the Jacobian dO/dZ and the chain-rule terms dE/dO_i · dO_i/dZ_j,
with the semantics of PyTorch's `F.cross_entropy` computed in float64, more precisely
where the top probability rounds to 1.

Class indices are 0-based, as in PyTorch (the explorer's Z1, O1 … are 1-based).
Non-finite inputs are refused with 422; the output is strict JSON, and dE/dO_i is `null`
where it is infinite: where O_i underflows to 0 or is so small that c_i/O_i overflows (−∞).

Encodings: JSON by default; `Accept: application/x-npz` or `application/x-safetensors` gets
the same arrays as float64 (what JSON writes as `null` is −∞, bce's ±∞, or NaN there), a
binary type named in `Accept` winning a tie of q-values with JSON. Limits: a POST body of at
most 8 MiB (`DEDZ_MAX_BODY_BYTES`; larger: 413), a GET query of at most 64,000 bytes (longer:
414, so long arrays go by POST). K-dimensional logits (N, C, d1, …, dK) take cross-entropy
only, and `include` `check` but not `jacobian` or `chain`. Every 4xx names the field and the
limit it broke.
"""


class ErrorDetail(BaseModel):
    """One thing wrong with a request."""

    loc: list[str | int] = Field(description="Where: 'body' or 'query', then the field.")
    msg: str = Field(description="What is wrong, starting with the field's name.")
    type: str


class ValidationErrorResponse(BaseModel):
    """The 422 body: every problem found."""

    detail: list[ErrorDetail]


class MessageResponse(BaseModel):
    """A 4xx body with a single message."""

    detail: str


Responses = dict[int | str, dict[str, Any]]

_INVALID: Responses = {
    422: {
        "model": ValidationErrorResponse,
        "description": "A field is invalid or over a limit; each message names the field.",
    },
}
# What the server in front of every route may answer (app/web/limits.py, app/web/protocol.py).
_BUSY: Responses = {
    503: {
        "description": (
            "Busy: too many connections from this address, or too many large answers under way "
            "(JSON, with Retry-After); or the server at its concurrency limit (plain text)."
        )
    }
}

# The binary encodings of the same answer, chosen by Accept.
BINARY: Responses = {
    200: {
        "description": (
            "The answer: JSON by default. With `Accept: application/x-npz`, a NumPy .npz "
            "archive of the same fields as little-endian arrays (nested fields named "
            "`check.grad_logits`; dE/dO's −∞ and an undefined loss stay −∞ and NaN); read it "
            "with `numpy.load(io.BytesIO(body))`. With `Accept: application/x-safetensors`, the "
            "same arrays in the safetensors format (8-byte little-endian header length, a JSON "
            "header of dtype, shape and data_offsets, then the raw arrays; `loss_undefined` in "
            "`__metadata__`): no formatting at all, the quickest for large answers; read it "
            "with `safetensors.numpy.load(body)` (or `safetensors.torch.load`). Numbers are "
            "float64, check's flags booleans; parts not asked for are absent. `Accept` chooses "
            "by q-value (a tie between the binary ones goes to .npz); an Accept that admits none "
            "of the three (not even with */*) gets 406."
        ),
        "content": {
            "application/x-npz": {"schema": {"type": "string", "format": "binary"}},
            "application/x-safetensors": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
# Both: an Accept that admits none of the encodings.
NOT_ACCEPTABLE: Responses = {
    406: {
        "model": MessageResponse,
        "description": "Accept admits none of application/json, application/x-npz and "
        "application/x-safetensors.",
    }
}
# POST /gradient: its body can be malformed, too large or too slow.
POST_RESPONSES: Responses = {
    **BINARY,
    400: {
        "model": MessageResponse,
        "description": "The body is not valid JSON, a query string came with it (POST takes its "
        "fields in the body), or the Host is not one this server serves.",
    },
    **NOT_ACCEPTABLE,
    408: {"model": MessageResponse, "description": "The body stalled longer than the timeout."},
    413: {"model": MessageResponse, "description": "The body is larger than the limit."},
    415: {
        "model": MessageResponse,
        "description": "The body came compressed (Content-Encoding): it is read as sent.",
        "headers": {"Accept-Encoding": {"schema": {"type": "string"}, "description": "identity"}},
    },
    **_INVALID,
    **_BUSY,
}
# Every route but /healthz: the Host header must be one this server answers for.
HOST: Responses = {
    400: {
        "model": MessageResponse,
        "description": "The Host header is not one this server answers for (DEDZ_ALLOWED_HOSTS).",
    }
}
TOO_LONG: Responses = {
    414: {"model": MessageResponse, "description": "The query string is longer than the limit."}
}
# GET /gradient: everything is in the URL.
_CACHED = {
    "ETag": {
        "description": "Strong; the same for every spelling of the same request and encoding.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "public, max-age=…", "schema": {"type": "string"}},
    "Vary": {"description": "Accept", "schema": {"type": "string"}},
}
GET_RESPONSES: Responses = {
    200: {**BINARY[200], "headers": _CACHED},
    304: {"description": "Not modified (If-None-Match matched): no body.", "headers": _CACHED},
    **HOST,
    **NOT_ACCEPTABLE,
    **TOO_LONG,
    **_INVALID,
    **_BUSY,
}
INVALID = _INVALID
BUSY = _BUSY  # for the other routes

POST_EXTRA: dict[str, Any] = {
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
}


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


# Enums with names, so that generated clients get `Reduction` and `Part` types.
NAMED_ENUMS: dict[str, dict[str, Any]] = {
    "Reduction": {
        "type": "string",
        "enum": ["mean", "sum", "none"],
        "title": "Reduction",
        "description": "How row losses combine, as PyTorch's `reduction`.",
    },
    "Loss": {
        "type": "string",
        "enum": ["cross_entropy", "mse", "bce"],
        "title": "Loss",
        "description": "Which loss: cross-entropy (the default), mse or bce, as PyTorch's.",
    },
    "Part": {
        "type": "string",
        "enum": ["jacobian", "chain", "check"],
        "title": "Part",
        "description": "An optional output of `/gradient`.",
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# Documented here and read by `parse_query`, strictly, rather than declared as FastAPI
# parameters: one parser for the query form, and no second validation pass per request.
QUERY_PARAMETERS = [
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
    _query_parameter("reduction", "How row losses combine (default mean).", _ref("Reduction")),
    _query_parameter("loss", "cross_entropy (default), mse or bce.", _ref("Loss")),
    _query_parameter(
        "ignore_index",
        "Class index whose rows contribute nothing (default -100, as in PyTorch).",
        {"type": "integer"},
    ),
    _query_parameter(
        "include",
        "Comma-separated optional outputs (`include=` for none; default: see POST).",
        {"type": "string", "pattern": f"^({_PART}(,{_PART}){{0,{MAX_PARTS - 1}}})?$"},
    ),
]


def request_json_schema(settings: Settings) -> dict[str, Any]:
    """Return the JSON schema of `GradientRequest` with this server's limits filled in."""
    schema = GradientRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    properties = schema["properties"]
    reduction = properties["reduction"]
    properties["reduction"] = {
        **_ref("Reduction"),
        "default": reduction["default"],
        "description": reduction["description"],
    }
    properties["include"]["anyOf"][0]["items"] = _ref("Part")
    loss = properties["loss"]
    properties["loss"] = {
        **_ref("Loss"),
        "default": loss["default"],
        "description": loss["description"],
    }
    logits = schema["properties"]["logits"]
    row, batch, *_ = logits["anyOf"]
    row["maxItems"] = batch["items"]["maxItems"] = settings.max_classes
    batch["maxItems"] = settings.max_batch_elements  # n may be 1: B ≤ B·n
    logits["description"] += (
        f" Limits: n ≤ {settings.max_classes:,} and B·n ≤ {settings.max_batch_elements:,}."
    )
    schema["properties"]["include"]["description"] += (
        f" Matrix limit: B·n² ≤ {settings.max_matrix_elements:,}."
    )
    return schema


def openapi_document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """Build the OpenAPI document once, with the request schema and this server's limits."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema["components"]["schemas"]["GradientRequest"] = request_json_schema(settings)
        schema["components"]["schemas"].update(NAMED_ENUMS)
        app.openapi_schema = schema
    return app.openapi_schema
