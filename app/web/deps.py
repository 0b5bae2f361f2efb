"""What a route reads from its app: the settings the app factory stored."""

from fastapi import Request

from app.settings import Settings


def settings_of(request: Request) -> Settings:
    """Return the settings of the app serving this request (set by the app factory)."""
    settings: Settings = request.app.state.settings
    return settings
