"""Give freed memory back to the operating system after a large answer (glibc only)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    path = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(path).malloc_trim if path else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None


def release_memory() -> None:
    """Return the heap's free pages to the OS: glibc keeps the arrays of a big answer otherwise.

    Without this, 30 clients that each held a 1,000-class answer left the worker 0.5 GB larger
    after they had gone.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache  # once per process: what later apps (tests make many) build is theirs to free
def freeze_heap() -> None:
    """Move every object alive now (modules, the app, its routes and templates: some 70,000)
    into the collector's permanent generation, so that its full collections stop scanning them.

    A full collection scans every tracked object: about 35 ms in a started worker, due every
    hundred or so container-heavy answers (a 256-row batch makes 1,500 lists), which made the
    batch's p99 60 ms and cost it most of its throughput. A frozen object is still freed if
    it becomes garbage by reference counting; only cycles among frozen objects stay.
    """
    gc.collect()
    gc.freeze()
