"""`dedz`: start the server with the settings from the environment."""

from __future__ import annotations

import uvicorn

from app.settings import get_settings


def main() -> None:
    """Serve `app.main:app` on the configured host and port."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
