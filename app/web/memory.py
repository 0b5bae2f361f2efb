"""Give freed memory back to the operating system after a large answer (glibc only)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

# glibc's mallopt parameters, and what dEdZ sets them to (see tune_heap).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MMAP_THRESHOLD = 32 << 20  # glibc's largest: arrays up to 32 MiB come from the heap
_TRIM_THRESHOLD = 128 << 20


@cache
def _glibc() -> ctypes.CDLL | None:
    path = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(path) if path else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    libc = _glibc()  # not glibc (musl, macOS): nothing to do
    return libc.malloc_trim if libc is not None else None


@cache  # once per process
def tune_heap() -> bool:
    """Keep a large answer's freed arrays in the heap for the next one (glibc only); tell
    whether the heap was tuned.

    By default glibc maps each array above its (moving) threshold on its own and unmaps it when
    freed, or gives the top of the heap back once 128 KiB of it is free; either way the next
    answer's 16 MB of matrices fault in their pages anew (two of every five milliseconds of an
    n = 1,000 answer in safetensors). With fixed thresholds, the memory stays until the large
    answers are over, when `release_memory` gives it back (api.large.Turns does, once idle).
    One arena for every thread: malloc_trim gives back the free top of the main arena's heap
    only, so the threads' own arenas (up to 8 per CPU) kept a large answer's pages for good.
    """
    libc = _glibc()
    if libc is None:
        return False
    settings = (
        (_M_ARENA_MAX, 1),
        (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
        (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
    )
    done = [libc.mallopt(parameter, value) for parameter, value in settings]  # each, in turn
    return all(done)


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
