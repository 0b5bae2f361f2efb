"""The lean lane: the commonest `/gradient` requests answered without the framework's layers.

A small POST of plain logits and class indices (or a GET `?logits=…&target=k`) is most of what
tool builders send, and at n = 10 the framework around the answer (routing, request objects,
four middlewares, pydantic) cost three times the answer itself. This ASGI layer sits in front of
all of them and answers such a request itself, with exactly the status, headers and bytes the
app would send (tests/api/test_lane.py compares them on a corpus): the same quick reading
(`app.service.quick`), computation, serialiser, ETag and headers. Anything else — another
method, path, header, encoding or field, a body in parts or late, a bad value, an error to word —
goes on to the app untouched (the body handed over as received), so every message and limit
stays the app's own. The docs and the OpenAPI document know nothing of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.routes import INLINE_BODY, etag_of, is_small
from app.api.serialise import gradient_json
from app.service.compute import compute
from app.service.models import GradientRequest
from app.service.quick import quick_body, quick_query
from app.settings import Settings
from app.web.limits import host_of

# How long the lane waits for a small body that did not come with its headers before it hands
# the request over to the app (whose own limits then apply): bodies of a few kB arrive at once.
BODY_GRACE = 0.05
_JSON = (b"content-type", b"application/json")
_VARY = (b"vary", b"Accept")
# Request headers after which the app must answer: another encoding, a conditional request,
# a body sent in chunks or after an interim 100 response, or compressed.
_HAND_OVER = {b"if-none-match", b"transfer-encoding", b"expect", b"content-encoding"}
# The Accept values that certainly choose JSON, as clients send them (httpx, requests, curl
# and fetch: */*; axios the last). Any other, a binary encoding or a 406, the app negotiates.
_JSON_ACCEPTS = {b"*/*", b"application/json", b"application/json, text/plain, */*"}


class FastLane:
    """Answer plain small `/gradient` requests as the app would; pass the rest to the app."""

    def __init__(
        self, app: ASGIApp, settings: Settings, headers: list[tuple[bytes, bytes]]
    ) -> None:
        self.app = app
        self.settings = settings
        self.headers = headers  # what the middlewares add to every answer (CORS, security)
        self.hosts = settings.trusted_hosts()
        self.max_body = min(INLINE_BODY, settings.max_body_bytes)
        self.cache_control = (
            b"cache-control",
            f"public, max-age={settings.cache_max_age}".encode(),
        )
        self.waits = BodyWaits(BODY_GRACE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/gradient":
            method = scope["method"]
            if method == "POST" and not scope["query_string"]:
                await self._post(scope, receive, send)
                return
            if method == "GET":
                await self._get(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def expected_body(self, scope: Scope) -> int | None:
        """Return the length of the body to wait for if the request's method, path and headers
        are ones the lane answers (its body or query decide the rest), else None: what the
        server's protocol asks before it holds a request back to answer it at once
        (app.web.protocol)."""
        if scope["path"] != "/gradient":
            return None
        method = scope["method"]
        length = self._plain(scope)
        if method == "POST" and not scope["query_string"]:
            return length if length is not None and 0 < length <= self.max_body else None
        return 0 if method == "GET" and length == 0 else None

    def reply(self, scope: Scope, body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """Return the headers and body of the 200 the app would send for a request whose
        `expected_body` came whole, or None if the app must answer it."""
        if scope["method"] == "POST":
            answer = _answer(quick_body, body, self.settings)
            return None if answer is None else (self._headers([_VARY], answer[1]), answer[1])
        query = scope["query_string"]
        if len(query) > 4096:  # a short query only
            return None
        answer = _answer(quick_query, query, self.settings)
        if answer is None:
            return None
        request, data = answer
        tag = etag_of(request, "application/json").encode()
        return self._headers([(b"etag", tag), self.cache_control, _VARY], data), data

    def _plain(self, scope: Scope) -> int | None:
        """Return the body's declared length (0 if none) if the lane may answer, else None."""
        length = 0
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or len(value) > 7:
                    return None
                length = int(value)
            elif name in _HAND_OVER or (name == b"accept" and value not in _JSON_ACCEPTS):
                return None
        if self.hosts is not None and host_of(scope) not in self.hosts:
            return None
        return length

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = self.expected_body(scope)
        if length is None:
            await self.app(scope, receive, send)
            return
        try:
            message = await self.waits.receive(receive)
        except TimeoutError:  # nothing taken from the stream: the app reads the body itself
            await self.app(scope, receive, send)
            return
        body = message.get("body", b"")
        reply = None
        if (
            message["type"] == "http.request"
            and not message.get("more_body")
            and len(body) == length
        ):
            reply = self.reply(scope, body)
        if reply is None:
            await self.app(scope, _replay(message, receive), send)
            return
        await _send(*reply, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = self.reply(scope, b"") if self.expected_body(scope) == 0 else None
        if reply is None:
            await self.app(scope, receive, send)
            return
        await _send(*reply, send)

    def _headers(
        self, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> list[tuple[bytes, bytes]]:
        return [*headers, (b"content-length", b"%d" % len(body)), _JSON, *self.headers]


async def _send(headers: list[tuple[bytes, bytes]], body: bytes, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _answer(
    read: Callable[[bytes, Settings], GradientRequest | None], data: bytes, settings: Settings
) -> tuple[GradientRequest, bytes] | None:
    """Read a request quickly and return it with its JSON answer; None if there is none to give
    here (an unexpected failure included: the app then answers, and reports it, as it would)."""
    try:
        request = read(data, settings)
        if request is None or not is_small(request):  # large answers take their turn
            return None
        return request, gradient_json(compute(request))
    except Exception:
        return None


class BodyWaits:
    """Receive with a time limit, as `asyncio.timeout` does, for a fifth of its cost.

    A body that came with its headers is there at once and costs no timer at all; the others
    are timed together, by one sweep every `grace` seconds while any waits (asyncio.timeout
    schedules, and cancels, a timer per request: 5 µs, a tenth of a whole answer).
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.deadlines: dict[asyncio.Task[object], float] = {}
        self.expired: set[asyncio.Task[object]] = set()
        self.sweeping: asyncio.AbstractEventLoop | None = None  # the loop a sweep is due on

    async def receive(self, receive: Receive) -> Message:
        """Return `receive()`'s message, or raise TimeoutError after `grace` seconds (nothing
        is then taken from the stream: a cancelled receive keeps what it had not returned)."""
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        self.deadlines[task] = loop.time() + self.grace
        if self.sweeping is not loop:
            self.sweeping = loop
            loop.call_later(self.grace, self._sweep, loop)
        try:
            return await receive()
        except asyncio.CancelledError:
            if task not in self.expired:
                raise  # cancelled by someone else: not ours to absorb
            self.expired.discard(task)
            task.uncancel()
            raise TimeoutError from None
        finally:
            self.deadlines.pop(task, None)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for task, deadline in list(self.deadlines.items()):
            if deadline <= now and task not in self.expired:
                self.expired.add(task)
                del self.deadlines[task]
                task.cancel()
        self.sweeping = loop if self.deadlines else None
        if self.sweeping:
            loop.call_later(self.grace / 2, self._sweep, loop)


def _replay(first: Message, receive: Receive) -> Receive:
    """Return a receive that gives `first` again, then reads on from `receive`."""
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
