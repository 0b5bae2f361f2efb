"""The worker's heap: what start-up built is frozen out of the collector's full scans."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.web import limits

ROOT = Path(__file__).resolve().parents[2]


def test_a_started_app_freezes_its_heap() -> None:
    # In a fresh interpreter: this process's tests may have frozen it already.
    script = """
        import gc
        from starlette.testclient import TestClient
        from app.main import create_app
        app = create_app()
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            print(gc.get_freeze_count())
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(proc.stdout.split()[-1]) > 10_000  # modules, routes, templates: tens of thousands


@pytest.mark.parametrize(
    ("size", "released"),
    [(1 << 20, False), ((1 << 20) + 1, True), (3 << 20, True)],
)
def test_a_request_with_a_large_body_gives_the_heap_back_when_done(
    monkeypatch: pytest.MonkeyPatch, size: int, released: bool
) -> None:
    # Bodies are read whole; forty 8 MiB ones at once left a worker 330 MB larger after them.
    calls: list[None] = []
    monkeypatch.setattr(limits, "release_memory", lambda: calls.append(None))
    with TestClient(create_app()) as client:
        body = b'{"logits":[' + b" " * (size - 27) + b'0,1],"target":0}'
        assert len(body) == size
        assert client.post("/gradient", content=body).status_code == 200
        assert len(calls) == released
        refused = b'{"logits":[' + b",".join([b"{}"] * 600_000) + b'],"target":0}'
        assert client.post("/gradient", content=refused).status_code == 422
        assert len(calls) == released + 1


HEAP_SCRIPT = """
    import sys
    import numpy as np
    from app.web.memory import release_memory, tune_heap

    def rss():
        with open("/proc/self/status") as status:
            return int(next(l for l in status if l.startswith("VmRSS:")).split()[1])

    if sys.argv[1] == "tuned":
        assert tune_heap()
    np.ones((1000, 1000)).sum()  # 8 MB of pages touched, then freed
    kept = rss()
    release_memory()
    print(kept, rss())
"""


def _heap_after_a_large_array(mode: str) -> tuple[int, int]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(HEAP_SCRIPT), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    kept, released = proc.stdout.split()
    return int(kept), int(released)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap (CI: Debian)")
def test_a_tuned_heap_keeps_a_large_arrays_pages_until_released() -> None:
    """With glibc's defaults an 8 MB array is unmapped when freed (the next one faults its
    pages in anew); tuned, its pages stay for the next, until release_memory gives them back."""
    default_kept, _ = _heap_after_a_large_array("default")
    tuned_kept, tuned_released = _heap_after_a_large_array("tuned")
    assert tuned_kept - default_kept > 6_000  # KiB: the array's pages stayed
    assert tuned_kept - tuned_released > 6_000  # and were given back when asked


THREADS_SCRIPT = """
    import threading
    import numpy as np
    from app.web.memory import release_memory, tune_heap

    def rss():
        with open("/proc/self/status") as status:
            return int(next(l for l in status if l.startswith("VmRSS:")).split()[1])

    assert tune_heap()
    before = rss()
    barrier = threading.Barrier(8)

    def answer():  # as large answers are computed: in threads, at once
        a = np.ones((1000, 1000))
        barrier.wait()
        a.sum()

    threads = [threading.Thread(target=answer) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    release_memory()
    print(rss() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap (CI: Debian)")
def test_arrays_made_in_threads_are_given_back_too() -> None:
    """Eight threads' 8 MB arrays (64 MB) all go back with release_memory: the threads share
    the main arena, whose free memory malloc_trim returns (their own arenas' it did not)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(THREADS_SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(proc.stdout.split()[-1]) < 16_000  # KiB left of the 64 MB
