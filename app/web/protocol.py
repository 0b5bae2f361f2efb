"""uvicorn's httptools protocol with the bounds it lacks, and the API's lean lane at its door.

uvicorn buffers a request head of any size (at quadratic cost: a 146 MiB header took 32 s of
CPU) and keeps a connection that never sends a byte forever, where it counts against the
concurrency cap. `dedz` serves with this protocol instead; behind a reverse proxy, the proxy's
own header and idle timeouts come first.

A request the app's lean lane answers (app.api.lane: a plain small `/gradient`) that arrives
whole in one read is answered here at once, through uvicorn's own response writer, without
the asyncio task, the ASGI calls and the middleware a request costs otherwise (at n = 10
these were a third of a whole answer). Anything else, or anything the lane declines, starts
its task as before: the lane and then the app see it as they always did.
"""

from __future__ import annotations

import asyncio
import fcntl
import re
import struct
import termios
from collections import Counter
from typing import Any, Protocol

from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from app.settings import get_settings
from app.web.cors import DATA_EXPOSED, cors_headers
from app.web.limits import REQUEST_LINE, rate_deadline
from app.web.middleware import DATA_SECURITY_HEADERS

# The headers of the app's data answers (security and CORS): refusals written here are
# readable from other origins too.
_DATA_HEADERS = b"".join(
    b"%s: %s\r\n" % pair for pair in [*DATA_SECURITY_HEADERS, *cors_headers(DATA_EXPOSED)]
)


def _refusal(status: bytes, detail: bytes, extra: bytes = b"") -> bytes:
    """A refusal written before the app sees the request, with the app's data headers."""
    body = b'{"detail":"%s"}' % detail
    return (
        b"HTTP/1.1 %s\r\ncontent-type: application/json\r\nconnection: close\r\n%s%s"
        b"content-length: %d\r\n\r\n%s" % (status, _DATA_HEADERS, extra, len(body), body)
    )


_400 = _refusal(
    b"400 Bad Request",
    b"request: not a valid HTTP/1.1 request (its framing, a header or the request line)",
)
_431 = _refusal(b"431 Request Header Fields Too Large", b"request head: larger than the limit")
_414 = _refusal(
    b"414 Request-URI Too Long",  # the phrase uvicorn writes for the app's own 414s
    b"request line: longer than the limit of %s bytes; send long arrays as a JSON body "
    b"(POST /gradient)" % f"{REQUEST_LINE:,}".encode(),
)
_414_HEAD = _414[: _414.index(b"\r\n\r\n") + 4]  # HEAD: the same head, no body
_503 = _refusal(
    b"503 Service Unavailable",
    b"connections: too many from this address; retry once some have closed",
    b"retry-after: 5\r\n",
)
_GRACE = 1.0  # seconds
_METHOD_START = re.compile(rb"[A-Z]{1,7}\Z")  # a request line's first bytes, at a read's end
# Open connections by client address, in this worker.
_OPEN: Counter[str] = Counter()


class Lane(Protocol):
    """What the protocol asks of the app's lean lane (app.api.lane.FastLane)."""

    def expected_body(self, scope: Any) -> int | None: ...

    def reply(self, scope: Any, body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes] | None: ...


def lane_of(app: object) -> Lane | None:
    """Return the lean lane of the app uvicorn serves (under its middlewares), if it has one."""
    for _ in range(4):
        lane = getattr(app, "lane", None)
        if lane is not None and hasattr(lane, "reply"):
            return lane  # type: ignore[no-any-return]
        app = getattr(app, "app", None)
    return None


def unsent_bytes(transport: asyncio.BaseTransport) -> int:
    """Return how much of what was written to a connection has not reached its client yet:
    the transport's buffer and the kernel's send queue (Linux's TIOCOUTQ; 0 where unknown)."""
    queued = 0
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            queued = struct.unpack("i", raw)[0]
        except OSError:
            queued = 0
    buffered = getattr(transport, "get_write_buffer_size", lambda: 0)()
    return int(buffered) + queued


def _response_head(cycle: RequestResponseCycle, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The status line and headers uvicorn's writer sends for a 200 with these (lower-case,
    valid) headers and a content-length: its default headers (the date) first, and
    `connection: close` last where the connection is not kept alive."""
    lines = [b"HTTP/1.1 200 OK\r\n"]
    for name, value in (*cycle.default_headers, *headers):
        lines += [name, b": ", value, b"\r\n"]
    if not cycle.keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


class BoundedHttpTools(HttpToolsProtocol):
    """Close a connection whose request head passes the size limit (431) or the time limit, or
    whose body dribbles past the body timeout (even a body the app never reads); refuse more
    connections from one address than the limit (503), except from trusted proxies."""

    _head_bytes = 0
    _head_done = False
    _address = ""
    _body_timer: asyncio.TimerHandle | None = None
    _body_began = 0.0
    _body_received = 0
    _tail = b""  # the last bytes of the head so far: its end may straddle two reads
    _line_done = False  # the request line has ended (its length is bounded apart)
    _line_bytes = 0
    _line_start = b""  # the request line's first five bytes: "HEAD " or not
    _owed_refusal: bytes | None = None  # sent once the answers owed before it have gone
    _head_timer: asyncio.TimerHandle | None = None
    _lane: Lane | None = None
    _ended_in_read = False  # a request ended in the read being parsed
    _begun_in_read = False  # the current request began in this read, behind another one
    _begun_bytes = 0  # its whole headers' bytes so far
    _in_head = False  # uvicorn is reading the head: a task it starts now may be held back
    # A request held back for the lane: its cycle, app, and the body length it waits for.
    _held: tuple[RequestResponseCycle, ASGI3Application, int] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's head as soon as the client connects."""
        super().connection_made(transport)
        settings = get_settings()
        address = self.client[0] if self.client else ""
        trusted = {a.strip() for a in settings.forwarded_allow_ips.split(",")}
        if "*" not in trusted and address not in trusted:
            if _OPEN[address] >= settings.max_connections_per_ip:
                transport.write(_503)
                transport.close()
                return
            self._address = address
            _OPEN[address] += 1
        self._arm_head_timer()
        self._lane = lane_of(self.app)

    def data_received(self, data: bytes) -> None:
        """Count the head's bytes before the parser buffers them."""
        if self._owed_refusal is not None:  # nothing more is read after a refused request
            return
        if not self._head_done:
            # Only the head counts, not the body that may follow it in the same read.
            end = (self._tail + data).find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4 - len(self._tail)
            self._tail = data[-3:]
            if not self._line_done:
                if len(self._line_start) < 5:  # the method, even split across reads
                    self._line_start = (self._line_start + data[:5]).lstrip(b"\r\n")[:5]
                end_of_line = data.find(b"\n")
                self._line_done = end_of_line >= 0
                self._line_bytes += end_of_line if self._line_done else len(data)
                if self._line_bytes > REQUEST_LINE:  # not the parser's bare text 400
                    self._refuse_line(self._line_start == b"HEAD ")
                    return
            if self._head_bytes > get_settings().max_head_bytes:
                self._refuse(_431)
                return
        self._ended_in_read = False
        super().data_received(data)
        # Clocks for what did not come whole in this read (most requests do: they need none).
        if self.transport.is_closing():
            return
        if self._begun_in_read:
            self._count_begun_head(data)
        if self._held is not None:  # its body is still on the way: the task waits for it
            self._release()
        if not self._head_done:
            if self._head_timer is None and (self._head_bytes or self._line_bytes):
                self._arm_head_timer()
        elif self._body_timer is None:
            self._arm_body_timer()

    def on_headers_complete(self) -> None:
        """Stop the head's clock and start the body's: it may stall for the body timeout, and
        must average the least body rate after that grace (BodySizeLimit's rules)."""
        self._head_done = True
        self._cancel_head_timer()
        if self.transport.is_closing() or self._owed_refusal is not None:
            return  # a refusal earlier in this read: nothing after it is taken
        # A request answered at once earlier in this read armed uvicorn's keep-alive clock.
        self._unset_keepalive_if_required()
        self._in_head = True
        try:
            super().on_headers_complete()
        finally:
            self._in_head = False
        self._body_began = self.loop.time()
        self._body_received = 0

    def on_message_begin(self) -> None:
        """A request begins; one that begins after another ended in the same read has its
        head's bytes in this read counted when the read ends (`_count_begun_head`)."""
        super().on_message_begin()
        self._begun_in_read = self._ended_in_read

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if self._begun_in_read and len(self.url) > REQUEST_LINE:
            self._refuse_line(self.parser.get_method() == b"HEAD")

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if self._begun_in_read:
            self._begun_bytes += len(name) + len(value) + 4
            if len(self.url) + self._begun_bytes > get_settings().max_head_bytes:
                self._refuse(_431)

    def _refuse(self, refusal: bytes) -> None:
        """Answer a request that cannot be taken with its refusal and close, once the answers
        owed to the requests before it on this connection have gone (they were lost)."""
        if self.transport.is_closing() or self._owed_refusal is not None:
            return
        cycle = self.cycle
        if (self._answer_due() and cycle is not None and not cycle.more_body) or self.pipeline:
            self._owed_refusal = refusal
            self.flow.pause_reading()
            return
        self.transport.write(refusal)
        self.transport.close()

    def on_response_complete(self) -> None:
        """An answer went: the next pipelined request starts, or a refusal owed is sent."""
        super().on_response_complete()
        refusal = self._owed_refusal
        if refusal is None or self.pipeline or self._answer_due():
            return
        self._owed_refusal = None
        if not self.transport.is_closing():
            self.transport.write(refusal)
            self.transport.close()

    def _answer_due(self) -> bool:
        """Tell whether a request on this connection is still waiting for its answer."""
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse_line(self, head: bool) -> None:
        self._refuse(_414_HEAD if head else _414)  # a HEAD's refusal is its head alone

    def _count_begun_head(self, data: bytes) -> None:
        """Count what this read brought of a head that began in it behind another request, as
        the next reads' bytes will be counted: from its request line to the read's end (a head
        pipelined behind a request escaped the size limit, and the rest of its header in the
        next read was taken for the request line)."""
        self._begun_in_read = False
        if self._head_done:
            return
        start = data.rfind(self.parser.get_method() + b" " + self.url) if self.url else -1
        if start < 0:  # the line has not reached its target yet: at most its method is here
            method = _METHOD_START.search(data)
            start = method.start() if method else len(data)
        self._head_bytes = len(data) - start
        self._tail = data[-3:]
        end_of_line = data.find(b"\n", start)
        self._line_done = end_of_line >= 0
        self._line_bytes = (end_of_line if self._line_done else len(data)) - start
        self._line_start = data[start : start + 5]
        if self._head_bytes > get_settings().max_head_bytes:
            self._refuse(_431)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        """Hold a request the lane may answer back until its body is here (in this read)."""
        if self._in_head and app is self.app and self._lane is not None:
            expected = self._lane.expected_body(cycle.scope)
            if expected is not None:
                self._held = (cycle, app, expected)
                return
        super()._start_asgi_task(cycle, app)

    def _release(self) -> None:
        """Start the held request's task: the lane, then the app, take it from there."""
        assert self._held is not None
        cycle, app, _ = self._held
        self._held = None
        super()._start_asgi_task(cycle, app)

    def _answer_held(self) -> None:
        """Answer the held request, whole now, at once if the lane answers it."""
        assert self._held is not None
        assert self._lane is not None
        cycle, _, expected = self._held
        if len(cycle.body) != expected or cycle.flow.write_paused or cycle.access_log:
            self._release()
            return
        reply = self._lane.reply(cycle.scope, bytes(cycle.body))
        if reply is None:
            self._release()
            return
        self._held = None
        headers, body = reply
        # What uvicorn's writer does for the two messages, in one write (one segment, one
        # system call instead of two): tests/web/test_protocol_lane.py compares the bytes.
        cycle.response_started = cycle.response_complete = True
        cycle.waiting_for_100_continue = False
        self.transport.write(_response_head(cycle, headers) + body)
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def on_body(self, body: bytes) -> None:
        """A part of the body arrived: the stall clock starts again, the rate's moves on."""
        self._body_received += len(body)
        if self._body_timer is not None:
            self._arm_body_timer()
        super().on_body(body)

    def _arm_body_timer(self) -> None:
        # A second later than BodySizeLimit's own clocks: where the app is reading the body,
        # the client gets that middleware's 408 first; this close is for bodies nobody reads.
        self._cancel_body_timer()
        settings = get_settings()
        now = self.loop.time()
        stall = now + settings.body_timeout
        rate = rate_deadline(
            self._body_began, settings.body_timeout, self._body_received, settings.body_min_rate
        )
        wait = min(stall, rate) + _GRACE - now
        self._body_timer = self.loop.call_later(max(wait, 0.0), self._body_too_slow)

    def on_message_complete(self) -> None:
        """Answer a held request; get ready to count the next request's head."""
        self._cancel_body_timer()
        super().on_message_complete()
        self._head_done = False
        self._head_bytes = 0
        self._tail = b""
        self._line_done = False
        self._line_bytes = 0
        self._line_start = b""
        self._begun_bytes = 0
        self._begun_in_read = False
        self._ended_in_read = True
        if self._held is not None:
            self._answer_held()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the head's clock with the connection."""
        self._cancel_head_timer()
        self._cancel_body_timer()
        self._held = None  # never started: nothing waits for it
        if self._address:
            _OPEN[self._address] -= 1
            if _OPEN[self._address] <= 0:
                del _OPEN[self._address]
            self._address = ""
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(get_settings().head_timeout, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def send_400_response(self, msg: str) -> None:
        """Refuse what the parser cannot read as JSON, as the server's other refusals are
        (uvicorn writes text/plain)."""
        self._refuse(_400)

    def timeout_keep_alive_handler(self) -> None:
        """Close a connection idle for the keep-alive time, but not while answers are still
        on their way to a client that reads slowly, or one is being worked on: answers given
        within a read may fill the kernel's queue while the client's next requests wait behind
        them (a pipelining client that read late lost them to this close)."""
        if not self.transport.is_closing() and (
            self._answer_due() or unsent_bytes(self.transport) > 0
        ):
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )
            return
        super().timeout_keep_alive_handler()

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._head_done and not self.transport.is_closing():
            self.transport.close()
