"""Host headers, the public URL, query-string limits and cache policies (no cache poisoning)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.static import IMMUTABLE

PUBLIC = "https://dedz.example.edu/course"


def client_for(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(**settings)))  # type: ignore[arg-type]


def test_without_a_public_url_pages_are_private_and_vary_on_host(client: TestClient) -> None:
    response = client.get("/?logits=2,1&target=0")
    assert response.headers["cache-control"] == "private, no-cache"
    assert "Host" in response.headers["vary"]


def test_with_a_public_url_absolute_urls_ignore_the_host_header() -> None:
    client = client_for(public_url=PUBLIC)
    page = client.get("/?logits=2,1&target=0", headers={"Host": "dedz.example.edu"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "public, max-age=300"
    assert f'value="{PUBLIC}/?logits=2,1&amp;target=0"' in page.text
    assert f"{PUBLIC}/static/embed.js" in page.text
    assert 'href="/course/gradient?logits=2,1&amp;target=0"' in page.text
    oembed = client.get(
        "/oembed",
        params={"url": f"{PUBLIC}/?logits=2,1&target=0"},
        headers={"Host": "dedz.example.edu"},
    )
    assert oembed.status_code == 200
    assert f"{PUBLIC}/embed?logits=2,1&amp;target=0" in oembed.json()["html"]


@pytest.mark.parametrize(
    "path", ["/", "/embed", "/guide", "/oembed?url=x", "/gradient?logits=1,2&target=0"]
)
def test_other_hosts_are_refused_when_a_public_url_is_set(path: str) -> None:
    response = client_for(public_url=PUBLIC).get(path, headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert response.json() == {"detail": "host: this server does not answer for that Host header"}
    assert "content-security-policy" in response.headers


def test_health_answers_any_host_for_container_probes() -> None:
    assert client_for(public_url=PUBLIC).get("/healthz").status_code == 200


def test_allowed_hosts_lists_the_hosts_to_answer() -> None:
    client = client_for(allowed_hosts="dedz.test, localhost")
    assert client.get("/", headers={"Host": "dedz.test:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "LOCALHOST"}).status_code == 200
    refused = client.get("/", headers={"Host": "evil.test"})
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == "*"  # a script can read why


def test_over_long_page_queries_get_414_before_any_parsing(client: TestClient) -> None:
    query = "logits=" + ",".join(["0"] * 5000) + "&target=0"
    for path in ("/", "/embed", "/oembed"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 414
        assert response.json()["detail"] == "query: longer than the limit of 8,192 bytes"
        assert response.headers["access-control-allow-origin"] == "*"  # readable cross-origin
        assert (
            response.headers["content-security-policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
    assert client.get(f"/gradient?{query}").status_code == 200  # the API's own limit applies


def test_an_api_query_past_what_the_server_can_parse_is_a_json_414(client: TestClient) -> None:
    """uvicorn's parser answers a request target of 64 KiB or more with a bare text 400 that a
    script on another origin cannot read (a tool builder's GET of 17,000 logits): the app
    refuses a query past 64,000 bytes itself, naming the limit and the way round it."""
    query = "logits=" + ",".join(["0.1234567"] * 6_450) + "&target=0"
    response = client.get(f"/gradient?{query}")
    assert response.status_code == 414
    assert response.json()["detail"] == (
        "query: longer than the limit of 64,000 bytes; send long arrays as a JSON body "
        "(POST /gradient)"
    )
    assert response.headers["access-control-allow-origin"] == "*"
    assert (
        client.get("/gradient?" + query[:63_900].rsplit(",", 1)[0] + "&target=0").status_code == 200
    )


def test_a_draft_of_too_many_values_is_refused_and_the_form_shows_the_last_state(
    client: TestClient,
) -> None:
    query = "logits=" + ",".join(["0"] * 2000) + "&target=0&last=logits%3D3%2C1%26target%3D0"
    response = client.get(f"/?{query}")
    assert response.status_code == 422
    assert "the explorer shows 2 to 10 classes, got 2,000" in response.text
    assert response.text.count('class="num" id="z-') == 2  # the last valid state's two fields
    assert len(response.content) < 60_000


def test_static_files_are_fingerprinted_and_immutable(client: TestClient) -> None:
    page = client.get("/").text
    css = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/css/dedz.css?v=")
    assert client.get(css).headers["cache-control"] == IMMUTABLE
    assert "immutable" not in client.get("/static/css/dedz.css").headers["cache-control"]
    # another fingerprint (an older copy's, a typo) would pin today's bytes under it for a year
    for other in ("/static/css/dedz.css?v=0123456789ab", f"{css}&v=x", "/static/css/dedz.css?v="):
        assert "immutable" not in client.get(other).headers["cache-control"], other


def test_no_trailing_slash_redirects(client: TestClient) -> None:
    response = client.get("/gradient/?logits=2,1&target=0", follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
