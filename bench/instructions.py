"""Instructions per request, ours against the floors, counted by valgrind's callgrind.

    .venv/bin/python bench/instructions.py [--requests 1000 --only post10,get10]

wrk's throughput on a shared two-CPU machine swings by ±20% from run to run (the floor alone
measured 5,300 to 10,700 req/s within minutes); an instruction count does not. Each server
(dEdZ as the `dedz` command, and bench/floors.py answering dEdZ's bytes under uvicorn) runs under
callgrind; after a warm-up its counters are zeroed, the scenario's request is sent `--requests`
times on one keep-alive connection (each API request in one write, as wrk sends it), and the
counters are dumped: everything the server process executed for them (uvicorn, the app, numpy,
orjson, zlib), divided by the count. dEdZ runs as `dedz` runs it (its own protocol, uvloop). Prints
thousands of instructions per request and floor/ours beside the goal. Instructions are not time
(cache misses and the CPU's parallelism are not counted), but on this kind of request the ratio
follows the best wrk runs' to within a few percent. Needs valgrind. Figures only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

import httpx
from api import Scenario, build_scenarios
from common import DEDZ, HOST, run, serve
from explorer import HX_HEADERS, edit_values, with_z0

SERVE_TIMEOUT = 180.0  # seconds: Python starts slowly under valgrind


class Counted(NamedTuple):
    """One scenario: how to ask for it, which floor answers its bytes, and the goal."""

    key: str
    name: str
    goal: float
    floor: str  # the bench/floors.py factory
    requests: Callable[[str, int], list[Ask]]  # a server's base URL, count → the requests


class Ask(NamedTuple):
    """One request, relative to whichever server it is sent to."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


def _api(scenario: Scenario) -> Counted:
    def requests(base: str, count: int) -> list[Ask]:
        request = scenario.request
        ask = Ask(request["method"], scenario.target, request["headers"], request["body"])
        return [ask] * count

    return Counted(scenario.key, scenario.name, scenario.goal, "floors:gradient", requests)


def _fragment(base: str, count: int) -> list[Ask]:
    """The explorer's #panels fragment for the query its form sends, z-0 varied: every field
    of the form, as chromium sends it after an edit of Z1 (bench/explorer.py's state)."""
    logits = [f"{2.5 - i * 0.5:g}" for i in range(10)]
    canonical = urlencode({"last": f"logits={','.join(logits)}&target=0"})
    fields = [*(("logits", z) for z in logits), ("target", "0"), ("j", "1")]
    fields += [("loss", "cross_entropy"), ("temperature", "1"), ("label_smoothing", "0")]
    fields += [("reduction", "mean"), *(("weights", "1") for _ in logits)]
    fields += [("panels", p) for p in ("probs", "grad", "chain", "loss", "logits", "jacobian")]
    fields += [("controls", "all"), ("share_mode", "explore"), ("theme", "auto"), ("height", "")]
    query = f"{canonical}&{urlencode(fields)}"
    headers = {**HX_HEADERS, "Accept-Encoding": "gzip"}
    return [
        Ask("GET", "/?" + urlsplit(with_z0(f"/?{query}", v)).query, headers)
        for v in edit_values(count)
    ]


def scenarios() -> list[Counted]:
    """Return the counted scenarios: the API's small ones, and an explorer edit."""
    api = [_api(s) for s in build_scenarios() if s.key in ("post10", "get10", "batch")]
    # the explorer's goal is a browser's edit→settle within 1.15× of the floor's (bench/
    # explorer.py); the server's share is shown here, with no goal of its own
    return [*api, Counted("fragment", "explorer edit (#panels)", 0.0, "floors:htmx", _fragment)]


def _callgrind(pid: int, command: str) -> None:
    subprocess.run(["callgrind_control", command, str(pid)], check=True, capture_output=True)


class WholeRequests:
    """A keep-alive connection that writes each request in one piece, as wrk does (httpx writes
    a body after its head: a server may then read them apart), and reads each answer whole."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection((HOST, port), timeout=120)

    def ask(self, a: Ask) -> None:
        head = f"{a.method} {a.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in a.headers.items())
        if a.body is not None:
            head += f"Content-Length: {len(a.body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + (a.body or b""))
        data = b""
        while b"\r\n\r\n" not in data:
            data += self._more()
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        if not head_bytes.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(head_bytes.decode(errors="replace"))
        length = re.search(rb"(?im)^content-length: *(\d+)", head_bytes)
        assert length is not None, "an API answer has a content-length"
        while len(rest) < int(length[1]):
            rest += self._more()

    def _more(self) -> bytes:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def count(
    app: str, env: dict[str, str], args: list[str], send: list[Ask], *, whole: bool = False
) -> float:
    """Return the instructions one server executes per request of `send` (`app` "dedz": the
    command; `whole`: each request in one write)."""
    with tempfile.TemporaryDirectory(prefix="dedz-callgrind-") as tmp:
        out = Path(tmp, "cg.out")
        prefix = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        if app == "dedz":
            running = serve(env=env, command=[*prefix, DEDZ], timeout=SERVE_TIMEOUT)
        else:
            running = serve(app, env, args=args, prefix=prefix, timeout=SERVE_TIMEOUT)
        with running as server:
            warmup, measured = send[: len(send) // 5], send[len(send) // 5 :]
            with httpx.Client(base_url=server.url, timeout=120) as client:
                connection = WholeRequests(server.port) if whole else None

                def ask(a: Ask) -> None:
                    if connection is not None:
                        connection.ask(a)
                        return
                    response = client.request(a.method, a.path, headers=a.headers, content=a.body)
                    response.raise_for_status()

                for a in warmup:
                    ask(a)
                _callgrind(server.process.pid, "-z")
                for a in measured:
                    ask(a)
                _callgrind(server.process.pid, "-d")
                if connection is not None:
                    connection.close()
            time.sleep(0.5)
        dumps = sorted(Path(tmp).glob("cg.out.*"))
        summary = re.search(rb"^summary: (\d+)", dumps[-1].read_bytes(), re.MULTILINE)
        assert summary is not None, f"no summary in {dumps[-1]}"
        return int(summary[1]) / len(measured)


def main() -> int:
    """Count and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="measured requests (1000)")
    parser.add_argument("--only", help="comma-separated keys: post10,get10,batch,fragment")
    args = parser.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        print("needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 1
    row = "{:28} {:>14} {:>15} {:>11}  {}"
    print(row.format("scenario", "ours kIr/req", "floor kIr/req", "floor/ours", "goal"))
    for scenario in scenarios():
        if args.only and scenario.key not in args.only.split(","):
            continue
        total = args.requests + args.requests // 4  # a fifth of them warm up
        if scenario.key == "fragment":
            total = max(total // 10, 50)  # a page edit costs some forty API answers
        with serve() as plain, httpx.Client(base_url=plain.url, timeout=60) as client:
            send = scenario.requests(plain.url, total)  # and the bytes the floor is to answer
            first = send[0]
            body = client.request(
                first.method, first.path, headers=first.headers, content=first.body
            ).content
        with tempfile.TemporaryDirectory(prefix="dedz-floor-") as tmp:
            Path(tmp, "body").write_bytes(body)
            floor_env = {"BENCH_FLOOR_BODY": str(Path(tmp, "body"))}
            factory = ["--factory", "--app-dir", "bench"]
            whole = scenario.key != "fragment"  # the page's answers are compressed, in chunks
            ours = count("dedz", {}, [], send, whole=whole)
            floor = count(scenario.floor, floor_env, factory, send, whole=whole)
        goal = f"≥{scenario.goal:.2f} {'met' if floor / ours >= scenario.goal else 'BELOW'}"
        print(
            row.format(
                scenario.name,
                f"{ours / 1e3:,.1f}",
                f"{floor / 1e3:,.1f}",
                f"{floor / ours:.3f}",
                goal if scenario.goal else "(server share of an edit)",
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    run(main)
