"""The container: its Dockerfile passes hadolint, and its exact start command serves the app.

There is no Docker engine on these machines, so the test does what the image does on the host:
a fresh virtual environment installed the Dockerfile's way, the Dockerfile's environment, its
CMD, and its HEALTHCHECK command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
FINAL_STAGE = DOCKERFILE.rsplit("\nFROM ", 1)[1]


def instruction(name: str) -> list[str]:
    """Return the arguments of each `name` instruction of the final stage, lines joined."""
    text = FINAL_STAGE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", text, re.MULTILINE)]


def image_environment() -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(instruction("ENV"))))


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    assert instruction("USER") == ["10001"]
    assert instruction("EXPOSE") == ["8000"]
    assert "/healthz" in instruction("HEALTHCHECK")[0]
    assert json.loads(instruction("CMD")[0]) == ["dedz"]
    assert image_environment()["DEDZ_HTMX_SOURCE"] == "local"


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the app into a new virtual environment as the Dockerfile's RUN lines do."""
    venv = tmp_path_factory.mktemp("container") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    # the image's system packages (a font for /figure.png) are Debian's: CI installs them too
    python_runs = [run for run in instruction("RUN") if not run.startswith("apt-get")]
    locked = python_runs[0]
    assert locked == "pip install --require-hashes --no-deps -r requirements.lock"
    subprocess.run([*pip, *locked.split()[2:]], cwd=ROOT, check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    return venv


@pytest.fixture(scope="module")
def container(fresh_install: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Start the image's CMD with the image's environment (on a free port)."""
    env = {
        "PATH": f"{fresh_install / 'bin'}{os.pathsep}{os.environ['PATH']}",
        **image_environment(),
        "DEDZ_PORT": str(free_port()),
    }
    assert (ROOT / "static/vendor/htmx.min.js").is_file(), "run scripts/fetch_vendor.py first"
    command = json.loads(instruction("CMD")[0])
    log = fresh_install.parent / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd="/", env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{env['DEDZ_PORT']}"
    try:
        for _ in range(200):
            try:
                get(f"{base}/healthz")
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"{command} exited: {log.read_text()}")
                time.sleep(0.1)
        else:
            pytest.fail(f"{command} did not answer /healthz in 20 s")
        yield base, env
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def test_start_command_serves_the_app(container: tuple[str, dict[str, str]]) -> None:
    base, _ = container
    page = get(f"{base}/?logits=2,1&target=0").decode()
    assert "/static/vendor/htmx.min.js" in page
    api = json.loads(get(f"{base}/gradient?logits=2,1&target=0"))
    assert api["grad_logits"][1] == pytest.approx(0.2689414213699951)
    assert get(f"{base}/static/vendor/htmx.min.js").startswith(b"var htmx")


def test_health_check_command_passes(container: tuple[str, dict[str, str]]) -> None:
    _, env = container
    healthcheck = json.loads(instruction("HEALTHCHECK")[0].split("CMD", 1)[1].strip())
    result = subprocess.run(
        healthcheck, env=env, capture_output=True, text=True, timeout=10, check=False
    )
    assert result.returncode == 0, result.stderr
