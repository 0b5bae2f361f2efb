"""Exports are drawn in turn with the pages: a flood of them cannot starve the event loop."""

from __future__ import annotations

import asyncio
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
