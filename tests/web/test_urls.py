"""The URL builder: every URL the app writes respects the root path it is served under."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.urls import Urls


def test_paths_and_absolute_urls() -> None:
    urls = Urls("https://d.test", "/dedz")
    assert urls.path("/gradient", "logits=2,1&target=0") == "/dedz/gradient?logits=2,1&target=0"
    assert urls.path("/") == "/dedz/"
    assert urls.absolute("/embed", "a=1") == "https://d.test/dedz/embed?a=1"
    assert urls.base == "https://d.test/dedz"
    assert urls.static("css/dedz.css").startswith("/dedz/static/css/dedz.css?v=")


def test_pages_served_under_a_root_path_link_within_it() -> None:
    client = TestClient(create_app(Settings()), root_path="/dedz")
    page = client.get("/?logits=2,1&target=0").text
    assert 'href="/dedz/gradient?logits=2,1&amp;target=0"' in page
    assert 'action="/dedz/"' in page
    assert "/dedz/static/css/dedz.css?v=" in page
    assert 'value="http://testserver/dedz/?logits=2,1&amp;target=0"' in page  # share link
    redirect = client.get("/?logits=2.0,1&target=0", follow_redirects=False)
    assert redirect.headers["location"] == "/dedz/?logits=2,1&target=0"
