"""PNG rendering off the server's process: resvg holds Python's GIL for the whole render, so
in a thread one render of a tall figure would stall every other request (measured: 1.3 s of
/healthz for one 864×7996 PNG). Renders run in a small pool of worker processes instead, at
most RENDERERS at a time, and a request that would wait behind more than QUEUE others is
refused with a 503 rather than queued without bound.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

RENDERERS = 2  # worker processes
QUEUE = 8  # renders waiting or running, beyond which a request is told to retry
MAX_PIXELS = 40_000_000  # a PNG's width × height: the tallest figure at 2× is ~7 million

_pool: ProcessPoolExecutor | None = None
_slots: asyncio.Semaphore | None = None


class BusyError(Exception):
    """Too many renders are already waiting."""


def pixels(document: str, scale: int) -> int:
    """Return the PNG's width × height for a standalone SVG of ours (its root's size)."""
    size = re.search(r'<svg xmlns="[^"]*"[^>]*? width="([\d.]+)" height="([\d.]+)"', document)
    assert size is not None, "a standalone SVG of app.embed.figure"
    return round(float(size.group(1)) * scale) * round(float(size.group(2)) * scale)


def render(document: str, scale: int) -> bytes:
    """Render a standalone SVG to PNG at `scale` pixels per unit (resvg), in this process."""
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=document, zoom=float(scale)))


def follow_parent(parent: int) -> None:
    """In a renderer, at its start: exit once the server process that made it has gone. A
    server that is shut down stops its pool, but one killed outright (SIGKILL, the OOM killer)
    left its renderers running for good. A look a second at the parent's pid (a renderer of a
    dead server is the init process's, or a subreaper's); not prctl(PR_SET_PDEATHSIG), which
    fires when the *thread* that started the renderer ends."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: the server's event loop and threads are not copied into a worker
        _pool = ProcessPoolExecutor(
            RENDERERS,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=follow_parent,
            initargs=(os.getpid(),),
        )
    return _pool


async def rasterise(document: str, scale: int) -> bytes:
    """Render in a worker process; raise BusyError when QUEUE renders are already on their way."""
    global _slots
    if _slots is None:
        _slots = asyncio.Semaphore(QUEUE)
    if _slots.locked():
        raise BusyError
    async with _slots:
        loop = asyncio.get_running_loop()
        pool = _executor()
        try:
            return await loop.run_in_executor(pool, render, document, scale)
        except BrokenProcessPool:
            # a renderer died (the OOM killer, a signal): the pool refuses all work from then
            # on, so every later PNG would fail; start a new pool and render once more
            _discard(pool)
            return await loop.run_in_executor(_executor(), render, document, scale)


def _discard(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool (a newer one may already have replaced it)."""
    global _pool
    if _pool is pool:
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)
