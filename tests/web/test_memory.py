"""The worker's heap: what start-up built is frozen out of the collector's full scans."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
