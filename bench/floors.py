"""Floors: apps that answer dEdZ's bytes without computing, so the gap to them is dEdZ's cost.

uvicorn factories; $BENCH_FLOOR_BODY names the file of bytes to answer (written by the script):

    BENCH_FLOOR_BODY=body.json uvicorn --factory --app-dir bench floors:gradient   # bench/api.py
    BENCH_FLOOR_BODY=panels.html uvicorn --factory --app-dir bench floors:htmx     # explorer.py
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
# The same htmx and configuration as templates/base.html, and the explorer's form attributes.
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>htmx floor</title>
  <meta name="htmx-config" content='{"historyCacheSize": 0, "allowEval": false, \
"allowScriptTags": false, "selfRequestsOnly": true, "defaultSettleDelay": 0, \
"includeIndicatorStyles": false}'>
  <script src="/static/vendor/htmx.min.js" defer></script>
</head>
<body>
  <form id="controls" action="/" method="get"
        hx-get="/" hx-target="#panels" hx-swap="outerHTML"
        hx-trigger="input changed, submit" hx-sync="this:queue last">
    <input type="number" id="z-0" name="logits" value="0" step="any">
  </form>
FRAGMENT
</body>
</html>
"""


def _body() -> bytes:
    return Path(os.environ["BENCH_FLOOR_BODY"]).read_bytes()


def gradient() -> FastAPI:
    """FastAPI answering POST (after reading the body) and GET /gradient with the bytes."""
    app, body = FastAPI(), _body()

    @app.post("/gradient")
    async def post_gradient(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    @app.get("/gradient")
    @app.get("/healthz")
    async def get_gradient() -> Response:
        return Response(body, media_type="application/json")

    return app


def htmx() -> Starlette:
    """Starlette: the fragment for every htmx request to /, else a page holding it, and htmx."""
    fragment = _body()
    page = PAGE.encode().replace(b"FRAGMENT", fragment)
    script = (ROOT / "static" / "vendor" / "htmx.min.js").read_bytes()

    async def explorer(request: Request) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(fragment, media_type="text/html")
        return Response(page, media_type="text/html")

    async def htmx_js(request: Request) -> Response:
        return Response(script, media_type="text/javascript")

    routes = [Route("/", explorer), Route("/healthz", explorer)]
    return Starlette(routes=[*routes, Route("/static/vendor/htmx.min.js", htmx_js)])
