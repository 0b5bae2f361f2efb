"""The lean lane answers exactly what the framework would, and hands everything else over.

Each request goes, at the ASGI level, to the app with the lane and to the app without it
(`fast_lane=False`); status, every header and every byte must be the same. The plain requests
must also have been answered by the lane itself (the framework never saw them), or the lane
would be proven identical by never answering.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.api.lane import BODY_GRACE, FastLane
from app.main import create_app
from app.settings import Settings

Headers = list[tuple[bytes, bytes]]


class Reply:
    """What an app sent for one request: status, headers (without none), body."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        start = messages[0]
        self.status = start["status"]
        self.headers = list(start["headers"])
        self.body = b"".join(m.get("body", b"") for m in messages[1:])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reply) and (self.status, self.headers, self.body) == (
            other.status,
            other.headers,
            other.body,
        )

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.headers}, {self.body[:300]!r})"


def _scope(method: str, path: str, query: bytes, headers: Headers) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


def call(
    app: Any,
    method: str,
    path: str = "/gradient",
    query: bytes = b"",
    body: bytes = b"",
    headers: Headers | None = None,
    parts: list[bytes] | None = None,
    delay: float = 0.0,
) -> Reply:
    """Send one request to an ASGI app and return its reply (the body in `parts` if given,
    the first part after `delay` seconds)."""
    chunks = parts if parts is not None else [body]
    length = sum(map(len, chunks))
    sent = list(headers if headers is not None else [(b"host", b"127.0.0.1:8000")])
    if method == "POST" and not any(name == b"content-length" for name, _ in sent):
        sent += [(b"content-type", b"application/json"), (b"content-length", b"%d" % length)]
    messages: list[dict[str, Any]] = []
    queue = [
        {"type": "http.request", "body": chunk, "more_body": k < len(chunks) - 1}
        for k, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        if queue:
            if delay and len(queue) == len(chunks):
                await asyncio.sleep(delay)
            return queue.pop(0)
        await asyncio.sleep(3600)  # a client that waits for the answer
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(_scope(method, path, query, sent), receive, send))
    return Reply(messages)


class Counting:
    """An ASGI app that counts the requests reaching it (the framework behind the lane)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def apps() -> tuple[Any, Any, Counting]:
    """The app with the lane, the same without it, and the counter behind the lane."""
    with_lane = create_app(Settings())
    without = create_app(Settings(fast_lane=False))
    lane = with_lane.lane
    assert isinstance(lane, FastLane)
    counter = Counting(lane.app)
    lane.app = counter
    return with_lane, without, counter


def _post(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


ROW = [2.5, -1.25, 0.5, 3.75, -0.5, 1.0, 0.25, -2.0, 1.5, 0.75]
PLAIN_BODIES = [
    _post({"logits": [2.0, 1.0], "target": 0}),
    _post({"logits": ROW, "target": 3}),
    _post({"logits": [2, 1, 0], "target": 2}),
    _post({"target": 1, "logits": [0.1, 0.2]}),
    _post({"logits": [1e6, -1e6, 0.0, -0.0], "target": 1}),
    _post({"logits": [5e-324, 1e-300], "target": 0}),
    _post({"logits": [1.0], "target": 0}),
    _post({"logits": ROW, "target": 9, "include": ["check"]}),
    _post({"logits": ROW, "target": 0, "include": []}),
    _post({"logits": ROW, "target": 0, "include": ["chain", "jacobian", "chain"]}),
    _post({"logits": ROW, "target": 0, "temperature": 0.5, "reduction": "sum"}),
    _post({"logits": ROW, "target": 0, "temperature": 1e-4, "reduction": "none"}),
    _post({"logits": [ROW, ROW[::-1]], "target": [3, 0]}),
    _post({"logits": [ROW] * 20, "target": list(range(10)) * 2, "include": []}),
    _post({"logits": [[1.0, 2.0]], "target": [1], "include": ["jacobian", "chain", "check"]}),
    _post({"logits": [900.0, -900.0, 3.0], "target": 1, "temperature": 10000.0}),
    b'{ "logits" : [ 2 , 1.0e0 , 1E-3 ] , "target" : 0 }',
    _post({"logits": [0.1 + 0.2, 1 / 3, 2.0 / 3.0], "target": 2}),
    b'{"logits":[0.30000000000000004441,1.00000000000000011102230246251565],"target":1}',
    _post({"logits": [1.0] * 2000, "target": 0}),
]
ODD_BODIES = [
    b"",
    b"{",
    b"[]",
    b"null",
    _post({"logits": [2.0, 1.0]}),
    _post({"logits": [2.0, 1.0], "target": 2}),
    _post({"logits": [2.0, 1.0], "target": -1}),
    _post({"logits": [2.0, 1.0], "target": 1.0}),
    _post({"logits": [2.0, 1.0], "target": True}),
    _post({"logits": [2.0, 1.0], "target": -100}),
    _post({"logits": [True, 1.0], "target": 0}),
    _post({"logits": [], "target": 0}),
    _post({"logits": [2.0, "1"], "target": 0}),
    _post({"logits": [2.0, None], "target": 0}),
    _post({"logits": [2e6, 1.0], "target": 0}),
    _post({"logits": [2.0, 1.0], "target": [0.5, 0.5]}),
    _post({"logits": [2.0, 1.0], "target": 0, "temperature": 1}),
    _post({"logits": [2.0, 1.0], "target": 0, "temperature": 0.0}),
    _post({"logits": [2.0, 1.0], "target": 0, "temperature": None}),
    _post({"logits": [2.0, 1.0], "target": 0, "reduction": "avg"}),
    _post({"logits": [2.0, 1.0], "target": 0, "include": ["hessian"]}),
    _post({"logits": [2.0, 1.0], "target": 0, "include": "chain"}),
    _post({"logits": [2.0, 1.0], "target": 0, "weights": [1.0, 2.0]}),
    _post({"logits": [2.0, 1.0], "target": 0, "label_smoothing": 0.1}),
    _post({"logits": [2.0, 1.0], "target": 0, "ignore_index": 1}),
    _post({"logits": [2.0, 1.0], "target": 0, "extra": 1}),
    _post({"logits": [[2.0, 1.0], [1.0]], "target": [0, 0]}),
    _post({"logits": [[2.0, 1.0], [1.0, 2.0]], "target": [0]}),
    _post({"logits": [[2.0, 1.0], [1.0, 2.0]], "target": 0}),
    _post({"logits": [[[2.0, 1.0]]], "target": [[0]]}),
    _post({"logits": [[2.0, 1.0]], "target": [[1.0, 0.0]]}),
    _post({"logits": [[1.0] * 2000] * 2, "target": [0, 0], "include": ["jacobian"]}),
    b'{"logits":[2,1],"target":0,"target":1}',
    b'{"logits":[2,1],"logits":[1,2],"target":0}',
    b'{"logits":[2,1],"t\\u0061rget":0}',
    b'{"logits":[NaN,1],"target":0}',
    b'{"logits":[Infinity,1],"target":0}',
    b'{"logits":[1e999,1],"target":0}',
    b'{"logits":[123456789012345678901234567890,1],"target":0}',
    b'{"logits":[2,1],"target":99999999999999999999999}',
    b'{"logits":[2,1],"target":0} trailing',
    '{"logits":[2,1],"target":0,"reduction":"m\u00e9an"}'.encode(),
    # Strings that spell a name or a literal once the characters of numbers are taken out
    # (what the lane's checks look at): they go the long way and get its answer.
    b'{"logits":[2,1],"target":0,"reduction":"n1ull"}',
    b'{"logits":[2,1],"target":0,"reduction":"me an"}',
    b'{"logits":[2,1],"target":0,"reduction":"tr-ue"}',
    b'{"logits":[2,1],"target":0,"include":["tar1get"]}',
    b'{"logits":[2,1],"target":0,"include":["che ck"]}',
    b'{"logits":[2,1],"tar get":0,"target":1}',
    b'{"logits":[2, true],"target":0}',
    b'{"logits":[[2,1],[1,false]],"target":[0,1]}',
    b'{"logits":[2,1],"target":0,"include":null}',
    b"\xff\xfe",
    b'{"logits":[' + b",".join([b"{}"] * 1_500) + b'],"target":0}',  # refused before parsing
]


@pytest.mark.parametrize("body", PLAIN_BODIES)
def test_the_lane_answers_plain_bodies_as_the_framework_does(
    apps: tuple[Any, Any, Counting], body: bytes
) -> None:
    with_lane, without, counter = apps
    before = counter.calls
    ours = call(with_lane, "POST", body=body)
    assert ours.status == 200
    assert counter.calls == before, "the lane handed a plain request over"
    assert ours == call(without, "POST", body=body)


@pytest.mark.parametrize("body", ODD_BODIES)
def test_other_bodies_reach_the_framework_and_get_its_answer(
    apps: tuple[Any, Any, Counting], body: bytes
) -> None:
    with_lane, without, counter = apps
    before = counter.calls
    assert call(with_lane, "POST", body=body) == call(without, "POST", body=body)
    assert counter.calls == before + 1


QUERIES = [
    (b"logits=2,1&target=0", True),
    (b"logits=2.5,-1.25,0.5,3.75,-0.5,1,0.25,-2,1.5,0.75&target=3", True),
    (b"logits=2,1,0.1&target=2&temperature=2", True),
    (b"target=1&logits=1e-3,0.5,-7,1E2", True),
    (b"target=1&logits=1e-3,.5,-7.", False),  # not JSON numbers: the long way reads them
    (b"logits=1000000,-1000000&target=1&temperature=0.0001", True),
    (b"logits=2,1&target=0&temperature=1e4", True),
    (b"logits=-0,0,-0.0,0.0&target=2", True),  # "-0" is 0, "-0.0" is −0.0, as before
    (b"logits=-0,0,-00&target=2", False),
    (b"logits=2,1&target=0&temperature=2,3", False),
    (b"logits=1e,1&target=0", False),
    (b"logits=1-2,1&target=0", False),
    (b"logits=.,1&target=0", False),
    (b"logits=-,1&target=0", False),
    (b"logits=1e5e5,1&target=0", False),
    (b"logits=2,1&target=2", False),
    (b"logits=2,1&target=1.0", False),
    (b"logits=2,1&target=0&target=1", False),
    (b"logits=2,,1&target=0", False),
    (b"logits=2, 1&target=0", False),
    (b"logits=2%2C1&target=0", False),
    (b"logits=2,1&target=0&reduction=sum", False),
    (b"logits=2,1&target=0&temperature=0", False),
    (b"logits=2,1&target=0&temperature=1e999", False),
    (b"logits=nan,1&target=0", False),
    (b"logits=inf,1&target=0", False),
    (b"logits=1_000,1&target=0", False),
    (b"logits=2e6,1&target=0", False),
    (b"logits=2,1&target=0&x=1", False),
    (b"logits=2,1", False),
    (b"logits=" + b"1," * 2000 + b"1&target=0", True),
    (b"logits=" + b"1," * 3000 + b"1&target=0", False),  # a long query
    (b"logits=12345678901234567890123456,1&target=0", False),
    ("logits=2,\u22121&target=0".encode(), False),
    (b"", False),
]


@pytest.mark.parametrize(("query", "plain"), QUERIES)
def test_get_queries_are_answered_as_the_framework_does(
    apps: tuple[Any, Any, Counting], query: bytes, plain: bool
) -> None:
    with_lane, without, counter = apps
    before = counter.calls
    ours = call(with_lane, "GET", query=query)
    assert ours == call(without, "GET", query=query)
    assert counter.calls == before + (0 if plain else 1)
    if plain:
        assert ours.status == 200
        assert any(name == b"etag" for name, _ in ours.headers)


HOST = (b"host", b"127.0.0.1:8000")
HEADER_CASES = [
    ([HOST, (b"accept", b"application/x-npz")], True),
    ([HOST, (b"accept", b"application/x-safetensors")], True),
    ([HOST, (b"accept", b"application/json, application/X-SafeTensors;q=0.1")], True),
    ([HOST, (b"accept", b"application/json;q=0.5, application/x-NPZ")], True),
    ([HOST, (b"accept", b"application/json, */*")], True),  # JSON, negotiated by the app
    ([HOST, (b"accept", b"*/*")], False),
    ([HOST, (b"accept", b"application/json, text/plain, */*")], False),  # axios
    ([HOST, (b"accept", b"application/vnd.safetensors")], True),  # 406
    ([HOST, (b"accept", b"text/html")], True),  # 406
    ([HOST, (b"if-none-match", b"*")], True),
    ([HOST, (b"expect", b"100-continue")], True),
    ([HOST, (b"transfer-encoding", b"chunked")], True),
    ([HOST, (b"content-length", b"abc")], True),
    ([HOST, (b"origin", b"https://course.example.edu")], False),
    ([], False),  # no Host: any host is answered by default
]


@pytest.mark.parametrize(("headers", "handed_over"), HEADER_CASES)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_requests_with_other_headers_reach_the_framework(
    apps: tuple[Any, Any, Counting], headers: Headers, handed_over: bool, method: str
) -> None:
    with_lane, without, counter = apps
    query = b"logits=2,1&target=0" if method == "GET" else b""
    body = _post({"logits": [2.0, 1.0], "target": 0}) if method == "POST" else b""
    length = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if method == "POST" and not any(n == b"content-length" for n, _ in headers):
        headers = [*headers, *length]
    before = counter.calls
    ours = call(with_lane, method, query=query, body=body, headers=headers)
    assert ours == call(without, method, query=query, body=body, headers=headers)
    assert counter.calls == before + handed_over


def test_a_host_the_server_does_not_answer_for_is_refused_as_before() -> None:
    settings = {"allowed_hosts": "dedz.example.edu"}
    with_lane = create_app(Settings(**settings))
    without = create_app(Settings(**settings, fast_lane=False))
    body = _post({"logits": [2.0, 1.0], "target": 0})
    for host in (b"evil.example", b"dedz.example.edu"):
        headers = [(b"host", host)]
        ours = call(with_lane, "POST", body=body, headers=headers)
        assert ours == call(without, "POST", body=body, headers=headers)
        assert ours.status == (200 if host == b"dedz.example.edu" else 400)


def test_head_options_other_paths_and_a_query_on_post_go_to_the_framework(
    apps: tuple[Any, Any, Counting],
) -> None:
    with_lane, without, counter = apps
    body = _post({"logits": [2.0, 1.0], "target": 0})
    cases = [
        {"method": "HEAD", "query": b"logits=2,1&target=0"},
        {"method": "OPTIONS"},
        {"method": "GET", "path": "/gradient/"},
        {"method": "POST", "path": "/gradients", "body": body},
        {"method": "POST", "query": b"x=1", "body": body},
    ]
    for case in cases:
        before = counter.calls
        assert call(with_lane, **case) == call(without, **case)
        assert counter.calls == before + 1


def test_a_body_in_parts_or_late_is_handed_over_whole(apps: tuple[Any, Any, Counting]) -> None:
    with_lane, without, counter = apps
    body = _post({"logits": ROW, "target": 3})
    parts = [body[:7], body[7:20], body[20:]]
    before = counter.calls
    ours = call(with_lane, "POST", parts=parts)
    assert ours.status == 200
    assert ours == call(without, "POST", parts=parts)
    late = call(with_lane, "POST", body=body, delay=2 * BODY_GRACE)
    assert late == ours
    assert counter.calls == before + 2


def _row(draw: st.DrawFn, n: int) -> list[Any]:
    number = st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False),
        st.integers(-1_000_000, 1_000_000),
        st.sampled_from([0.0, -0.0, 5e-324, 1e6, -1e6, 2.5e-308]),
    )
    return draw(st.lists(number, min_size=n, max_size=n))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Bodies near the lane's edge: mostly plain, sometimes just outside it."""
    n = draw(st.integers(1, 12))
    batch = draw(st.booleans())
    data: dict[str, Any] = {}
    if batch:
        B = draw(st.integers(1, 4))
        data["logits"] = [_row(draw, n) for _ in range(B)]
        data["target"] = draw(st.lists(st.integers(-1, n), min_size=B, max_size=B))
    else:
        data["logits"] = _row(draw, n)
        data["target"] = draw(st.one_of(st.integers(-1, n), st.floats(0, n)))
    if draw(st.booleans()):
        data["temperature"] = draw(st.one_of(st.floats(1e-5, 2e4), st.integers(1, 3)))
    if draw(st.booleans()):
        data["reduction"] = draw(st.sampled_from(["mean", "sum", "none", "max"]))
    if draw(st.booleans()):
        data["include"] = draw(
            st.lists(st.sampled_from(["jacobian", "chain", "check", "x"]), max_size=4)
        )
    return _post(data)


@given(bodies())
def test_property_every_body_gets_the_framework_s_answer(body: bytes) -> None:
    with_lane, without, _ = _APPS
    assert call(with_lane, "POST", body=body) == call(without, "POST", body=body)


_APPS = (create_app(Settings()), create_app(Settings(fast_lane=False)), None)


def test_body_waits_time_out_without_absorbing_anyone_else_s_cancellation() -> None:
    from app.api.lane import BodyWaits

    waits = BodyWaits(0.02)

    async def never() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    async def soon() -> dict[str, Any]:
        await asyncio.sleep(0.001)
        return {"type": "http.request", "body": b"x"}

    async def scenario() -> None:
        assert (await waits.receive(soon))["body"] == b"x"
        with pytest.raises(TimeoutError):
            await waits.receive(never)
        assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
        # A cancellation from elsewhere goes on as a cancellation.
        task = asyncio.create_task(waits.receive(never))
        await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not waits.deadlines
        assert not waits.expired

    asyncio.run(scenario())


def test_the_lane_s_parser_reads_every_finite_number_as_the_framework_s_does() -> None:
    """orjson (the lane) and pydantic-core (the framework) give the same float64 for random
    bit patterns, long and halfway decimals, subnormals and integers; where a number overflows,
    orjson refuses it (the lane hands the body over) and pydantic-core reads ±inf."""
    import math
    import random
    import struct

    import orjson
    import pydantic_core

    rng = random.Random(20_240_601)
    texts = ["-0", "-0.0", "0e0", "2.2250738585072011e-308", "4.9406564584124654e-324"]
    texts += ["2.4703282292062328e-324", "2.4703282292062327e-324", "1e-400", "9007199254740993"]
    texts += ["18446744073709551616", "1.7976931348623158e308", "1.7976931348623159e308"]
    for _ in range(20_000):
        kind = rng.random()
        if kind < 0.3:
            x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
            texts.append(repr(x) if math.isfinite(x) else "1.5")
        elif kind < 0.6:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
            exponent = f"e{rng.randint(-330, 310)}" if rng.random() < 0.5 else ""
            texts.append(f"{'-' if rng.random() < 0.5 else ''}{digits[0]}.{digits[1:]}{exponent}")
        elif kind < 0.8:
            mantissa, exponent = rng.getrandbits(53) | 1 << 52, rng.randint(-1074, 970)
            texts.append(format(mantissa * 2.0**exponent, ".25e"))
        else:
            texts.append(str(rng.randint(-(10**20), 10**20)))
    for text in texts:
        try:
            ours = pydantic_core.from_json(f"[{text}]")[0]
        except ValueError:  # not JSON ("5."): neither reads it
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(f"[{text}]")
            continue
        try:
            lane = orjson.loads(f"[{text}]")[0]
        except orjson.JSONDecodeError:
            assert math.isinf(ours), text
            continue
        assert struct.pack("d", float(lane)) == struct.pack("d", float(ours)), text
