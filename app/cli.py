"""`dedz`: start the production server (uvicorn) with the settings from the environment."""

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
        forwarded_allow_ips=settings.forwarded_allow_ips,
        limit_concurrency=settings.limit_concurrency,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        # httptools with a bounded request head (size and time); a string, so that worker
        # processes import it themselves. uvloop by name: "auto" would fall back to asyncio's
        # loop without a word if uvloop were missing; this fails at start instead.
        http="app.web.protocol:BoundedHttpTools",
        loop="uvloop",
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
