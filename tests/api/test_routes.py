"""`/gradient`: every field, every shape, GET = POST, caching and CORS."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.exceptions import HTTPException
from starlette.testclient import TestClient

SEED = {"logits": [2, 1], "target": 0}


JSON_TYPE = {"Content-Type": "application/json"}


def strict_json(text: str) -> Any:
    """Parse JSON refusing NaN and Infinity tokens (RFC 8259)."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_seed_question_single_row(client: TestClient) -> None:
    body = client.post("/gradient", json=SEED).json()
    O1, O2 = body["probs"]
    assert pytest.approx(1 / (1 + math.exp(-1)), rel=1e-15) == O1
    assert body["target"] == [1.0, 0.0]
    assert body["grad_logits"] == pytest.approx([O1 - 1, O2], rel=1e-15)
    assert body["loss"] == pytest.approx(-math.log(O1), rel=1e-15)
    assert body["grad_probs"] == pytest.approx([-1 / O1, 0.0], rel=1e-15)
    assert np.shape(body["jacobian"]) == (2, 2)
    assert np.shape(body["chain"]) == (2, 2)
    np.testing.assert_allclose(np.sum(body["chain"], axis=0), body["grad_logits"], rtol=1e-15)
    assert "check" not in body


def test_batch_shapes_follow_logits(client: TestClient) -> None:
    request = {"logits": [[2, 1, 0], [0, 1, 2]], "target": [0, 2], "reduction": "none"}
    body = client.post("/gradient", json=request).json()
    for key in ("probs", "log_probs", "target", "grad_logits", "grad_probs"):
        assert np.shape(body[key]) == (2, 3), key
    assert np.shape(body["loss"]) == (2,)
    assert "jacobian" not in body
    assert "chain" not in body


def test_batch_with_every_part(client: TestClient) -> None:
    request = {
        "logits": [[2, 1, 0], [0, 1, 2]],
        "target": [[0.5, 0.5, 0], [0, 0, 1]],
        "include": ["jacobian", "chain", "check"],
    }
    body = client.post("/gradient", json=request).json()
    assert np.shape(body["jacobian"]) == (2, 3, 3)
    assert np.shape(body["chain"]) == (2, 3, 3)
    assert np.shape(body["check"]["grad_logits"]) == (2, 3)
    assert body["check"]["max_rel_error"] < 1e-6
    assert body["check"]["all_agree"] is True
    assert np.shape(body["check"]["agrees"]) == np.shape(body["check"]["error_bound"]) == (2, 3)
    assert isinstance(body["loss"], float)


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [("mean", lambda rows: sum(rows) / len(rows)), ("sum", sum), ("none", list)],
)
def test_reductions(client: TestClient, reduction: str, expected: Any) -> None:
    request = {"logits": [[2, 1], [0, 3], [1, 1]], "target": [0, 0, 1]}
    rows = client.post("/gradient", json={**request, "reduction": "none"}).json()["loss"]
    loss = client.post("/gradient", json={**request, "reduction": reduction}).json()["loss"]
    assert loss == pytest.approx(expected(rows), rel=1e-15)


def test_single_row_none_gives_a_float_as_pytorch(client: TestClient) -> None:
    body = client.post("/gradient", json={**SEED, "reduction": "none"}).json()
    assert isinstance(body["loss"], float)


def test_temperature_label_smoothing_and_weights(client: TestClient) -> None:
    request = {
        "logits": [1.0, 2.0, 3.0],
        "target": 1,
        "temperature": 2.0,
        "label_smoothing": 0.3,
        "weights": [1.0, 3.0, 0.5],
        "reduction": "sum",
    }
    body = client.post("/gradient", json=request).json()
    Z, w = np.array(request["logits"]), np.array(request["weights"])
    O = np.exp(Z / 2) / np.exp(Z / 2).sum()
    Y = 0.7 * np.eye(3)[1] + 0.1
    c = w * Y
    np.testing.assert_allclose(body["probs"], O, rtol=1e-15)
    np.testing.assert_allclose(body["target"], Y, rtol=1e-15)
    assert body["loss"] == pytest.approx(-(c * np.log(O)).sum(), rel=1e-14)
    np.testing.assert_allclose(body["grad_logits"], (c.sum() * O - c) / 2, rtol=1e-13)


def test_include_selects_optional_outputs(client: TestClient) -> None:
    body = client.post("/gradient", json={**SEED, "include": ["check"]}).json()
    assert "check" in body
    assert "jacobian" not in body
    assert "chain" not in body
    assert set(client.post("/gradient", json={**SEED, "include": []}).json()) == {
        "probs",
        "log_probs",
        "target",
        "loss",
        "grad_logits",
        "grad_probs",
    }


def test_default_matrices_only_for_rows_small_enough_to_read(client: TestClient) -> None:
    small = client.post("/gradient", json={"logits": [0.0] * 100, "target": 0}).json()
    assert np.shape(small["jacobian"]) == (100, 100)
    assert np.shape(small["chain"]) == (100, 100)
    large = client.post("/gradient", json={"logits": [0.0] * 101, "target": 0})
    assert large.status_code == 200
    assert "jacobian" not in large.json()
    assert "chain" not in large.json()
    asked = {"logits": [0.0] * 1000, "target": 0, "include": ["jacobian"]}
    assert np.shape(client.post("/gradient", json=asked).json()["jacobian"]) == (1000, 1000)


def test_underflow_gives_null_grad_probs_and_strict_json(client: TestClient) -> None:
    response = client.post("/gradient", json={"logits": [1e4, -1e4, 0], "target": 1})
    body = strict_json(response.text)
    assert body["probs"] == [1.0, 0.0, 0.0]
    assert body["grad_probs"] == [0.0, None, 0.0]
    assert body["loss"] == 2e4
    assert body["log_probs"] == [0.0, -2e4, -1e4]


def test_grad_probs_is_null_where_a_subnormal_o_makes_it_overflow(client: TestClient) -> None:
    # O1 = e^−713 ≈ 2.2e−310 is not 0, but c1/O1 ≈ 0.05/2.2e−310 is beyond float64: −∞, null.
    body = {"logits": [0, 713], "target": 1, "label_smoothing": 0.1}
    answer = strict_json(client.post("/gradient", json=body).text)
    assert 0 < answer["probs"][0] < 2.3e-308
    assert answer["grad_probs"][0] is None
    assert answer["grad_probs"][1] == pytest.approx(-0.95, rel=1e-15)
    finite = strict_json(client.post("/gradient", json={**body, "logits": [0, 700]}).text)
    assert finite["grad_probs"][0] == pytest.approx(-0.05 / finite["probs"][0], rel=1e-12)


def test_precision_case_through_the_api(client: TestClient) -> None:
    body = client.get("/gradient", params={"logits": "37.43,0", "target": "0"}).json()
    assert body["grad_logits"][0] == pytest.approx(-5.5508e-17, rel=1e-4)
    assert body["loss"] == pytest.approx(5.5508e-17, rel=1e-4)


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"logits": "2,1", "target": "0"}, {"logits": [2, 1], "target": 0}),
        (
            {"logits": "2,1,0.1", "target": "0.7,0.2,0.1", "temperature": "0.5"},
            {"logits": [2, 1, 0.1], "target": [0.7, 0.2, 0.1], "temperature": 0.5},
        ),
        (
            {"logits": "1,-2.5e1,3", "target": "2", "weights": "1,2,3", "label_smoothing": "0.1"},
            {"logits": [1, -25, 3], "target": 2, "weights": [1, 2, 3], "label_smoothing": 0.1},
        ),
        (
            {"logits": "1,2", "target": "1", "include": "check,jacobian", "reduction": "sum"},
            {"logits": [1, 2], "target": 1, "include": ["check", "jacobian"], "reduction": "sum"},
        ),
        (
            {"logits": "1,2", "target": "1", "include": ""},
            {"logits": [1, 2], "target": 1, "include": []},
        ),
    ],
)
def test_get_equals_post(client: TestClient, query: dict[str, str], body: dict[str, Any]) -> None:
    got = client.get("/gradient", params=query)
    posted = client.post("/gradient", json=body)
    assert got.status_code == posted.status_code == 200
    assert got.content == posted.content


def test_get_is_cacheable(client: TestClient) -> None:
    first = client.get("/gradient?logits=2,1&target=0")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=86400"
    again = client.get("/gradient?logits=2,1&target=0", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = client.get("/gradient?logits=2,1&target=1", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag
    weak = client.get("/gradient?logits=2,1&target=0", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304


def test_post_is_not_cached(client: TestClient) -> None:
    response = client.post("/gradient", json=SEED)
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


def test_cors_is_open_without_credentials(client: TestClient) -> None:
    response = client.get("/gradient?logits=2,1&target=0", headers={"Origin": "https://x.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/gradient",
        headers={
            "Origin": "https://x.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_cors_headers_do_not_vary_by_origin(client: TestClient) -> None:
    """The same bytes and headers for every origin: a CDN keeps one copy, not one per origin."""
    url = "/gradient?logits=2,1&target=0"
    plain = client.get(url)
    cross = client.get(url, headers={"Origin": "https://x.example"})
    assert "origin" not in plain.headers.get("vary", "").lower()
    assert "origin" not in cross.headers.get("vary", "").lower()
    for name in ("access-control-allow-origin", "access-control-expose-headers"):
        assert plain.headers[name] == cross.headers[name]
    assert plain.content == cross.content


def test_a_refused_preflight_says_why_in_json(client: TestClient) -> None:
    preflight = client.options(
        "/gradient",
        headers={"Origin": "https://x.example", "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status_code == 400
    assert preflight.headers["content-type"] == "application/json"
    assert preflight.json() == {
        "detail": "CORS: method 'DELETE' is not allowed; allowed: GET, HEAD, POST"
    }


def test_body_without_json_content_type_is_accepted(client: TestClient) -> None:
    """`curl -d` sends form encoding by default; the body is read as JSON regardless."""
    response = client.post(
        "/gradient",
        content=json.dumps(SEED),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200


def test_a_query_string_beside_a_post_body_is_refused_not_ignored(client: TestClient) -> None:
    response = client.post("/gradient?temperature=2", json=SEED)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("query: POST /gradient takes its fields in")


@pytest.mark.parametrize("coding", ["gzip", "br", "GZIP, identity"])
def test_a_compressed_body_is_refused_by_its_coding_not_as_bad_json(
    client: TestClient, coding: str
) -> None:
    """A gzipped body was told "body: not valid JSON"; br on a plain body passed silently."""
    body = gzip.compress(json.dumps(SEED).encode()) if coding == "gzip" else json.dumps(SEED)
    response = client.post(
        "/gradient", content=body, headers={"Content-Encoding": coding, **JSON_TYPE}
    )
    assert response.status_code == 415
    assert response.headers["accept-encoding"] == "identity"
    assert response.json()["detail"].startswith("content-encoding: the body is read as sent")
    plain = client.post(
        "/gradient", content=json.dumps(SEED), headers={"Content-Encoding": "identity", **JSON_TYPE}
    )
    assert plain.status_code == 200


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.safetensors",
        "text/html",
        "application/json;q=0",
        "image/*",
        "application/x-npz;q=0",
    ],
)
def test_an_accept_that_admits_no_encoding_gets_406_naming_them(
    client: TestClient, accept: str
) -> None:
    """`application/vnd.safetensors` (a guess at the name) got JSON, which the client then
    failed to read as safetensors."""
    for response in (
        client.get("/gradient?logits=2,1&target=0", headers={"Accept": accept}),
        client.post("/gradient", json=SEED, headers={"Accept": accept}),
    ):
        assert response.status_code == 406
        assert response.headers["vary"] == "Accept"
        detail = response.json()["detail"]
        assert detail.startswith("accept: /gradient answers application/json, application/x-npz")
        assert repr(accept) in detail


def test_several_accept_lines_are_read_as_one_list(client: TestClient) -> None:
    url = "/gradient?logits=2,1&target=0"
    twice = [("accept", "*/*"), ("accept", NPZ)]
    assert client.get(url, headers=twice).headers["content-type"] == NPZ
    refused_then_json = [("accept", "text/html"), ("accept", "application/json")]
    assert client.get(url, headers=refused_then_json).headers["content-type"] == JSON


def test_an_accept_of_too_many_ranges_is_refused_not_read_in_part(client: TestClient) -> None:
    """Ranges after the 32nd were dropped silently: a 406 for an Accept naming JSON."""
    url = "/gradient?logits=2,1&target=0"
    many = ",".join(["text/a"] * 60) + ",application/json"
    assert client.get(url, headers={"Accept": many}).headers["content-type"] == JSON
    too_many = ",".join(["text/a"] * 70) + ",application/json"
    response = client.get(url, headers={"Accept": too_many})
    assert response.status_code == 400
    assert response.json()["detail"] == "accept: at most 64 media ranges, got 71"


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_api_responses_are_not_compressed(client: TestClient) -> None:
    """Compressing a million-entry Jacobian costs more than it saves; a CDN can do it."""
    response = client.post(
        "/gradient", json={"logits": [0.5] * 300, "target": 0}, headers={"Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize(
    ("whole", "integer"),
    [
        ({"logits": [2, 1], "target": 1.0}, {"logits": [2, 1], "target": 1}),
        (
            {"logits": [[2, 1], [0, 3]], "target": [1.0, 0.0]},
            {"logits": [[2, 1], [0, 3]], "target": [1, 0]},
        ),
    ],
)
def test_class_index_may_be_written_as_a_whole_float(
    client: TestClient, whole: dict[str, Any], integer: dict[str, Any]
) -> None:
    """JSON Schema counts 1.0 as an integer, so the API does too."""
    assert (
        client.post("/gradient", json=whole).content
        == client.post("/gradient", json=integer).content
    )


def test_a_304_costs_no_computation(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    etag = client.get("/gradient?logits=2,1&target=0").headers["etag"]

    def refuse(*args: object) -> None:
        raise AssertionError("a 304 must not compute the response")

    monkeypatch.setattr("app.api.routes.compute", refuse)
    again = client.get("/gradient?logits=2.0,1&target=0", headers={"If-None-Match": etag})
    assert again.status_code == 304  # the same request, spelled otherwise


def test_the_order_of_include_changes_neither_the_answer_nor_its_etag(client: TestClient) -> None:
    base = "/gradient?logits=2,1,0.1&target=0&include="
    one = client.get(base + "jacobian,chain")
    for other in (client.get(base + "chain,jacobian"), client.get(base + "chain,jacobian,chain")):
        assert one.content == other.content
        assert one.headers["etag"] == other.headers["etag"]
    assert client.get(base + "chain").headers["etag"] != one.headers["etag"]


@pytest.mark.parametrize(
    "other",
    [
        "logits=2,1&target=0&temperature=2",
        "logits=2,1&target=0&label_smoothing=0.1",
        "logits=2,1&target=0&weights=1,2",
        "logits=2,1&target=0&reduction=sum",
        "logits=2,1&target=0&include=check",
        "logits=2,1&target=1,0",
        "logits=2,1.0000000000000002&target=0",
    ],
)
def test_every_field_changes_the_etag(client: TestClient, other: str) -> None:
    etag = client.get("/gradient?logits=2,1&target=0").headers["etag"]
    assert client.get(f"/gradient?{other}").headers["etag"] != etag


@pytest.mark.parametrize(
    ("query", "loss", "grad"),
    [
        # The target class's weight cancels in the weighted mean, however small it is.
        ("logits=0,-300&target=0&weights=1e-12,1", 5.148200222412013e-131, None),
        ("logits=0,0&target=1&weights=1,1e-12", 0.6931471805599453, [0.5, -0.5]),
    ],
)
def test_tiny_weights_keep_the_weighted_mean_exact(
    client: TestClient, query: str, loss: float, grad: list[float] | None
) -> None:
    body = client.get(f"/gradient?{query}").json()
    assert body["loss"] == pytest.approx(loss, rel=1e-12)
    if grad is not None:
        assert body["grad_logits"] == pytest.approx(grad, rel=1e-12)


@pytest.mark.parametrize("weights", ["1,5e-324", "1e-305,1000000", "1e-13,1"])
def test_positive_weights_below_the_floor_are_refused(client: TestClient, weights: str) -> None:
    response = client.get(f"/gradient?logits=0,0&target=0&label_smoothing=0.5&weights={weights}")
    assert response.status_code == 422
    assert "must be 0 or between 1e-12 and 1e6" in response.json()["detail"][0]["msg"]
    page = client.get(f"/?logits=0,0&target=0&label_smoothing=0.5&weights={weights}")
    assert page.status_code == 422  # the explorer refuses it too, never a 500


@pytest.mark.parametrize(
    "body",
    [
        {"logits": [0, -744], "target": 0},
        {"logits": [740, 0], "target": 0},
        {"logits": [0.0001, 0], "target": 0, "temperature": 0.0001},
    ],
    ids=["underflow", "saturated", "tiny-T"],
)
def test_check_gives_no_false_alarm_where_dedz_is_most_precise(
    client: TestClient, body: dict[str, Any]
) -> None:
    check = client.post("/gradient", json={**body, "include": ["check"]}).json()["check"]
    assert check["all_agree"] is True
    assert check["agrees"] == [True, True]
    rel = check["max_rel_error"]
    assert rel is None or rel < 1e-3  # null where fd cannot resolve the gradient at all


def test_get_reads_target_1_0_as_a_class_index_like_post(client: TestClient) -> None:
    get = client.get("/gradient?logits=2,1&target=1.0").json()
    post = client.post("/gradient", json={"logits": [2, 1], "target": 1.0}).json()
    assert get == post
    assert get["target"] == [0.0, 1.0]


def test_ignore_index_in_a_query_and_its_refusals(client: TestClient) -> None:
    body = client.get("/gradient?logits=2,1&target=1&ignore_index=1&reduction=sum").json()
    assert body["loss"] == 0.0
    assert body["grad_logits"] == [0.0, 0.0]
    mean = client.get("/gradient?logits=2,1&target=-100").json()
    assert mean["loss"] is None
    assert "0 by 0" in mean["loss_undefined"]
    for query, message in [
        ("logits=2,1&target=0&ignore_index=1.5", "ignore_index: must be a whole number, got '1.5'"),
        ("logits=2,1&target=0.5,0.5&ignore_index=0", "applies only to class-index targets"),
    ]:
        response = client.get(f"/gradient?{query}")
        assert response.status_code == 422
        assert message in response.json()["detail"][0]["msg"]
    # JSON's spelling, as every other field's message writes it (it said "got True")
    refused = client.post("/gradient", json={**SEED, "ignore_index": True})
    assert refused.json()["detail"][0]["msg"].endswith("got true")


def test_k_dimensional_logits_keep_their_layout(client: TestClient) -> None:
    Z = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4) / 5  # (N, C, d1)
    y = [[0, 1, 2, 1], [2, 2, 0, -100]]
    body = client.post(
        "/gradient", json={"logits": Z.tolist(), "target": y, "reduction": "none"}
    ).json()
    assert np.shape(body["probs"]) == np.shape(body["grad_logits"]) == (2, 3, 4)
    assert np.shape(body["loss"]) == (2, 4)
    assert body["loss"][1][3] == 0.0  # ignored
    np.testing.assert_allclose(np.sum(body["probs"], axis=1), 1.0, rtol=1e-15)
    # Each position is the row (Z[n, :, d], y[n][d]) on its own.
    row = client.post("/gradient", json={"logits": Z[1, :, 2].tolist(), "target": 0}).json()
    np.testing.assert_allclose(np.array(body["grad_logits"])[1, :, 2], row["grad_logits"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"logits": [[[1.0, 2.0]] * 3] * 2, "target": [0, 1]},
            "target: must be class indices shaped [2, 2] or probabilities shaped [2, 3, 2]",
        ),
        (
            {"logits": [[[1.0, 2.0]] * 3] * 2, "target": [[0, 3], [1, 1]]},
            "target[0][1]: class index must be a whole number in 0..2, got 3",
        ),
        (
            {"logits": [[[1.0, 2.0]] * 3] * 2, "target": [[0, 1]] * 2, "include": ["jacobian"]},
            "K-dimensional logits take 'check' only",
        ),
        (
            {"logits": [[[1.0, 2.0], [1.0]]], "target": [[0, 0]]},
            "logits[0][1]: has 1 values but logits[0][0] has 2",
        ),
        (
            {"logits": [[[1.0, 2.0]] * 2], "target": [[[0.5, 0.5], [0.2, 0.2]]]},
            "target[0][:][0]: probabilities must sum to 1 (within 1e-06 for 2 classes), got 0.7",
        ),
    ],
    ids=["shape", "index", "jacobian", "ragged", "sum"],
)
def test_k_dimensional_mistakes_are_named(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]


NPZ = "application/x-npz"


def test_npz_holds_the_same_numbers_as_json(client: TestClient) -> None:
    body = {
        "logits": [[2.0, 1.0, -900.0], [0.1, 0.2, 0.3]],
        "target": [2, 2],
        "include": ["jacobian", "chain", "check"],
    }
    as_json = client.post("/gradient", json=body).json()
    response = client.post("/gradient", json=body, headers={"Accept": NPZ})
    assert response.headers["content-type"] == NPZ
    assert "accept" in response.headers["vary"].lower()
    arrays = np.load(io.BytesIO(response.content), allow_pickle=False)
    for name in ("probs", "log_probs", "target", "grad_logits", "jacobian", "chain"):
        np.testing.assert_array_equal(arrays[name], np.array(as_json[name]), err_msg=name)
    assert float(arrays["loss"]) == as_json["loss"]
    # JSON's null for dE/dO where O underflows is −∞ itself in binary.
    assert as_json["grad_probs"][0][2] is None
    assert np.isneginf(arrays["grad_probs"][0, 2])
    np.testing.assert_array_equal(arrays["check.agrees"], np.array(as_json["check"]["agrees"]))
    assert bool(arrays["check.all_agree"]) is as_json["check"]["all_agree"]


def test_npz_keeps_an_undefined_loss_and_k_dimensional_layout(client: TestClient) -> None:
    body = {"logits": [[[1.0, 2.0]] * 3], "target": [[-100, -100]]}
    arrays = np.load(
        io.BytesIO(client.post("/gradient", json=body, headers={"Accept": NPZ}).content)
    )
    assert np.isnan(arrays["loss"])
    assert "ignore_index" in str(arrays["loss_undefined"])
    assert arrays["grad_logits"].shape == (1, 3, 2)


ST = "application/x-safetensors"
JSON = "application/json"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("application/json", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (NPZ, NPZ),
        (f"application/json;q=0.5, {NPZ}", NPZ),
        (f"{NPZ};q=0.2, application/json", JSON),
        (f"{NPZ};q=0, application/json", JSON),
        (f"{NPZ};q=oops, application/json", JSON),
        (ST, ST),
        (ST.upper(), ST),
        (f"{NPZ};q=0.5, {ST}", ST),
        (f"{NPZ}, {ST};q=0.9", NPZ),
        (f"{ST}, {NPZ}", NPZ),  # a tie: the older encoding
        (f"{ST};q=0.1, */*", JSON),
        (f"{ST};q=0, */*", JSON),
        ("application/json, text/plain, */*", JSON),  # axios
        # a wildcard admits the binary encodings too: with JSON refused, .npz (found in review)
        ("*/*, application/json;q=0", NPZ),
        ("application/json;q=0, application/*", NPZ),
        (f"application/json;q=0, {ST}, */*;q=0.5", ST),
        # RFC 9110's qvalues only: an invalid one makes its range unacceptable
        ("application/json;q=nan, */*;q=0.1", NPZ),
        ("application/json;q=0_5, */*;q=0.6", NPZ),
        ("application/json;q=0.5000, */*;q=0.6", NPZ),
        ('application/json;foo="a,b";q=0, */*;q=0.5', NPZ),  # a comma inside quotes
        (f"{NPZ};q=0.001, application/json;q=0", NPZ),
        (", ,", JSON),  # an empty list: no preference
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # a browser
    ],
)
def test_the_encoding_follows_accept(
    client: TestClient, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    for response in (
        client.get("/gradient?logits=2,1&target=0", headers=headers),
        client.post("/gradient", json={"logits": [2, 1], "target": 0}, headers=headers),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type


@pytest.mark.parametrize(
    "body",
    [
        {
            "logits": [[2.0, 1.0, -900.0], [0.1, 0.2, 0.3]],
            "target": [2, 2],
            "include": ["jacobian", "chain", "check"],
        },
        {"logits": [2.0, -0.0, 745.0], "target": 1, "temperature": 0.5},
        {"logits": [[[1.0, 2.0], [0.5, -1.0]]], "target": [[0, 1]]},  # N, C, d1
        {"logits": [0.5, 1.0, -1.0], "target": 2, "loss": "bce", "reduction": "none"},
        # a large answer: streamed from the arrays' own memory, its length known up front
        {"logits": [float(k % 7) for k in range(300)], "target": 5, "include": ["jacobian"]},
    ],
)
def test_safetensors_holds_the_json_s_numbers_bit_for_bit(
    client: TestClient, body: dict[str, Any]
) -> None:
    from safetensors.numpy import load

    as_json = client.post("/gradient", json=body).json()
    response = client.post("/gradient", json=body, headers={"Accept": ST})
    assert response.status_code == 200
    assert response.headers["content-type"] == ST
    assert int(response.headers["content-length"]) == len(response.content)
    arrays = load(response.content)
    npz = np.load(io.BytesIO(client.post("/gradient", json=body, headers={"Accept": NPZ}).content))
    assert set(arrays) == set(npz.files)  # the same names as the .npz
    for name in npz.files:
        assert arrays[name].dtype == npz[name].dtype, name
        assert arrays[name].shape == npz[name].shape, name
        assert arrays[name].tobytes() == npz[name].tobytes(), name  # −0.0, −∞, NaN alike

    def flat(value: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(value, dict):
            return {
                k: v
                for key, item in value.items()
                for k, v in flat(item, prefix + key + ".").items()
            }
        return {prefix[:-1]: value}

    for name, value in flat(as_json).items():
        expected = np.array(value, dtype=float if not isinstance(value, bool) else bool)
        got = arrays[name]
        finite = np.isfinite(got) if got.dtype.kind == "f" else np.ones(got.shape, bool)
        np.testing.assert_array_equal(got[finite], expected[finite], err_msg=name)


def test_safetensors_keeps_an_undefined_loss_and_its_reason(
    client: TestClient, tmp_path: Path
) -> None:
    from safetensors import safe_open

    body = {"logits": [[[1.0, 2.0]] * 3], "target": [[-100, -100]]}
    content = client.post("/gradient", json=body, headers={"Accept": ST}).content
    header_length = int.from_bytes(content[:8], "little")
    assert header_length % 8 == 0  # the arrays start 8-byte aligned
    path = tmp_path / "answer.safetensors"
    path.write_bytes(content)
    with safe_open(str(path), framework="numpy") as f:
        assert "ignore_index" in f.metadata()["loss_undefined"]
        assert np.isnan(f.get_tensor("loss"))
        assert f.get_tensor("grad_logits").shape == (1, 3, 2)


def test_get_etags_differ_by_encoding(client: TestClient) -> None:
    url = "/gradient?logits=2,1&target=0"
    as_json = client.get(url)
    as_npz = client.get(url, headers={"Accept": NPZ})
    assert as_json.headers["etag"] != as_npz.headers["etag"]
    assert client.get(url, headers={"If-None-Match": as_npz.headers["etag"]}).status_code == 200


def test_the_same_request_gives_the_same_npz_bytes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A strong ETag promises the same bytes: no member of the archive carries the time."""
    import time

    url = "/gradient?logits=2,1,0.1&target=0"
    first = client.get(url, headers={"Accept": NPZ})
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    again = client.get(url, headers={"Accept": NPZ})
    assert first.headers["etag"] == again.headers["etag"]
    assert first.content == again.content


def test_get_and_post_both_negotiate_before_they_read_the_request(client: TestClient) -> None:
    """A bad query with an Accept nothing answers got 422 by GET and 406 by POST."""
    assert client.get("/gradient?logits=x", headers={"Accept": "text/html"}).status_code == 406
    bad = {"logits": "x"}
    assert client.post("/gradient", json=bad, headers={"Accept": "text/html"}).status_code == 406


def test_an_adversarial_accept_is_read_in_linear_time() -> None:
    """A regex for quoted strings rescanned an unterminated one from every position: 8 kB of
    `\\"` took 0.4 s, 64 kB would take half a minute. The one-pass split reads 64 kB in
    milliseconds (the bound below is a hundredth of the quadratic time, not a timing goal)."""
    import time

    from app.api.negotiation import encoding

    for accept in ('a;q="' + '\\"' * 32_000, ';a="' * 16_000, '"a' * 32_000):
        start = time.perf_counter()
        with contextlib.suppress(HTTPException):
            encoding([accept])
        assert time.perf_counter() - start < 0.3, accept[:20]


@pytest.mark.parametrize("weight", ["abc", "NaN", "1e400", "-1"])
def test_a_406_for_a_q_that_is_not_a_weight_says_so(client: TestClient, weight: str) -> None:
    """Accept: application/json;q=abc asked for nothing (its range counts for nothing), and the
    406 quoted it without saying why: the client did name JSON."""
    response = client.get(
        "/gradient?logits=2,1&target=0", headers={"Accept": f"application/json;q={weight}"}
    )
    assert response.status_code == 406
    assert f"q={weight!r}: a q is a weight from 0 to 1" in response.json()["detail"]
