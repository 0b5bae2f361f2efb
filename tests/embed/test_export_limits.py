"""Exports are drawn in turn with the pages: a flood of them cannot starve the event loop."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from app.embed import exports
from app.main import create_app
from app.web import pages


@pytest.mark.parametrize("path", ["/figure.svg", "/figure.csv"])
def test_a_flood_of_exports_runs_at_most_page_threads_at_once(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # 50 concurrent /figure.png made up to 40 threads build SVGs at once: the GIL starved the
    # event loop, and /healthz took seconds.
    lock, running, most = threading.Lock(), [0], [0]

    def counted(func: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            try:
                return func(*args)
            finally:
                with lock:
                    running[0] -= 1

        return wrapper

    monkeypatch.setattr(exports, "_document", counted(exports._document))
    monkeypatch.setattr(exports, "_csv", counted(exports._csv))
    monkeypatch.setattr(pages, "_limiter", None)  # made afresh in this test's event loop

    async def flood() -> list[int]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            url = f"{path}?logits=2,1,0.1&target=0"
            answers = await asyncio.gather(*(client.get(url) for _ in range(16)))
        return [answer.status_code for answer in answers]

    statuses: list[list[int]] = []  # in a thread of its own: the suite may run an event loop
    runner = threading.Thread(target=lambda: statuses.append(asyncio.run(flood())))
    runner.start()
    runner.join(60)
    assert statuses == [[200] * 16]
    assert 1 < most[0] <= pages.PAGE_THREADS


RENDERER_SCRIPT = """
    import asyncio, time
    from app.embed import raster
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="9"/></svg>'
    assert asyncio.run(raster.rasterise(svg, 1)).startswith(b"\\x89PNG")
    print(*raster._pool._processes, flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_png_renderers_die_with_a_server_that_is_killed() -> None:
    """SIGKILL gives the server no chance to stop its pool: its renderers go with it."""
    import os
    import signal
    import subprocess
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RENDERER_SCRIPT)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        renderers = [int(pid) for pid in server.stdout.readline().split()]
        server.send_signal(signal.SIGKILL)
    assert renderers

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split(") ")[1][0] != "Z"  # a zombie has gone
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in renderers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in renderers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"renderers {left} outlived their server"


def test_a_renderer_that_dies_does_not_break_every_later_png() -> None:
    """A pool whose worker died (the OOM killer, a signal) refuses all work: every PNG after
    it would have been a 500 until a restart (an attacker read it in the code)."""
    import os
    import signal

    from starlette.testclient import TestClient

    from app.embed import raster

    url = "/figure.png?logits=2,1&target=0&panel=probs"
    with TestClient(create_app()) as client:
        assert client.get(url).status_code == 200
        pool = raster._pool
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert raster._pool is not pool
