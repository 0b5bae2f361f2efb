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
