"""The server protocol's lane: plain small `/gradient` requests answered within the read.

`dedz`'s protocol (app.web.protocol) answers a request the API's lean lane answers, when it came
whole in one read, before returning from that read: no task, no ASGI call. These tests drive the
protocol over a recording transport, and compare every answer given that way with the one the
same request gets through its task (the ASGI lane, itself compared with the framework's answers
in tests/api/test_lane.py): the same bytes, in the same order, with the same connection state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.main import create_app
from app.settings import Settings
from app.web.limits import REQUEST_LINE
from app.web.protocol import BoundedHttpTools

DATE = (b"date", b"Sun, 06 Dec 2026 12:00:00 GMT")


class Transport(asyncio.Transport):
    """Records what the protocol writes; closes when told to."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0  # written is sent at once


@pytest.fixture(scope="module")
def config() -> Config:
    app = create_app(Settings())
    loaded = Config(app=app, http=BoundedHttpTools, access_log=False, server_header=False)
    loaded.load()
    return loaded


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


def connect(
    config: Config, loop: asyncio.AbstractEventLoop, *, access_log: bool = False
) -> tuple[Any, Transport]:
    state = ServerState()
    state.default_headers = [DATE, *config.encoded_headers]
    protocol = BoundedHttpTools(config=config, server_state=state, app_state={}, _loop=loop)
    protocol.access_log = access_log  # uvicorn logs if the logger has a handler (pytest's)
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def run(loop: asyncio.AbstractEventLoop, step: Coroutine[Any, Any, None]) -> None:
    """Run the loop for a step in a thread of its own: another test's loop (Playwright's)
    may still be running in this one, and asyncio runs one loop per thread."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            loop.run_until_complete(step)
        except BaseException as error:  # re-raised in the test's thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def settle(loop: asyncio.AbstractEventLoop, protocol: Any) -> None:
    """Run the loop until no request task of this connection is left."""

    async def drain() -> None:
        for _ in range(200):
            await asyncio.sleep(0)
            if not protocol.tasks:
                await asyncio.sleep(0)
                return
        raise AssertionError("tasks still running")

    run(loop, drain())


def post(body: bytes, *, version: str = "1.1", extra: str = "") -> tuple[bytes, bytes]:
    head = (
        f"POST /gradient HTTP/{version}\r\nHost: 127.0.0.1:8000\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode(), body


def get(query: str, *, version: str = "1.1", extra: str = "") -> bytes:
    return f"GET /gradient?{query} HTTP/{version}\r\nHost: 127.0.0.1:8000\r\n{extra}\r\n".encode()


def through_task(config: Config, loop: asyncio.AbstractEventLoop, head: bytes, body: bytes) -> Any:
    """The answer the request gets through its task: the head in one read, the body later (a
    GET's head in two reads, the second after the task would have started if it were held)."""
    protocol, transport = connect(config, loop)
    if body:
        protocol.data_received(head)
        assert not transport.written
        settle_once(loop)
        protocol.data_received(body)
    else:  # a GET: hand it to its task by answering it on a loop with writing paused
        protocol.flow.pause_writing()
        protocol.data_received(head)
        assert not transport.written
        protocol.flow.resume_writing()
    settle(loop, protocol)
    return bytes(transport.written), transport.closed


def settle_once(loop: asyncio.AbstractEventLoop) -> None:
    run(loop, asyncio.sleep(0))


ROW = json.dumps({"logits": [2.5, -1.25, 0.5, 3.75, -0.5, 1.0, 0.25, -2.0, 1.5, 0.75], "target": 3})
BATCH = json.dumps({"logits": [[1, 2, 3], [0, -1, 5]], "target": [0, 2], "include": ["jacobian"]})
BODIES = [
    ROW.encode(),
    BATCH.encode(),
    b'{"logits": [0, -744], "target": 0, "temperature": 0.5, "reduction": "sum"}',
]
QUERIES = ["logits=2,1,0.1&target=0", "logits=35,1&target=1&temperature=2"]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize(
    ("version", "extra"), [("1.1", ""), ("1.0", ""), ("1.1", "Connection: close\r\n")]
)
def test_a_whole_post_is_answered_within_its_read_as_its_task_answers_it(
    config: Config, loop: asyncio.AbstractEventLoop, body: bytes, version: str, extra: str
) -> None:
    head, body = post(body, version=version, extra=extra)
    protocol, transport = connect(config, loop)
    protocol.data_received(head + body)
    answered = bytes(transport.written)
    assert answered.startswith(b"HTTP/1.1 200 OK\r\n")  # before the loop has run at all
    assert not protocol.tasks
    assert (answered, transport.closed) == through_task(config, loop, head, body)
    assert transport.closed == (version == "1.0" or bool(extra))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(("version", "extra"), [("1.1", ""), ("1.0", "")])
def test_a_get_is_answered_within_its_read_as_its_task_answers_it(
    config: Config, loop: asyncio.AbstractEventLoop, query: str, version: str, extra: str
) -> None:
    head = get(query, version=version, extra=extra)
    protocol, transport = connect(config, loop)
    protocol.data_received(head)
    answered = bytes(transport.written)
    assert answered.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\netag: " in answered
    assert (answered, transport.closed) == through_task(config, loop, head, b"")


def test_pipelined_requests_are_answered_in_order(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    """A plain POST, one the lane declines (the app words its 422), a GET and another POST, all
    in one read: each answer comes in its request's turn."""
    first, declined = (
        b"".join(post(b)) for b in (ROW.encode(), b'{"logits": [1, 2], "target": 5}')
    )
    requests = [first, declined, get(QUERIES[0]), b"".join(post(BATCH.encode()))]
    protocol, transport = connect(config, loop)
    protocol.data_received(b"".join(requests))
    settle(loop, protocol)
    one_by_one = bytearray()
    for request in requests:
        alone, alone_transport = connect(config, loop)
        alone.data_received(request)
        settle(loop, alone)
        one_by_one += alone_transport.written
    assert transport.written == one_by_one
    assert transport.written.count(b"HTTP/1.1 ") == 4
    assert b"HTTP/1.1 422 " in transport.written


def test_no_keep_alive_clock_runs_while_a_later_request_is_worked_on(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    """An answer given within the read arms uvicorn's keep-alive clock; a request after it in
    the same read must stop it, or a slow answer would be cut when it runs out."""
    protocol, transport = connect(config, loop)
    declined = b"".join(post(b'{"logits": [1, 2], "target": 0, "weights": [1, 1]}'))
    protocol.data_received(b"".join(post(ROW.encode())) + declined)
    assert protocol.timeout_keep_alive_task is None
    settle(loop, protocol)
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2
    assert protocol.timeout_keep_alive_task is not None  # idle again: the clock runs


def test_a_body_still_on_the_way_goes_to_the_task(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    head, body = post(ROW.encode())
    protocol, transport = connect(config, loop)
    protocol.data_received(head + body[:10])
    assert not transport.written
    assert protocol.tasks  # started: the lane's own wait, then the app's limits, apply
    protocol.data_received(body[10:])
    settle(loop, protocol)
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")


def test_requests_the_lane_does_not_take_never_wait(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    """Another path, a HEAD, a conditional GET: each starts its task as the head ends."""
    for request in (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
        b"HEAD /gradient?logits=1,2&target=0 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
        get(QUERIES[0], extra='If-None-Match: "x"\r\n'),
    ):
        protocol, transport = connect(config, loop)
        protocol.data_received(request)
        assert not transport.written
        assert protocol.tasks
        settle(loop, protocol)
        assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")


def test_with_an_access_log_each_request_is_logged_through_its_task(
    config: Config, loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    """The access log is uvicorn's to write (`dedz` turns it off): the lane leaves such
    requests to their tasks."""
    protocol, transport = connect(config, loop, access_log=True)
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        protocol.data_received(b"".join(post(ROW.encode())))
        assert not transport.written
        settle(loop, protocol)
    assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert '"POST /gradient HTTP/1.1" 200' in caplog.text


def test_a_request_refused_within_the_read_gets_no_task(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    """A request line too long, pipelined behind a request in one read, is refused (414) as
    the parser reads it; the parser reads on to the end of that head, and no task may start
    for it on the closed connection (its answer would be written there)."""
    protocol, transport = connect(config, loop)
    long_line = b"GET /gradient?logits=" + b"1," * (REQUEST_LINE // 2) + b"1&target=0 HTTP/1.1"
    protocol.data_received(b"".join(post(ROW.encode())) + long_line + b"\r\nHost: x\r\n\r\n")
    assert transport.closed
    assert not protocol.tasks
    assert transport.written.count(b"HTTP/1.1 ") == 2
    assert b"HTTP/1.1 414 Request-URI Too Long" in transport.written


def test_an_unreadable_request_is_refused_as_json(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    protocol, transport = connect(config, loop)
    protocol.data_received(b"GARBAGE\r\n\r\n")
    head, _, body = bytes(transport.written).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json")
    assert json.loads(body)["detail"].startswith("request: not a valid HTTP/1.1 request")
    assert transport.closed


def test_a_head_behind_another_request_in_one_read_is_counted(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    """A head pipelined behind a request in one read escaped the size limit (431), its header
    still arriving when the read ended included; and when that header went on in the next
    read, the next read was taken for the request line (414)."""
    limit = Settings().max_head_bytes
    first = b"".join(post(ROW.encode()))
    big = REQUEST_LINE + 1_000
    assert big < limit - 100
    cases = [  # (reads, answers expected: statuses)
        (
            [first + b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * limit + b"\r\n\r\n"],
            [200, 431],
        ),
        (
            [
                first + b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * (limit // 2 + 10),
                b"a" * (limit // 2) + b"\r\n\r\n",
            ],
            [200, 431],
        ),
        (
            [first + b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: ", b"a" * big + b"\r\n\r\n"],
            [200, 200],
        ),
        (
            [
                first + b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 100,
                b"a" * big + b"\r\nHost: x\r\n\r\n",
            ],
            [200, 200],
        ),
        (
            [first + b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X: " + b"a" * big + b"\r\n\r\n"],
            [200, 200],
        ),
        (
            [
                first + b"GET /healthz HTTP/1.1\r\nHost: x\r\nY: 1\r\nX: ",
                b"a" * limit + b"\r\n\r\n",
            ],
            [200, 431],
        ),
    ]
    for reads, statuses in cases:
        protocol, transport = connect(config, loop)
        for data in reads:
            if not transport.closed:
                protocol.data_received(data)
        settle(loop, protocol)
        written = bytes(transport.written)
        assert [int(m) for m in re.findall(rb"HTTP/1.1 (\d{3}) ", written)] == statuses, reads[-1][
            :60
        ]


@pytest.mark.parametrize("behind", [b"", b"".join(post(ROW.encode()))])
@pytest.mark.parametrize("split", [1, 3, 4])
def test_a_head_request_refused_is_answered_without_a_body(
    config: Config, loop: asyncio.AbstractEventLoop, behind: bytes, split: int
) -> None:
    """A HEAD whose method came split across reads got its 414 with the JSON body."""
    line = b"HEAD /gradient?logits=" + b"1," * (REQUEST_LINE // 2) + b"1&target=0 HTTP/1.1"
    request = line + b"\r\nHost: x\r\n\r\n"
    protocol, transport = connect(config, loop)
    protocol.data_received(behind + request[:split])
    protocol.data_received(request[split:])
    written = bytes(transport.written)
    refusal = written[written.index(b"HTTP/1.1 414 ") :]
    assert refusal.endswith(b"\r\n\r\n")  # the head alone
    assert transport.closed


def test_the_keep_alive_clock_never_closes_a_connection_with_a_request_in_hand(
    config: Config, loop: asyncio.AbstractEventLoop
) -> None:
    protocol, transport = connect(config, loop)
    head, body = post(ROW.encode())
    protocol.data_received(head + body[:5])  # its task waits for the rest of the body
    protocol.timeout_keep_alive_handler()
    assert not transport.closed
    assert protocol.timeout_keep_alive_task is not None  # asked again later
    protocol.timeout_keep_alive_task.cancel()
    protocol.data_received(body[5:])
    settle(loop, protocol)
    protocol.timeout_keep_alive_handler()  # idle now, nothing unsent: closed
    assert transport.closed


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /healthz?" + b"a" * (REQUEST_LINE + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 120_000 + b"\r\n\r\n", 431),
    ],
)
def test_answers_owed_go_before_a_refusal(
    config: Config, loop: asyncio.AbstractEventLoop, refused: bytes, status: int
) -> None:
    """Requests before a refused one, still being answered, lost their answers to its
    refusal: they go first, then the refusal, then the connection closes."""
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    protocol, transport = connect(config, loop)
    protocol.data_received(health + health + refused)
    settle(loop, protocol)
    statuses = [int(m) for m in re.findall(rb"HTTP/1.1 (\d{3}) ", bytes(transport.written))]
    assert statuses == [200, 200, status]
    assert transport.closed
