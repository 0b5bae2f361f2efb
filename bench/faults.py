"""Fault drills on `dedz`: oversized and slow bodies, idle sockets, the concurrency cap, a kill.

    .venv/bin/python bench/faults.py [--only a c] [--duration 20 --connections 64]   # about 55 s

Each scenario (d needs wrk) starts `dedz` with DEDZ_MAX_BODY_BYTES=65536, DEDZ_BODY_TIMEOUT=5
and prints PASS/MISS/INFO per check; then a summary. Exits 0: this is a report.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import select
import shutil
import signal
import socket
import statistics
import threading
import time

from common import (
    HOST,
    JSON,
    OUT,
    POST_BODY,
    Server,
    Wrk,
    connections,
    cpu_seconds,
    dedz,
    run,
    workers,
)

SETTINGS = {"DEDZ_MAX_BODY_BYTES": "65536", "DEDZ_BODY_TIMEOUT": "5"}
CHECKS: list[tuple[str, str]] = []  # (verdict, check)


def check(name: str, ok: bool | None, detail: str) -> None:
    """Print one check's verdict (None: information only) and keep it for the summary."""
    CHECKS.append(("INFO" if ok is None else "PASS" if ok else "MISS", name))
    print(f"  [{CHECKS[-1][0]}] {name}: {detail}")


def connect(server: Server, timeout: float = 5.0) -> socket.socket:
    """Open a TCP connection to the server."""
    return socket.create_connection((HOST, server.port), timeout=timeout)


def head(method: str, path: str, **headers: str) -> bytes:
    """Return an HTTP/1.1 request head, JSON for a POST (`x_slow=` gives `X-Slow:`)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    lines += ["Content-Type: application/json"] if method == "POST" else []
    lines += [f"{k.replace('_', '-').title()}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """Return `data` as one chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def reply(sock: socket.socket, timeout: float) -> tuple[int | None, dict[str, str], str, float]:
    """Read one response within `timeout` s: status (None: none), headers, summary, seconds."""
    start, response = time.monotonic(), http.client.HTTPResponse(sock)
    sock.settimeout(timeout)
    try:
        response.begin()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:  # TimeoutError, RemoteDisconnected
        return None, {}, f"no response ({type(exc).__name__})", time.monotonic() - start
    finally:
        response.close()
    seconds, code = time.monotonic() - start, response.status
    headers = {k.lower(): v for k, v in response.getheaders()}
    return code, headers, f"{code} after {seconds:.3f} s, body {body[:100]!r}", seconds


def readable(sock: socket.socket, wait: float = 0.0) -> bool:
    """Return whether the server sent something (or closed) within `wait` s; read nothing."""
    return bool(select.select([sock], [], [], wait)[0])


def state(sock: socket.socket, wait: float = 0.0) -> str:
    """Say, within `wait` s, whether the server left the connection open, closed or reset it."""
    if not readable(sock, wait):
        return "open"
    try:
        sock.settimeout(0.1)
        data = sock.recv(4096)
    except OSError as exc:
        return type(exc).__name__  # ConnectionResetError: an RST
    return f"answered {data[:40]!r}" if data else "closed by the server (FIN)"


def get(server: Server, path: str = "/healthz", timeout: float = 5.0) -> tuple[int | None, str]:
    """GET `path` on a new connection: the status, and the answer described."""
    with contextlib.suppress(OSError), connect(server, timeout) as sock:
        sock.sendall(head("GET", path, connection="close"))
        code, _, what, seconds = reply(sock, timeout)
        return code, what if code is None else f"{code} in {seconds * 1e3:.1f} ms"
    return None, "cannot connect"


def scenario_a() -> None:
    """Oversized bodies: Content-Length far over the cap; chunked bodies past it and under it."""
    with dedz({"DEDZ_WORKERS": "1", **SETTINGS}, OUT / "faults-a.log") as server:
        get(server)  # warm
        with connect(server) as sock:
            sock.sendall(head("POST", "/gradient", content_length="100000000") + b'{"logits":')
            code, _, what, seconds = reply(sock, 10)
            what += f"; connection {state(sock, 1)}"
        check(
            "Content-Length: 100000000, 10 bytes sent: 413 at once",
            code == 413 and seconds < 1,
            what,
        )
        sent, start = 0, time.monotonic()
        with connect(server) as sock:
            sock.sendall(head("POST", "/gradient", transfer_encoding="chunked"))
            sock.sendall(chunk(b'{"logits":['))
            with contextlib.suppress(OSError):  # the server may stop reading, or reset
                while sent < 4 << 20 and time.monotonic() - start < 15 and not readable(sock):
                    sock.sendall(chunk(b"1.0," * 1024))
                    sent += 4096
            code, _, what, _ = reply(sock, 5)
        elapsed = time.monotonic() - start
        what += f", {sent:,} bytes sent in {elapsed:.3f} s (some only into the kernel's buffers)"
        check("chunked body streamed past the cap (65,536 B): 413", code == 413, what)
        with connect(server) as sock:
            sock.sendall(head("POST", "/gradient", transfer_encoding="chunked"))
            body = chunk(POST_BODY[:30]) + chunk(POST_BODY[30:]) + b"0\r\n\r\n"
            sock.sendall(body)
            code, _, what, _ = reply(sock, 5)
        check("chunked body under the cap: 200", code == 200, what[:60])


def drip(sock: socket.socket, data: bytes, limit: float) -> int:
    """Send `data` a byte every 0.5 s until an answer or `limit` s; return the bytes sent."""
    start, sent = time.monotonic(), 0
    with contextlib.suppress(OSError):
        while sent < len(data) and time.monotonic() - start < limit and not readable(sock, 0.5):
            sock.sendall(data[sent : sent + 1])
            sent += 1
    return sent


def slow_body(server: Server, outcome: list[tuple[int | None, float, str]]) -> None:
    """POST with the body sent a byte every 0.5 s; what it got, when, and the connection."""
    with connect(server) as sock:
        sock.sendall(head("POST", "/gradient", content_length=str(len(POST_BODY))))
        start, sent = time.monotonic(), drip(sock, POST_BODY, 30)
        code, _, what, _ = reply(sock, 30)
        waited = time.monotonic() - start
        what += f"; {waited:.2f} s after its head, {sent} of {len(POST_BODY)} body bytes sent"
        outcome.append((code, waited, f"{what}; connection {state(sock, 1)}"))


def scenario_b() -> None:
    """Slow clients: a body a byte per 0.5 s beside 50 quick requests (1 worker); slow heads."""
    with dedz({"DEDZ_WORKERS": "1", **SETTINGS}, OUT / "faults-b.log") as server:
        outcome: list[tuple[int | None, float, str]] = []
        slow = threading.Thread(target=slow_body, args=(server, outcome), daemon=True)
        slow.start()
        time.sleep(1.0)
        latencies, statuses = [], []
        connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
        for _ in range(50):
            start = time.monotonic()
            connection.request("POST", "/gradient", POST_BODY, JSON)
            response = connection.getresponse()
            response.read()
            latencies.append(time.monotonic() - start)
            statuses.append(response.status)
            time.sleep(0.06)
        connection.close()
        detail = f"statuses {set(statuses)}, latency median {statistics.median(latencies):.4f} s, "
        detail += f"max {max(latencies):.4f} s; slow client still pending: {slow.is_alive()}"
        slow.join(timeout=45)
        ok = statuses == [200] * 50 and max(latencies) < 0.5
        check("50 requests beside a slow client, one worker: all 200, max < 0.5 s", ok, detail)
        code, waited, what = outcome[0] if outcome else (None, 0.0, "did not finish in time")
        ok = code == 408 and waited < 6.5
        check("slow client (a body byte every 0.5 s): 408 within 6.5 s", ok, what)
        tracebacks = server.log_text().count("Traceback")
        check("server log quiet", tracebacks == 0, f"{tracebacks} tracebacks")

        request = head("GET", "/healthz", x_slow="a" * 40)
        with connect(server) as idle, connect(server) as slow_head:
            start, sent = time.monotonic(), drip(slow_head, request[:-4], 12)
            idle_state, slow_state, completed = state(idle), state(slow_head), "-"
            if slow_state == "open":
                slow_head.sendall(request[sent:])
                completed = reply(slow_head, 5)[2]
        check(
            "b2: does the server close an idle connection, or a head sent a byte per 0.5 s?",
            None,
            f"after {time.monotonic() - start:.1f} s ({sent} head bytes sent): idle connection "
            f"{idle_state}, slow head {slow_state}; its head then completed got {completed}",
        )


def scenario_c() -> None:
    """Concurrency cap 4 (1 worker): slow requests past it get 503; silent connections."""
    settings = {"DEDZ_WORKERS": "1", "DEDZ_LIMIT_CONCURRENCY": "4", **SETTINGS}
    with dedz(settings, OUT / "faults-c.log") as server, contextlib.ExitStack() as stack:
        request = head("POST", "/gradient", content_length=str(len(POST_BODY)))
        held, refused, closed = [], [], set()
        for _ in range(8):  # each sends its head and 5 body bytes, then waits 0.3 s
            sock = stack.enter_context(connect(server))
            sock.sendall(request + POST_BODY[:5])
            if not readable(sock, 0.3):
                held.append(sock)
                continue
            refused.append(reply(sock, 2))
            closed.add(state(sock, 0.5))
        probe = get(server)[1]
        for sock in held:
            sock.sendall(POST_BODY[5:])
        finished = [reply(sock, 5)[0] for sock in held]
        beside_idle = get(server)[1]
        stack.close()
        time.sleep(0.2)
        after = get(server)
        clean = [r[0] == 503 and r[1].get("connection") == "close" and r[3] < 0.5 for r in refused]
        check(
            "8 slow POSTs, cap 4, 1 worker: those past the cap get a clean 503",
            bool(refused) and all(clean) and len(held) + len(refused) == 8,
            f"{len(held)} held (N-1 run at once), {len(refused)} got 503 with Connection: close "
            f"within 0.5 s ({refused[0][2] if refused else '-'}; connection {closed})",
        )
        check(
            "held requests complete, the server recovers",
            finished == [200] * len(held) and after[0] == 200,
            f"/healthz while held {probe}; held bodies completed: {finished}; /healthz beside "
            f"their idle keep-alive connections {beside_idle}, once they closed {after[1]}",
        )
        with contextlib.ExitStack() as silent:
            for _ in range(3):
                silent.enter_context(connect(server))
            first = get(server)[1]
            time.sleep(7.0)  # longer than uvicorn's keep-alive timeout (5 s in dedz)
            later = get(server)[1]
        time.sleep(0.2)
        check(
            "c2: do 3 connections that never send a byte fill the cap of 4?",
            None,
            f"GET /healthz beside them {first}, 7 s later {later}, once closed {get(server)[1]}",
        )


def scenario_d(duration: int, conns: int) -> None:
    """SIGKILL of one of 2 workers under wrk: errors, /healthz polls, the replacement."""
    if shutil.which("wrk") is None:
        check("wrk available", False, "wrk is not on PATH: skipped")
        return
    with dedz({"DEDZ_WORKERS": "2", **SETTINGS}, OUT / "faults-d.log") as server:
        before, stop, start = workers(server), threading.Event(), time.monotonic()
        polls: list[tuple[float, int | None, float]] = []  # (t, status, seconds)
        seen: list[tuple[float, list[int]]] = []  # (t, worker pids) whenever they change

        def sample() -> None:
            while not stop.wait(0.1):
                pids = workers(server)
                if not seen or seen[-1][1] != pids:
                    seen.append((time.monotonic() - start, pids))

        def poll() -> None:
            while not stop.wait(0.2):
                began = time.monotonic()
                code = get(server, timeout=3)[0]
                polls.append((began - start, code, time.monotonic() - began))

        threads = [threading.Thread(target=f, daemon=True) for f in (sample, poll)]
        request = {"method": "POST", "headers": JSON, "body": POST_BODY}
        try:
            with Wrk(server.url + "/gradient", duration, conns, **request) as wrk:
                for thread in threads:
                    thread.start()
                time.sleep(5.0)
                held, victim = connections(before, server.port), before[0]
                killed_at = time.monotonic() - start
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                time.sleep(max(duration - 7, 1))
                after = workers(server)
                held_late = connections(after, server.port)
                result = wrk.result()
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5)
        cpu = ", ".join(f"{p}: {cpu_seconds(p):.1f}" for p in after)
        log = server.log_text()
    print(f"  connections held by workers {held}; t={killed_at:.1f} s: SIGKILL to {victim}")
    print("  workers: " + ", ".join(f"t={at:.2f} s {pids}" for at, pids in seen))
    print(f"  ~2 s before wrk ended: connections held {held_late}; CPU seconds {cpu}")
    new = [p for p in after if p not in before]
    lines = [
        line.strip() for line in log.splitlines() if any(str(p) in line for p in [victim, *new])
    ]
    print("  supervisor log: " + " | ".join(lines[:6]))
    print(f"  wrk: {result.rps:,.0f} req/s, {result.errors()}, p99 {result.p99:.1f} ms")
    appeared = next((at - killed_at for at, pids in seen if set(pids) - set(before)), None)
    started = log.count("Application startup complete") >= 3
    ok = bool(new) and started and all(f"Started server process [{p}]" in log for p in new)
    when = "never" if appeared is None else f"{appeared:.2f} s after the kill"
    check("the supervisor starts a replacement worker", ok, f"{new} started {when}")
    after_kill = [p for p in polls if p[0] > killed_at]
    ok = bool(after_kill) and all(p[1] == 200 for p in after_kill)
    detail = f"{sum(p[1] == 200 for p in after_kill)} of {len(after_kill)} polls after the kill "
    detail += (
        f"answered 200 ({len(polls)} in all, max {max((p[2] for p in polls), default=0):.3f} s)"
    )
    check("/healthz (a new connection every 0.2 s) keeps answering", ok, detail)
    errors = result.socket_errors + result.bad
    ok = errors <= conns and result.requests > 0 and "Traceback" not in log
    detail = f"{errors} in {result.requests:,} requests; {log.count('Traceback')} tracebacks"
    check(f"wrk's errors at most its {conns} connections, no traceback logged", ok, detail)


def main() -> int:
    """Run the chosen scenarios and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices="abcd", help="scenarios to run (all)")
    parser.add_argument("--duration", type=int, default=20, help="wrk seconds in d (20)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections in d (64)")
    args = parser.parse_args()
    runs = {"a": (scenario_a, ()), "b": (scenario_b, ()), "c": (scenario_c, ())}
    runs["d"] = (scenario_d, (args.duration, args.connections))
    for key in args.only or "abcd":
        scenario, scenario_args = runs[key]
        print(f"{key}. {scenario.__doc__}")
        started = time.monotonic()
        try:
            scenario(*scenario_args)
        except Exception as exc:  # report the failure and go on with the next scenario
            check("scenario ran", False, f"{type(exc).__name__}: {exc}")
        print(f"  ({time.monotonic() - started:.1f} s)\n")
    print("summary")
    for verdict, name in CHECKS:
        print(f"  {verdict:4}  {name}")
    print(json.dumps({v: sum(c[0] == v for c in CHECKS) for v in ("PASS", "MISS", "INFO")}))
    return 0


if __name__ == "__main__":
    run(main)
