"""Helpers the benchmark scripts share: paths, servers in processes of their own, wrk and Lua.

The scripts run as `.venv/bin/python bench/<script>.py`, so Python sees bench/ and they import
this module as `common`. Every server is started in a session of its own (its process group id
is its pid) and stopped with its whole group, also on Ctrl-C or SIGTERM (see
`install_sigterm_handler` and `run_main`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"


# --- running a script ------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install_sigterm_handler() -> None:
    """Turn SIGTERM into SystemExit so that every `finally` (and so every cleanup) runs."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)


def run_main(main: Callable[[], int], interrupted: str | None = None) -> NoReturn:
    """Exit with the status `main()` returns, or with 130 on Ctrl-C.

    On Ctrl-C, `interrupted` (if given) is printed to stderr on a line of its own. The servers
    are stopped by then: `serve_uvicorn` and the scripts' own `serve` stop them in `finally`.
    """
    try:
        status = main()
    except KeyboardInterrupt:
        if interrupted:
            print(f"\n{interrupted}", file=sys.stderr)
        sys.exit(130)
    sys.exit(status)


# --- server processes ------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Return whether 127.0.0.1:`port` accepts a TCP connection now (within 0.5 s)."""
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def spawn(command: Sequence[str], log: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start `command` in the repository root with `env`, its output (and stderr) into `log`.

    The process gets a session of its own, so that `stop` can reach its children through its
    process group; its stdin is /dev/null.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as log_file:
        return subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    *,
    timeout: float,
    interval: float,
    failure: str,
) -> None:
    """Poll `ready()` every `interval` s until it returns True.

    Raises RuntimeError with the end of `log` if the server `process` exits first, and
    "the server {failure} within {timeout} s" if `timeout` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the server exited with status {process.returncode}:\n{tail}")
        if ready():
            return
        time.sleep(interval)
    raise RuntimeError(f"the server {failure} within {timeout:.0f} s (log: {log})")


def stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """Stop a process started by `spawn`: SIGTERM, `grace` s to exit, then SIGKILL to its group.

    The group id is the process's pid (it leads a session of its own): the SIGKILL reaches the
    children (uvicorn's workers) even if the process itself is gone.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def serve_uvicorn(
    app_args: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Iterator[str]:
    """Run `python -m uvicorn app_args` (1 worker, no access log) on a free port of 127.0.0.1.

    `env` is added to this process's environment and `prefix` put before the command (e.g.
    taskset's). Yields the base URL once the port accepts connections (within 30 s), and stops
    the server afterwards, whatever happens.
    """
    port = free_port()
    command = [
        *prefix,
        *[sys.executable, "-m", "uvicorn", *app_args, "--host", HOST, "--port", str(port)],
        *["--workers", "1", "--no-access-log", "--log-level", "warning"],
    ]
    process = spawn(command, log, {**os.environ, **(env or {})})
    try:
        wait_until(
            lambda: listening(port),
            process,
            log,
            timeout=30.0,
            interval=0.05,
            failure=f"did not listen on port {port}",
        )
        yield f"http://{HOST}:{port}"
    finally:
        stop(process, grace=10.0)


# --- wrk -------------------------------------------------------------------------------------


def lua_string(data: bytes) -> str:
    """Quote bytes as a Lua string literal: printable ASCII as is, anything else as `\\ddd`."""
    chars = (chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\{b:03d}" for b in data)
    return '"' + "".join(chars) + '"'


def lua_request(method: str, headers: Mapping[str, str], body: bytes | None) -> str:
    """Return the lines of a wrk script that make wrk send `method` with `headers` and `body`."""
    lines = [f"wrk.method = {lua_string(method.encode())}"]
    lines += [
        f"wrk.headers[{lua_string(k.encode())}] = {lua_string(v.encode())}"
        for k, v in headers.items()
    ]
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    return "\n".join(lines) + "\n"


def wrk_command(
    url: str,
    duration: int,
    connections: int,
    *,
    threads: int = 1,
    script: Path | None = None,
    latency: bool = False,
) -> list[str]:
    """Return the wrk command for `duration` s on `url` (10 s timeout per request).

    With `latency`, wrk prints its latency distribution (`--latency`).
    """
    return [
        *(["wrk", "--latency"] if latency else ["wrk"]),
        *["--threads", str(threads), "--connections", str(connections)],
        *["--duration", f"{duration}s", "--timeout", "10s"],
        *(["--script", str(script)] if script is not None else []),
        url,
    ]
