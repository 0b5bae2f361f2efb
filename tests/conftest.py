"""Shared fixtures: settings, an app built from them, and a client for it.

Tests are hermetic: no setting of the developer's environment (`DEDZ_HOST`, `DEDZ_HTMX_SOURCE`,
…) reaches them: each is removed here at import, before the app reads its settings, and again
around every test. Test knobs such as `DEDZ_FUZZ_EXAMPLES` are not settings and stay. And
Hypothesis has no deadline in CI, where a loaded machine must not fail a property.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from app.settings import Settings

SETTING_VARIABLES = {f"DEDZ_{name.upper()}" for name in Settings.model_fields}
for _name in SETTING_VARIABLES & set(os.environ):
    del os.environ[_name]

from starlette.testclient import TestClient  # noqa: E402

from app.main import create_app  # noqa: E402

hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=1000)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

TESTS = Path(__file__).resolve().parent
# The slow tiers, by folder or file: `make test-fast` leaves them out, `make test` runs them.
_TIERS = {
    "browser": "browser",
    "deploy": "deploy",
    "test_fuzz.py": "fuzz",
    "test_page_fuzz.py": "fuzz",
    "test_generated_clients.py": "fuzz",  # generated Python and TypeScript clients
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser, deploy and fuzzing tests by where they live."""
    for item in items:
        parts = item.path.relative_to(TESTS).parts
        for part in parts:
            if part in _TIERS:
                item.add_marker(_TIERS[part])


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every setting a test (or its setup) may have put in the environment."""
    for name in SETTING_VARIABLES & set(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture
def settings() -> Settings:
    """Return default settings; tests that need others build their own."""
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """Return a client for an app built from `settings`."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
