"""What the bench scripts share: servers (tests/live_server.py), `dedz`, wrk, /proc readings."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# Run as bench/<script>.py, Python sees bench/: make the root's `tests` and `app` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import DEDZ, HOST, ROOT, Server, serve

__all__ = ["DEDZ", "HOST", "OUT", "POST_BODY", "ROOT", "Server", "serve"]

OUT = ROOT / "bench" / "out"  # servers' logs
LOGITS_10 = [2.5, -1.25, 0.5, 3.75, -0.5, 1.0, 0.25, -2.0, 1.5, 0.75]
JSON = {"Content-Type": "application/json"}
POST_BODY = json.dumps({"logits": LOGITS_10, "target": 3}, separators=(",", ":")).encode()


def run(main: Callable[[], int]) -> NoReturn:
    """Exit with main()'s status; SIGTERM and Ctrl-C unwind through every `finally` (130)."""

    def on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped.", file=sys.stderr)
        sys.exit(130)


# --- dedz, the production command ------------------------------------------------------------


def workers(server: Server) -> list[int]:
    """Return the worker pids (uvicorn spawns them), or the master's if it serves alone."""
    spawned = [p for p in descendants(server.process.pid) if "multiprocessing.spawn" in cmdline(p)]
    return spawned or [server.process.pid]


@contextlib.contextmanager
def dedz(settings: Mapping[str, str], log: Path) -> Iterator[Server]:
    """Run `dedz` with `settings` (DEDZ_* variables) until every worker is up; print how."""
    with serve(command=[DEDZ], env=settings, log=log, timeout=60) as server:
        count = int(settings.get("DEDZ_WORKERS", "1"))
        deadline = time.monotonic() + 60
        while server.log_text().count("Application startup complete") < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} workers started:\n{server.log_text()}")
            time.sleep(0.1)
        shown = " ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        print(f"  server: {shown} .venv/bin/dedz (master {server.process.pid}, ", end="")
        print(f"workers {workers(server)}, log {log.relative_to(ROOT)})")
        yield server


# --- wrk -------------------------------------------------------------------------------------

# done() runs in wrk's main Lua state and prints one JSON line; response(), defined only when
# statuses are counted (it costs wrk time per response), tallies them per thread.
_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
RESPONSE
function done(summary, latency, requests)
  local counts, parts = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format('DEDZ-WRK {"us":%d,"requests":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"timeout":%d,"status":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"statuses":{%s}}\\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
"""
_COUNT = "function response(status) statuses[status] = (statuses[status] or 0) + 1 end"


def _lua_string(data: bytes) -> str:
    chars = (chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\{b:03d}" for b in data)
    return '"' + "".join(chars) + '"'


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured; latencies in ms."""

    requests: int
    seconds: float
    rps: float
    p50: float
    p90: float
    p99: float
    max: float
    statuses: dict[int, int]  # responses by status, if counted
    socket: dict[str, int]  # socket errors by kind: connect, read, write, timeout
    socket_errors: int
    bad: int  # responses not 2xx (uncounted statuses: wrk's own count of statuses >= 400)

    def errors(self) -> str:
        """Describe the statuses and socket errors."""
        counts = " ".join(f"{s}×{n:,}" for s, n in sorted(self.statuses.items()))
        kinds = ", ".join(f"{k} {n}" for k, n in self.socket.items())
        return f"statuses {counts or '-'}; non-2xx {self.bad:,}; socket errors {kinds}"


class Wrk:
    """wrk (`threads`, `connections`) sending one request to `url` for `duration` s."""

    def __init__(
        self,
        url: str,
        duration: int,
        connections: int,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        threads: int = 1,
        prefix: list[str] | None = None,
        statuses: bool = True,
    ) -> None:
        lines = [f"wrk.method = {_lua_string(method.encode())}"]
        lines += [
            f"wrk.headers[{_lua_string(k.encode())}] = {_lua_string(v.encode())}"
            for k, v in (headers or {}).items()
        ]
        if body is not None:
            lines.append(f"wrk.body = {_lua_string(body)}")
        fd, self.script = tempfile.mkstemp(prefix="dedz-wrk-", suffix=".lua")
        with os.fdopen(fd, "w") as file:
            file.write("\n".join(lines) + _LUA.replace("RESPONSE", _COUNT if statuses else ""))
        self.duration = duration
        argv = [*(prefix or []), "wrk", "-t", str(threads), "-c", str(connections)]
        argv += ["-d", f"{duration}s", "--timeout", "10s", "-s", self.script, url]
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> Wrk:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        Path(self.script).unlink(missing_ok=True)

    def result(self) -> WrkResult:
        """Wait for wrk to finish and read its report."""
        out, err = self.process.communicate(timeout=self.duration + 60)
        match = re.search(r"^DEDZ-WRK (\{.*\})$", out, re.MULTILINE)
        if self.process.returncode != 0 or match is None:
            raise RuntimeError(f"wrk exited with {self.process.returncode}: {err or out}")
        data = json.loads(match.group(1))
        statuses = {int(k): v for k, v in data["statuses"].items()}
        socket = {k: data[k] for k in ("connect", "read", "write", "timeout")}
        bad = sum(n for s, n in statuses.items() if not 200 <= s < 300)
        return WrkResult(
            data["requests"],
            data["us"] / 1e6,
            data["requests"] / data["us"] * 1e6,
            *(data[k] / 1e3 for k in ("p50", "p90", "p99", "max")),
            statuses,
            socket,
            sum(socket.values()),
            bad if statuses else data["status"],
        )


def run_wrk(url: str, duration: int, connections: int, **request: Any) -> WrkResult:
    """Run wrk to its end (Wrk's keyword arguments) and return what it measured."""
    with Wrk(url, duration, connections, **request) as wrk:
        return wrk.result()


# --- /proc -----------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Return the pids of every live descendant of `pid`."""
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(kid) for kid in (task / "children").read_text().split()]
    return kids + [d for kid in kids for d in descendants(kid)]


def cmdline(pid: int) -> str:
    """Return a process's command line ('' once it is gone)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used (0 once it is gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def rss(server: Server) -> dict[int, int]:
    """Return VmRSS in KiB of the master and each descendant, by pid (0 once gone)."""
    kib = {}
    for pid in [server.process.pid, *descendants(server.process.pid)]:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            kib[pid] = int(m.group(1)) if (m := re.search(r"VmRSS:\s+(\d+) kB", status)) else 0
    return kib


def connections(pids: list[int], port: int) -> dict[int, int]:
    """Return how many established TCP connections to local `port` each process holds."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for cols in (line.split() for line in Path(table).read_text().splitlines()[1:]):
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":
                    inodes.add(cols[9])
    held = {}
    for pid in pids:
        links = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    links.add(os.readlink(fd))
        held[pid] = sum(f"socket:[{inode}]" in links for inode in inodes)
    return held
