"""Throughput of dEdZ's `/gradient` against a floor app that serves the same bytes, with wrk.

Run from the repository root (needs wrk; uses taskset when there are two CPUs or more):

    .venv/bin/python bench/api.py                # 10 s per wrk run, 2 s of warm-up
    .venv/bin/python bench/api.py --duration 5 --warmup 2 --connections 8

For each scenario the script asks dEdZ once for the response, then starts `bench/floor.py`
serving exactly those bytes. Both run under uvicorn (1 worker, no access log) on free ports of
127.0.0.1, pinned to CPU 0, while wrk (1 thread) runs on CPU 1: after a warm-up, each server
is measured in turn. It prints requests/s, p50 and p99 latency, the ratio ours/floor beside
its goal, the server time each request costs beyond the floor's, and whether any run saw
socket errors or error responses (wrk counts those with a status of 400 or more, as "Non-2xx
or 3xx"; each response is checked to be a 200 before the runs). The servers' logs go to
bench/out/.

Figures only: nothing is asserted, and a ratio under its goal does not fail the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from common import (
    OUT,
    ROOT,
    install_sigterm_handler,
    lua_request,
    run_main,
    serve_uvicorn,
    wrk_command,
)
from floor import BODY_ENV

SERVER_CPU = "0"
WRK_CPU = "1"
SEED = 20_240_601


@dataclass(frozen=True, slots=True)
class Scenario:
    """One request, sent over and over, and the throughput ratio ours/floor we aim for."""

    key: str
    name: str
    method: str
    target: str
    body: bytes | None
    goal: float


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    socket_errors: int
    error_responses: int


@dataclass(frozen=True, slots=True)
class Row:
    """One scenario's measurements on both servers."""

    scenario: Scenario
    ours: WrkResult
    floor: WrkResult
    response_bytes: int


def _logits(rng: random.Random, n: int) -> list[float]:
    return [round(rng.gauss(0.0, 3.0), 6) for _ in range(n)]


def _json(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def build_scenarios() -> list[Scenario]:
    """Return the scenarios, their logits drawn from fixed seeds."""
    row10 = _logits(random.Random(SEED), 10)
    row1000 = _logits(random.Random(SEED + 1), 1000)
    rng_batch = random.Random(SEED + 2)
    batch = [_logits(rng_batch, 10) for _ in range(256)]
    batch_target = [rng_batch.randrange(10) for _ in range(256)]
    query = urlencode({"logits": ",".join(map(repr, row10)), "target": 3}, safe=",")
    post10 = {"logits": row10, "target": 3}
    post1000 = {"logits": row1000, "target": 417, "include": ["jacobian", "chain"]}
    post_batch = {"logits": batch, "target": batch_target, "include": []}
    return [
        Scenario("post10", "n=10 POST", "POST", "/gradient", _json(post10), 0.8),
        Scenario("get10", "n=10 GET", "GET", f"/gradient?{query}", None, 0.8),
        Scenario("post1000", "n=1000 POST jac+chain", "POST", "/gradient", _json(post1000), 0.4),
        Scenario("batch", "256×10 batch POST", "POST", "/gradient", _json(post_batch), 0.7),
    ]


def lua_script(method: str, body: bytes) -> str:
    """Return a wrk script that sends `body` as JSON with `method`."""
    return lua_request(method, {"Content-Type": "application/json"}, body)


def _pinned(cpu: str) -> list[str]:
    """Return the taskset prefix that pins a command to `cpu`, or nothing if we cannot pin."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", cpu]
    return []


def fetch(base_url: str, scenario: Scenario) -> bytes:
    """Send the scenario's request once and return the body of its 200 response."""
    headers = {"content-type": "application/json"} if scenario.body is not None else {}
    response = httpx.request(
        scenario.method,
        base_url + scenario.target,
        content=scenario.body,
        headers=headers,
        timeout=60.0,
    )
    if response.status_code != 200:
        raise RuntimeError(
            f"{scenario.name}: {base_url} answered {response.status_code}: {response.text[:300]}"
        )
    return response.content


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS_PER_S = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_ERROR_RESPONSES = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p50, p99 and the error counts from wrk's `--latency` report."""
    percentiles = {p: float(v) * _UNITS_MS[unit] for p, v, unit in _PERCENTILE.findall(output)}
    rps = _REQUESTS_PER_S.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or requests is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    socket_errors = _SOCKET_ERRORS.search(output)
    error_responses = _ERROR_RESPONSES.search(output)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(requests.group(1)),
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        error_responses=int(error_responses.group(1)) if error_responses else 0,
    )


def run_wrk(url: str, script: Path | None, duration: int, connections: int) -> WrkResult:
    """Run wrk (1 thread) pinned to the client CPU and return what it measured."""
    command = [
        *_pinned(WRK_CPU),
        *wrk_command(url, duration, connections, script=script, latency=True),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=duration + 60
    )
    if done.returncode < 0:
        raise RuntimeError(f"wrk was stopped by {signal.Signals(-done.returncode).name}")
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def measure(
    url: str, script: Path | None, duration: int, warmup: int, connections: int
) -> WrkResult:
    """Warm the server up with wrk, then measure it."""
    if warmup > 0:
        run_wrk(url, script, warmup, connections)
    return run_wrk(url, script, duration, connections)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _latency(result: WrkResult) -> str:
    return f"{result.p50_ms:.2f} / {result.p99_ms:.2f}"


def _table(header: list[str], lines: list[list[str]]) -> str:
    """Lay out columns: the first aligned left, the others right."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]

    def layout(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        )

    rule = "-" * len(layout(header))
    return "\n".join([layout(header), rule, *(layout(cells) for cells in lines)])


def print_table(rows: list[Row]) -> None:
    """Print one line per scenario: throughput, ratio beside its goal, latency, response size."""
    header = [
        "scenario",
        "ours req/s",
        "floor req/s",
        "ours/floor",
        "goal",
        "",
        "extra µs/req",
        "ours p50 / p99 ms",
        "floor p50 / p99 ms",
        "response",
    ]
    lines = []
    for row in rows:
        ratio = row.ours.requests_per_s / row.floor.requests_per_s
        extra_us = 1e6 / row.ours.requests_per_s - 1e6 / row.floor.requests_per_s
        lines.append(
            [
                row.scenario.name,
                f"{row.ours.requests_per_s:,.0f}",
                f"{row.floor.requests_per_s:,.0f}",
                f"{ratio:.2f}",
                f"≥{row.scenario.goal:.1f}",
                "met" if ratio >= row.scenario.goal else "BELOW",
                f"{extra_us:,.0f}",
                _latency(row.ours),
                _latency(row.floor),
                _size(row.response_bytes),
            ]
        )
    print(_table(header, lines))
    print(
        "extra µs/req = 1/ours − 1/floor: the server CPU time a request costs beyond the floor's."
    )


def print_errors(rows: list[Row]) -> None:
    """Say whether every measured wrk run had no socket errors and no error responses."""
    runs = [(row.scenario.name, "ours", row.ours) for row in rows]
    runs += [(row.scenario.name, "floor", row.floor) for row in rows]
    bad = [(name, who, r) for name, who, r in runs if r.socket_errors or r.error_responses]
    if not bad:
        total = sum(r.requests for _, _, r in runs)
        print(
            f"All {len(runs)} measured wrk runs ({total:,} requests): "
            "0 non-2xx/3xx responses, 0 socket errors."
        )
        return
    for name, who, r in bad:
        print(
            f"{name} ({who}): {r.error_responses:,} non-2xx/3xx responses and "
            f"{r.socket_errors:,} socket errors in {r.requests:,} requests."
        )


# A traceback's indented frames end at the line naming the exception.
_EXCEPTION = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*([\w.]+)", re.M)


def print_logs(logs: list[Path]) -> None:
    """Summarise the exceptions the servers logged (uvicorn's ERROR lines)."""
    quiet = True
    for log in logs:
        text = log.read_text(errors="replace")
        errors = sum(line.startswith("ERROR:") for line in text.splitlines())
        if not errors:
            continue
        kinds = collections.Counter(_EXCEPTION.findall(text))
        what = ", ".join(f"{kind} ×{count}" for kind, count in kinds.most_common())
        print(f"{log.relative_to(ROOT)}: {errors} errors logged ({what}).")
        quiet = False
    if quiet:
        print("The servers logged no errors.")


def bench_scenario(
    scenario: Scenario, ours: str, tmp: Path, floor_log: Path, args: argparse.Namespace
) -> Row:
    """Measure our server on one scenario, then a floor serving the bytes ours returned."""
    expected = fetch(ours, scenario)
    body_file = tmp / f"{scenario.key}.json"
    body_file.write_bytes(expected)
    script = None
    if scenario.body is not None:
        script = tmp / f"{scenario.key}.lua"
        script.write_text(lua_script(scenario.method, scenario.body))
    print(f"{scenario.name}: ours…", end="", file=sys.stderr, flush=True)
    ours_result = measure(
        ours + scenario.target, script, args.duration, args.warmup, args.connections
    )
    print(" floor…", end="", file=sys.stderr, flush=True)
    floor_app = ["--factory", "--app-dir", "bench", "floor:from_env"]
    floor_env = {BODY_ENV: str(body_file)}
    with serve_uvicorn(floor_app, floor_log, floor_env, _pinned(SERVER_CPU)) as floor:
        if fetch(floor, scenario) != expected:
            raise RuntimeError("the floor does not serve the bytes ours returned")
        floor_result = measure(
            floor + scenario.target, script, args.duration, args.warmup, args.connections
        )
    print(file=sys.stderr)
    return Row(scenario, ours_result, floor_result, len(expected))


def main() -> int:
    """Benchmark every scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/api.py needs wrk (https://github.com/wg/wrk) on PATH.", file=sys.stderr)
        return 1
    install_sigterm_handler()
    OUT.mkdir(exist_ok=True)

    pinning = (
        f"servers pinned to CPU {SERVER_CPU}, wrk to CPU {WRK_CPU}"
        if _pinned(SERVER_CPU)
        else "no CPU pinning (needs taskset and two CPUs)"
    )
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.duration} s per run after "
        f"{args.warmup} s of warm-up; uvicorn with 1 worker; {pinning}.\n",
        flush=True,
    )
    rows: list[Row] = []
    failures: list[str] = []
    logs = [OUT / "ours.log"]
    with (
        tempfile.TemporaryDirectory(prefix="dedz-bench-") as tmp,
        serve_uvicorn(["app.main:app"], logs[0], prefix=_pinned(SERVER_CPU)) as ours,
    ):
        for scenario in build_scenarios():
            logs.append(OUT / f"floor-{scenario.key}.log")
            try:
                rows.append(bench_scenario(scenario, ours, Path(tmp), logs[-1], args))
            except (RuntimeError, httpx.HTTPError) as exc:
                print(f" failed: {exc}", file=sys.stderr)
                failures.append(f"{scenario.name}: not measured, {exc}")
    print(file=sys.stderr)
    if rows:
        print_table(rows)
        print()
        print_errors(rows)
    print_logs(logs)
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    run_main(main, interrupted="interrupted: servers stopped.")
