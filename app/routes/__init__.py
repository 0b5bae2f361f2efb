"""HTTP routes: thin functions that parse, call the service and render."""

from fastapi import Request

from app.settings import Settings


def settings_of(request: Request) -> Settings:
    """Return the settings of the app serving this request (set by the app factory)."""
    settings: Settings = request.app.state.settings
    return settings
