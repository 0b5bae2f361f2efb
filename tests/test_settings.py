"""Settings: read from the environment, and every one documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(name: str) -> None:
    field = Settings.model_fields[name]
    row = next(line for line in README.splitlines() if line.startswith(f"| `DEDZ_{name.upper()}`"))
    assert f"`{field.default}`" in row
    assert field.description


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEDZ_PORT", "9001")
    monkeypatch.setenv("DEDZ_MAX_CLASSES", "12")
    settings = Settings()
    assert settings.port == 9001
    assert settings.max_classes == 12


def test_invalid_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEDZ_PORT", "0")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_frame_ancestors_may_be_separated_by_commas() -> None:
    settings = Settings(frame_ancestors="'self', https://a.example,https://b.example")
    assert settings.frame_ancestors == "'self' https://a.example https://b.example"
    assert settings.warnings() == []


def test_frame_ancestors_without_self_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    from app.main import create_app

    create_app(Settings(frame_ancestors="https://canvas.example.edu"))
    assert any("lacks 'self'" in r.getMessage() for r in caplog.records)


def test_a_public_bind_that_follows_any_host_header_is_warned_about() -> None:
    """A reviewer sent Host: evil.com and got snippets pointing there: fine on a developer's
    loopback, worth a word at start-up where the world can connect."""
    assert not Settings(host="127.0.0.1").warnings()
    assert any("Host" in w for w in Settings(host="0.0.0.0").warnings())
    assert not Settings(host="0.0.0.0", public_url="https://dedz.example.edu").warnings()
    assert not Settings(host="0.0.0.0", allowed_hosts="dedz.example.edu").warnings()
