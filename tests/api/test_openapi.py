"""The OpenAPI document: typed schemas, limits, the seed example, documented errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.assets import SWAGGER_FILES


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_request_schema_declares_fields_and_limits(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["GradientRequest"]
    assert schema["required"] == ["logits", "target"]
    assert schema["additionalProperties"] is False
    row, batch, *_ = schema["properties"]["logits"]["anyOf"]
    assert row["maxItems"] == 10_000
    assert batch["items"]["maxItems"] == 10_000
    assert row["items"]["maximum"] == 1e6
    assert "B·n ≤ 100,000" in schema["properties"]["logits"]["description"]
    assert "B·n² ≤ 1,000,000" in schema["properties"]["include"]["description"]
    assert schema["properties"]["temperature"]["minimum"] == 1e-4
    assert schema["properties"]["label_smoothing"]["maximum"] == 1
    for name, field in schema["properties"].items():
        assert field.get("description"), name


def test_limits_follow_the_settings() -> None:
    with TestClient(create_app(Settings(max_classes=50))) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["GradientRequest"]
    assert schema["properties"]["logits"]["anyOf"][0]["maxItems"] == 50


def test_seed_example_is_the_request_example(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/gradient"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["seed"]["value"] == {"logits": [2.0, 1.0], "target": 0}
    assert body["schema"] == {"$ref": "#/components/schemas/GradientRequest"}


def test_response_schema_and_errors_are_documented(spec: dict[str, Any]) -> None:
    for method in ("get", "post"):
        responses = spec["paths"]["/gradient"][method]["responses"]
        ok = responses["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/GradientResponse"}
    post = set(spec["paths"]["/gradient"]["post"]["responses"])
    get = set(spec["paths"]["/gradient"]["get"]["responses"])
    assert post == {
        "200",
        "400",
        "406",
        "408",
        "413",
        "415",
        "422",
        "503",
    }  # bad, big, slow, zipped
    assert get == {"200", "304", "400", "406", "414", "422", "503"}  # no body: no 408 or 413
    for status in ("200", "304"):  # what a cache or a conditional client reads
        headers = spec["paths"]["/gradient"]["get"]["responses"][status]["headers"]
        assert set(headers) == {"ETag", "Cache-Control", "Vary"}
    assert "headers" not in spec["paths"]["/gradient"]["post"]["responses"]["200"]
    response = spec["components"]["schemas"]["GradientResponse"]["properties"]
    for name in ("probs", "log_probs", "target", "loss", "grad_logits", "grad_probs"):
        assert response[name]["description"], name
    assert "null" in response["grad_probs"]["description"]


def test_docs_page_serves_pinned_swagger_ui_with_its_integrity(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    for name, sri in SWAGGER_FILES.items():
        assert f"/static/vendor/swagger-ui/{name}?v=" in response.text
        assert f'integrity="{sri}"' in response.text
    assert 'data-openapi-url="/openapi.json"' in response.text


def test_docs_page_says_how_to_fetch_swagger_ui_when_it_is_missing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.api.docs.swagger_present", lambda: False)
    text = client.get("/docs").text
    assert "make vendor" in text
    assert "swagger-ui-bundle.js" not in text
    assert 'href="/openapi.json"' in text


def test_operations_and_enums_have_names_a_generated_client_can_use(spec: dict[str, Any]) -> None:
    ids = {
        (path, method): operation["operationId"]
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    assert ids == {
        ("/gradient", "post"): "gradient_post",
        ("/gradient", "get"): "gradient_get",
        ("/healthz", "get"): "healthz_get",
        ("/oembed", "get"): "oembed_get",
        ("/explorer.json", "get"): "explorer_json_get",
    }
    schemas = spec["components"]["schemas"]
    assert schemas["Reduction"]["enum"] == ["mean", "sum", "none"]
    assert schemas["Part"]["enum"] == ["jacobian", "chain", "check"]
    request = schemas["GradientRequest"]["properties"]
    assert request["reduction"]["$ref"] == "#/components/schemas/Reduction"
    assert request["include"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/Part"}


def test_the_schema_row_limit_is_the_servers(client: TestClient, spec: dict[str, Any]) -> None:
    batch = spec["components"]["schemas"]["GradientRequest"]["properties"]["logits"]["anyOf"][1]
    rows = batch["maxItems"]
    body = {"logits": [[0.0]] * rows, "target": [0] * rows, "include": []}
    assert client.post("/gradient", json=body).status_code == 200  # n = 1: B up to B·n
    body = {"logits": [[0.0]] * (rows + 1), "target": [0] * (rows + 1), "include": []}
    assert client.post("/gradient", json=body).status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/gradient?logits=2,1&target=0",
        "/healthz",
        "/oembed?url=http://testserver/?logits=2,1%26target=0",
    ],
)
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/gradient?logits=a,1&target=0", ("/gradient", "get")),
        ("/explorer.json?logits=a,1&target=0", ("/explorer.json", "get")),
        ("/oembed?url=http://testserver/?logits=a,1%26target=0&maxwidth=0", ("/oembed", "get")),
    ],
)
def test_each_422_has_the_shape_its_operation_declares(
    client: TestClient, spec: dict[str, Any], path: str, operation: tuple[str, str]
) -> None:
    declared = spec["paths"][operation[0]][operation[1]]["responses"]["422"]
    schema = _resolved(spec, declared["content"]["application/json"]["schema"])
    body = client.get(path).json()
    assert set(body) == set(schema["properties"]) == set(schema["required"])
    for name, value in body.items():
        kind = _resolved(spec, schema["properties"][name])["type"]
        assert isinstance(value, {"string": str, "array": list, "object": dict}[kind]), name
