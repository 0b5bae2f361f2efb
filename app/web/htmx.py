"""htmx on the server: one reader of the `HX-*` request headers, helpers for the response ones."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

# Pages and fragments differ by these request headers: caches must keep them apart.
VARY = "HX-Request, HX-Target"
# Every response header htmx 2 reads. Inside a sandboxed iframe (an opaque origin) the page's
# own responses are cross-origin, and htmx logs "Refused to get unsafe header" for each one
# that CORS does not expose.
HTMX_RESPONSE_HEADERS = (
    "HX-Location",
    "HX-Push",  # the name htmx 1 used, which htmx 2 still reads
    "HX-Push-Url",
    "HX-Redirect",
    "HX-Refresh",
    "HX-Replace-Url",
    "HX-Reselect",
    "HX-Reswap",
    "HX-Retarget",
    "HX-Trigger",
    "HX-Trigger-After-Settle",
    "HX-Trigger-After-Swap",
)


@dataclass(frozen=True, slots=True)
class HtmxDetails:
    """What htmx said about a request: whether it sent it, what it will swap, from which URL."""

    request: bool
    target: str
    current_url: str

    @classmethod
    def of(cls, request: Request) -> HtmxDetails:
        """Read the `HX-*` headers of a request."""
        headers = request.headers
        return cls(
            request=headers.get("hx-request") == "true",
            target=headers.get("hx-target", ""),
            current_url=headers.get("hx-current-url", ""),
        )


def reswap_none(headers: dict[str, str]) -> None:
    """Ask htmx to swap nothing but the out-of-band parts of the response."""
    headers["HX-Reswap"] = "none"
