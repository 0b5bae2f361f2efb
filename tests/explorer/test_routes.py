"""The explorer over HTTP: full pages, the fragments htmx asks for, redirects and errors."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.assets import HTMX_CDN_URL, HTMX_SRI

HX_PANELS = {"HX-Request": "true", "HX-Target": "panels"}
HX_EXPLORER = {"HX-Request": "true", "HX-Target": "explorer"}
PANELS = ("probs", "grad", "chain", "loss", "logits", "jacobian")
SOFT10 = "logits=" + ",".join(str(i - 4) for i in range(10)) + "&target=" + ",".join(["0.1"] * 10)


def test_the_sentence_says_how_small_an_underflowing_gradient_is(client: TestClient) -> None:
    html = client.get("/?logits=1000,1&target=0").text
    # O2 = e^−999 is below float64's range: not "O2 = 0, not O1 − 1 = 0".
    assert (
        "dE/dZ<sub>2</sub> = O<sub>2</sub> ≈ 1.4×10<sup>−434</sup>, too small for float64 "
        "(it computes as 0)" in html
    )
    assert "not O<sub>1</sub> − 1 ≈ −1.4×10<sup>−434</sup>" in html


@pytest.mark.parametrize(
    ("query", "complement"),
    [
        ("logits=-1000,1000,3&target=0&j=2", "−1:"),  # O1 is the tiny one: O1 − 1 is −1
        ("logits=1000,-1000,3&target=0", "−1×10<sup>−433</sup>"),  # O3 ≈ e^−997 carries it
        ("logits=1000,-1000,-1000&target=0", "−5.2×10<sup>−869</sup>"),  # O2 + O3
    ],
)
def test_the_underflow_sentence_gives_o_y_minus_1_as_the_other_outputs_sum(
    client: TestClient, query: str, complement: str
) -> None:
    """It wrote O_y − 1 as −O_j, which holds for two classes only (a reviewer read
    "not O1 − 1 ≈ −1×10⁻⁴³³" where O1 − 1 is −1)."""
    found = re.search(r'id="chain-sentence">(.*?)</p>', client.get(f"/?{query}").text, re.S)
    assert found
    assert f"not O<sub>1</sub> − 1 ≈ {complement}" in found[1]


def test_default_page_shows_the_seed_question(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for panel in PANELS:
        assert f'id="panel-{panel}"' in html
    assert (
        "dE/dZ<sub>2</sub> = O<sub>2</sub> = 0.27, not O<sub>1</sub> − 1 = −0.27: "
        "the i = 1 term carries it" in html
    )
    assert 'value="2"' in html
    assert 'href="/gradient?logits=2,1&amp;target=0"' in html


def test_page_has_no_inline_scripts_or_styles(client: TestClient) -> None:
    html = client.get(f"/?{SOFT10}").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<[^>]*\sstyle\s*=", html)  # the embed snippet's style is escaped text
    assert "<style" not in html
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html)  # no onclick= and the like


def test_htmx_from_the_pinned_cdn_with_sri_by_default(client: TestClient) -> None:
    html = client.get("/").text
    assert f'src="{HTMX_CDN_URL}" integrity="{HTMX_SRI}" crossorigin="anonymous"' in html
    assert '"historyCacheSize": 0' in html
    assert '"allowEval": false' in html
    assert '"selfRequestsOnly": true' in html


def test_htmx_from_the_local_copy_when_set() -> None:
    with TestClient(create_app(Settings(htmx_source="local"))) as client:
        html = client.get("/").text
        assert 'src="/static/vendor/htmx.min.js?v=' in html
        assert HTMX_CDN_URL not in html
        assert client.get("/static/vendor/htmx.min.js").status_code == 200


def test_form_is_live_through_htmx(client: TestClient) -> None:
    html = client.get("/").text
    form = re.search(r"<form[^>]*>", html)
    assert form is not None
    for attribute in (
        'action="/"',
        'method="get"',
        'hx-get="/"',
        'hx-target="#panels"',
        'hx-trigger="input, submit"',
        'hx-sync="this:queue last"',
    ):
        assert attribute in form.group(0)


def test_edit_returns_the_panels_and_the_canonical_url(client: TestClient) -> None:
    response = client.get("/?logits=3&logits=1&target=0&last=x", headers=HX_PANELS)
    assert response.status_code == 200
    assert "hx-replace-url" not in response.headers  # explorer.js does it once the edit settles
    assert 'data-url="/?logits=3,1&amp;target=0"' in response.text
    html = response.text
    assert html.lstrip().startswith('<div id="panels"')
    for panel in PANELS:
        assert f'id="panel-{panel}"' in html
    assert "error-logits" not in html  # explorer.js clears old messages; none are current
    assert 'id="last" name="last" value="logits=3,1&amp;target=0" data-url=' in html
    preview = 'data-preview="http://testserver/embed?logits=3,1&amp;target=0"'
    assert f'{preview} hx-swap-oob="true"' in html
    assert 'id="live-summary" aria-live="polite" hx-swap-oob="true">E = ' in html
    assert "<form" not in html
    assert "Vary" in response.headers
    assert "HX-Target" in response.headers["vary"]


def test_invalid_edit_keeps_the_panels_and_places_the_message(client: TestClient) -> None:
    response = client.get("/?logits=2&logits=abc&target=0", headers=HX_PANELS)
    assert response.status_code == 200
    assert response.headers["hx-reswap"] == "none"
    assert "data-url=" not in response.text
    html = response.text
    assert 'id="panels"' not in html
    assert (
        '<span id="error-logits-1" hx-swap-oob="innerHTML">'
        "&#39;abc&#39; is not a finite decimal number (such as -1.5, 2 or 3e-4)</span>"
    ) in html


@pytest.mark.parametrize(
    ("query", "n", "url"),
    [
        ("logits=2&logits=1&target=0&op=add", 3, "/?logits=2,1,0&target=0"),
        ("logits=2&logits=1&logits=0&target=0&op=remove", 2, "/?logits=2,1&target=0"),
        ("logits=2&logits=1&target=0&op=soft", 2, "/?logits=2,1&target=1,0"),
        ("logits=5&logits=5&target=1&op=reset", 2, "/?logits=2,1&target=0"),
    ],
)
def test_buttons_return_the_whole_explorer(
    client: TestClient, query: str, n: int, url: str
) -> None:
    response = client.get(f"/?{query}", headers=HX_EXPLORER)
    assert response.status_code == 200
    assert f'data-url="{url.replace("&", "&amp;")}"' in response.text
    html = response.text
    assert html.lstrip().startswith('<div id="explorer"')
    assert html.count('class="num" id="z-') == n  # one logit field per class
    assert 'id="panels"' in html


def test_form_submission_without_javascript_redirects_to_the_canonical_url(
    client: TestClient,
) -> None:
    response = client.get("/?logits=3&logits=1.50&target=0&last=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?logits=3,1.5&target=0"


def test_canonical_url_renders_without_redirect(client: TestClient) -> None:
    assert client.get("/?logits=3,1.5&target=0", follow_redirects=False).status_code == 200


def test_invalid_form_without_javascript_shows_messages_and_the_last_valid_state(
    client: TestClient,
) -> None:
    response = client.get("/?logits=2&logits=oops&target=0&last=logits%3D5%2C1%26target%3D0")
    assert response.status_code == 422
    html = response.text
    assert 'value="oops"' in html
    assert "&#39;oops&#39; is not a finite decimal number" in html
    assert "/gradient?logits=5,1&amp;target=0" in html  # the panels show the last valid state


def test_soft_labels_page_with_ten_classes(client: TestClient) -> None:
    response = client.get(f"/?{SOFT10}")
    assert response.status_code == 200
    controls = response.text.split('<form id="controls"')[1].split("</form>")[0]
    assert controls.count('name="target"') == 10
    assert "ΣY = 1" in response.text


def test_soft_label_sum_is_sent_out_of_band(client: TestClient) -> None:
    response = client.get("/?logits=2,1&target=0.5,0.6", headers=HX_PANELS)
    assert response.headers["hx-reswap"] == "none"
    assert 'id="target-sum"' in response.text
    assert "ΣY = 1.1" in response.text
    assert "must sum to 1" in response.text


def test_fragment_for_ten_classes_travels_compressed_under_20_kb(client: TestClient) -> None:
    response = client.get(f"/?{SOFT10}", headers={**HX_PANELS, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) <= 20 * 1024
    assert len(response.content) <= 40 * 1024  # uncompressed


@pytest.mark.parametrize(
    "query",
    [
        "logits=1e6,-1e6&target=1",
        "logits=37.43,0&target=0",
        "logits=2,1&target=0&temperature=0.0001",
        "logits=2,1,0&target=1&weights=0,3,1&label_smoothing=0.2&reduction=mean",
        "logits=0,0,0&target=0.2,0.3,0.5&j=2",
        "logits=2,1&target=0&j=99",
        "logits=2,1&target=0&j=x",
        "logits=%00,1&target=0",
        "logits=<script>&target=0",
        "target=7",
        "logits=2,1&target=0&reduction=bogus",
        "op=explode",
        # an invalid state with more classes (and a later j) than the last valid one it shows
        "logits=1,2,3,x&target=0&j=3&last=logits%3D2%2C1%26target%3D0",
    ],
)
def test_unusual_urls_never_fail(client: TestClient, query: str) -> None:
    for headers in ({}, HX_PANELS, HX_EXPLORER):
        response = client.get(f"/?{query}", headers=headers)
        assert response.status_code in (200, 303, 422), (query, headers)
        assert "<script>&" not in response.text


def test_the_page_shows_the_numbers_of_the_api(client: TestClient) -> None:
    query = "logits=0.5,-1.25,2&target=0.2,0.3,0.5&temperature=1.5"
    api = client.get(f"/gradient?{query}").json()
    html = client.get(f"/?{query}").text
    from app.explorer.display import number

    for value in api["grad_logits"]:
        assert f"<td>{number(value, 4)}</td>" in html
    assert number(api["loss"], 4) in html


@pytest.mark.parametrize("path", ["/", "/embed?logits=2,1&target=0", "/guide"])
def test_link_checkers_can_use_head(client: TestClient, path: str) -> None:
    """Course platforms and link checkers often ask with HEAD before they embed or link."""
    response = client.head(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_an_invalid_edit_says_the_charts_are_stale(client: TestClient) -> None:
    stale = client.get("/?logits=2&logits=&target=0", headers=HX_PANELS).text
    assert "The charts show the last valid state" in stale
    fresh = client.get("/?logits=2&logits=1&target=0", headers=HX_PANELS).text
    assert '<p class="live-status" id="stale-note" role="status" hx-swap-oob="true"></p>' in fresh


def test_the_gradient_caption_says_what_each_bar_is(client: TestClient) -> None:
    # With weights a bar is not O_j − Y_j scaled (the ratios differ by class): it says the
    # general form; a prime marks Y′ only where label smoothing made one.
    def note(query: str) -> str:
        html = client.get(f"/?{query}", follow_redirects=True).text
        start = html.index('id="h-grad"')
        return html[start : html.index("</p>", start)]

    weighted = note("logits=2,1,0.1&target=0&weights=2,1,1")
    assert "(S·O<sub>j</sub> − c<sub>j</sub>)/(T·N), with c = w·Y and S = Σc" in weighted
    assert "Each bar is O<sub>j</sub> − Y<sub>j</sub>: a negative" in note("logits=2,1&target=0")
    tempered = note("logits=2,1&target=0&temperature=2")
    assert "O<sub>j</sub> − Y<sub>j</sub>, divided by T·N" in tempered
    assert "O<sub>j</sub> − Y′<sub>j</sub>" in note("logits=2,1&target=0&label_smoothing=0.1")
    assert "Y′" not in note("logits=2,1,0.1&target=0&loss=mse")
    assert "Y′<sub>i</sub>" in note("logits=2,1,0.1&target=0&loss=mse&label_smoothing=0.1")


def test_the_pages_text_writes_small_numbers_as_powers_of_ten() -> None:
    """A student read 1.9×10⁻⁵ in the finite-difference table and −3.888e−5 in the chain
    table of the same page: every table and sentence in HTML now writes the power of ten (the
    charts' SVG labels keep the short e-form, which has no superscript)."""
    client = TestClient(create_app())
    page = client.get(
        "/?logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&start=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&steps=3"
    ).text
    tables = re.findall(r"<table.*?</table>", page, re.S)
    assert tables
    assert any("×10<sup>\u2212" in t for t in tables)
    assert not [t for t in tables if re.search(r"\de\u2212?\d", re.sub(r"<[^>]+>", " ", t))]


@pytest.mark.parametrize(
    ("part", "field"),
    [("names=a,,b", "names"), ("theme=pink", "theme"), ("panels=nope", "panels")],
)
def test_a_url_choice_the_explorer_cannot_use_is_named_not_dropped(
    client: TestClient, part: str, field: str
) -> None:
    """An instructor's hand-edited `names=a,,b` was dropped by the canonical redirect, and the
    charts lost their labels without a word; /embed and /build already said why."""
    response = client.get(f"/?logits=2,1&target=0&{part}", follow_redirects=False)
    assert response.status_code == 422
    note = re.search(
        r'<div class="embed-errors" role="alert" id="url-errors">(.*?)</div>', response.text, re.S
    )
    assert note is not None
    assert f"<code>{field}</code>" in note.group(1)
    assert 'id="panel-chain"' in response.text  # the explorer itself still works


def test_names_for_another_number_of_classes_are_noted_without_an_error(
    client: TestClient,
) -> None:
    # adding a class must not turn the page into an error: such names label nothing, and a
    # full page says why its charts are numbered (a reviewer expected the names)
    response = client.get("/?logits=2,1&target=0&names=a,b,c", follow_redirects=False)
    assert response.status_code == 200
    note = re.search(r'id="url-errors">(.*?)</p>', response.text, re.S)
    assert note
    assert "one name per class (2), got 3" in note[1]
    assert 'role="status" id="url-errors"' in response.text


def test_a_fresh_invalid_url_says_the_charts_show_the_example(client: TestClient) -> None:
    """A fresh load said "the charts show the last valid state" (there was none) and its share
    links, those of the question's example, read as links to the state typed in the form."""
    page = client.get("/?logits=2,1,0.5&target=0&loss=mse&weights=2,1,1").text
    note = re.search(r'id="stale-note"[^>]*>(.*?)</p>', page, re.S)
    assert note
    assert "the question\u2019s example" in note[1]
    assert "these links are for the state the charts show" in page
    edited = client.get(
        "/?logits=2,1,0.5&target=0&loss=mse&weights=2,1,1&last=logits%3D3,1%26target%3D0"
    )
    again = re.search(r'id="stale-note"[^>]*>(.*?)</p>', edited.text, re.S)
    assert again
    assert "the last valid state" in again[1]


def test_the_chain_formula_writes_a_long_name_as_j_as_the_loss_panel_does(
    client: TestClient,
) -> None:
    """ "dE/dZ_Giraffe calf" wrapped inside its subscript on a phone; the loss panel wrote j."""
    page = client.get("/?logits=2,1,0.5&target=0&names=Giraffe%20calf,Hippopotamus,Zebra").text
    chain = re.search(r'id="panel-chain".*?</section>', page, re.S)
    assert chain
    line = re.search(r'<p class="formula-line">(.*?)</p>', chain[0], re.S)
    assert line
    assert line[1].startswith("dE/dZ<sub>j</sub> = ")
    assert "j = Hippopotamus" in chain[0]


def test_the_lede_says_when_the_gradient_is_o_minus_y(client: TestClient) -> None:
    """With T = 2 and smoothing the lede said dE/dZj = Oj − Yj beside a gradient half of that
    (a student found): it says the form holds for plain cross-entropy, whatever the state."""
    page = client.get("/?logits=1,-2,0.5&target=2&temperature=2&label_smoothing=0.1&j=0").text
    lede = page.split('<p class="lede">')[1].split("</p>")[0]
    assert "for plain cross-entropy (T = 1, no smoothing or weights) comes to O<sub>j</sub>" in lede


def test_the_summary_says_when_its_numbers_are_the_last_valid_states(client: TestClient) -> None:
    """On a phone the summary bar stays on screen: after "abc" it showed E unmarked."""
    edit = client.get(
        "/?logits=abc,1&target=0&last=logits%3D2%2C1%26target%3D0",
        headers={"HX-Request": "true", "HX-Target": "panels"},
    ).text
    summary = edit.split('id="live-summary"')[1].split("</p>")[0]
    assert 'hx-swap-oob="true"' in summary
    assert "Last valid state:" in summary
    assert "E = 0.3133" in summary
    fixed = client.get(
        "/?logits=3,1&target=0", headers={"HX-Request": "true", "HX-Target": "panels"}
    ).text
    assert "Last valid state" not in fixed.split('id="live-summary"')[1].split("</p>")[0]
