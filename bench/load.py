"""Sustained wrk load on `dedz` (as in production): throughput, p50/p90/p99, errors, memory, CPU.

    .venv/bin/python bench/load.py [--duration 60 --connections 64 --workers 2 --warmup 5]

Targets in turn: POST /gradient (n = 10) and the explorer's panels fragment (htmx GET, gzip).
Goals, PASS or MISS: no error, and RSS (master and every descendant) at the end within 10% of
RSS after warm-up. Exits 0 even on a MISS: this is a report.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

import httpx
from common import (
    JSON,
    LOGITS_10,
    OUT,
    POST_BODY,
    Server,
    Wrk,
    connections,
    cpu_seconds,
    dedz,
    rss,
    run,
    run_wrk,
    workers,
)

RSS_GOAL = 0.10
HX = {"HX-Request": "true", "HX-Target": "panels", "Accept-Encoding": "gzip"}
TARGETS = [  # name, path, request
    ("POST /gradient n=10", "/gradient", {"method": "POST", "body": POST_BODY, "headers": JSON}),
    (
        "GET / explorer fragment",
        f"/?logits={','.join(map(str, LOGITS_10))}&target=0",
        {"headers": HX},
    ),
]


def describe_rss(server: Server, kib: dict[int, int]) -> str:
    """Return the RSS total, then by process: master, workers, multiprocessing's tracker."""
    pids, master = workers(server), server.process.pid
    roles = {
        pid: "master" if pid == master else "worker" if pid in pids else "tracker" for pid in kib
    }
    parts = ", ".join(f"{roles[pid]} {pid} {k / 1024:.1f} MiB" for pid, k in sorted(kib.items()))
    return f"{sum(kib.values()) / 1024:.1f} MiB ({parts})"


def machine_cpu() -> tuple[float, float]:
    """Return the machine's (busy, total) CPU seconds since boot."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    clock = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / clock, sum(ticks) / clock  # minus idle, iowait


def load_average() -> str:
    """Return the 1-minute load average."""
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> int:
    """Load the server with every target in turn and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of wrk per target (60)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per target (5)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/load.py needs wrk (apt-get install wrk).", file=sys.stderr)
        return 1
    wrk_args = {"connections": args.connections, "threads": args.threads}
    with dedz({"DEDZ_WORKERS": str(args.workers)}, OUT / "load-server.log") as server:
        print(
            f"wrk: {args.threads} thread(s), {args.connections} connections, {args.duration} s "
            f"per target after {args.warmup} s of warm-up; {os.cpu_count()} CPUs shared by wrk "
            f"and the server; load average {load_average()}"
        )
        for name, path, request in TARGETS:
            body = request.get("body")
            response = httpx.request(
                request.get("method", "GET"),
                server.url + path,
                content=body,
                headers=request["headers"],
            )
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
            encoding = response.headers.get("content-encoding", "identity")
            print(f"  {name}: 200, {response.num_bytes_downloaded:,} bytes ({encoding})")
            if args.warmup > 0:
                run_wrk(server.url + path, args.warmup, **wrk_args, **request)
        time.sleep(1.0)
        rss_start = rss(server)
        print(f"RSS after warm-up: {describe_rss(server, rss_start)}\n")
        errors = requests = 0
        for name, path, request in TARGETS:
            before, pids = sum(rss(server).values()), workers(server)
            cpu_before, machine_before = {p: cpu_seconds(p) for p in pids}, machine_cpu()
            with Wrk(server.url + path, args.duration, **wrk_args, **request) as wrk:
                time.sleep(args.duration / 2)
                held = connections(pids, server.port)
                result = wrk.result()
            cpu = {p: cpu_seconds(p) - cpu_before[p] for p in pids}
            busy, elapsed = (a - b for a, b in zip(machine_cpu(), machine_before, strict=True))
            after = sum(rss(server).values())
            errors += result.bad + result.socket_errors
            requests += result.requests
            print(
                f"{name}\n  {result.rps:,.0f} req/s ({result.requests:,} requests in "
                f"{result.seconds:.1f} s); latency p50 {result.p50:.2f} ms, p90 {result.p90:.2f} "
                f"ms, p99 {result.p99:.2f} ms, max {result.max:.1f} ms\n  {result.errors()}\n"
                f"  RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB "
                f"({(after - before) / before:+.1%})\n  per worker: "
                + ", ".join(
                    f"{p}: {held[p]} connections at mid-run, {cpu[p]:.1f} s CPU" for p in pids
                )
                + f"\n  machine CPU {busy / elapsed:.0%} busy: server workers "
                f"{sum(cpu.values()):.1f} s, wrk and the rest {busy - sum(cpu.values()):.1f} s of "
                f"{elapsed:.1f} s (all CPUs); load average {load_average()}"
            )
        time.sleep(1.0)
        rss_end = rss(server)
        log = server.log_text()
        print(f"\nRSS at the end:    {describe_rss(server, rss_end)}")
        print(
            f"server log: {len(re.findall('^(?:ERROR|CRITICAL):', log, re.M))} ERROR lines, "
            f"{log.count('Traceback')} tracebacks; "
            f"master alive: {server.process.poll() is None}"
        )
    start, end = sum(rss_start.values()), sum(rss_end.values())
    growth = (end - start) / start
    print("\ngoals")
    print(
        f"  zero errors: {'PASS' if errors == 0 else 'MISS'} ({errors:,} non-2xx or socket "
        f"errors in {requests:,} requests)"
    )
    print(
        f"  RSS within {RSS_GOAL:.0%}: {'PASS' if abs(growth) <= RSS_GOAL else 'MISS'} "
        f"({start / 1024:.1f} MiB after warm-up -> {end / 1024:.1f} MiB at the end, {growth:+.1%})"
    )
    return 0


if __name__ == "__main__":
    run(main)
