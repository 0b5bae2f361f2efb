"""Bad input gets a clear 4xx naming the field and the limit: never a 500, never NaN in JSON."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.api.test_routes import strict_json

OK = {"logits": [2.0, 1.0], "target": 0}

BAD_BODIES: list[tuple[str, Any, list[Any], str]] = [
    # (case, body, loc, fragment of the message)
    ("missing logits", {"target": 0}, ["body", "logits"], "logits: is required"),
    ("missing target", {"logits": [1, 2]}, ["body", "target"], "target: is required"),
    ("logits not a list", {**OK, "logits": 3}, ["body", "logits"], "must be a list of numbers"),
    ("empty logits", {**OK, "logits": []}, ["body", "logits"], "logits: must not be empty"),
    (
        "empty row",
        {**OK, "logits": [[]], "target": [0]},
        ["body", "logits", 0],
        "logits[0]: must not be empty",
    ),
    ("string logit", {**OK, "logits": [1, "2"]}, ["body", "logits", 1], "got '2'"),
    ("string NaN", {**OK, "logits": [1, "NaN"]}, ["body", "logits", 1], "must be a number"),
    (
        "null logit",  # what JavaScript's JSON.stringify makes of NaN
        {**OK, "logits": [1, None]},
        ["body", "logits", 1],
        "must be a number, got null (JSON.stringify writes NaN and ±Infinity as null)",
    ),
    ("boolean logit", {**OK, "logits": [True, 1]}, ["body", "logits", 0], "must be a number"),
    (
        "logit too large",
        {**OK, "logits": [1e7, 1]},
        ["body", "logits", 0],
        "between -1e6 and 1e6",
    ),
    (
        "ragged batch",
        {"logits": [[1, 2], [1, 2, 3]], "target": [0, 0]},
        ["body", "logits", 1],
        "has 3 values but logits[0] has 2",
    ),
    (
        "row mixed with number",
        {"logits": [[1, 2], 3], "target": [0, 0]},
        ["body", "logits", 1],
        "must be a list of numbers",
    ),
    ("index out of range", {**OK, "target": 2}, ["body", "target"], "in 0..1, got 2"),
    ("negative index", {**OK, "target": -1}, ["body", "target"], "in 0..1, got -1"),
    ("float index", {**OK, "target": 0.5}, ["body", "target"], "a whole number in 0..1, got 0.5"),
    ("boolean index", {**OK, "target": True}, ["body", "target"], "a class index or a list of"),
    ("string index", {**OK, "target": "0"}, ["body", "target"], "one per row), got '0'"),
    (
        "batch index float",
        {"logits": [[1, 2], [2, 1]], "target": [0, 0.5]},
        ["body", "target", 1],
        "whole number in 0..1, got 0.5",
    ),
    (
        "batch index out of range",
        {"logits": [[1, 2], [2, 1]], "target": [0, 5]},
        ["body", "target", 1],
        "in 0..1, got 5",
    ),
    (
        "batch indices count",
        {"logits": [[1, 2], [2, 1]], "target": [0]},
        ["body", "target"],
        "one class index per row (2 rows), got 1",
    ),
    (
        "probabilities wrong length",
        {**OK, "target": [0.5, 0.25, 0.25]},
        ["body", "target"],
        "must be 2 probabilities, got shape [3]",
    ),
    (
        "a one-row batch's class index not in a list",
        {"logits": [[1, 2]], "target": 0},
        ["body", "target"],
        "must be 1 class index (one per row) or 1 row of 2 probabilities, got a single number",
    ),
    (
        "a row's class index in a list of lists",
        {**OK, "target": [[1]]},
        ["body", "target"],
        "must be a class index or 2 probabilities, got shape [1, 1]",
    ),
    (
        "negative probability",
        {**OK, "target": [1.5, -0.5]},
        ["body", "target", 0],
        "between 0 and 1, got 1.5",
    ),
    (
        "probabilities not summing to 1",
        {**OK, "target": [0.5, 0.6]},
        ["body", "target"],
        "must sum to 1 (within 1e-06 for 2 classes), got 1.1",
    ),
    (
        "batch probabilities not summing to 1",
        {"logits": [[1, 2], [2, 1]], "target": [[0.5, 0.5], [0.2, 0.2]]},
        ["body", "target", 1],
        "must sum to 1",
    ),
    (
        "batch probability rows of wrong width",
        {"logits": [[1, 2], [2, 1]], "target": [[1, 0, 0], [0, 1, 0]]},
        ["body", "target"],
        "must be 2 rows of 2 probabilities",
    ),
    ("zero temperature", {**OK, "temperature": 0}, ["body", "temperature"], "0.0001"),
    ("negative temperature", {**OK, "temperature": -1}, ["body", "temperature"], "0.0001"),
    ("huge temperature", {**OK, "temperature": 1e5}, ["body", "temperature"], "10000"),
    ("string temperature", {**OK, "temperature": "1"}, ["body", "temperature"], "number, got '1'"),
    ("smoothing above 1", {**OK, "label_smoothing": 1.5}, ["body", "label_smoothing"], "1"),
    ("negative smoothing", {**OK, "label_smoothing": -0.1}, ["body", "label_smoothing"], "0"),
    (
        "weights wrong length",
        {**OK, "weights": [1]},
        ["body", "weights"],
        "one weight per class (2)",
    ),
    ("negative weight", {**OK, "weights": [1, -1]}, ["body", "weights", 1], "not be negative"),
    (
        "NaN weight string",
        {**OK, "weights": [1, "nan"]},
        ["body", "weights", 1],
        "must be a number",
    ),
    (
        "zero target weight with mean",
        {**OK, "weights": [0, 1]},
        ["body", "weights"],
        "weights sum to 0",
    ),
    (
        "unknown reduction",
        {**OK, "reduction": "avg"},
        ["body", "reduction"],
        "reduction: must be one of 'mean', 'sum' or 'none', got 'avg'",
    ),
    ("unknown include", {**OK, "include": ["hessian"]}, ["body", "include", 0], "'jacobian'"),
    ("include not a list", {**OK, "include": "chain"}, ["body", "include"], "list, got 'chain'"),
    ("unknown field", {**OK, "temprature": 2}, ["body", "temprature"], "not a field of this"),
    ("array body", [1, 2], ["body"], "body: must be a JSON object"),
    (
        "long unknown reduction",
        {**OK, "reduction": "x" * 100},
        ["body", "reduction"],
        "got a string of 100 characters",
    ),
    ("object temperature", {**OK, "temperature": {}}, ["body", "temperature"], "got an object"),
    ("null temperature", {**OK, "temperature": None}, ["body", "temperature"], "got null"),
    ("null target", {**OK, "target": None}, ["body", "target"], "probabilities (a row's, or"),
    (
        "six-dimensional logits",
        {"logits": [[[[[[0.0]]]]]], "target": 0},
        ["body", "logits"],
        "has more than 5 dimensions (at most (N, C, d1, …, dK) with K ≤ 3)",
    ),
]


@pytest.mark.parametrize(
    ("body", "loc", "fragment"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_bad_bodies_get_422_naming_the_field(
    client: TestClient, body: Any, loc: list[Any], fragment: str
) -> None:
    response = client.post("/gradient", json=body)
    assert response.status_code == 422, response.text
    detail = strict_json(response.text)["detail"]
    assert detail[0]["loc"] == loc
    assert fragment in detail[0]["msg"]
    field = next((str(p) for p in loc[1:] if isinstance(p, str)), "body")
    assert detail[0]["msg"].startswith(field)


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b'{"logits": [NaN, 1], "target": 0}', ["body", "logits", 0]),
        (b'{"logits": [Infinity, 1], "target": 0}', ["body", "logits", 0]),
        (b'{"logits": [1, -Infinity], "target": 0}', ["body", "logits", 1]),
        (b'{"logits": [1, 2], "target": 0, "temperature": NaN}', ["body", "temperature"]),
        (b'{"logits": [1, 2], "target": [NaN, 1]}', ["body", "target", 0]),
        (b'{"logits": [1, 1e400], "target": 0}', ["body", "logits", 1]),
    ],
)
def test_non_finite_json_tokens_are_refused(client: TestClient, raw: bytes, loc: list[Any]) -> None:
    response = client.post("/gradient", content=raw)
    assert response.status_code == 422, response.text
    detail = strict_json(response.text)["detail"]
    assert detail[0]["loc"] == loc


def test_a_number_too_large_for_float64_is_named_as_such(client: TestClient) -> None:
    """1e400 was reported as "got Infinity" (never sent), and a 5,000-digit integer, valid
    JSON, as "not valid JSON" (a reviewer's findings)."""
    wide = client.post("/gradient", content=b'{"logits": [1, 1e400], "target": 0}')
    assert "beyond float64's ±1.8e308" in wide.json()["detail"][0]["msg"]
    long = client.post("/gradient", content=b'{"logits": [%s, 1], "target": 0}' % (b"9" * 5000))
    assert long.status_code == 422
    assert long.json()["detail"][0]["msg"].startswith("body: holds a number beyond float64's")


def test_a_utf8_byte_order_mark_is_skipped(client: TestClient) -> None:
    """RFC 8259 §8.1 lets a parser ignore one; PowerShell 5's utf8 writes it (a 400 before)."""
    plain = b'{"logits": [2, 1, 0.1], "target": 0, "include": ["jacobian"]}'
    marked = client.post("/gradient", content=b"\xef\xbb\xbf" + plain)
    assert marked.status_code == 200, marked.text
    assert marked.content == client.post("/gradient", content=plain).content
    twice = client.post("/gradient", content=b"\xef\xbb\xbf" * 2 + plain)
    assert twice.status_code == 400


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"logits=2,1", b"\xef\xbb\xbf", b'{"logits": [1, 2], "target": 0,}']
)
def test_non_json_bodies_get_400(client: TestClient, raw: bytes) -> None:
    response = client.post("/gradient", content=raw)
    assert response.status_code == 400
    assert strict_json(response.text)["detail"].startswith("body: not valid JSON")


BAD_QUERIES: list[tuple[str, str, list[Any], str]] = [
    ("missing target", "logits=2,1", ["query", "target"], "target: is required"),
    ("missing logits", "target=0", ["query", "logits"], "logits: is required"),
    ("nan token", "logits=2,nan&target=0", ["query", "logits", 1], "not a finite decimal"),
    ("inf token", "logits=inf,1&target=0", ["query", "logits", 0], "not a finite decimal"),
    ("overflow", "logits=1e999,1&target=0", ["query", "logits", 0], "out of float64's range"),
    ("empty item", "logits=2,,1&target=0", ["query", "logits", 1], "is empty"),
    ("trailing comma", "logits=2,1,&target=0", ["query", "logits", 2], "is empty"),
    ("word", "logits=two,1&target=0", ["query", "logits", 0], "'two'"),
    ("hex", "logits=0x10,1&target=0", ["query", "logits", 0], "not a finite decimal"),
    ("empty logits", "logits=&target=0", ["query", "logits"], "must not be empty"),
    ("index out of range", "logits=2,1&target=3", ["query", "target"], "0..1, got 3"),
    ("negative index", "logits=2,1&target=-1", ["query", "target"], "0..1, got -1"),
    (
        # found by schemathesis: the message said "got 6.77e+20"; then an integer never sent
        # (float64's nearest): now that float, written as one
        "huge index",
        "logits=2,1&target=677389880058028695700",
        ["query", "target"],
        "0..1, got 6.773898800580288e+20",
    ),
    ("past 2**63", "logits=2,1&target=9223372036854775807", ["query", "target"], "9.2233720"),
    ("bad probabilities", "logits=2,1&target=0.5,0.6", ["query", "target"], "sum to 1"),
    ("temperature word", "logits=2,1&target=0&temperature=hot", ["query", "temperature"], "'hot'"),
    ("temperature zero", "logits=2,1&target=0&temperature=0", ["query", "temperature"], "0.0001"),
    ("unknown include", "logits=2,1&target=0&include=all", ["query", "include", 0], "'jacobian'"),
    ("unknown parameter", "logits=2,1&target=0&T=2", ["query", "T"], "unknown parameter"),
    ("repeated parameter", "logits=2,1&logits=3,4&target=0", ["query", "logits"], "more than once"),
    ("weights length", "logits=2,1&target=0&weights=1", ["query", "weights"], "per class (2)"),
]


@pytest.mark.parametrize(
    ("query", "loc", "fragment"), [c[1:] for c in BAD_QUERIES], ids=[c[0] for c in BAD_QUERIES]
)
def test_bad_queries_get_422_naming_the_field(
    client: TestClient, query: str, loc: list[Any], fragment: str
) -> None:
    response = client.get(f"/gradient?{query}")
    assert response.status_code == 422, response.text
    detail = strict_json(response.text)["detail"]
    assert detail[0]["loc"] == loc
    assert fragment in detail[0]["msg"]


def small_app_client(**limits: int) -> TestClient:
    return TestClient(create_app(Settings(**limits)))  # type: ignore[arg-type]


def test_too_many_classes() -> None:
    with small_app_client(max_classes=5) as client:
        response = client.post("/gradient", json={"logits": [0] * 6, "target": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "logits: at most 5 classes per row, got 6"


def test_too_many_logits_in_a_batch() -> None:
    with small_app_client(max_batch_elements=10) as client:
        response = client.post("/gradient", json={"logits": [[0, 1]] * 6, "target": [0] * 6})
    assert response.status_code == 422
    assert "at most 10 logits per request (B·n), got 12" in response.json()["detail"][0]["msg"]


def test_default_limits_hold_at_the_edges(client: TestClient) -> None:
    at = client.post("/gradient", json={"logits": [0] * 10_000, "target": 0})
    assert at.status_code == 200
    over = client.post("/gradient", json={"logits": [0] * 10_001, "target": 0})
    assert over.status_code == 422
    assert "at most 10,000 classes" in over.json()["detail"][0]["msg"]


def test_explicit_jacobian_over_the_matrix_limit(client: TestClient) -> None:
    response = client.post(
        "/gradient", json={"logits": [0] * 1001, "target": 0, "include": ["jacobian"]}
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "include"]
    assert "B·n² ≤ 1,000,000" in detail["msg"]
    assert "1,002,001" in detail["msg"]


def test_batch_check_over_the_matrix_limit(client: TestClient) -> None:
    body = {"logits": [[0] * 200] * 30, "target": [0] * 30, "include": ["check"]}
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "include"]


def test_body_over_the_cap_gets_413() -> None:
    with small_app_client(max_body_bytes=2048) as client:
        big = {"logits": [0.123456789] * 400, "target": 0}
        response = client.post("/gradient", json=big)
        assert response.status_code == 413
        assert response.json() == {"detail": "body: larger than the limit of 2,048 bytes"}
        assert client.post("/gradient", json=OK).status_code == 200


def test_streamed_body_over_the_cap_gets_413_while_streaming() -> None:
    chunks_sent = []

    def chunks() -> Any:
        for i in range(100):
            chunks_sent.append(i)
            yield b" " * 1024

    with small_app_client(max_body_bytes=4096) as client:
        response = client.post("/gradient", content=chunks())
    assert response.status_code == 413


def run_apart(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine to its end in a thread of its own (the browser tests' Playwright keeps an
    event loop running in the main thread for the whole session)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def post_scope(headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    """Return the ASGI scope of a POST /gradient, for tests that script the body's arrival."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/gradient",
        "raw_path": b"/gradient",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"x"), *(headers or [])],
        "client": ("127.0.0.1", 1),
        "server": ("x", 80),
    }


def test_client_that_hangs_up_mid_body_is_not_an_error(settings: Settings) -> None:
    """wrk and impatient clients close connections mid-request; that must not log a 500."""

    from app.main import create_app as make

    app = make(settings)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_apart(app(post_scope([(b"content-length", b"100")]), receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 400


def test_body_that_arrives_too_slowly_gets_408() -> None:
    import asyncio

    from app.main import create_app as make

    app = make(Settings(body_timeout=0.2))
    sent: list[dict[str, Any]] = []
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b'{"logits": [', "more_body": True}
        await asyncio.sleep(5)  # the rest never comes in time
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_apart(asyncio.wait_for(app(post_scope(), receive, send), 3))  # type: ignore[arg-type]
    assert sent[0]["status"] == 408
    assert b"no byte received for 0.2 s" in sent[1]["body"]


def test_a_body_that_keeps_arriving_is_not_cut_at_the_stall_timeout() -> None:
    """Ten parts, 0.1 s apart, with a 0.25 s stall timeout: 1 s in all, and it is answered."""
    import asyncio

    from app.main import create_app as make

    app = make(Settings(body_timeout=0.25, body_min_rate=1))
    raw = b'{"logits": [2, 1], "target": 0, "include": []}'
    parts = [raw[i : i + 5] for i in range(0, len(raw), 5)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.1)
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_apart(asyncio.wait_for(app(post_scope(), receive, send), 5))  # type: ignore[arg-type]
    assert sent[0]["status"] == 200


def test_a_body_slower_than_the_least_rate_gets_408() -> None:
    import asyncio

    from app.main import create_app as make

    # 20 bytes at 100 bytes/s at least: 0.2 + 0.2 s allowed; 1 byte per 0.05 s is 20 bytes/s.
    app = make(Settings(body_timeout=0.2, body_min_rate=100))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b" ", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = post_scope([(b"content-length", b"20")])
    run_apart(asyncio.wait_for(app(scope, receive, send), 5))  # type: ignore[arg-type]
    assert sent[0]["status"] == 408
    assert b"arriving slower than 100 bytes/s" in sent[1]["body"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_405_listing_get_and_post(client: TestClient, method: str) -> None:
    response = client.request(method, "/gradient")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize(
    "query", ["logits=0&target=0%1F", "logits=1%1C,2&target=0", "logits=1,2&target=%A00"]
)
def test_control_characters_in_query_values_are_refused(client: TestClient, query: str) -> None:
    """Found by schemathesis: str.strip() removed \\x1c-\\x1f for one check but not the next."""
    response = client.get(f"/gradient?{query}")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({**OK, "include": ["x"] * 300_000}, "include: at most 16 items, got 300,000"),
        ({**OK, **{f"k{i}": 1 for i in range(100_000)}}, "k0: unknown field, and 99,993 fields"),
        ({"logits": [[1, 2]] + [[1]] * 40_000, "target": [0] * 40_001}, "must not be ragged"),
        ({"logits": [[1, "a"]] * 40_000, "target": [0] * 40_000}, "must be a number"),
        ({"logits": [[1, 2]] * 40_000 + [[1, True]], "target": [0] * 40_001}, "must be a number"),
        ({"logits": [[[0]]] * 1_000_000, "target": 0}, "body: holds more than 1,000,002 arrays"),
        ({"logits": [[0]] * 2_000_000, "target": 0}, "body: holds more than 1,000,002 arrays"),
        ({"logits": [{}] * 2_000_000, "target": 0}, "body: holds more than 1,000 objects;"),
        ({"logits": [0, 1], "target": 0, "x": [{"a": {}}] * 600}, "body: holds more than 1,000"),
        ({"logits": [[[0] * 4] * 3] * 10_000, "target": 0}, "at most 100,000 logits per request,"),
        ({"logits": [[0, 0]] * 60_000, "target": 0}, "at most 100,000 logits per request (B·n)"),
    ],
)
def test_huge_bad_bodies_are_refused_quickly_with_few_errors(
    client: TestClient, body: dict[str, object], fragment: str
) -> None:
    # One error per item made these take 4 to 28 s and answer up to 67 MB.
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) <= 20
    assert fragment in detail[0]["msg"]
    assert len(response.content) < 10_000


def test_float32_softmax_targets_are_accepted_and_used_as_given(client: TestClient) -> None:
    rng = np.random.default_rng(7)
    z = (rng.standard_normal((10, 10_000)) * 4).astype(np.float32)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    # float32 throughout, and off by as much as torch.softmax's float32 rows were (1.00000115:
    # numpy's pairwise float32 sum is more accurate than torch's).
    target = e / (e.sum(axis=1, keepdims=True, dtype=np.float32) * np.float32(1 - 1.2e-6))
    sums = target.astype(np.float64).sum(axis=1)
    assert np.abs(sums - 1).max() > 1.1e-6
    body = {"logits": [[0.0] * 10_000] * 10, "target": target.astype(np.float64).tolist()}
    response = client.post("/gradient", json={**body, "include": []})
    assert response.status_code == 200, response.text[:300]
    Y = np.array(response.json()["target"])
    np.testing.assert_array_equal(Y, target.astype(np.float64))  # not renormalised


def test_a_target_clearly_off_is_still_refused_at_many_classes(client: TestClient) -> None:
    n = 10_000
    target = [1.0 / n] * n
    target[0] += 1e-3
    response = client.post("/gradient", json={"logits": [0.0] * n, "target": target})
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert "must sum to 1 (within 2.4e-05 for 10,000 classes), got 1.001" in message


@pytest.mark.parametrize(
    "raw",
    [
        b'{"logits": [2, 1], "target": 0, "target": 1}',
        b'{"logits": [2, 1], "target": 0, "\\u0074arget": 1}',
        b'{"logits": [2, 1], "logits": [1, 2], "target": 0}',
    ],
    ids=["plain", "escaped", "list"],
)
def test_a_field_given_twice_in_a_body_is_refused(client: TestClient, raw: bytes) -> None:
    response = client.post("/gradient", content=raw)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["msg"].endswith(": given more than once")
    assert error["loc"][0] == "body"


def test_a_field_name_appearing_as_a_value_is_not_a_repeat(client: TestClient) -> None:
    raw = b'{"logits": [2, 1], "target": 0, "include": ["chain"], "reduction": "sum"}'
    assert client.post("/gradient", content=raw).status_code == 200
    nested = b'{"logits": [2, 1], "target": 0, "weights": null, "include": ["check", "check"]}'
    assert client.post("/gradient", content=nested).status_code == 200


def test_many_keys_with_an_escape_are_still_refused_quickly(client: TestClient) -> None:
    keys = ", ".join(f'"k{i}": 1' for i in range(100_000))
    raw = ('{"logits": [2, 1], "target": 0, "\\u0074": 1, ' + keys + "}").encode()
    started = time.perf_counter()
    response = client.post("/gradient", content=raw)
    assert response.status_code == 422
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**OK, "include": ["x"]}, "include[0]: must be one of 'jacobian', 'chain' or 'check'"),
        (
            {"logits": [[2, 1]], "target": [[1, 0], [0, 1]]},
            "target: must be 1 row of 2 probabilities, got shape [2, 2]",
        ),
        (
            {"logits": [[2, 1]], "target": [0, 1]},
            "target: must have one class index per row (1 row), got 2",
        ),
        (
            {"logits": [0.0] * 1001, "target": 0, "include": ["jacobian"]},
            "include: jacobian needs B·n² ≤ 1,000,000 matrix entries",
        ),
        (
            {"logits": [0.0] * 1001, "target": 0, "include": ["jacobian", "chain", "check"]},
            "include: jacobian, chain and check need B·n² ≤ 1,000,000",
        ),
    ],
    ids=["index-location", "one-row", "one-row-indices", "needs", "need"],
)
def test_messages_read_as_english(client: TestClient, body: dict[str, Any], message: str) -> None:
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]


def test_a_turn_given_back_goes_at_once_to_the_longest_waiter() -> None:
    from app.api.large import Turns

    async def scenario() -> tuple[list[str], float, int]:
        turns = Turns(1)
        order: list[str] = []
        await turns.take(1.0)

        async def wait(name: str) -> None:
            if await turns.take(5.0):
                order.append(name)

        tasks = [asyncio.create_task(wait(name)) for name in ("first", "second")]
        gone = asyncio.create_task(turns.take(5.0))  # a waiter whose client goes away
        await asyncio.sleep(0.01)
        gone.cancel()
        loop = asyncio.get_running_loop()
        start = loop.time()
        turns.give_back()
        await tasks[0]
        handed_over = loop.time() - start
        turns.give_back()
        await tasks[1]
        turns.give_back()
        return order, handed_over, turns.taken

    order, handed_over, taken = asyncio.run(scenario())
    assert order == ["first", "second"]
    assert handed_over < 0.005  # not a poll's 20 ms later
    assert taken == 0  # the cancelled waiter kept no turn


def test_a_turn_handed_to_a_waiter_that_is_cancelled_is_not_lost() -> None:
    from app.api.large import Turns

    async def scenario() -> int:
        turns = Turns(1)
        await turns.take(1.0)
        waiter = asyncio.create_task(turns.take(5.0))
        await asyncio.sleep(0.01)
        turns.give_back()  # handed over ...
        waiter.cancel()  # ... and its client goes away before it resumes
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        return turns.taken

    assert asyncio.run(scenario()) == 0


def test_the_heap_is_given_back_once_no_large_answer_is_under_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.api import large

    released: list[float] = []

    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(large, "release_memory", lambda: released.append(loop.time()))
        turns = large.Turns(2)
        await turns.take(1.0)
        await turns.take(1.0)
        turns.give_back()  # one still under way: nothing given back
        await asyncio.sleep(large.IDLE_RELEASE * 1.5)
        before_idle = len(released)
        turns.give_back()
        await asyncio.sleep(large.IDLE_RELEASE / 2)
        await turns.take(1.0)  # the next answer came soon: its memory is reused
        turns.give_back()
        await asyncio.sleep(large.IDLE_RELEASE * 1.5)
        return before_idle, len(released)

    assert asyncio.run(scenario()) == (0, 1)


def test_a_binary_answer_goes_in_slices_and_a_reader_stopping_at_the_end_is_let_go() -> None:
    """Each slice of the arrays' memory (at most SEND_BYTES) has the send timeout to itself, so
    a slow steady reader gets the whole answer; and the last send, which waits for the buffer
    to drain, has it too: a client that stops reading there gives its turn back."""
    from app.api import large

    def scenario(stall_at_end: bool) -> tuple[bytes, list[int], int]:
        sent: list[bytes] = []
        given_back: list[None] = []

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.body":
                if stall_at_end and not message.get("more_body"):
                    await asyncio.sleep(3600)  # the client stopped reading
                sent.append(bytes(message["body"]))  # type: ignore[arg-type]

        parts: list[bytes | memoryview] = [b"head", memoryview(bytes(range(256)) * 10_000)]
        whole = b"".join(parts)
        response = large.PartsResponse(
            parts,
            timeout=0.2,
            done=lambda: given_back.append(None),
            headers={},
            media_type="application/x-safetensors",
        )
        asyncio.run(response(None, None, send))  # type: ignore[arg-type]
        assert b"".join(sent) == whole
        return whole, [len(piece) for piece in sent], len(given_back)

    _, sizes, given_back = scenario(stall_at_end=False)
    assert max(sizes) <= large.SEND_BYTES
    assert len(sizes) > 3  # slices, then the empty end
    assert given_back == 1
    _, _, given_back = scenario(stall_at_end=True)
    assert given_back == 1  # after the timeout, not an hour later


def test_large_answers_take_turns_and_a_full_house_gets_503() -> None:
    from app.api.large import Turns, busy

    async def scenario() -> tuple[bool, bool, bool]:
        turns = Turns(1)
        first = await turns.take(0.1)
        second = await turns.take(0.1)  # waits 0.1 s, then gives up
        turns.give_back()
        third = await turns.take(0.1)
        return first, second, third

    assert asyncio.run(scenario()) == (True, False, True)
    response = busy(4)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert b"busy with 4 large answers" in response.body


@pytest.mark.parametrize(
    ("name", "hint"),
    [("weight", "weights"), ("input", "logits"), ("temprature", "temperature"), ("zzz", None)],
)
def test_an_unknown_field_suggests_the_field_meant(
    client: TestClient, name: str, hint: str | None
) -> None:
    """PyTorch's `weight` and `input` are dEdZ's `weights` and `logits`; a typo gets its match."""
    body = client.post("/gradient", json={"logits": [2, 1], "target": 0, name: 1}).json()
    query = client.get(f"/gradient?logits=2,1&target=0&{name}=1").json()
    for detail in (body["detail"][0], query["detail"][0]):
        assert detail["loc"][-1] == name
        suggestion = f"; did you mean {hint!r}?"
        assert detail["msg"].endswith(suggestion) if hint else "did you mean" not in detail["msg"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        # 2⁵³ + 1 reached float64 as 2⁵³ and was ignored as ignore_index = 2⁵³ (a tool builder)
        (
            {
                "logits": [[2, 1], [1, 2]],
                "target": [9007199254740993, 0],
                "ignore_index": 9007199254740992,
            },
            "ignore_index: must be a whole number within ±(2**53 − 1), got 9007199254740992",
        ),
        (
            {"logits": [2, 1], "target": 9007199254740993},
            "got 9007199254740992.0 (float64's nearest: whole numbers past 2**53 are not exact)",
        ),
        (
            {"logits": [[1, 2, 3], [1, 1, 1]], "target": [0, -100], "loss": "mse"},
            "got -100 (rows of -100 are ignored under loss 'cross_entropy' only)",
        ),
        (
            {"logits": [1, 2, 3], "target": [0.2, 0.3, 0.5], "ignore_index": 0},
            "applies only to class-index targets (PyTorch refuses it for probabilities too)",
        ),
    ],
)
def test_class_indices_past_float64_and_ignored_rows_are_named(
    client: TestClient, body: dict[str, Any], words: str
) -> None:
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    assert words in response.json()["detail"][0]["msg"]


def test_an_unknown_field_of_megabytes_is_named_by_its_start(client: TestClient) -> None:
    """A 5 MB key came back twice, in loc and msg: a 10 MB answer to a 5 MB body."""
    name = "a" * 1_000_000
    response = client.post("/gradient", json={"logits": [2, 1], "target": 0, name: 1})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", f"'{'a' * 40}'… (1,000,000 characters)"]
    assert error["msg"].startswith(f"'{'a' * 40}'… (1,000,000 characters): is not a field")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        # what requests and httpx make of params={"logits": [2, 1]}, and axios of an array
        (
            "logits=2&logits=1&target=0",
            "logits: given more than once; write a list as one comma-separated value: logits=2,1",
        ),
        ("logits[]=2&logits[]=1&target=0", "write a list as one comma-separated value: logits=2,1"),
        ("logits=2,1&target=0&reduction=sum&reduction=mean", "reduction: given more than once"),
    ],
)
def test_a_list_in_another_clients_spelling_is_told_how_to_write_it(
    client: TestClient, query: str, words: str
) -> None:
    response = client.get(f"/gradient?{query}")
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert words in message
    if "reduction" in query:
        assert "comma" not in message
