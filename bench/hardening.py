"""Hardening drills against `dedz` on loopback: print what one hostile client can do.

Run from the repository root (`make hardening`):

    .venv/bin/python bench/hardening.py [--clients 30] [--flood 10]

1. crash payloads: the requests that once aborted the server (1,000 logits, the first 900, a soft
   target, T = 2, with the matrices) and random variations; the server must survive them all;
2. huge-URL flood: four clients sending 65 KB explorer URLs while the normal page is timed;
3. non-reading clients: N sockets ask for a 27 MB answer and never read; RSS before, during,
   after they close;
4. SIGTERM while a client never reads its answer: how long the server takes to exit.
Figures only: nothing is asserted (tests/deploy asserts the limits).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
from common import HOST, OUT, Server, dedz, rss, run

SEED = "/?logits=2,1&target=0"


def crash_body(seed: int) -> bytes:
    """Return one of the requests that aborted orjson 3.12/3.13's numpy serializer."""
    rng = np.random.default_rng(seed)
    Z = np.concatenate([[900.0], rng.uniform(-6, 5, 999)])
    Y = rng.random(1000)
    return json.dumps(
        {
            "logits": Z.tolist(),
            "target": (Y / Y.sum()).tolist(),
            "temperature": 2,
            "include": ["jacobian", "chain"],
        }
    ).encode()


def post(server: Server, body: bytes) -> int:
    request = urllib.request.Request(
        server.url + "/gradient", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return int(response.status)


def page_ms(server: Server, path: str = SEED) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(server.url + path, timeout=60) as response:
        response.read()
    return (time.perf_counter() - start) * 1e3


def p50(server: Server, count: int = 40) -> float:
    return statistics.median(page_ms(server) for _ in range(count))


def mib(values: dict[int, int]) -> str:
    return f"{sum(values.values()) / 1024:.0f} MiB"


def drill_crashes(server: Server, count: int) -> None:
    statuses = [post(server, crash_body(seed)) for seed in range(count)]
    alive = server.process.poll() is None and page_ms(server) > 0
    crashes = "no crash" if alive else "THE SERVER DIED"
    print(f"1. crash payloads: {count} sent, statuses {sorted(set(statuses))}, {crashes}")


def drill_flood(server: Server, seconds: float) -> None:
    quiet = p50(server)
    huge = "/?logits=" + ",".join(["0"] * 32_700) + "&target=0"
    stop = threading.Event()
    answers: list[int] = []

    def flood() -> None:
        while not stop.is_set():
            try:
                urllib.request.urlopen(server.url + huge, timeout=30).read()
            except urllib.error.HTTPError as refused:
                answers.append(refused.code)

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    deadline = time.monotonic() + seconds
    loud = []
    while time.monotonic() < deadline:
        loud.append(page_ms(server))
    stop.set()
    for thread in threads:
        thread.join()
    codes = sorted(set(answers))
    print(
        f"2. huge-URL flood: {len(answers)} flood requests answered {codes}; normal page p50 "
        f"{quiet:.1f} ms quiet, {statistics.median(loud):.1f} ms during "
        f"({statistics.median(loud) / quiet:.2f}×; goal ≤ 2×)"
    )


def hog(server: Server) -> socket.socket:
    """Ask for a 27 MB answer and never read it."""
    body = json.dumps(
        {
            "logits": [float(i % 7) for i in range(1000)],
            "target": 3,
            "include": ["jacobian", "chain"],
        }
    ).encode()
    sock = socket.create_connection((HOST, server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        b"POST /gradient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    return sock


def drill_readers(server: Server, clients: int) -> None:
    before = rss(server)
    socks = [hog(server) for _ in range(clients)]
    time.sleep(5)
    during = rss(server)
    for sock in socks:
        sock.close()
    time.sleep(3)
    after = rss(server)
    print(
        f"3. {clients} clients that never read a 27 MB answer: RSS {mib(before)} before, "
        f"{mib(during)} while they hang on, {mib(after)} after they close; the page still "
        f"answers in {page_ms(server):.1f} ms"
    )


def drill_sigterm(settings: dict[str, str], log: Path) -> None:
    with dedz(settings, log) as server:
        sock = hog(server)
        time.sleep(1)
        start = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=60)
        took = time.monotonic() - start
        sock.close()
    limit = settings["DEDZ_SHUTDOWN_TIMEOUT"]
    print(f"4. SIGTERM with a client that never reads: exited in {took:.1f} s (limit {limit} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30, help="non-reading clients (30)")
    parser.add_argument("--flood", type=float, default=10.0, help="seconds of flood (10)")
    parser.add_argument("--crashes", type=int, default=10, help="crash payloads (10)")
    args = parser.parse_args()
    settings = {"DEDZ_WORKERS": "1", "DEDZ_SHUTDOWN_TIMEOUT": "10"}
    log = OUT / "hardening.log"
    with dedz(settings, log) as server:
        drill_crashes(server, args.crashes)
        drill_flood(server, args.flood)
        drill_readers(server, args.clients)
    drill_sigterm(settings, log)
    return 0


if __name__ == "__main__":
    run(main)
