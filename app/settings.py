"""Every setting of dEdZ, read from the environment (prefix `DEDZ_`) in one place."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """dEdZ's settings; each can be set as the environment variable `DEDZ_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="DEDZ_", frozen=True)

    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(1, ge=1, le=64, description="Number of server worker processes.")
    limit_concurrency: int = Field(
        1000,
        ge=2,
        description=(
            "Most open connections one worker holds, idle keep-alive ones included (uvicorn's "
            "--limit-concurrency); a request that would reach it gets 503 at once."
        ),
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description=(
            "Proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs, or * behind a "
            "proxy you control): absolute URLs in embeds and oEmbed then use the public scheme."
        ),
    )
    body_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a client may take to send its request body (slower: 408).",
    )
    max_classes: int = Field(10_000, ge=2, description="Most classes n in one row of logits.")
    max_batch_elements: int = Field(
        100_000, ge=2, description="Most logits in one request (B·n, batch size times classes)."
    )
    max_matrix_elements: int = Field(
        1_000_000,
        ge=4,
        description=(
            "Most matrix entries B·n² for the optional outputs `jacobian`, `chain` and `check` "
            "(1,000,000 allows a single row of 1,000 classes)."
        ),
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest request body in bytes (larger: 413)."
    )
    cache_max_age: int = Field(
        86_400, ge=0, description="Seconds that caches may keep a `GET /gradient` response."
    )
    htmx_source: Literal["cdn", "local"] = Field(
        "cdn",
        description=(
            "Where pages load htmx from: the pinned CDN URL with SRI, or `local`, the copy that "
            "scripts/fetch_vendor.py writes to static/vendor/ (offline classrooms, strict CSPs)."
        ),
    )
    frame_ancestors: str = Field(
        "'self' https: http://localhost:* http://127.0.0.1:*",
        description=(
            "Who may frame the pages: the CSP `frame-ancestors` sources. The default allows any "
            "https site and localhost (dEdZ has no sessions, cookies or state to clickjack); "
            "restrict it to your course sites, e.g. `'self' https://canvas.example.edu`."
        ),
    )


@lru_cache
def get_settings() -> Settings:
    """Return the settings read from the environment, once per process."""
    return Settings()
