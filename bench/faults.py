"""Fault injection against the production server: big bodies, slow clients, overload, dead workers.

Run from the repository root (needs wrk on PATH for scenario d):

    .venv/bin/python bench/faults.py              # every scenario, about 55 s
    .venv/bin/python bench/faults.py --only a c   # some of them

Each scenario starts its own server with the `dedz` CLI (as bench/load.py does, falling back to
uvicorn flags only for a setting app/settings.py lacks) on a free port of 127.0.0.1, with
`DEDZ_MAX_BODY_BYTES=65536` and `DEDZ_BODY_TIMEOUT=5`, and prints what it did and what it saw:

  a. Oversized bodies: `Content-Length: 100000000` with a few bytes of body must get 413 at once,
     without the server waiting for the body; a chunked body streamed past the cap gets 413.
  b. Slow client: a body sent one byte every 0.5 s, while another client sends 50 requests
     (their latency); what the slow client gets in the end (408 with a body timeout).
     b2. Slow headers and an idle connection: does anything close them?
  c. Concurrency cap (`DEDZ_LIMIT_CONCURRENCY=4`): more slow requests than the cap; those past
     it must get a clean 503. c2. Do connections that never send a byte fill the cap?
  d. SIGKILL of one of 2 workers under wrk load: errors, /healthz, and the replacement worker.

Servers' logs go to bench/out/faults-*.log. Every loop is bounded in count and time, and every
process started here is stopped at the end, also on Ctrl-C or an error. The exit status is 0
even when a check fails: this is a report (PASS/MISS per check, then a summary).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import HOST, OUT, install_sigterm_handler, run_main
from load import (
    POST_BODY,
    Server,
    cpu_seconds,
    established_connections,
    lua_script,
    serve,
    start_wrk,
    targets,
)

BODY_CAP = 65536
BODY_TIMEOUT = 5.0
BASE_SETTINGS = {"max_body_bytes": str(BODY_CAP), "body_timeout": f"{BODY_TIMEOUT:g}"}
CHECKS: list[tuple[str, str, str]] = []  # (scenario, check, PASS / MISS / INFO)


def check(scenario: str, name: str, ok: bool | None, detail: str) -> None:
    """Print one check's verdict (None: only information) and remember it for the summary."""
    verdict = "INFO" if ok is None else "PASS" if ok else "MISS"
    CHECKS.append((scenario, name, verdict))
    print(f"  [{verdict}] {name}: {detail}")


def show_server(server: Server) -> None:
    """Print how the server was started."""
    print(f"  server: {server.how}")
    for note in server.notes:
        print(f"  note: {note}")
    print(f"  master {server.pid}, workers {server.workers()}")


# --- raw HTTP ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """What came back on a raw connection."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the moment we started waiting to the complete response
    error: str | None = None

    def line(self) -> str:
        """Describe the reply in one line."""
        if self.status is None:
            return f"no response ({self.error}) after {self.seconds:.3f} s"
        body = self.body[:120].decode(errors="replace")
        return f"{self.status} after {self.seconds:.3f} s, body {body!r}"


def connect(server: Server, timeout: float = 5.0) -> socket.socket:
    """Open a TCP connection to the server."""
    return socket.create_connection((HOST, server.port), timeout=timeout)


def request_head(
    server: Server, method: str, path: str, headers: dict[str, str] | None = None
) -> bytes:
    """Return an HTTP/1.1 request's head."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{server.port}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_reply(sock: socket.socket, timeout: float) -> Reply:
    """Read one response (head and Content-Length body), waiting at most `timeout` seconds."""
    start = time.monotonic()
    deadline = start + timeout
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                return Reply(None, {}, data, time.monotonic() - start, "closed without a response")
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for header in header_lines:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        match = re.match(r"HTTP/1\.[01] (\d{3})", status_line)
        status = int(match.group(1)) if match else None
        return Reply(status, headers, body, time.monotonic() - start)
    except TimeoutError:
        return Reply(None, {}, data, time.monotonic() - start, f"nothing within {timeout:g} s")
    except OSError as exc:
        return Reply(None, {}, data, time.monotonic() - start, f"{type(exc).__name__}: {exc}")


def after_reply(sock: socket.socket, wait: float = 1.0) -> str:
    """Say what the server did with the connection after its response."""
    sock.settimeout(wait)
    try:
        data = sock.recv(1)
    except TimeoutError:
        return f"kept open (nothing within {wait:g} s)"
    except ConnectionResetError:
        return "reset by the server (RST)"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "closed by the server (FIN)" if not data else f"more data: {data!r}"


def readable(sock: socket.socket, wait: float) -> bool:
    """Return whether the socket has something to read (or an EOF/error) within `wait` s."""
    ready, _, _ = select.select([sock], [], [], wait)
    return bool(ready)


def still_open(sock: socket.socket) -> str:
    """Check without blocking whether the server has closed a connection we sent nothing on."""
    if not readable(sock, 0):
        return "open"
    try:
        sock.settimeout(0.1)
        data = sock.recv(4096)
    except ConnectionResetError:
        return "reset by the server (RST)"
    except OSError as exc:
        return f"{type(exc).__name__}"
    return "closed by the server (FIN)" if not data else f"answered {data[:40]!r}"


def timed_post(connection: http.client.HTTPConnection) -> tuple[int, float]:
    """POST /gradient n=10 on a kept-alive connection; return the status and seconds taken."""
    start = time.monotonic()
    connection.request(
        "POST", "/gradient", body=POST_BODY, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    return response.status, time.monotonic() - start


# --- a. oversized bodies -----------------------------------------------------------------------


def scenario_a() -> None:
    """Content-Length far over the cap, and a chunked body streamed past it."""
    print("a. Oversized bodies")
    with serve({"workers": "1", **BASE_SETTINGS}, OUT / "faults-a.log") as server:
        show_server(server)
        http_get(server, "/healthz")  # a first request, so that the timing below is warm
        headers = {"Content-Type": "application/json", "Content-Length": "100000000"}
        with connect(server) as sock:
            sock.sendall(request_head(server, "POST", "/gradient", headers) + b'{"logits":')
            reply = read_reply(sock, timeout=10)
            closed = after_reply(sock)
        print("  sent: POST /gradient, Content-Length: 100000000, then 10 bytes of body, no more")
        print(f"  got:  {reply.line()}; connection {closed}")
        check(
            "a",
            "Content-Length over the cap: 413 at once",
            reply.status == 413 and reply.seconds < 1.0,
            f"{reply.status} in {reply.seconds * 1e3:.1f} ms (goal: 413 within 1 s)",
        )

        chunk = b"1.0," * 1024  # 4 KiB of a never-ending JSON array
        max_bytes, max_seconds = 4 * 1024 * 1024, 15.0
        sent = 0
        send_error = None
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        with connect(server) as sock:
            sock.sendall(request_head(server, "POST", "/gradient", headers))
            sock.sendall(b"b\r\n" + b'{"logits":[' + b"\r\n")
            start = time.monotonic()
            while sent < max_bytes and time.monotonic() - start < max_seconds:
                if readable(sock, 0):
                    break
                try:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                except OSError as exc:
                    send_error = f"{type(exc).__name__}"
                    break
                sent += len(chunk)
            stopped = time.monotonic() - start
            reply = read_reply(sock, timeout=5)
            closed = after_reply(sock) if reply.status is not None else "-"
        print(
            f"  sent: POST /gradient, Transfer-Encoding: chunked, 4 KiB chunks until an answer "
            f"came (at most {max_bytes // 1024 // 1024} MiB or {max_seconds:g} s): "
            f"{sent:,} bytes in {stopped:.3f} s"
            + (f", then the send failed ({send_error})" if send_error else "")
        )
        print(f"  got:  {reply.line()}; connection {closed}")
        check(
            "a",
            f"chunked body past the cap ({BODY_CAP:,} B): 413",
            reply.status == 413,
            f"{reply.status} after {sent:,} bytes sent "
            f"(the kernel buffers part of them: the server read fewer)",
        )

        body = POST_BODY
        with connect(server) as sock:
            sock.sendall(request_head(server, "POST", "/gradient", headers))
            half = len(body) // 2
            for piece in (body[:half], body[half:]):
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
            reply = read_reply(sock, timeout=5)
        check("a", "chunked body under the cap: 200", reply.status == 200, reply.line()[:60])


# --- b. slow client ----------------------------------------------------------------------------


@dataclass
class SlowResult:
    """What the slow client sent and got."""

    bytes_sent: int
    reply: Reply
    waited: float  # seconds from the end of the head to the response
    after: str


def slow_body(server: Server, body: bytes, interval: float, limit: float) -> SlowResult:
    """Send the head, then `body` a byte every `interval` s until an answer (at most `limit` s)."""
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    with connect(server) as sock:
        sock.sendall(request_head(server, "POST", "/gradient", headers))
        start = time.monotonic()
        sent = 0
        while sent < len(body) and time.monotonic() - start < limit:
            if readable(sock, interval):
                break
            try:
                sock.sendall(body[sent : sent + 1])
            except OSError:
                break
            sent += 1
        reply = read_reply(sock, timeout=max(limit - (time.monotonic() - start), 1.0))
        waited = time.monotonic() - start
        after = after_reply(sock) if reply.status is not None else "-"
    return SlowResult(sent, reply, waited, after)


def scenario_b() -> None:
    """A slow body on the only worker, and 50 quick requests beside it; then slow headers."""
    print("b. Slow client (1 worker, so that the slow client and the others share it)")
    with serve({"workers": "1", **BASE_SETTINGS}, OUT / "faults-b.log") as server:
        show_server(server)
        interval, limit = 0.5, 30.0
        outcome: list[SlowResult] = []
        slow = threading.Thread(
            target=lambda: outcome.append(slow_body(server, POST_BODY, interval, limit)),
            daemon=True,
        )
        slow.start()
        time.sleep(1.0)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
        try:
            for _ in range(50):
                status, seconds = timed_post(connection)
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1
                time.sleep(0.06)
        finally:
            connection.close()
        pending = slow.is_alive()
        slow.join(timeout=limit + 15)
        print(
            f"  slow client: POST /gradient, Content-Length {len(POST_BODY)}, then one byte of "
            f"body every {interval:g} s (the whole body would take {len(POST_BODY) * interval:g} s)"
        )
        print(
            f"  other client: 50 POST /gradient on one kept-alive connection, one every ~0.07 s, "
            f"from 1 s after the slow client started; slow client still pending at the end: "
            f"{pending}"
        )
        check(
            "b",
            "50 requests beside the slow client complete quickly",
            statuses == {200: 50} and max(latencies) < 0.5,
            f"statuses {statuses}, latency median {statistics.median(latencies) * 1e3:.1f} ms, "
            f"max {max(latencies) * 1e3:.1f} ms (goal: all 200, max < 500 ms)",
        )
        if not outcome:
            check("b", "slow client's outcome", False, "the slow client did not finish in time")
        else:
            result = outcome[0]
            print(
                f"  slow client got: {result.reply.line()}, {result.waited:.2f} s after its head, "
                f"having sent {result.bytes_sent} of {len(POST_BODY)} body bytes; "
                f"connection {result.after}"
            )
            check(
                "b",
                f"slow client: 408 after the body timeout (DEDZ_BODY_TIMEOUT={BODY_TIMEOUT:g})",
                result.reply.status == 408 and result.waited < BODY_TIMEOUT + 1.5,
                f"{result.reply.status} after {result.waited:.2f} s",
            )
        log = server.log_text()
        check(
            "b",
            "server log quiet",
            "Traceback" not in log,
            f"{log.count('Traceback')} tracebacks, {log.count('ERROR:')} ERROR lines",
        )
        slow_head(server)


def slow_head(server: Server) -> None:
    """An idle connection and one that sends its head one byte every 0.5 s: are they closed?"""
    observe = 12.0
    head = request_head(server, "GET", "/healthz", {"X-Slow": "a" * 40})
    with connect(server) as idle, connect(server) as slow:
        start = time.monotonic()
        sent = 0
        idle_state = slow_state = "open"
        while time.monotonic() - start < observe and sent < len(head) - 4:
            if readable(slow, 0.5):
                slow_state = still_open(slow)
                break
            slow.sendall(head[sent : sent + 1])
            sent += 1
            idle_state = still_open(idle)
            if idle_state != "open":
                break
        elapsed = time.monotonic() - start
        idle_state = still_open(idle)
        if slow_state == "open":
            slow_state = still_open(slow)
        completed = "-"
        if slow_state == "open":
            slow.sendall(head[sent:])
            completed = read_reply(slow, timeout=5).line()
    print(
        f"  b2: one connection idle (nothing sent) and one sending a request head one byte every "
        f"0.5 s ({sent} of {len(head)} bytes in {elapsed:.1f} s)"
    )
    print(
        f"      after {elapsed:.1f} s: idle connection {idle_state}; slow-head connection "
        f"{slow_state}; its head then completed at once got: {completed}"
    )
    check(
        "b",
        "slow head / idle connection closed by the server",
        None,
        "no: nothing in uvicorn times out a request head or a connection that never sent a "
        "byte; each such connection holds one of a worker's limit_concurrency slots"
        if idle_state == "open" and slow_state == "open"
        else f"idle {idle_state}, slow head {slow_state}",
    )


# --- c. concurrency cap ------------------------------------------------------------------------


def scenario_c() -> None:
    """More slow requests than the cap: those past it get 503."""
    limit, opened = 4, 8
    print(f"c. Concurrency cap (limit_concurrency={limit}, 1 worker: the cap is per worker)")
    settings = {"workers": "1", "limit_concurrency": str(limit), **BASE_SETTINGS}
    with serve(settings, OUT / "faults-c.log") as server:
        show_server(server)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(POST_BODY))}
        head = request_head(server, "POST", "/gradient", headers)
        held: list[socket.socket] = []
        refused: list[Reply] = []
        others: list[str] = []
        sockets: list[socket.socket] = []
        start = time.monotonic()
        try:
            for _ in range(opened):
                sock = connect(server)
                sockets.append(sock)
                sock.sendall(head + POST_BODY[:5])
                if readable(sock, 0.3):
                    reply = read_reply(sock, timeout=2)
                    if reply.status == 503:
                        refused.append(reply)
                        others.append(after_reply(sock, 0.5))
                    else:
                        others.append(f"unexpected: {reply.line()}")
                else:
                    held.append(sock)
            probe = http_get(server, "/healthz")
            finished = []
            for sock in held:
                sock.sendall(POST_BODY[5:])
                finished.append(read_reply(sock, timeout=5))
            idle = http_get(server, "/healthz")
            for sock in held:
                sock.close()
            time.sleep(0.2)
            elapsed = time.monotonic() - start
            after = http_get(server, "/healthz")
        finally:
            for sock in sockets:
                sock.close()
        print(
            f"  opened {opened} connections one after another, each sending a POST /gradient head "
            f"and 5 of its {len(POST_BODY)} body bytes, then waiting 0.3 s for an answer"
        )
        print(
            f"  held open (no answer): {len(held)}; answered 503 at once: {len(refused)}; "
            f"other: {[o for o in others if o.startswith('unexpected')]}"
        )
        if refused:
            first = refused[0]
            print(
                f"  a 503: {first.line()}, headers {first.headers}; connection "
                f"{sorted(set(others))}"
            )
        print(f"  GET /healthz while they were held: {probe}")
        statuses = [r.status for r in finished]
        print(f"  the held requests, their bodies then completed: statuses {statuses}")
        print(
            f"  GET /healthz after they were answered, their connections still open (idle "
            f"keep-alive): {idle}"
        )
        print(
            f"  GET /healthz after those connections were closed: {after} ({elapsed:.1f} s in all)"
        )
        clean = all(
            r.status == 503 and r.headers.get("connection") == "close" and r.seconds < 0.5
            for r in refused
        )
        check(
            "c",
            f"requests past the cap ({opened} opened, cap {limit}) get a clean 503",
            bool(refused) and clean and len(held) + len(refused) == opened,
            f"{len(held)} served, {len(refused)} got 503 (Connection: close) within 0.5 s",
        )
        check(
            "c",
            "how many run at once under limit_concurrency=N",
            None,
            f"{len(held)} with N={limit}: uvicorn refuses when open connections (counting the new "
            "one, and idle keep-alive ones) >= N, so N-1 requests run at once"
            if len(held) == limit - 1
            else f"{len(held)} with N={limit}",
        )
        check(
            "c",
            "idle keep-alive connections count against the cap",
            None,
            f"yes: with {len(held)} idle keep-alive connections open, a new request got {idle}"
            if idle.startswith("503")
            else f"a new request beside {len(held)} idle keep-alive connections got {idle}",
        )
        check(
            "c",
            "held requests complete, the server recovers",
            all(s == 200 for s in statuses) and after.startswith("200"),
            f"held: {statuses}; afterwards /healthz {after}",
        )
        silent_connections(server, limit)


def silent_connections(server: Server, limit: int) -> None:
    """Connections that never send a byte: do they fill the cap, and for how long?"""
    wait = 7.0  # longer than uvicorn's keep-alive timeout (5 s in the CLI)
    with contextlib.ExitStack() as stack:
        for _ in range(limit - 1):
            stack.enter_context(connect(server))
        first = http_get(server, "/healthz")
        time.sleep(wait)
        later = http_get(server, "/healthz")
    time.sleep(0.2)
    freed = http_get(server, "/healthz")
    print(
        f"  c2: {limit - 1} connections that never send a byte; GET /healthz beside them: "
        f"{first}, again {wait:g} s later: {later}; once they are closed: {freed}"
    )
    check(
        "c",
        "connections that never send a byte fill the cap",
        None,
        f"yes: {limit - 1} silent connections made every request get 503, still {wait:g} s "
        "later (uvicorn arms no timeout before a connection's first byte, so they stay as long "
        "as the client keeps them): a worker's cap of N is exhausted by N-1 idle sockets"
        if first.startswith("503") and later.startswith("503")
        else f"beside them {first}, {wait:g} s later {later}",
    )


def http_get(server: Server, path: str) -> str:
    """GET `path` on a new connection; describe the answer."""
    with connect(server) as sock:
        sock.sendall(request_head(server, "GET", path, {"Connection": "close"}))
        reply = read_reply(sock, timeout=5)
    if reply.status is None:
        return reply.line()
    return f"{reply.status} in {reply.seconds * 1e3:.1f} ms"


# --- d. a worker killed under load ----------------------------------------------------------


@dataclass
class Poll:
    """One /healthz poll."""

    at: float
    status: int | None
    seconds: float


def poller(server: Server, start: float, stop: threading.Event, polls: list[Poll]) -> None:
    """Poll /healthz on a new connection every 0.2 s until `stop` (bounded by 60 s)."""
    while not stop.is_set() and time.monotonic() - start < 60:
        began = time.monotonic()
        try:
            with connect(server, timeout=3) as sock:
                sock.sendall(request_head(server, "GET", "/healthz", {"Connection": "close"}))
                reply = read_reply(sock, timeout=3)
            status = reply.status
        except OSError:
            status = None
        polls.append(Poll(began - start, status, time.monotonic() - began))
        stop.wait(0.2)


def sampler(
    sample: Callable[[], list[int]],
    start: float,
    stop: threading.Event,
    seen: list[tuple[float, list[int]]],
) -> None:
    """Record the worker pids every 0.1 s when they change (bounded by 60 s)."""
    while not stop.is_set() and time.monotonic() - start < 60:
        pids = sample()
        if not seen or seen[-1][1] != pids:
            seen.append((time.monotonic() - start, pids))
        stop.wait(0.1)


def scenario_d(duration: int, connections: int) -> None:
    """SIGKILL one of two workers while wrk loads POST /gradient."""
    kill_at = 5.0
    print(f"d. SIGKILL of a worker under load (2 workers, wrk {connections} connections)")
    if shutil.which("wrk") is None:
        check("d", "wrk available", False, "wrk is not on PATH: skipped")
        return
    with (
        tempfile.TemporaryDirectory(prefix="dedz-faults-") as tmp,
        serve({"workers": "2", **BASE_SETTINGS}, OUT / "faults-d.log") as server,
    ):
        show_server(server)
        target = targets()[0]
        script = Path(tmp) / "post.lua"
        script.write_text(lua_script(target))
        before = server.workers()
        stop = threading.Event()
        polls: list[Poll] = []
        seen: list[tuple[float, list[int]]] = []
        start = time.monotonic()
        threads = [
            threading.Thread(target=poller, args=(server, start, stop, polls), daemon=True),
            threading.Thread(target=sampler, args=(server.workers, start, stop, seen), daemon=True),
        ]
        wrk = start_wrk(server.url + target.path, script, duration, connections)
        try:
            for thread in threads:
                thread.start()
            time.sleep(kill_at)
            victim = before[0]
            held = established_connections(before, server.port)
            killed_at = time.monotonic() - start
            signal_sent = True
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                signal_sent = False
            time.sleep(max(duration - kill_at - 2, 1))
            after_workers = server.workers()
            held_late = established_connections(after_workers, server.port)
            result = wrk.finish()
        finally:
            wrk.stop()
            stop.set()
            for thread in threads:
                thread.join(timeout=5)
        cpu = {pid: cpu_seconds(pid) for pid in after_workers}
        log = server.log_text()
    print(f"  workers before: {before}, connections held {held}")
    print(
        f"  t={killed_at:.1f} s: SIGKILL to worker {victim} "
        f"({'sent' if signal_sent else 'it was already gone'})"
    )
    for at, pids in seen:
        print(f"  t={at:5.2f} s: workers {pids}")
    replacements = [p for p in after_workers if p not in before]
    appeared = next((at for at, pids in seen if set(pids) - set(before)), None)
    ready = [pid for pid in replacements if f"Started server process [{pid}]" in log] and log.count(
        "Application startup complete"
    ) >= 3
    print(
        f"  workers after: {after_workers}; connections held ~2 s before wrk ended {held_late}; "
        f"CPU seconds so far {', '.join(f'{p}: {c:.1f}' for p, c in cpu.items())}"
    )
    lines = [
        line
        for line in log.splitlines()
        if str(victim) in line or any(str(p) in line for p in replacements)
    ]
    lines += [line for line in log.splitlines() if "startup complete" in line][2:]
    print("  supervisor log: " + " | ".join(line.strip() for line in lines[:6]))
    print(
        f"  wrk: {result.requests:,} requests in {result.seconds:.1f} s "
        f"({result.requests_per_s:,.0f} req/s), statuses {result.describe_statuses()}, "
        f"socket errors {result.describe_socket_errors()}, p99 {result.p99_ms:.1f} ms, "
        f"max {result.max_ms:.0f} ms"
    )
    after_kill = [p for p in polls if p.at > killed_at]
    failed = [p for p in polls if p.status != 200]
    print(
        f"  /healthz polls (new connection every ~0.2 s): {len(polls)}, "
        f"{len(polls) - len(failed)} answered 200, "
        f"{len(after_kill)} after the kill, failures "
        f"{[(round(p.at, 2), p.status) for p in failed][:10]}, "
        f"max latency {max((p.seconds for p in polls), default=0) * 1e3:.0f} ms"
    )
    check(
        "d",
        "the supervisor starts a replacement worker",
        bool(replacements) and bool(ready),
        f"new worker {replacements} appeared "
        + (f"{appeared - killed_at:.2f} s after the kill" if appeared is not None else "never")
        + (", logged its startup" if ready else ", did not log its startup"),
    )
    check(
        "d",
        "the server keeps answering (/healthz after the kill)",
        bool(after_kill) and all(p.status == 200 for p in after_kill),
        f"{sum(p.status == 200 for p in after_kill)} of {len(after_kill)} polls answered 200",
    )
    check(
        "d",
        f"wrk's errors stay small (at most the {connections} connections)",
        result.socket_errors + result.non_2xx <= connections and result.requests > 0,
        f"{result.socket_errors} socket errors, {result.non_2xx} non-2xx "
        f"in {result.requests:,} requests",
    )
    check(
        "d",
        "server log: only the expected lines",
        "Traceback" not in log,
        f"{log.count('Traceback')} tracebacks, {log.count('ERROR:')} ERROR lines",
    )


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    """Run the chosen scenarios and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="*", choices=["a", "b", "c", "d"], help="scenarios to run (all)"
    )
    parser.add_argument("--duration", type=int, default=20, help="wrk seconds in d (20)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections in d (64)")
    args = parser.parse_args()
    install_sigterm_handler()
    chosen = args.only or ["a", "b", "c", "d"]
    runs: dict[str, Callable[[], None]] = {
        "a": scenario_a,
        "b": scenario_b,
        "c": scenario_c,
        "d": lambda: scenario_d(args.duration, args.connections),
    }
    for key in chosen:
        started = time.monotonic()
        try:
            runs[key]()
        except Exception as exc:  # report the failure and go on with the next scenario
            check(key, "scenario ran", False, f"{type(exc).__name__}: {exc}")
        print(f"  ({time.monotonic() - started:.1f} s)")
        print()
    print("summary")
    for scenario, name, verdict in CHECKS:
        print(f"  {verdict:4}  {scenario}  {name}")
    print(json.dumps({v: sum(c[2] == v for c in CHECKS) for v in ("PASS", "MISS", "INFO")}))
    return 0


if __name__ == "__main__":
    run_main(main)
