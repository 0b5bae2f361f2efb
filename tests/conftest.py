"""Shared fixtures: settings, an app built from them, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Return default settings; tests that need others build their own."""
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """Return a client for an app built from `settings`."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
