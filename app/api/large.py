"""Large answers: a few at a time per worker, and never held for a client that stopped reading.

An n = 1,000 answer with its matrices holds about 70 MB while it is computed and sent. Sixty
clients that asked for one and never read it held 4.4 GB. So a worker computes and sends at most
`max_large_answers` of them at once (the others wait their turn, then get 503), and a streamed
answer whose next part stays unread for `send_timeout` seconds is dropped with its connection.
Once no large answer has been under way for `IDLE_RELEASE` seconds, their memory goes back to
the operating system (not after each one: the next would fault its pages in anew).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextvars import ContextVar

from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from app.web.memory import release_memory

IDLE_RELEASE = 0.25  # seconds without a large answer, then the heap is given back
# A binary answer is sent in slices of its arrays' memory, each within the send timeout: a
# reader that takes 1 MiB per DEDZ_SEND_TIMEOUT (10 s: 105 kB/s) gets all of it.
SEND_BYTES = 1 << 20


class Turns:
    """A count of large answers under way, with a limit; a turn given back goes straight to the
    longest waiter (no polling: a freed turn never sits idle). Not bound to one event loop:
    each waiter's future belongs to the loop it waits in."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._release: asyncio.TimerHandle | None = None

    async def take(self, wait: float) -> bool:
        """Take a turn, waiting up to `wait` seconds for one; tell whether one was taken."""
        if self._release is not None:
            self._release.cancel()  # the memory is about to be used again
            self._release = None
        if self.taken < self.limit and not self._waiters:
            self.taken += 1
            return True
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            async with asyncio.timeout(wait):
                await turn
            return True
        except TimeoutError:
            return turn.done() and not turn.cancelled()  # handed over just as time ran out
        except asyncio.CancelledError:  # the client went away while it waited
            if turn.done() and not turn.cancelled():
                self.give_back()  # a turn handed over just then is passed on, not lost
            raise
        finally:
            if turn in self._waiters:
                self._waiters.remove(turn)

    def give_back(self) -> None:
        """Give a turn back: to the longest waiter still waiting, else to the count."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done() and not turn.get_loop().is_closed():
                turn.set_result(None)  # the turn passes on: `taken` stays as it is
                return
        self.taken -= 1
        if self.taken == 0:
            loop = asyncio.get_running_loop()
            self._release = loop.call_later(IDLE_RELEASE, self._released)

    def _released(self) -> None:
        self._release = None
        release_memory()


# uvicorn's words, at ERROR, for an answer the app left unfinished; set in the request's task
# when that was an answer dropped on purpose (DroppedAnswers then says so, at WARNING).
UNFINISHED = "ASGI callable returned without completing response."
_dropped: ContextVar[bool] = ContextVar("dropped", default=False)


class DroppedAnswers(logging.Filter):
    """Word uvicorn's error for an answer that dEdZ dropped because its client stopped reading
    (ordinary client behaviour, not a fault of the server) as a warning that says so."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() == UNFINISHED and _dropped.get():
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "a client stopped reading its answer for DEDZ_SEND_TIMEOUT: dropped"
            record.args = ()
        return True


def busy(limit: int) -> Response:
    """Answer 503: every turn for a large answer is taken."""
    detail = f"server: busy with {limit} large answers already; retry in a few seconds"
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})


async def send_in_time(
    send: Send, start: Message, pieces: AsyncIterable[bytes | memoryview], timeout: float
) -> bool:
    """Send an answer's start, each piece and its end, each within `timeout` seconds (the last
    one too: it waits for the buffer to drain, and a client that stops reading there must not
    keep its turn). Tell whether it was all sent; False means the client stopped reading."""
    try:
        async with asyncio.timeout(timeout):
            await send(start)
        async for piece in pieces:
            async with asyncio.timeout(timeout):
                await send({"type": "http.response.body", "body": piece, "more_body": True})
        async with asyncio.timeout(timeout):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except TimeoutError:
        return False
    return True


async def _slices(parts: list[bytes | memoryview]) -> AsyncIterator[memoryview]:
    """The parts in slices of SEND_BYTES, each a view of the same memory."""
    for part in parts:
        view = memoryview(part)
        for at in range(0, len(view), SEND_BYTES):
            yield view[at : at + SEND_BYTES]


def _start(response: Response) -> Message:
    return {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": response.raw_headers,
    }


class PartsResponse(Response):
    """An answer sent from its parts' own memory in slices of SEND_BYTES, each within `timeout`
    seconds (a client that stops reading is let go: the server closes the connection); the parts
    are freed and the turn given back when it is done. Unlike a StreamingResponse it runs no
    task group to listen for a disconnect (a tenth of a safetensors answer's time): a send to a
    client that has gone returns at once, so the loop just ends."""

    def __init__(
        self,
        parts: list[bytes | memoryview],
        *,
        timeout: float,
        done: Callable[[], None],
        headers: dict[str, str],
        media_type: str,
    ) -> None:
        length = sum(len(part) for part in parts)
        super().__init__(
            None, headers={**headers, "Content-Length": str(length)}, media_type=media_type
        )
        self.parts = parts
        self.timeout = timeout
        self.done = done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if not await send_in_time(send, _start(self), _slices(self.parts), self.timeout):
                _dropped.set(True)
        finally:
            self.parts.clear()  # the arrays they view go now, not with the connection
            self.done()


class StallingStream(StreamingResponse):
    """A streamed answer that gives its turn back when done, and stops where a part stays unread
    for `timeout` seconds (the server then closes the connection). It keeps StreamingResponse's
    listener for a disconnect: a client that goes away stops the writing of the rest."""

    def __init__(
        self,
        content: AsyncIterator[bytes | memoryview],
        *,
        timeout: float,
        done: Callable[[], None],
        headers: dict[str, str] | None = None,
        media_type: str = "application/json",
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        self.pieces = content  # the body iterator, as typed here (only bytes)
        self.timeout = timeout
        self.done = done
        self.dropped = False

    async def stream_response(self, send: Send) -> None:
        if not await send_in_time(send, _start(self), self.pieces, self.timeout):
            # (this runs in a task of its own: the request's task sets _dropped below)
            self.dropped = True
            aclose = getattr(self.pieces, "aclose", None)
            if aclose is not None:
                await aclose()  # frees the arrays now, not when the connection is collected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.dropped:
                _dropped.set(True)
            self.done()
