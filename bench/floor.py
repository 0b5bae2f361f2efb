"""The floor for `bench/api.py`: FastAPI answering `/gradient` with fixed bytes, doing no work.

`POST /gradient` reads the request body and `GET /gradient` ignores its query string; both
answer with the bytes given at startup, as application/json: no parsing, no computation, no
serialisation. What dEdZ serves beyond that is the cost of dEdZ itself. `bench/api.py` starts
one floor per scenario, with the bytes dEdZ returned for it:

    BENCH_FLOOR_BODY=response.json .venv/bin/uvicorn --factory --app-dir bench floor:from_env
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import Response

BODY_ENV = "BENCH_FLOOR_BODY"


def create_app(body: bytes) -> FastAPI:
    """Return an app whose `/gradient` always answers `body`."""
    app = FastAPI(title="dEdZ floor")

    @app.post("/gradient")
    async def post_gradient(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    @app.get("/gradient")
    async def get_gradient() -> Response:
        return Response(body, media_type="application/json")

    return app


def from_env() -> FastAPI:
    """Return the floor for the bytes of the file named by $BENCH_FLOOR_BODY (uvicorn factory)."""
    return create_app(Path(os.environ[BODY_ENV]).read_bytes())
