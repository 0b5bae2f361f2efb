"""Live servers on a free 127.0.0.1 port, for the browser tests and bench/: uvicorn or `dedz`."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEDZ = str(Path(sys.executable).with_name("dedz"))  # the production command of this venv
DEFAULT_ENV = {"DEDZ_HTMX_SOURCE": "local"}  # as in the container: no third-party requests

# Loopback only: never route the readiness probe through an HTTP proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True, slots=True)
class Server:
    """A running server: its base URL, port, process (leader of its own session) and log."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        """Return what the server has logged so far."""
        return self.log.read_text(errors="replace")


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def healthy(url: str, timeout: float = 1.0) -> bool:
    """Return whether `url`/healthz answers 200."""
    try:
        with _NO_PROXY.open(url + "/healthz", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):
        return False


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, `grace` seconds to exit, then SIGKILL to the process group (workers included)."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def serve(
    app: str = "app.main:app",
    env: Mapping[str, str] | None = None,
    *,
    command: Sequence[str] | None = None,
    args: Sequence[str] = (),
    prefix: Sequence[str] = (),
    log: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[Server]:
    """Run `uvicorn app args` (or `command`, e.g. `[DEDZ]`) until the block ends; yield it.

    The environment is os.environ without any DEDZ_* variable, then DEFAULT_ENV, `env`, and
    DEDZ_HOST/DEDZ_PORT (which `dedz` listens on). `prefix` goes before the command (taskset).
    Yields once /healthz answers 200; the output goes to `log` (default: a temporary file).
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEDZ_")}
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # retry if another process took the port before us
            port = free_port()
            full_env = {**clean, **DEFAULT_ENV, **(env or {})}
            full_env |= {"DEDZ_HOST": HOST, "DEDZ_PORT": str(port)}
            argv = [*prefix, *(command or [sys.executable, "-m", "uvicorn", app, *args])]
            if command is None:
                argv += ["--host", HOST, "--port", str(port), "--no-access-log"]
                argv += ["--log-level", "warning"]
            with log.open("wb") as output:
                process = subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=full_env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            server = Server(f"http://{HOST}:{port}", port, process, log)
            try:
                deadline = time.monotonic() + timeout
                while process.poll() is None and time.monotonic() < deadline:
                    if healthy(server.url):
                        yield server
                        return
                    time.sleep(0.05)
                state = "timed out" if process.poll() is None else f"exited {process.returncode}"
            finally:
                stop(process)
            output_text = server.log_text()
            if "address already in use" not in output_text.lower():
                break
        raise RuntimeError(f"{' '.join(argv)}: {state}; its output:\n{output_text[-3000:]}")


@contextlib.contextmanager
def start_server(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve `app.main:app` (DEFAULT_ENV, then `env`) with uvicorn; yield its base URL."""
    with serve(env=env) as server:
        yield server.url
