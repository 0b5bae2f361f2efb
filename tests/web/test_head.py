"""`HEAD` is answered wherever `GET` is, as the README says."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.main import create_app

PAGES = ["/", "/embed", "/build", "/guide", "/docs", "/figure", "/figure.svg", "/figure.csv"]


def test_every_get_route_also_answers_head() -> None:
    with TestClient(create_app()) as client:
        schema = client.get("/openapi.json").json()
        documented = [path for path, operations in schema["paths"].items() if "get" in operations]
        assert "/explorer.json" in documented
        for path in [*documented, *PAGES, "/openapi.json"]:
            get, head = client.get(path), client.head(path)
            assert get.status_code != 405, path
            assert (head.status_code, head.content) == (get.status_code, b""), path
