"""Pages are rendered off the event loop, a few at a time.

A ten-class explorer page with every instrument takes about 13 ms to compute and render. On the
event loop, one client asking for many of them at once made every other request wait seconds
(the API's answers too). In threads, at most PAGE_THREADS at a time, the event loop keeps
accepting and answering while pages render (it competes for the GIL with those few threads
only), and a flood of page requests queues behind the limiter instead of in front of everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

PAGE_THREADS = 4

P = ParamSpec("P")
R = TypeVar("R")

_limiter: anyio.CapacityLimiter | None = None


def _pages() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # made in the running event loop, on first use
        _limiter = anyio.CapacityLimiter(PAGE_THREADS)
    return _limiter


async def rendered(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a page's render in a thread, in turn with the other pages."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=_pages())
