"""`dedz`, the production server, against clients that misbehave: real sockets on loopback.

Each test starts `dedz` with short limits, so a test that fails shows the limit not holding.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.deploy.clients import dribble
from tests.live_server import DEDZ, HOST, Server, serve

LIMITS = {
    "DEDZ_HEAD_TIMEOUT": "1",
    "DEDZ_BODY_TIMEOUT": "2",
    "DEDZ_MAX_CONNECTIONS_PER_IP": "8",
    "DEDZ_FORWARDED_ALLOW_IPS": "192.0.2.1",  # not loopback: this test's clients are counted
    "DEDZ_MAX_HEAD_BYTES": "65536",
    "DEDZ_MAX_BODY_BYTES": "1048576",
    "DEDZ_SHUTDOWN_TIMEOUT": "2",
    "DEDZ_SEND_TIMEOUT": "2",
    "DEDZ_MAX_LARGE_ANSWERS": "2",
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(env=LIMITS, command=[DEDZ]) as running:
        yield running


def connect(server: Server) -> socket.socket:
    return socket.create_connection((HOST, server.port), timeout=5)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Return when the server closed the socket (reading what it sent), or None if it did not."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def ok(server: Server) -> bool:
    with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
        return bool(response.status == 200)


def test_a_connection_that_never_sends_a_byte_is_closed(server: Server) -> None:
    with connect(server) as silent:
        took = closed_within(silent, 5)
    assert took is not None
    assert took < 3
    assert ok(server)


def test_a_slowloris_head_is_closed(server: Server) -> None:
    with connect(server) as slow:
        took = dribble(slow, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-a: b\r\n", 0.2, 5)
    assert took < 3, "a head dribbled for 5 s was still open"
    assert ok(server)


def test_an_oversized_head_gets_431_at_once(server: Server) -> None:
    with connect(server) as big:
        big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        start = time.monotonic()
        reply = b""
        try:
            for _ in range(64):
                big.sendall(b"a" * 4096)
        except (BrokenPipeError, ConnectionResetError):
            pass
        big.settimeout(5)
        try:
            while chunk := big.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:100]
    assert b"access-control-allow-origin: *" in reply  # readable from other origins
    assert time.monotonic() - start < 2
    assert ok(server)


def test_a_request_line_the_parser_would_refuse_as_text_is_a_json_414(server: Server) -> None:
    """A request target of 64 KiB or more got uvicorn's text 400 'Invalid HTTP request
    received.', without CORS headers: a browser's fetch saw only a network error."""
    for size in (66_000, 90_000):
        with connect(server) as long:
            target = "/gradient?logits=" + ",".join(["1"] * (size // 2)) + "&target=0"
            long.sendall(f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            long.settimeout(5)
            reply = b""
            try:
                while chunk := long.recv(65536):
                    reply += chunk
            except ConnectionResetError:
                pass
        assert reply.startswith(b"HTTP/1.1 414 "), reply[:100]
        assert b"access-control-allow-origin: *" in reply
        assert b"request line: longer than the limit of 65,000 bytes" in reply
    with connect(server) as head:  # HEAD: the same status and headers, no body
        target = "/gradient?logits=" + ",".join(["1"] * 35_000) + "&target=0"
        head.sendall(f"HEAD {target} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        head.settimeout(5)
        reply = b""
        try:
            while chunk := head.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
    assert reply.startswith(b"HTTP/1.1 414 "), reply[:100]
    assert reply.endswith(b"\r\n\r\n"), reply[-60:]
    assert ok(server)


def test_urllib_sees_the_413_of_an_oversized_body(server: Server) -> None:
    # urllib sends the whole body before it reads: the server must not hang up mid-body.
    body = json.dumps({"logits": [0.0] * 300_000, "target": 0}).encode()
    assert len(body) > 1048576
    request = urllib.request.Request(
        server.url + "/gradient", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    assert "larger than the limit of 1,048,576 bytes" in refused.value.read().decode()


def test_sigterm_finishes_in_time_with_a_client_that_never_reads() -> None:
    with serve(env=LIMITS, command=[DEDZ]) as running:
        # 1,000 classes with both matrices: 27 MB that this client never reads.
        body = json.dumps(
            {"logits": [float(i % 7) for i in range(1000)], "target": 3, "include": ["chain"]}
        ).encode()
        hog = connect(running)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.sendall(
            b"POST /gradient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        time.sleep(1.0)  # the answer is being written into a full socket
        start = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(timeout=15)
        took = time.monotonic() - start
        hog.close()
    assert took < 2 + 3, f"SIGTERM took {took:.1f} s with a slow reader"


def test_normal_requests_still_work(server: Server) -> None:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=5)
    for _ in range(3):  # keep-alive: the head clock restarts for each request
        connection.request("GET", "/gradient?logits=2,1&target=0")
        response = connection.getresponse()
        assert response.status == 200
        response.read()
        time.sleep(0.4)
    connection.close()


def test_a_body_the_app_never_reads_cannot_dribble_forever(server: Server) -> None:
    # /healthz reads no body: without a timeout of its own the connection would stay open.
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 8000000\r\n\r\n"
    with connect(server) as slow:
        took = dribble(slow, head, b"x", 0.3, 6)
    assert took < 4.5, "a body dribbled for 6 s kept its connection"
    assert ok(server)


def test_one_address_cannot_take_every_connection(server: Server) -> None:
    held = [connect(server) for _ in range(8)]
    try:
        time.sleep(0.2)
        with connect(server) as extra:
            extra.settimeout(5)
            reply = extra.recv(4096)
        assert reply.startswith(b"HTTP/1.1 503 "), reply[:80]
        assert b"too many from this address" in reply
        # readable from other origins, with when to retry, as the API's other 503s
        assert b"access-control-allow-origin: *" in reply
        assert b"retry-after: 5" in reply
        assert b"x-content-type-options: nosniff" in reply
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert ok(server)


def test_a_steady_upload_longer_than_the_body_timeout_is_answered(server: Server) -> None:
    """The body timeout (2 s here) bounds stalls, not the upload: 3.5 s at ~36 kB/s is fine."""
    rows = 250
    request = {"logits": [[0.5] * 100] * rows, "target": [0] * rows, "include": []}
    body = json.dumps(request).encode()
    head = (
        b"POST /gradient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    piece = len(body) // 35
    began = time.monotonic()
    with connect(server) as sock:
        sock.sendall(head)
        for start in range(0, len(body), piece):
            sock.sendall(body[start : start + piece])
            time.sleep(0.1)
        sock.settimeout(10)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert time.monotonic() - began > 3.0  # really longer than the body timeout
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def test_a_body_below_the_least_rate_is_cut(server: Server) -> None:
    """Bytes keep coming, one every 0.1 s (10 bytes/s), far below the least rate: cut."""
    head = b"POST /gradient HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    with connect(server) as slow:
        took = dribble(slow, head, b" ", 0.1, 8)
    assert took < 6, "a 10 bytes/s body kept its connection for 8 s"
    assert ok(server)


def _large_request(sock: socket.socket, *, reads: bool = False, accept: str = "*/*") -> None:
    """Ask for an n = 1,000 answer with both matrices (27 MB of JSON, 16 MB of safetensors); a
    client that will not read it gets a small receive buffer, so that the server's writes fill
    up at once."""
    logits = [round(0.001234567 * i * (-1) ** i, 9) for i in range(1000)]
    body = json.dumps({"logits": logits, "target": 3, "include": ["jacobian", "chain"]}).encode()
    if not reads:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        b"POST /gradient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: %s\r\nContent-Length: %d\r\n\r\n%s" % (accept.encode(), len(body), body)
    )


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def _read_answer(sock: socket.socket) -> tuple[int, bool]:
    """Read a 200 answer to its end (chunked, or by its Content-Length): bytes, and whether
    it was whole."""
    reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    head = reply.split(b"\r\n\r\n", 1)[0].lower()
    length = re.search(rb"content-length: (\d+)", head)
    while True:
        if length and len(reply) >= len(head) + 4 + int(length.group(1)):
            return len(reply), True
        if not length and reply.endswith(b"0\r\n\r\n"):
            return len(reply), True
        if not (chunk := sock.recv(1 << 20)):
            return len(reply), False
        reply += chunk


@pytest.mark.parametrize("accept", ["application/json", "application/x-safetensors"])
def test_a_large_answer_nobody_reads_is_dropped_and_its_memory_freed(accept: str) -> None:
    """Three clients ask for a large answer and never read it. Two turns (DEDZ_MAX_LARGE_ANSWERS)
    are taken, each given back, with the answer's memory, once a part has stayed unread for
    DEDZ_SEND_TIMEOUT (2 s); a large answer asked for afterwards gets a turn and arrives."""
    with serve(env=LIMITS, command=[DEDZ]) as server:
        assert ok(server)
        before = rss_kib(server.process.pid)
        hogs = [connect(server) for _ in range(3)]
        for hog in hogs:
            _large_request(hog, accept=accept)
        time.sleep(0.5)
        assert ok(server)  # small requests are served meanwhile
        time.sleep(5)  # past the send timeout of the two being sent, and the third's wait
        held = rss_kib(server.process.pid) - before
        with connect(server) as reader:
            _large_request(reader, reads=True, accept=accept)
            reader.settimeout(30)
            received, complete = _read_answer(reader)
        for hog in hogs:
            hog.close()
        log = server.log_text()
    # said as what it is, not as uvicorn's ERROR for an app that failed to finish an answer
    assert "stopped reading its answer" in log
    assert "ERROR" not in log, log
    # Measured: 4.7 MiB with the send timeout, 52.7 MiB without (three answers held forever).
    assert held < 25_000, f"the unread answers still held {held:,} KiB"
    assert complete, f"the answer stopped after {received:,} bytes"
