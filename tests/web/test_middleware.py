"""Security headers on every kind of response, from the one middleware."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.assets import HTMX_CDN_URL

DOCUMENTS = [  # what a browser renders, with scripts and styles
    ("GET", "/", 200),
    ("GET", "/embed", 200),
    ("GET", "/guide", 200),
    ("GET", "/docs", 200),
]
DATA = [  # JSON, code and files: nothing in them runs as a page
    ("GET", "/gradient?logits=2,1&target=0", 200),
    ("GET", "/gradient?logits=2,x&target=0", 422),
    ("POST", "/gradient", 400),
    ("GET", "/oembed?url=http://testserver/", 200),
    ("GET", "/healthz", 200),
    ("GET", "/static/css/dedz.css", 200),
    ("GET", "/static/embed.js", 200),
    ("GET", "/no-such-page", 404),
    ("DELETE", "/gradient", 405),
    ("GET", "/openapi.json", 200),
    ("GET", "/figure.png?logits=2,1&target=0", 200),
    ("GET", "/figure.csv?logits=2,1&target=0", 200),
]
RESPONSES = DOCUMENTS + DATA


def directives(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


@pytest.mark.parametrize(("method", "path", "status"), DOCUMENTS)
def test_every_document_carries_the_page_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "x-frame-options" not in headers
    csp = directives(headers["content-security-policy"])
    assert "unsafe-inline" not in csp["script-src"]
    assert "unsafe-eval" not in csp["script-src"]
    assert "unsafe-inline" not in csp["style-src"]
    assert csp["script-src"] == f"'self' {HTMX_CDN_URL}"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "'self' https: http://localhost:* http://127.0.0.1:*"
    assert headers["access-control-expose-headers"].endswith("HX-Trigger-After-Swap, ETag")


def test_an_svg_figure_opened_as_a_document_keeps_its_own_style(client: TestClient) -> None:
    # Opened directly (the export form's redirect, a download shown inline), the figure's own
    # <style> was refused by the page policy and it was drawn unstyled; scripts stay refused.
    response = client.get("/figure.svg?logits=2,1&target=0")
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<style>" in response.text
    csp = directives(response.headers["content-security-policy"])
    assert csp["default-src"] == "'none'"
    assert csp["style-src"] == "'unsafe-inline'"
    assert "script-src" not in csp  # default-src 'none' covers it
    assert csp["frame-ancestors"] == "'self' https: http://localhost:* http://127.0.0.1:*"


def test_a_304_gets_the_headers_of_what_it_revalidates(client: TestClient) -> None:
    # A 304 has no content type; the browser copies its headers onto the cached answer.
    first = client.get("/gradient?logits=2,1&target=0")
    again = client.get(
        "/gradient?logits=2,1&target=0", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    for name in ("content-security-policy", "access-control-expose-headers"):
        assert again.headers[name] == first.headers[name]
    assert "permissions-policy" not in again.headers


@pytest.mark.parametrize(("method", "path", "status"), DATA)
def test_all_data_carries_a_policy_that_allows_nothing(
    client: TestClient, method: str, path: str, status: int
) -> None:
    # An API's answer is never a document: its policy allows nothing and no framing, and it
    # skips the page's 500 bytes of document headers (each of which the server scans).
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "permissions-policy" not in headers
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-expose-headers"] == "ETag, Retry-After"


def test_body_over_the_cap_also_carries_the_headers() -> None:
    with TestClient(create_app(Settings(max_body_bytes=1024))) as client:
        response = client.post("/gradient", content=b"[" + b"1," * 2000 + b"1]")
    assert response.status_code == 413
    assert "frame-ancestors" in response.headers["content-security-policy"]


def test_frame_policy_follows_the_setting() -> None:
    settings = Settings(frame_ancestors="'self' https://canvas.example.edu")
    with TestClient(create_app(settings)) as client:
        csp = directives(client.get("/embed").headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'self' https://canvas.example.edu"


def test_local_htmx_needs_no_third_party_script() -> None:
    with TestClient(create_app(Settings(htmx_source="local"))) as client:
        csp = directives(client.get("/").headers["content-security-policy"])
    assert csp["script-src"] == "'self'"


def test_the_api_docs_keep_the_same_strict_policy(client: TestClient) -> None:
    """Swagger UI is served first-party and started from a file: nothing inline, no CDN."""
    page = client.get("/docs")
    assert (
        page.headers["content-security-policy"]
        == client.get("/").headers["content-security-policy"]
    )
    csp = directives(page.headers["content-security-policy"])
    assert "unsafe" not in page.headers["content-security-policy"]
    assert csp["style-src"] == "'self'"
    assert "<script>" not in page.text
    assert "cdn.jsdelivr.net" not in page.text
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/?logits=2,1&target=0", "text/html"), ("/gradient?logits=2,1&target=0", "json")],
)
def test_an_unexpected_error_is_a_short_500_with_the_security_headers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, path: str, kind: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("app.explorer.routes.compute", broken)
    monkeypatch.setattr("app.api.routes.compute", broken)
    monkeypatch.setattr("app.api.lane.compute", broken)  # the lane hands the failure over
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as client:
        response = client.get(path)
        assert response.status_code == 500
        assert kind in response.headers["content-type"]
        assert "content-security-policy" in response.headers
        assert "x-content-type-options" in response.headers
        assert "Traceback" not in response.text
        assert "boom" not in response.text
        assert client.get("/healthz").status_code == 200  # the server goes on
    records = [r for r in caplog.records if r.name == "dedz"]
    assert len(records) == 1
    assert records[0].getMessage() == f"500 GET {path.split('?')[0]}: RuntimeError boom"


def test_cors_exposes_every_header_htmx_reads(client: TestClient) -> None:
    # htmx in a sandboxed iframe runs at an opaque origin: its own requests are cross-origin.
    response = client.get("/?logits=3,1&target=0", headers={"Origin": "null", "HX-Request": "true"})
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    for name in ("hx-replace-url", "hx-reswap", "hx-trigger", "hx-push-url", "hx-retarget"):
        assert name in exposed


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),  # any coding not named (RFC 9110, 12.5.3): gzip included
        ("br, *;q=0.5", True),
        ("identity, gzip;q=0", False),  # a refusal: it was gzipped
        ("gzip;q=0, *;q=0", False),
        ("xgzipx", False),
        ("identity", False),
        ("", False),
    ],
)
def test_pages_are_gzipped_only_where_the_client_admits_gzip(
    client: TestClient, accept: str, gzipped: bool
) -> None:
    response = client.get("/?logits=2,1&target=0", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is gzipped
    assert "Accept-Encoding" in response.headers["vary"]


@pytest.mark.parametrize("path", ["/?logits=2,1,0.5&target=0", "/guide", "/static/css/dedz.css"])
def test_a_gzipped_page_is_the_same_bytes_as_the_plain_one(client: TestClient, path: str) -> None:
    """Pages are deflated by zlib-ng (whole, and a static file as a stream of chunks): read
    back with Python's own gzip, each is exactly the page sent uncompressed."""
    import gzip

    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as packed:
        raw = b"".join(packed.iter_raw())  # the bytes as sent, not decoded
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 2
    if "content-length" in packed.headers:  # a whole page; a static file is streamed
        assert int(packed.headers["content-length"]) == len(raw)
