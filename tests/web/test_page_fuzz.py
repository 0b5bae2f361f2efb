"""Fuzz the pages as schemathesis fuzzes the API: every parameter of `/`, `/embed`, `/oembed`
and `/guide`, valid, odd and hostile values, with and without htmx's headers: never a 5xx.

Volume: `DEDZ_PAGE_FUZZ_EXAMPLES` (default 2,000 requests, deterministic); a longer campaign:
`DEDZ_PAGE_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/web/test_page_fuzz.py`.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.embed.options import EMBED_PARAMETERS
from app.explorer.instruments import ANSWERS, PARAMETERS
from app.main import create_app
from app.service.fields import QUERY_FIELDS
from app.settings import Settings

EXAMPLES = int(os.environ.get("DEDZ_PAGE_FUZZ_EXAMPLES", "2000"))

NAMES = [*QUERY_FIELDS, "j", "op", "last", "panels", "controls", "theme", "height"]
NAMES += ["url", "maxwidth", "maxheight", "format", "fbclid", ""]
ODD = [
    "",
    "nan",
    "-inf",
    "1e999",
    "-1e-400",
    "0x10",
    "1_0",
    "\u2212" + "3",
    "3,5",
    "\u0661",
    "\t1",
    "1\x00",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "9" * 5000,
    ",".join(["0"] * 3000),
    "add",
    "reset",
    "remove",
    "soft",
    "onehot",
    "normalise",
    "sum",
    "none",
    "probs,grad",
    "all",
    "dark",
    "http://testserver/?logits=2,1&target=0",
    "http://testserver/embed?logits=nan",
    "javascript:alert(1)",
    "logits=2,1&target=0",
    "logits=nan&target=0",
]
numbers = st.floats(allow_nan=True, allow_infinity=True).map(repr) | st.integers(
    -(10**30), 10**30
).map(str)
lists = st.lists(numbers, min_size=0, max_size=12).map(",".join)
values = st.sampled_from(ODD) | numbers | lists | st.text(max_size=40)
params = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=8), values), max_size=8)
headers = st.sampled_from(
    [
        {},
        {"HX-Request": "true"},
        {"HX-Request": "true", "HX-Target": "panels"},
        {"HX-Request": "true", "HX-Target": "explorer"},
        {"HX-Request": "true", "HX-Target": "share-output"},
        {"HX-Request": "true", "HX-Target": "x", "HX-Current-URL": "http://testserver/embed?"},
        {"HX-Request": "false", "HX-Current-URL": "javascript:1"},
    ]
)
paths = st.sampled_from(["/", "/embed", "/oembed", "/guide"])

CLIENT = TestClient(create_app(Settings()), raise_server_exceptions=False)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(path=paths, query=params, extra=headers, method=st.sampled_from(["GET", "HEAD"]))
def test_no_page_answers_5xx(
    path: str, query: list[tuple[str, str]], extra: dict[str, str], method: str
) -> None:
    url = f"{path}?{urlencode(query)}"
    response = CLIENT.request(method, url, headers=extra, follow_redirects=False)
    status = response.status_code
    # oEmbed 1.0 itself asks for 501 when the consumer wants a format other than json.
    asked_for_xml = path == "/oembed" and dict(query).get("format", "json") not in ("json", "")
    assert status < 500 or (status == 501 and asked_for_xml), f"{method} {url} {extra} -> {status}"


# States a page really gets: a valid seed of 2 to 10 classes, the instruments' parameters with
# plausible values, and now and then one field gone wrong. Random names above seldom meet in
# one URL: an invalid field with focus= and j ≥ 2 was a 500 (an attacker's fuzzing found).
small = st.integers(-3, 12).map(str)
pairs_of = st.tuples(small, small).map(",".join)
plausible = st.sampled_from(["", "x", "-1", "1e9", "nan", "0,1", "2,1", "1,0"]) | small | pairs_of
OWN = ("logits", "target", "j", "focus")  # drawn once each, below
instrument = st.tuples(
    st.sampled_from([p for p in (*EMBED_PARAMETERS, *PARAMETERS, *ANSWERS) if p not in OWN]),
    plausible | lists,
)
broken = st.sampled_from(
    [
        ("target", "99"),
        ("temperature", "0"),
        ("reduction", "x"),
        ("label_smoothing", "2"),
        ("weights", "-1"),
        ("j", "40"),
    ]
)


@st.composite
def page_states(draw: st.DrawFn) -> list[tuple[str, str]]:
    n = draw(st.integers(2, 10))
    logits = ",".join(str(draw(st.integers(-5, 5))) for _ in range(n))
    query = [("logits", logits), ("target", str(draw(st.integers(0, n - 1))))]
    if draw(st.booleans()):  # the chain rule's class and the path through it meet often
        query.append(("j", str(draw(st.integers(0, n)))))
    if draw(st.booleans()):
        i, j = draw(st.integers(0, min(n, 3))), draw(st.integers(0, min(n, 3)))
        query.append(("focus", f"{i},{j}"))
    query += draw(st.lists(instrument, max_size=4))
    if draw(st.booleans()):
        query.append(draw(broken))
    return query


@settings(
    max_examples=max(EXAMPLES // 2, 100),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    path=st.sampled_from(["/", "/embed", "/explorer.json", "/figure.svg"]),
    query=page_states(),
    extra=headers,
)
def test_no_page_with_instruments_answers_5xx(
    path: str, query: list[tuple[str, str]], extra: dict[str, str]
) -> None:
    url = f"{path}?{urlencode(query)}"
    status = CLIENT.get(url, headers=extra, follow_redirects=False).status_code
    assert status < 500, f"GET {url} {extra} -> {status}"


def test_an_invalid_state_with_a_path_and_a_third_class_is_a_422() -> None:
    for url in (
        "/?logits=1,2,3&target=1&j=2&temperature=0&focus=0,1",
        "/embed?logits=1,2,3&target=5&j=2&focus=0,1",
        "/?logits=1,2,3,4,5,6,7,8,9,10&target=1&j=9&reduction=x&focus=1,1",
    ):
        for extra in ({}, {"HX-Request": "true", "HX-Target": "explorer"}):
            # an edit's answer is a 200 fragment naming the field (htmx swaps only 2xx)
            answer = CLIENT.get(url, headers=extra)
            assert answer.status_code == (200 if extra else 422), (url, extra)
            assert "field-error" in answer.text


def test_a_count_of_thousands_of_digits_is_a_422_not_a_500() -> None:
    """Python refuses int() of a digit string past 4,300 characters: steps= and fade= of 4,301
    ones raised ValueError on every page and export (an attacker found)."""
    digits = "1" * 4301
    for url in (
        f"/?logits=2,1&target=0&mode=derive&fade={digits}",
        f"/embed?logits=2,1&target=0&start=1,2&steps={digits}",
        f"/explorer.json?logits=2,1&target=0&start=1,2&steps={digits}",
        f"/figure.svg?logits=2,1&target=0&mode=derive&fade={digits}",
    ):
        assert CLIENT.get(url).status_code == 422, url[:60]
