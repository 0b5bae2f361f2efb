"""`/gradient` under wrk against a floor app that answers the same bytes without computing.

    .venv/bin/python bench/api.py [--duration 10 --warmup 2 --connections 8]

Each scenario's response is fetched from dEdZ once and served by bench/floors.py:gradient.
dEdZ runs as the `dedz` command runs it (uvicorn with dEdZ's protocol, 1 worker), the floor under
plain uvicorn (1 worker), each pinned to CPU 0, wrk (1 thread) to CPU 1 (with taskset and two
CPUs). Prints req/s, ours/floor beside its goal, extra µs per request, p50/p99, wrk's
errors and the servers' logged exceptions. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

import httpx
from common import DEDZ, OUT, ROOT, WrkResult, run, run_wrk, serve

SEED = 20_240_601


class Scenario(NamedTuple):
    """One request, sent over and over, and the throughput ratio ours/floor we aim for."""

    key: str
    name: str
    method: str
    target: str
    body: bytes | None
    goal: float
    accept: str = ""

    @property
    def request(self) -> dict[str, Any]:
        """The request's method, headers and body."""
        headers = {"Content-Type": "application/json"} if self.body else {}
        if self.accept:
            headers["Accept"] = self.accept
        return {"method": self.method, "headers": headers, "body": self.body}


def _logits(rng: random.Random, n: int) -> list[float]:
    return [round(rng.gauss(0.0, 3.0), 6) for _ in range(n)]


def _json(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def build_scenarios() -> list[Scenario]:
    """Return the scenarios, their logits drawn from fixed seeds."""
    row10 = _logits(random.Random(SEED), 10)
    row1000 = _logits(random.Random(SEED + 1), 1000)
    rng = random.Random(SEED + 2)
    batch = [_logits(rng, 10) for _ in range(256)]
    batch_target = [rng.randrange(10) for _ in range(256)]
    query = urlencode({"logits": ",".join(map(repr, row10)), "target": 3}, safe=",")
    post10 = _json({"logits": row10, "target": 3})
    post1000 = _json({"logits": row1000, "target": 417, "include": ["jacobian", "chain"]})
    post_batch = _json({"logits": batch, "target": batch_target, "include": []})
    return [
        Scenario("post10", "n=10 POST", "POST", "/gradient", post10, 0.9),
        Scenario("get10", "n=10 GET", "GET", f"/gradient?{query}", None, 0.9),
        Scenario("post1000", "n=1000 POST jac+chain", "POST", "/gradient", post1000, 0.25),
        Scenario(
            "post1000npz",
            "n=1000 jac+chain .npz",
            "POST",
            "/gradient",
            post1000,
            0.6,
            "application/x-npz",
        ),
        Scenario(
            "post1000st",
            "n=1000 jac+chain safetensors",
            "POST",
            "/gradient",
            post1000,
            0.6,
            "application/x-safetensors",
        ),
        Scenario("batch", "256×10 batch POST", "POST", "/gradient", post_batch, 0.3),
    ]


def pin(cpu: int) -> list[str]:
    """Return the taskset prefix that pins a command to `cpu`, or [] if we cannot pin."""
    can_pin = shutil.which("taskset") and (os.cpu_count() or 1) >= 2
    return ["taskset", "-c", str(cpu)] if can_pin else []


def fetch(base_url: str, scenario: Scenario) -> bytes:
    """Send the scenario's request once and return the body of its 200 response."""
    request = scenario.request
    request["content"] = request.pop("body")
    response = httpx.request(url=base_url + scenario.target, timeout=60, **request)
    if response.status_code != 200:
        raise RuntimeError(f"{scenario.name}: {response.status_code}: {response.text[:300]}")
    return response.content


def measure(url: str, scenario: Scenario, args: argparse.Namespace) -> WrkResult:
    """Warm the server up with wrk, then measure it."""
    # wrk's own count of statuses >= 400 suffices here: no Lua per response
    request = {**scenario.request, "prefix": pin(1), "statuses": False}
    if args.warmup > 0:
        run_wrk(url + scenario.target, args.warmup, args.connections, **request)
    return run_wrk(url + scenario.target, args.duration, args.connections, **request)


ROW = "  ".join(
    ["{:28}", "{:>10}", "{:>11}", "{:>10}", "{:>4}", "{:5}", "{:>12}", "{:>17}", "{:>18}", "{:>8}"]
)


def row(scenario: Scenario, ours: WrkResult, floor: WrkResult, size: int) -> str:
    """Format one scenario's line: throughput, ratio beside its goal, latency, response size."""
    ratio = ours.rps / floor.rps
    return ROW.format(
        scenario.name,
        f"{ours.rps:,.0f}",
        f"{floor.rps:,.0f}",
        f"{ratio:.2f}",
        f"≥{scenario.goal:g}",
        "met" if ratio >= scenario.goal else "BELOW",
        f"{1e6 / ours.rps - 1e6 / floor.rps:,.0f}",
        *(f"{r.p50:.2f} / {r.p99:.2f}" for r in (ours, floor)),
        f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB",
    )


def main() -> int:
    """Benchmark every scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--only", default="", help="comma-separated scenario keys (all)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/api.py needs wrk (apt-get install wrk).", file=sys.stderr)
        return 1
    pinning = "servers on CPU 0, wrk on CPU 1" if pin(0) else "no CPU pinning"
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.duration} s per run after "
        f"{args.warmup} s of warm-up; uvicorn with 1 worker; {pinning}.\n"
    )
    names = ["ours req/s", "floor req/s", "ours/floor", "goal", "", "extra µs/req"]
    header = ROW.format("scenario", *names, "ours p50 / p99 ms", "floor p50 / p99 ms", "response")
    print(header, "-" * len(header), sep="\n", flush=True)
    runs, logs = [], [OUT / "ours.log"]
    with (
        tempfile.TemporaryDirectory(prefix="dedz-bench-") as tmp,
        serve(command=[DEDZ], prefix=pin(0), log=logs[0]) as ours,
    ):
        for scenario in build_scenarios():
            if args.only and scenario.key not in args.only.split(","):
                continue
            expected = fetch(ours.url, scenario)
            body = Path(tmp, f"{scenario.key}.json")
            body.write_bytes(expected)
            ours_result = measure(ours.url, scenario, args)
            logs.append(OUT / f"floor-{scenario.key}.log")
            env, factory = {"BENCH_FLOOR_BODY": str(body)}, ["--factory", "--app-dir", "bench"]
            with serve("floors:gradient", env, args=factory, prefix=pin(0), log=logs[-1]) as floor:
                if fetch(floor.url, scenario) != expected:
                    raise RuntimeError("the floor does not serve the bytes ours returned")
                floor_result = measure(floor.url, scenario, args)
            print(row(scenario, ours_result, floor_result, len(expected)), flush=True)
            runs += [(scenario.name, "ours", ours_result), (scenario.name, "floor", floor_result)]
    print(
        "extra µs/req = 1/ours − 1/floor: the server CPU time a request costs beyond the floor's\n"
    )
    bad = [(name, who, r) for name, who, r in runs if r.socket_errors or r.bad]
    total = sum(r.requests for _, _, r in runs)
    if not bad:
        print(f"All {len(runs)} measured wrk runs ({total:,} requests): 0 errors.")
    for name, who, r in bad:
        print(f"{name} ({who}): {r.bad:,} responses ≥ 400, {r.socket_errors:,} socket errors.")
    for log in logs:
        text = log.read_text(errors="replace")
        # A traceback's indented frames end at the line naming the exception.
        kinds = re.findall(r"^Traceback .*\n(?:[ \t].*\n|\n)*([\w.]+)", text, re.MULTILINE)
        what = ", ".join(f"{k} ×{n}" for k, n in collections.Counter(kinds).most_common())
        print(f"{log.relative_to(ROOT)}: {text.count('ERROR:')} errors logged {what}".rstrip())
    return 0


if __name__ == "__main__":
    run(main)
