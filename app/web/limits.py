"""ASGI middleware that bounds a request before the app sees it: body size and time, host, and
query length."""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from app.web.memory import release_memory

# A request whose body was larger than this gives the heap back when it is done: forty
# concurrent 8 MiB bodies (read whole, then refused) left a worker 330 MB larger after them.
RELEASE_AFTER = 1 << 20


class BodyTooLargeError(Exception):
    """The request body passed the cap while it was being received."""


class BodyTooSlowError(Exception):
    """The request body did not arrive within the time allowed."""


def rate_deadline(start: float, timeout: float, received: int, min_rate: int) -> float:
    """Return when a body that began at `start` falls below the least average rate: after
    `timeout` seconds of grace, each second must have brought `min_rate` bytes on average.
    (As Kestrel's MinRequestBodyDataRate: a steady upload is never cut, a dribble is.)"""
    return start + timeout + received / min_rate


class BodySizeLimit:
    """Answer 413 to bodies over `max_bytes` (at once from Content-Length, else while streaming),
    and 408 to bodies that stall for `timeout` seconds or average less than `min_rate` bytes per
    second (after `timeout` seconds of grace)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, timeout: float = 10.0, min_rate: int = 10_000
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (
                not value.isdigit() or len(value) > 15 or int(value) > self.max_bytes
            ):
                await self._drain(receive)
                await self._refuse(send)
                return
        received = 0
        started = False
        began: float | None = None
        complete = False
        stalled = f"body: no byte received for {self.timeout:g} s"
        slow = f"body: arriving slower than {self.min_rate:,} bytes/s"

        async def counting_receive() -> Message:
            nonlocal received, began, complete
            if complete:  # after the body, e.g. waiting for a disconnect: no deadline
                return await receive()
            now = asyncio.get_running_loop().time()
            began = began if began is not None else now
            stall = now + self.timeout  # for this part
            rate = rate_deadline(began, self.timeout, received, self.min_rate)
            try:
                async with asyncio.timeout_at(min(stall, rate)):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlowError(stalled if stall <= rate else slow) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
                complete = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._refuse(send)
        except BodyTooSlowError as exc:
            if not started:
                await self._refuse(send, 408, str(exc))
        finally:
            if received > RELEASE_AFTER:
                release_memory()

    async def _drain(self, receive: Receive) -> None:
        """Read and discard a bounded part of a refused body, briefly.

        Clients that send the whole body before reading (Python's urllib) see the 413 only if
        the server has not closed on them mid-body; past the bound they get a reset anyway.
        """
        drained = 0
        try:
            async with asyncio.timeout(min(self.timeout, 2.0)):
                while drained <= 2 * self.max_bytes:
                    message = await receive()
                    drained += len(message.get("body", b""))
                    if message["type"] != "http.request" or not message.get("more_body"):
                        return
        except TimeoutError:
            return

    async def _refuse(self, send: Send, status: int = 413, detail: str = "") -> None:
        detail = detail or f"body: larger than the limit of {self.max_bytes:,} bytes"
        body = orjson.dumps({"detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _refusal(status: int, detail: str) -> tuple[Message, Message]:
    body = orjson.dumps({"detail": detail})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def host_of(scope: Scope) -> str:
    """Return the request's Host header without its port, lower-cased ('' if it has none)."""
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1").lower()
            return host if host.endswith("]") else host.rsplit(":", 1)[0]
    return ""


# The longest query string `GET /gradient` reads: uvicorn's parser refuses a request target of
# 64 KiB or more with a bare text 400, so a longer one is refused here first, as JSON naming
# the limit (and by the protocol, `REQUEST_LINE`, where even the app would not see it).
MAX_API_QUERY = 64_000
REQUEST_LINE = 65_000  # bytes of a request line: method, target and version


def too_long(limit: int, api: bool) -> str:
    """The 414's words: the limit, and for the API what to do instead."""
    words = f"query: longer than the limit of {limit:,} bytes"
    return words + ("; send long arrays as a JSON body (POST /gradient)" if api else "")


class RequestLimits:
    """Refuse hosts this server does not answer for (400) and over-long query strings (414).

    Absolute URLs in pages are built from the Host header unless a public URL is set, so an
    unexpected Host must not be answered; `/healthz` answers any host (container probes).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hosts = settings.trusted_hosts()
        self.page_query = settings.max_page_query_bytes
        self.api_query = min(settings.max_body_bytes, MAX_API_QUERY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        refusal = None
        if self.hosts is not None and path != "/healthz" and host_of(scope) not in self.hosts:
            refusal = _refusal(400, "host: this server does not answer for that Host header")
        else:
            limit = self.api_query if path.startswith("/gradient") else self.page_query
            if len(scope.get("query_string", b"")) > limit:
                refusal = _refusal(414, too_long(limit, path.startswith("/gradient")))
        if refusal is None:
            await self.app(scope, receive, send)
            return
        for message in refusal:
            await send(message)
