"""Every setting of dEdZ, read from the environment (prefix `DEDZ_`) in one place."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
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
        description=(
            "Seconds a request body may stall (no byte arriving) before it is refused (408). "
            "A body that keeps arriving is not cut, unless slower than `body_min_rate`."
        ),
    )
    body_min_rate: int = Field(
        10_000,
        ge=1,
        description=(
            "Bytes per second a request body must average: a body of L bytes may take "
            "`body_timeout` + L / `body_min_rate` seconds in all (slower: 408)."
        ),
    )
    head_timeout: float = Field(
        10.0,
        gt=0,
        description=(
            "Seconds a client may take to send a request's head (line and headers), counted "
            "from the connection or its first byte; slower connections are closed (`dedz`)."
        ),
    )
    max_head_bytes: int = Field(
        98304,
        ge=16384,
        description=(
            "Largest request head (line and headers) in bytes; larger: 431 and the connection "
            "closes (`dedz`). uvicorn's parser takes URLs of at most 64 KiB anyway (a longer "
            "request line: 414): larger requests go by POST."
        ),
    )
    max_connections_per_ip: int = Field(
        64,
        ge=1,
        description=(
            "Most open connections one client address may hold in one worker (`dedz`; more: "
            "503); trusted proxies (`DEDZ_FORWARDED_ALLOW_IPS`) are not counted."
        ),
    )
    shutdown_timeout: int = Field(
        10,
        ge=1,
        description=(
            "Seconds `dedz` waits on SIGTERM for requests in flight (a client that never reads "
            "its answer included) before it closes their connections."
        ),
    )
    max_classes: int = Field(10_000, ge=2, description="Most classes n in one row of logits.")
    max_batch_elements: int = Field(
        100_000, ge=2, description="Most logits in one request (B·n, batch size times classes)."
    )
    max_large_answers: int = Field(
        4,
        ge=1,
        description=(
            "Answers of more than 50,000 entries computed or sent at once per worker; more "
            "wait up to `body_timeout` for a turn, then get 503. Bounds their memory."
        ),
    )
    send_timeout: float = Field(
        10.0,
        gt=0,
        description=(
            "Seconds a client may leave a streamed answer unread before the connection is "
            "closed (each part must drain within it)."
        ),
    )
    max_matrix_elements: int = Field(
        1_000_000,
        ge=4,
        description=(
            "Most matrix entries B·n² for the optional outputs `jacobian`, `chain` and `check` "
            "(1,000,000 allows a single row of 1,000 classes)."
        ),
    )
    max_page_query_bytes: int = Field(
        8192,
        ge=1024,
        description=(
            "Longest query string of a page (`/`, `/embed`, `/oembed`; longer: 414). A "
            "`GET /gradient` URL may be up to 64 KiB (uvicorn's limit); larger requests: POST."
        ),
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest request body in bytes (larger: 413)."
    )
    cache_max_age: int = Field(
        86_400, ge=0, description="Seconds that caches may keep a `GET /gradient` response."
    )
    fast_lane: bool = Field(
        True,
        description=(
            "Answer plain small `/gradient` requests (logits, class indices, perhaps `include`, "
            "`temperature`, `reduction`) in a lean lane in front of the framework, with the very "
            "bytes the framework would send, about three times faster; `false`: every request "
            "takes the framework's way."
        ),
    )
    public_url: str = Field(
        "",
        pattern=r"^(https?://[^/?#\s]+(/[^?#\s]*)?)?$",
        description=(
            "The public URL dEdZ is served at, e.g. `https://dedz.example.edu` or "
            "`https://example.edu/dedz`: absolute URLs (share links, snippets, oEmbed) use it "
            "instead of the request's Host header, other hosts are refused (400), and pages "
            "become cacheable by shared caches. Empty: absolute URLs follow the Host header "
            "and pages are `private`."
        ),
    )
    allowed_hosts: str = Field(
        "*",
        description=(
            "Host headers to answer, comma-separated (`dedz.example.edu,localhost`); others get "
            "400. `*`: any host, or only the public URL's host when `DEDZ_PUBLIC_URL` is set."
        ),
    )
    page_cache_max_age: int = Field(
        300,
        ge=0,
        description=(
            "Seconds that shared caches may keep a page or fragment, when `DEDZ_PUBLIC_URL` "
            "is set (without it, pages carry `Cache-Control: private, no-cache`)."
        ),
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

    @field_validator("frame_ancestors")
    @classmethod
    def _sources_by_spaces(cls, value: str) -> str:
        """Accept CSP sources separated by commas too (as DEDZ_FORWARDED_ALLOW_IPS is)."""
        return " ".join(value.replace(",", " ").split())

    def warnings(self) -> list[str]:
        """Return what looks wrong in these settings, to be logged at start-up."""
        found = []
        if "'self'" not in self.frame_ancestors.split() and "*" not in self.frame_ancestors:
            found.append(
                "DEDZ_FRAME_ANCESTORS lacks 'self': the share panel's own embed preview will "
                "be refused"
            )
        loopback = self.host in ("127.0.0.1", "localhost", "::1")
        if not loopback and not self.public_url and self.allowed_hosts.strip() == "*":
            found.append(
                f"listening on {self.host} with neither DEDZ_PUBLIC_URL nor DEDZ_ALLOWED_HOSTS: "
                "share links, snippets and oEmbed answers are built from any request's Host "
                "header; set DEDZ_PUBLIC_URL for a public server"
            )
        return found

    def trusted_hosts(self) -> frozenset[str] | None:
        """Return the Host header values to answer (lower case, no port), or None for any."""
        if self.allowed_hosts.strip() != "*":
            return frozenset(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())
        if self.public_url:
            return frozenset({urlsplit(self.public_url).hostname or ""})
        return None


@lru_cache
def get_settings() -> Settings:
    """Return the settings read from the environment, once per process."""
    return Settings()
