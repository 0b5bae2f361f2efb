"""Sustained load on the production server with wrk: throughput, latency, errors and memory.

Run from the repository root (needs wrk on PATH):

    .venv/bin/python bench/load.py                        # 60 s per target, 64 connections
    .venv/bin/python bench/load.py --duration 20 --connections 64 --workers 2

The server is started as in production: the `dedz` CLI with its settings in `DEDZ_*`
environment variables (`DEDZ_WORKERS`, …) on a free port of 127.0.0.1. Only if a setting the run
needs is missing from app/settings.py does the script fall back to `python -m uvicorn` with the
equivalent flags, and it says so. After a warm-up on every target it records the server's memory
(the VmRSS sum of the master and all its descendant processes, read from /proc), then runs wrk
for `--duration` seconds on each target in turn:

    POST /gradient       n = 10, JSON body
    GET  /?logits=…      the explorer's panels fragment (HX-Request, HX-Target: panels, gzip)

It prints, per target, requests/s, p50/p90/p99 latency, the response status counts, the
non-2xx and socket-error counts (from a Lua `done()` hook), and the RSS before and after; then
PASS/MISS for each goal: zero errors, and RSS at the end within 10% of RSS after warm-up.
The server's log goes to bench/out/load-server.log. The exit status is 0 even when a goal is
missed: this is a report. bench/faults.py imports the server and wrk helpers from here.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import (
    HOST,
    OUT,
    ROOT,
    free_port,
    install_sigterm_handler,
    lua_request,
    run_main,
    spawn,
    stop,
    wait_until,
    wrk_command,
)

PYTHON = ROOT / ".venv" / "bin" / "python"
DEDZ = ROOT / ".venv" / "bin" / "dedz"
RSS_GOAL = 0.10

# Settings that are uvicorn options: when app/settings.py lacks one, pass this flag instead.
UVICORN_FLAGS = {
    "workers": "--workers",
    "limit_concurrency": "--limit-concurrency",
    "forwarded_allow_ips": "--forwarded-allow-ips",
}

LOGITS_10 = [2.5, -1.25, 0.5, 3.75, -0.5, 1.0, 0.25, -2.0, 1.5, 0.75]
POST_BODY = json.dumps({"logits": LOGITS_10, "target": 3}, separators=(",", ":")).encode()
EXPLORER_QUERY = urlencode({"logits": ",".join(map(str, LOGITS_10)), "target": 0}, safe=",")
EXPLORER_HEADERS = {"HX-Request": "true", "HX-Target": "panels", "Accept-Encoding": "gzip"}


# --- processes -------------------------------------------------------------------------------


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may itself hold spaces.
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    """Return the pids of every live descendant of `root` (walking /proc for parent pids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    queue = [root]
    while queue:
        kids = children.get(queue.pop(), [])
        found.extend(kids)
        queue.extend(kids)
    return sorted(found)


def cmdline(pid: int) -> str:
    """Return a process's command line, or '' once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def rss_kib(pid: int) -> int:
    """Return a process's VmRSS in KiB (0 once it is gone or for a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process has used, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """Return the machine's (busy, total) CPU seconds since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    clock = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / clock, sum(ticks) / clock


def load_average() -> str:
    """Return the 1-minute load average."""
    return Path("/proc/loadavg").read_text().split()[0]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    return inodes


def established_connections(pids: list[int], port: int) -> dict[int, int]:
    """Return how many established TCP connections to local `port` each process holds."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":
                    inodes.add(cols[9])
    return {pid: len(_socket_inodes(pid) & inodes) for pid in pids}


@dataclass
class Server:
    """A dEdZ server started by this script: its master process, command and log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    how: str
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The master process's pid."""
        return self.process.pid

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    def workers(self) -> list[int]:
        """Return the pids of the worker processes (uvicorn spawns them with multiprocessing).

        With one worker there is no supervisor: the master process serves, and is returned.
        """
        spawned = [p for p in descendants(self.pid) if "multiprocessing.spawn" in cmdline(p)]
        return spawned or [self.pid]

    def rss(self) -> dict[int, int]:
        """Return VmRSS (KiB) of the master and each descendant, by pid."""
        return {pid: rss_kib(pid) for pid in [self.pid, *descendants(self.pid)]}

    def role(self, pid: int) -> str:
        """Name a server process: master, worker or multiprocessing's resource tracker."""
        if pid == self.pid:
            return "master"
        line = cmdline(pid)
        if "resource_tracker" in line:
            return "tracker"
        return "worker" if "multiprocessing.spawn" in line else "other"

    def log_text(self) -> str:
        """Return what the server has logged so far."""
        return self.log.read_text(errors="replace")


def settings_fields() -> set[str]:
    """Return the names of the fields of app.settings.Settings, read in a separate process."""
    code = (
        "import json; from app.settings import Settings; "
        "print(json.dumps(list(Settings.model_fields)))"
    )
    done = subprocess.run(
        [str(PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout))


def _server_command(
    port: int, settings: Mapping[str, str]
) -> tuple[list[str], dict[str, str], str, list[str]]:
    """Return the command, environment, a description and notes for a server with `settings`.

    `settings` maps setting names (`workers`, `limit_concurrency`, …) to values. The `dedz` CLI is
    used when app/settings.py has every one; else uvicorn's CLI, with the flags for the missing
    uvicorn options and the CLI's own choices (proxy headers, no access log).
    """
    fields = settings_fields()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEDZ_")}
    env.update({"DEDZ_HOST": HOST, "DEDZ_PORT": str(port)})
    notes: list[str] = []
    flags: list[str] = []
    for name, value in settings.items():
        if name in fields:
            env[f"DEDZ_{name.upper()}"] = value
        elif name in UVICORN_FLAGS:
            flags += [UVICORN_FLAGS[name], value]
            notes.append(f"app/settings.py has no `{name}`: passed uvicorn's {UVICORN_FLAGS[name]}")
        else:
            env[f"DEDZ_{name.upper()}"] = value
            notes.append(f"app/settings.py has no `{name}`: DEDZ_{name.upper()} has no effect")
    shown = " ".join(f"{k}={v}" for k, v in sorted(env.items()) if k.startswith("DEDZ_"))
    if not flags:
        return [str(DEDZ)], env, f"{shown} .venv/bin/dedz", notes
    command = [
        *[str(PYTHON), "-m", "uvicorn", "app.main:app", "--host", HOST, "--port", str(port)],
        *["--proxy-headers", "--no-access-log", *flags],
    ]
    return command, env, f"{shown} {' '.join(command[1:])}", notes


def _serving(server: Server, workers: int) -> bool:
    """Return whether every worker has logged its startup and /healthz answers 200."""
    started = server.log_text().count("Application startup complete")
    return started >= workers and http_status(server.port, "/healthz", timeout=2.0) == 200


@contextlib.contextmanager
def serve(settings: Mapping[str, str], log: Path) -> Iterator[Server]:
    """Start a dEdZ server with `settings` (names without DEDZ_), yield it, always stop it.

    It is ready once /healthz answers and every worker has logged its startup (within 60 s); it
    is stopped with SIGTERM to its master, then (after 15 s) SIGKILL to its process group.
    """
    port = free_port()
    command, env, how, notes = _server_command(port, settings)
    process = spawn(command, log, env)
    server = Server(process, port, log, how, notes)
    workers = int(settings.get("workers", "1"))
    try:
        wait_until(
            lambda: _serving(server, workers),
            process,
            log,
            timeout=60.0,
            interval=0.1,
            failure="was not serving",
        )
        yield server
    finally:
        stop(process, grace=15.0)


def http_status(port: int, path: str, timeout: float) -> int | None:
    """GET `path` from 127.0.0.1:`port` on a new connection; return the status or None."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(request.encode())
            head = sock.recv(64)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(match.group(1)) if match else None


_ERROR_LINE = re.compile(r"^(ERROR|CRITICAL):", re.MULTILINE)
_ACCESS_LINE = re.compile(r'^INFO: +[\d.:]+ - "[A-Z]+ ', re.MULTILINE)


def log_summary(text: str) -> str:
    """Summarise a server log: error lines, tracebacks, access-log lines."""
    errors = len(_ERROR_LINE.findall(text))
    tracebacks = text.count("Traceback (most recent call last)")
    access = len(_ACCESS_LINE.findall(text))
    parts = [f"{errors} ERROR lines", f"{tracebacks} tracebacks"]
    parts.append(f"access log on ({access:,} lines)" if access else "access log off")
    return ", ".join(parts)


# --- wrk -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """One request for wrk to send over and over."""

    name: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes | None


def targets() -> list[Target]:
    """Return the load-test targets."""
    return [
        Target(
            "POST /gradient n=10",
            "POST",
            "/gradient",
            {"Content-Type": "application/json"},
            POST_BODY,
        ),
        Target("GET / explorer fragment", "GET", f"/?{EXPLORER_QUERY}", EXPLORER_HEADERS, None),
    ]


# setup() runs in wrk's main Lua state, once per thread; done() runs there too, and gathers
# the status counts that response() kept in each thread's state.
_LUA_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'DEDZ-WRK {"duration_us":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,'
      .. '"timeout":%d,"status_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"statuses":{%s}}\\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, table.concat(parts, ",")))
end
"""


def lua_script(target: Target) -> str:
    """Return a wrk script that sends `target` and reports through `done()`."""
    return lua_request(target.method, target.headers, target.body) + _LUA_REPORT


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured."""

    seconds: float
    requests: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]

    @property
    def requests_per_s(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int:
        """Connect, read and write errors and timeouts."""
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    @property
    def non_2xx(self) -> int:
        """Responses whose status is not 2xx."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def describe_statuses(self) -> str:
        """Return the status counts, e.g. `200×1,234`."""
        return " ".join(f"{s}×{n:,}" for s, n in sorted(self.statuses.items())) or "none"

    def describe_socket_errors(self) -> str:
        """Return the socket errors with their kinds."""
        return (
            f"{self.socket_errors:,} (connect {self.connect_errors}, read {self.read_errors}, "
            f"write {self.write_errors}, timeout {self.timeouts})"
        )


def parse_wrk(output: str) -> WrkResult:
    """Read the line our `done()` hook printed."""
    match = re.search(r"^DEDZ-WRK (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no report:\n{output}")
    data = json.loads(match.group(1))
    return WrkResult(
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        connect_errors=data["connect"],
        read_errors=data["read"],
        write_errors=data["write"],
        timeouts=data["timeout"],
        p50_ms=data["p50_us"] / 1e3,
        p90_ms=data["p90_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        statuses={int(k): v for k, v in data["statuses"].items()},
    )


@dataclass
class Wrk:
    """A running wrk process."""

    process: subprocess.Popen[str]
    duration: int

    def finish(self) -> WrkResult:
        """Wait for wrk (bounded) and return what it measured."""
        try:
            stdout, stderr = self.process.communicate(timeout=self.duration + 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise RuntimeError("wrk did not finish in time") from None
        if self.process.returncode != 0:
            raise RuntimeError(f"wrk exited with {self.process.returncode}: {stderr or stdout}")
        return parse_wrk(stdout)

    def stop(self) -> None:
        """Kill wrk if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def start_wrk(url: str, script: Path, duration: int, connections: int, threads: int = 1) -> Wrk:
    """Start wrk on `url` with `script` for `duration` seconds."""
    command = wrk_command(url, duration, connections, threads=threads, script=script)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )
    return Wrk(process, duration)


def run_wrk(url: str, script: Path, duration: int, connections: int, threads: int = 1) -> WrkResult:
    """Run wrk to the end and return what it measured."""
    wrk = start_wrk(url, script, duration, connections, threads)
    try:
        return wrk.finish()
    finally:
        wrk.stop()


def write_scripts(directory: Path, chosen: list[Target]) -> list[Path]:
    """Write one wrk script per target into `directory`."""
    paths = []
    for index, target in enumerate(chosen):
        path = directory / f"target{index}.lua"
        path.write_text(lua_script(target))
        paths.append(path)
    return paths


def check_target(server: Server, target: Target) -> str:
    """Send the target's request once (stdlib client); return a short description."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        connection.request(
            target.method, target.path, body=target.body, headers=dict(target.headers)
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"{target.name}: {response.status} {body[:300]!r}")
    encoding = response.getheader("Content-Encoding") or "identity"
    return f"{response.status}, {len(body):,} bytes ({encoding})"


# --- report ----------------------------------------------------------------------------------


def mib(kib: int) -> str:
    """Format KiB as MiB."""
    return f"{kib / 1024:.1f} MiB"


def describe_rss(server: Server, rss: dict[int, int]) -> str:
    """Return the RSS total and its parts by process."""
    parts = ", ".join(f"{server.role(pid)} {pid} {mib(kib)}" for pid, kib in sorted(rss.items()))
    return f"{mib(sum(rss.values()))} ({parts})"


def change(before: int, after: int) -> float:
    """Return the relative change from `before` to `after`."""
    return (after - before) / before if before else 0.0


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
        print("bench/load.py needs wrk on PATH.", file=sys.stderr)
        return 1
    install_sigterm_handler()
    chosen = targets()
    log = OUT / "load-server.log"
    with (
        tempfile.TemporaryDirectory(prefix="dedz-load-") as tmp,
        serve({"workers": str(args.workers)}, log) as server,
    ):
        scripts = write_scripts(Path(tmp), chosen)
        print(f"server: {server.how}")
        for note in server.notes:
            print(f"  note: {note}")
        print(f"  master {server.pid}, workers {server.workers()}, log {log.relative_to(ROOT)}")
        print(
            f"wrk: {args.threads} thread(s), {args.connections} connections, "
            f"{args.duration} s per target after {args.warmup} s of warm-up per target; "
            f"{os.cpu_count()} CPUs shared by wrk and the server; "
            f"load average before the run {load_average()}"
        )
        for target in chosen:
            print(f"  {target.name}: {check_target(server, target)}")
        for target, script in zip(chosen, scripts, strict=True):
            if args.warmup > 0:
                run_wrk(
                    server.url + target.path, script, args.warmup, args.connections, args.threads
                )
        time.sleep(1.0)
        rss_start = server.rss()
        print(f"RSS after warm-up: {describe_rss(server, rss_start)}")
        print()
        results: list[tuple[Target, WrkResult, int, int]] = []
        for target, script in zip(chosen, scripts, strict=True):
            before = sum(server.rss().values())
            workers = server.workers()
            cpu_before = {pid: cpu_seconds(pid) for pid in workers}
            machine_before = machine_cpu()
            wrk = start_wrk(
                server.url + target.path, script, args.duration, args.connections, args.threads
            )
            try:
                time.sleep(args.duration / 2)
                held = established_connections(workers, server.port)
                result = wrk.finish()
            finally:
                wrk.stop()
            cpu = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in workers}
            machine_after = machine_cpu()
            busy = machine_after[0] - machine_before[0]
            elapsed = machine_after[1] - machine_before[1]
            after = sum(server.rss().values())
            results.append((target, result, before, after))
            print(f"{target.name}")
            print(
                f"  {result.requests_per_s:,.0f} req/s ({result.requests:,} requests in "
                f"{result.seconds:.1f} s); latency p50 {result.p50_ms:.2f} ms, "
                f"p90 {result.p90_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                f"max {result.max_ms:.1f} ms"
            )
            print(
                f"  statuses {result.describe_statuses()}; non-2xx {result.non_2xx:,}; "
                f"socket errors {result.describe_socket_errors()}"
            )
            print(f"  RSS {mib(before)} -> {mib(after)} ({change(before, after):+.1%})")
            print(
                "  per worker: "
                + ", ".join(
                    f"{pid}: {held[pid]} connections at mid-run, {cpu[pid]:.1f} s CPU"
                    for pid in workers
                )
            )
            served = sum(cpu.values())
            others = busy - served
            print(
                f"  machine CPU: {busy / elapsed:.0%} busy; server workers {served:.1f} s, "
                f"wrk and every other process {others:.1f} s of {elapsed:.1f} s (all CPUs); "
                f"load average {load_average()}"
            )
        time.sleep(1.0)
        rss_end = server.rss()
        alive = server.process.poll() is None
        print()
        print(f"RSS at the end:    {describe_rss(server, rss_end)}")
        print(f"server log: {log_summary(server.log_text())}; master alive: {alive}")
    total_start, total_end = sum(rss_start.values()), sum(rss_end.values())
    errors = sum(r.non_2xx + r.socket_errors for _, r, _, _ in results)
    requests = sum(r.requests for _, r, _, _ in results)
    growth = change(total_start, total_end)
    print()
    print("goals")
    print(
        f"  zero errors: {'PASS' if errors == 0 else 'MISS'} "
        f"({errors:,} non-2xx or socket errors in {requests:,} requests)"
    )
    print(
        f"  RSS within {RSS_GOAL:.0%}: {'PASS' if abs(growth) <= RSS_GOAL else 'MISS'} "
        f"({mib(total_start)} after warm-up -> {mib(total_end)} at the end, {growth:+.1%})"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
