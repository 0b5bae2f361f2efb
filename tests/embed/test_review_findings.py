"""What the independent reviews found in the instructor's kit, each kept from coming back: a
derivation with an infinite dE/dO, names in raw SVG, non-XML characters, values given twice,
the answer leaking from predict mode, CSV infinities, the builder's exports, Markdown."""

from __future__ import annotations

import csv
import html
import io
import re
import threading
import time
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from app.main import create_app

CLIENT = TestClient(create_app())


@pytest.mark.parametrize("face", ["/", "/embed", "/explorer.json", "/figure.csv", "/figure.svg"])
def test_a_derivation_whose_dE_dO_is_infinite_answers(face: str) -> None:  # noqa: N802
    query = "logits=0,1000&target=0&mode=derive&fade=4&a2=1,1"
    response = CLIENT.get(f"{face}?{query}", follow_redirects=True)
    assert response.status_code == 200, response.text[:300]


def test_a_name_in_the_nudge_charts_axis_is_escaped() -> None:
    query = f"logits=2,1&target=0&probe=0&names={quote('</svg><h1>x')},b"
    assert "<h1>" not in CLIENT.get(f"/embed?{query}").text
    svg = CLIENT.get(f"/figure.svg?{query}")
    assert svg.status_code == 200
    assert "<h1>" not in svg.text
    assert CLIENT.get(f"/figure.png?{query}").status_code == 200


@pytest.mark.parametrize("field", ["title", "q", "names"])
def test_characters_xml_refuses_are_refused_by_name(field: str) -> None:
    value = "x\uffff" if field != "names" else "a\uffff,b"
    response = CLIENT.get(f"/figure.png?logits=2,1&target=0&{field}={quote(value)}")
    assert response.status_code == 422
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "field", ["j=0&j=1", "theme=dark&theme=light", "controls=all&controls=none"]
)
def test_a_single_valued_field_given_twice_is_refused(field: str) -> None:
    response = CLIENT.get(f"/explorer.json?logits=2,1,0&target=0&{field}")
    assert response.status_code == 422
    assert "given more than once" in response.text


def test_predict_mode_hides_the_gradient_from_every_export() -> None:
    query = "logits=2,1,0&target=0&mode=predict"
    loss = CLIENT.get(f"/explorer.json?{query}").json()["panels"]["loss"]
    assert "grad_j" not in loss
    assert "grad_j" not in CLIENT.get(f"/figure.csv?{query}").text
    for kind in ("py", "tex"):
        response = CLIENT.get(f"/figure.{kind}?{query}")
        assert response.status_code == 422
        assert "without mode=" in response.json()["errors"]["mode"]


def test_the_csv_never_writes_nan_or_inf() -> None:
    for query in (
        "logits=-1e6,-1e6&target=0&compare=bce",
        "logits=0,1000&target=0&mode=derive&fade=0",
        "logits=1,2,3&target=2&pair=0,1",
    ):
        rows = list(csv.reader(io.StringIO(CLIENT.get(f"/figure.csv?{query}").text)))
        values = {r[4].lower() for r in rows[1:]}
        assert not values & {"nan", "inf", "-inf"}, query


def test_the_exports_show_explorer_json_s_panels_in_its_order() -> None:
    for query in ("logits=2,1&target=0&probe=0", "logits=2,1,0&target=0&pair=1,0"):
        order = list(CLIENT.get(f"/explorer.json?{query}").json()["panels"])
        rows = list(csv.reader(io.StringIO(CLIENT.get(f"/figure.csv?{query}").text)))[1:]
        assert list(dict.fromkeys(r[0] for r in rows)) == order, query
    assert "Loss over Z1 and Z2" in CLIENT.get("/figure.svg?logits=2,1&target=0").text


def test_the_builders_chain_rule_exports_work_for_a_predict_figure() -> None:
    page = CLIENT.get(
        "/build?logits=2,1,0.5&target=0&names=cat,dog,bird&mode=predict&panels=probs"
    ).text
    links = [html.unescape(h) for h in re.findall(r'href="(/figure\.[^"]+)"', page)]
    assert any("panel=chain" in link for link in links)
    for link in links:
        assert CLIENT.get(link).status_code == 200, link


def test_the_markdown_link_text_is_escaped() -> None:
    page = CLIENT.get(
        "/build?logits=2,1&target=0&title=" + quote("[Week 5] softmax *grad* <b>")
    ).text
    markdown = html.unescape(
        re.search(r'id="out-markdown"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    )  # type: ignore[union-attr]
    assert markdown.startswith("[\\[Week 5\\] softmax \\*grad\\* &lt;b&gt;](")


def test_locked_logits_offer_no_new_numbers() -> None:
    for mode in ("derive", "predict&guess=0,0,0"):
        html_ = CLIENT.get(f"/embed?logits=2,1,0.5&target=0&lock=logits&mode={mode}").text
        assert "Same steps, new numbers" not in html_
        assert "Try another" not in html_


def test_a_tall_png_does_not_stall_other_requests() -> None:
    """resvg holds the GIL: PNGs render in worker processes, so the server keeps answering."""
    heavy = (
        "/figure.png?logits=0,1,2,3,4,5,6,7,8,9&target=0&panels=probs,grad,chain,loss,logits,"
        "jacobian,nudge,compare,binary,descent&scale=2&probe=0&start=0,1,2,3,4,5,6,7,8,9"
        "&steps=500&lr=0.01&compare=mse&pair=0,1"
    )
    CLIENT.get("/figure.png?logits=2,1&target=0")  # the workers are started
    done: list[int] = []
    renders = [
        threading.Thread(target=lambda: done.append(CLIENT.get(heavy).status_code))
        for _ in range(3)
    ]
    for thread in renders:
        thread.start()
    time.sleep(0.2)
    worst = 0.0
    while any(t.is_alive() for t in renders):
        start = time.perf_counter()
        assert CLIENT.get("/healthz").status_code == 200
        worst = max(worst, time.perf_counter() - start)
        time.sleep(0.05)
    assert set(done) <= {200, 503}
    assert worst < 0.5, f"/healthz took {worst:.2f} s while PNGs rendered"


@pytest.mark.parametrize("field", ["url", "maxwidth", "format"])
def test_oembed_refuses_a_field_given_twice_as_the_api_does(field: str) -> None:
    """/oembed?url=A&url=B answered for A without a word; /gradient says 'given more than once'."""
    page = quote("http://testserver/?logits=2,1&target=0", safe="")
    extra = {"url": f"url={page}", "maxwidth": "maxwidth=300", "format": "format=json"}[field]
    response = CLIENT.get(f"/oembed?url={page}&{extra}&{extra}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"{field}: given more than once"


def test_the_markdown_link_text_writes_parentheses_as_they_are() -> None:
    """MkDocs' arithmatex read the escaped \\(2, 1\\) of a title as inline TeX."""
    from app.embed.build import _markdown

    assert _markdown("dEdZ: chain rule for dE/dZ2, Z = (2, 1), Y1 = 1") == (
        "dEdZ: chain rule for dE/dZ2, Z = (2, 1), Y1 = 1"
    )
    assert _markdown("a_b [c] *d* `e` |f| ~g~") == r"a\_b \[c\] \*d\* \`e\` \|f\| \~g\~"
