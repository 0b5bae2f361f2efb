"""ASGI middleware: the body size cap, and compression for pages."""

from __future__ import annotations

import asyncio

import orjson
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    """The request body passed the cap while it was being received."""


class BodyTooSlowError(Exception):
    """The request body did not arrive within the time allowed."""


class BodySizeLimit:
    """Answer 413 to bodies over `max_bytes` (at once from Content-Length, else while streaming)
    and 408 to bodies that take longer than `timeout` seconds to arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._refuse(send)
                return
        received = 0
        started = False
        deadline: float | None = None
        complete = False

        async def counting_receive() -> Message:
            nonlocal received, deadline, complete
            if complete:  # after the body, e.g. waiting for a disconnect: no deadline
                return await receive()
            deadline = deadline or asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlowError from None
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
        except BodyTooSlowError:
            if not started:
                await self._refuse(send, 408, f"body: not received within {self.timeout:g} s")

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


class CompressPages:
    """Gzip HTML pages and fragments; leave the JSON API alone.

    Pages are repetitive markup that shrinks about fivefold; the API's large responses (a
    million-entry Jacobian) would cost more CPU to compress than they save, and caches or CDNs
    in front can compress them.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 2048, skip: str = "/gradient") -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.skip):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
