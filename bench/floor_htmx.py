"""The floor for `bench/explorer.py`: the least an htmx page can do to answer an edit.

Starlette serves three things and does no other work:

* `GET /` without `HX-Request`: a minimal page that loads the same htmx (the copy in
  static/vendor/) with the same `htmx-config` meta as templates/base.html, a form with one
  number input (`#z-0`, name `logits`) and the same hx attributes as the explorer's
  `#controls`, and the fragment given at startup, so that `#panels` and every element the
  fragment swaps out of band (by id) exist on the page as they do on ours;
* `GET /` with `HX-Request: true`: the fragment given at startup, byte for byte, whatever the
  query string: no parsing, no computation, no template;
* `GET /static/vendor/htmx.min.js`: the htmx file itself.

What dEdZ costs beyond this floor (in the server and in the browser) is the cost of dEdZ.
`bench/explorer.py` starts it with the bytes dEdZ returned for the benchmarked state:

    BENCH_HTMX_FRAGMENT=fragment.html .venv/bin/uvicorn --factory --app-dir bench \\
        floor_htmx:from_env
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FRAGMENT_ENV = "BENCH_HTMX_FRAGMENT"
ROOT = Path(__file__).resolve().parents[1]
HTMX_JS = ROOT / "static" / "vendor" / "htmx.min.js"

# The same configuration as templates/base.html.
HTMX_CONFIG = (
    '{"historyCacheSize": 0, "allowEval": false, "allowScriptTags": false, '
    '"selfRequestsOnly": true, "defaultSettleDelay": 0, "includeIndicatorStyles": false}'
)

_PAGE_HEAD = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>htmx floor</title>
  <meta name="htmx-config" content='{HTMX_CONFIG}'>
  <script src="/static/vendor/htmx.min.js" defer></script>
</head>
<body>
  <form id="controls" action="/" method="get"
        hx-get="/" hx-target="#panels" hx-swap="outerHTML"
        hx-trigger="input changed, submit" hx-sync="this:queue last">
    <input type="number" id="z-0" name="logits" value="0" step="any">
  </form>
"""
_PAGE_TAIL = "\n</body>\n</html>\n"


def create_app(fragment: bytes) -> Starlette:
    """Return the floor app, whose htmx requests are all answered with `fragment`."""
    page = _PAGE_HEAD.encode() + fragment + _PAGE_TAIL.encode()
    htmx_js = HTMX_JS.read_bytes()

    async def explorer(request: Request) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(fragment, media_type="text/html")
        return Response(page, media_type="text/html")

    async def htmx(request: Request) -> Response:
        return Response(htmx_js, media_type="text/javascript")

    return Starlette(
        routes=[Route("/", explorer), Route("/static/vendor/htmx.min.js", htmx)],
    )


def from_env() -> Starlette:
    """Return the floor for the fragment in the file named by $BENCH_HTMX_FRAGMENT (factory)."""
    return create_app(Path(os.environ[FRAGMENT_ENV]).read_bytes())
