"""The instruments as pages, embeds and `explorer.json` serve them: predict first, nudge a logit,
follow one path; their numbers against `/gradient` and against plain numpy written here."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.main import create_app

SEED = "logits=2,1&target=0"
CLIENT = TestClient(create_app())


def _text(html: str, section: str) -> str:
    match = re.search(rf'<section class="panel[^"]*" id="{section}".*?</section>', html, re.S)
    assert match, f"no {section}"
    body = re.sub(r"<svg.*?</svg>", " ", match.group(0), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).replace("&#39;", "'")


def twin(query: str) -> dict[str, Any]:
    response = CLIENT.get(f"/explorer.json?{query}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_predict_hides_every_answer_until_a_prediction_is_given(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&mode=predict").text
    for hidden in ("panel-grad", "panel-chain", "panel-jacobian"):
        assert f'id="{hidden}"' not in page
    assert "And the gradient for j" not in page  # the loss panel's gradient line
    assert "the gradient is hidden until you give your answer" in page
    assert page.count('name="guess"') == 2
    assert 'id="panel-probs"' in page
    assert 'id="panel-logits"' in page
    assert set(twin(f"{SEED}&mode=predict")["panels"]) == {"predict", "probs", "loss", "logits"}


def test_the_seed_s_wrong_answer_is_named_with_the_term_it_misses(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&mode=predict&guess=-0.269,-0.269").text
    text = _text(page, "panel-predict")
    assert "✓ right" in text
    assert "✗ wrong" in text
    assert (
        "You gave dE/dZ2 = O1 − 1 = −0.269. That copies the correct class's gradient to every "
        "logit. But Z2 also moves O1: dO1/dZ2 = −O1·O2 = −0.197, and dE/dO1 = −Y1/O1 = −1.368; "
        "their product, +0.269, is the whole of dE/dZ2."
    ) in text
    link = re.search(r'href="([^"]*focus=0,1[^"]*)"', page)
    assert link, "the diagnosis links to the path it misses"
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200
    data = twin(f"{SEED}&mode=predict&guess=-0.269,-0.269")["panels"]["predict"]
    assert data["matched"] == ["copy-true-class"]
    assert data["guess"] == [-0.269, -0.269]
    assert [v["right"] for v in data["verdicts"]] == [True, False]


def test_a_right_prediction_is_told_so_and_nothing_is_diagnosed(client: TestClient) -> None:
    text = _text(client.get(f"/?{SEED}&mode=predict&guess=-0.27,0.268").text, "panel-predict")
    assert "All 2 right" in text
    assert "This matches" not in text


def _reference_models(Z: np.ndarray, y: int) -> dict[str, np.ndarray]:
    O = np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()
    Y = np.eye(len(Z))[y]
    J = np.diag(O) - np.outer(O, O)
    return {
        "copy-true-class": np.full_like(Z, O[y] - 1),
        "direct-only": -Y * (1 - O),
        "sign-flipped": -(O - Y),
        "independent-sigmoids": 1 / (1 + np.exp(-Z)) - Y,
        "squared-error": J @ (2 * (O - Y)),
    }


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(-30, 30), min_size=2, max_size=5).map(lambda v: [x / 10 for x in v]),
    st.data(),
)
def test_property_a_prediction_from_a_wrong_model_is_diagnosed_as_that_model(
    logits: list[float], data: st.DataObject
) -> None:
    y = data.draw(st.integers(0, len(logits) - 1))
    Z = np.array(logits)
    models = _reference_models(Z, y)
    name = data.draw(st.sampled_from(sorted(models)))
    guess = models[name]
    truth = np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum() - np.eye(len(Z))[y]
    tol = np.maximum(0.01, 0.05 * np.abs(truth))
    query = f"logits={','.join(map(str, logits))}&target={y}&mode=predict"
    guessed = ",".join(repr(float(v)) for v in guess)
    result = twin(f"{query}&guess={guessed}")["panels"]["predict"]
    np.testing.assert_allclose(result["models"][name], guess, rtol=1e-9, atol=1e-12)
    if (np.abs(guess - truth) <= tol).all():
        assert result["all_right"]  # here that model happens to be right
    else:
        assert name in result["matched"]


def test_sign_mode_asks_per_class_and_checks_signs(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&mode=predict&ask=sign").text
    assert page.count('<select id="guess-') == 2
    assert "raises E" in page
    assert "lowers E" in page
    text = _text(
        client.get(f"/?{SEED}&mode=predict&ask=sign&guess=lowers,lowers").text, "panel-predict"
    )
    assert "✗ wrong" in text
    assert "This matches: the correct class's gradient copied" in text
    right = twin(f"{SEED}&mode=predict&ask=sign&guess=lowers,raises")["panels"]["predict"]
    assert right["all_right"]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("mode=predict&guess=1,2,3", "guess", "one prediction per class (2), got 3"),
        ("mode=predict&guess=1,abc", "guess", "dE/dZ2: 'abc' is not a number"),
        ("mode=predict&guess=1,inf", "guess", "dE/dZ2: 'inf' is not a number"),
        # numbers, only too large (1e400 is beyond float64 too): not 'not a number'
        ("mode=predict&guess=2e6,0", "guess", "dE/dZ1: '2e6' is outside −1e6 to 1e6"),
        ("mode=predict&guess=0,1e308", "guess", "dE/dZ2: '1e308' is outside −1e6 to 1e6"),
        ("mode=predict&guess=0,-1e400", "guess", "dE/dZ2: '-1e400' is outside −1e6 to 1e6"),
        ("mode=predict&ask=sign&guess=up,down", "guess", "Z1: choose raises E, lowers E or has"),
        ("mode=guess", "mode", "'guess' is not one of explore, predict"),
        ("guess=1,2", "mode", "guess and ask need mode=predict"),
        ("probe=7", "probe", "class index in 0..1"),
        ("probe=0&h=0", "h", "must be a step between 1e-06 and 10"),
        ("probe=0&h=5e-324", "h", "must be a step between 1e-06 and 10"),
        ("focus=0", "focus", "two class indices i,j"),
        ("focus=0,5", "focus", "class index in 0..1"),
        ("seed=-1", "seed", "whole number"),
        # a long value is quoted by its start, marked as cut (it read as the whole value)
        ("seed=" + "1" * 30, "seed", "got '11111111111111111111'… (30 characters)"),
        ("mode=" + "p" * 25, "mode", "'pppppppppppppppppppp'… (25 characters) is not one of"),
        ("mode=predict&why=" + "x" * 301, "why", "at most 300 characters"),
    ],
)
def test_bad_instrument_values_get_a_clear_4xx_on_every_face(
    client: TestClient, query: str, field: str, words: str
) -> None:
    for path in ("/", "/embed"):
        page = client.get(f"{path}?{SEED}&{query}")
        assert page.status_code == 422, path
        assert words in page.text.replace("&#39;", "'"), path
    response = client.get(f"/explorer.json?{SEED}&{query}")
    assert response.status_code == 422
    assert words in response.json()["errors"][field]


def test_the_no_js_form_s_repeated_fields_become_the_canonical_url(client: TestClient) -> None:
    response = client.get(
        f"/?{SEED}&mode=predict&guess=-0.27&guess=0.27&why=O2+goes+up", follow_redirects=False
    )
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["guess"] == ["-0.27,0.27"]
    assert query["why"] == ["O2 goes up"]
    page = client.get(response.headers["location"]).text
    assert "Your reason: <q>O2 goes up</q>" in page


def test_the_reason_is_escaped(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&mode=predict&guess=0,0&why=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_try_another_draws_a_reproducible_state_of_the_same_family(client: TestClient) -> None:
    page = client.get("/?logits=2,1,0.5&target=0&mode=predict&seed=4").text
    link = re.search(r'href="([^"]*)"[^>]*>Try another', page)
    assert link
    href = link.group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)
    assert query["seed"] == ["5"]
    assert query["mode"] == ["predict"]
    assert "guess" not in query
    assert len(query["logits"][0].split(",")) == 3
    again = client.get("/?logits=2,1,0.5&target=0&mode=predict&seed=4").text
    assert re.search(r'href="([^"]*)"[^>]*>Try another', again).group(1) == link.group(1)  # type: ignore[union-attr]
    assert client.get(href).status_code == 200


def test_nudge_links_apply_the_step_and_the_numbers_match_the_api(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&probe=1").text
    text = _text(page, "panel-nudge")
    assert "Raising Z2 by 0.1 raises the loss by 0.0279 (about h × slope = 0.0269)" in text
    assert "the slope is +0.269 = O2, so gradient descent lowers Z2" in text
    # a falling loss: h × slope keeps its sign ("lowers … by 0.0245 (about h × slope = 0.0269)"
    # read as a slope of +0.269, a student found)
    lowered = _text(client.get(f"/?{SEED}&probe=0").text, "panel-nudge")
    assert "lowers the loss by 0.0259 (about h × slope = \u22120.0269)" in lowered
    assert "the slope is \u22120.269 = O1 \u2212 1" in lowered
    higher = re.search(r'href="([^"]*)"[^>]*>Z<sub>2</sub> \+ 0.1', page)
    assert higher
    moved = parse_qs(urlsplit(higher.group(1).replace("&amp;", "&")).query)
    assert moved["logits"] == ["2,1.1"]
    assert moved["probe"] == ["1"]
    nudge = twin(f"{SEED}&probe=1")["panels"]["nudge"]
    api = client.get(f"/gradient?{SEED}").json()
    assert nudge["slope"] == api["grad_logits"][1]
    assert nudge["prob_slopes"] == [row[1] for row in api["jacobian"]]
    assert [d["h"] for d in nudge["differences"]] == [1.0, 0.1, 0.01, 0.001]
    table = re.search(r'<table class="differences">.*?</table>', page, re.S)
    assert table
    assert "×10<sup>\u2212" in table[0]  # the smallest errors, as a student reads them
    assert "e\u2212" not in table[0]
    assert len(nudge["line"]["t"]) == len(nudge["line"]["loss"])


def test_focus_follows_one_path_through_every_view(client: TestClient) -> None:
    page = client.get("/?logits=2,1,0.5&target=0&focus=0,1").text
    caption = _text(page, "panel-path")
    assert "Path Z2 → O1 → E: dO1/dZ2 = −O1·O2 =" in caption
    assert "With Y1 = 1 this path carries all of dE/dZ2" in caption
    assert "diagonal-only answer drops" in caption
    assert page.count('aria-current="true"') >= 3  # the edge, the Jacobian cell, the chain row
    assert 'class="focus-cell"' in page
    assert "the 3 terms of dE/dZ<sub>2</sub>" in page  # the chain panel follows the path's j
    edge = re.search(r'<a href="([^"]*focus=2,0[^"]*)"', page)
    assert edge
    assert client.get(edge.group(1).replace("&amp;", "&")).status_code == 200
    path = twin("logits=2,1,0.5&target=0&focus=0,1")["panels"]["path"]
    api = client.get("/gradient?logits=2,1,0.5&target=0").json()
    assert path["jacobian"] == api["jacobian"][0][1]
    assert path["term"] == api["chain"][0][1]
    assert path["total"] == api["grad_logits"][1]


def test_a_j_chosen_in_the_form_moves_the_path_with_it(client: TestClient) -> None:
    response = client.get("/?logits=2,1,0.5&target=0&focus=2,0&j=1", follow_redirects=False)
    assert response.status_code == 303
    assert "focus=2,1" in response.headers["location"]


def test_embeds_offer_the_instruments_as_panels_and_modes(client: TestClient) -> None:
    embed = client.get(f"/embed?{SEED}&panels=probs,nudge,path")
    assert embed.status_code == 200
    assert 'id="panel-nudge"' in embed.text
    assert 'id="panel-path"' in embed.text
    assert 'id="panel-grad"' not in embed.text
    predict = client.get(f"/embed?{SEED}&mode=predict&panels=probs,grad")
    assert 'id="panel-predict"' in predict.text
    assert 'id="panel-grad"' not in predict.text


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(-50, 50), min_size=2, max_size=6).map(lambda v: [x / 10 for x in v]),
    st.data(),
)
def test_property_explorer_json_numbers_are_the_api_s(
    logits: list[float], data: st.DataObject
) -> None:
    n = len(logits)
    y = data.draw(st.integers(0, n - 1))
    T = data.draw(st.sampled_from(["1", "2", "0.5"]))
    state = f"logits={','.join(map(str, logits))}&target={y}&temperature={T}"
    body = twin(state)
    api = CLIENT.get(f"/gradient?{state}").json()
    assert body["panels"]["probs"]["probs"] == api["probs"]
    assert body["panels"]["grad"]["values"] == api["grad_logits"]
    assert body["panels"]["jacobian"]["matrix"] == api["jacobian"]
    assert body["panels"]["loss"]["loss"] == api["loss"]
    chain = body["panels"]["chain"]
    assert [t["value"] for t in chain["terms"]] == [row[chain["j"] - 1] for row in api["chain"]]


EXTREMES = [
    "logits=35,1&target=0",
    "logits=1000,-1000&target=1",
    "logits=123,456,789&target=2",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1",
    "logits=2,1&target=0&temperature=0.0001",
    "logits=2,1&target=0&temperature=10000",
    "logits=999999,-999999&target=0",
    "logits=2,1,0.5&target=0&temperature=2&label_smoothing=0.1&weights=2,1,1",
    "logits=5,5,5,5,5,5,5,5,5,5&target=9&weights=1000000,1,1,1,1,1,1,1,1,1&reduction=sum",
    "logits=2,1,0.5&target=0.7,0.2,0.1&reduction=none",
]


@pytest.mark.parametrize("state", EXTREMES)
def test_every_instrument_renders_at_extreme_states(client: TestClient, state: str) -> None:
    n = len(parse_qs(state)["logits"][0].split(","))
    last = n - 1
    suffixes = [
        "mode=predict",
        "mode=predict&ask=sign",
        f"mode=predict&guess={','.join(['0'] * n)}",
        f"mode=predict&ask=sign&guess={','.join(['lowers'] * n)}",
        f"probe={last}&h=10",
        "probe=0&h=1e-6",
        f"focus={last},0",
        f"focus=0,{last}",
        f"focus={last},{last}",
        f"mode=predict&guess={','.join(['1e6'] * n)}&probe=0&focus={last},0",
        "compare=mse",
        f"compare=bce&focus=0,{last}",
        f"pair={last},0",
        f"pair=0,{last}&compare=bce&probe={last}",
        "panels=descent",
        "panels=descent,logits&lr=10",  # needs start: a 422 by name (not here: lr alone)
    ][:-1]
    for suffix in suffixes:
        for path in ("/", "/embed"):
            page = client.get(f"{path}?{state}&{suffix}")
            assert page.status_code == 200, (path, suffix, page.text[:300])
        body = client.get(f"/explorer.json?{state}&{suffix}")
        assert body.status_code == 200, (suffix, body.text[:300])
        assert b"NaN" not in body.content
        assert b"Infinity" not in body.content


@pytest.mark.parametrize("other", ["mse", "bce"])
def test_compare_sets_another_loss_s_chain_rule_beside_cross_entropy_s(
    client: TestClient, other: str
) -> None:
    state = "logits=2,1,0.5&target=0&temperature=2"
    panel = twin(f"{state}&compare={other}")["panels"]["compare"]
    api = client.get(f"/gradient?{state}&loss={other}").json()
    ce = client.get(f"/gradient?{state}").json()
    j = panel["j"] - 1
    assert [t["value"] for t in panel["terms"]] == [row[j] for row in api["chain"]]
    assert [t["ce_value"] for t in panel["terms"]] == [row[j] for row in ce["chain"]]
    assert panel["total"] == api["grad_logits"][j]
    assert panel["ce_total"] == ce["grad_logits"][j]
    if other == "bce":  # outputs that do not compete: only i = j survives
        assert [t["value"] != 0 for t in panel["terms"]] == [i == j for i in range(3)]
    page = client.get(f"/?{state}&compare={other}").text
    assert "cancels the O<sub>i</sub>" in page


def test_the_confidently_wrong_preset_says_why_squared_error_learns_slowly(
    client: TestClient,
) -> None:
    text = _text(
        client.get("/?logits=-4,4&target=0&reduction=sum&compare=mse").text, "panel-compare"
    )
    assert "its dE/dZ2 = 0.0013405 against cross-entropy's 0.99966, 746 times smaller" in text
    assert "squared error learns slowest when it is most wrong" in text
    bad = client.get(f"/?{SEED}&compare=huber")
    assert bad.status_code == 422
    assert "'huber' is not one of mse, bce" in bad.text.replace("&#39;", "'")


def test_the_two_class_bridge_gives_both_gradients_from_one_number(client: TestClient) -> None:
    page = client.get(f"/?{SEED}&pair=0,1").text
    assert "Z2 enters d with a minus sign" in _text(page, "panel-binary")
    panel = twin(f"{SEED}&pair=0,1")["panels"]["binary"]
    api = client.get(f"/gradient?{SEED}").json()
    assert panel["grad_d"] == api["grad_logits"][0] == -api["grad_logits"][1]
    assert panel["prob"] == pytest.approx(api["probs"][0], rel=1e-15)
    assert panel["logistic_grad"] == pytest.approx(panel["grad_j"], rel=1e-15)
    # E depends on d = Z1 − Z2 only: the grid is constant along each diagonal (bands).
    loss = np.array(panel["grid"]["loss"])
    for offset in range(-20, 21, 5):
        band = np.diagonal(loss, offset)
        np.testing.assert_allclose(band, band[0], rtol=1e-12)
    three = twin("logits=2,1,0.5&target=0&pair=0,2")["panels"]["binary"]
    assert three["grad_j"] != -three["grad_k"]


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(-60, 60), st.integers(-60, 60), st.integers(0, 1), st.sampled_from(["1", "3"]))
def test_property_the_bridge_s_gradients_are_the_api_s(a: int, b: int, y: int, T: str) -> None:
    state = f"logits={a / 10},{b / 10}&target={y}&temperature={T}&label_smoothing=0.1"
    panel = twin(f"{state}&pair=0,1")["panels"]["binary"]
    api = CLIENT.get(f"/gradient?{state}").json()
    assert panel["grad_j"] == api["grad_logits"][0]
    assert panel["grad_k"] == api["grad_logits"][1]
    assert panel["logistic_grad"] == pytest.approx(api["grad_logits"][0], rel=1e-12, abs=1e-16)


def test_descent_replays_k_steps_from_its_start(client: TestClient) -> None:
    response = client.get(f"/?{SEED}&start=2,1&steps=10", follow_redirects=False)
    assert response.status_code == 303  # to the logits of step 10
    query = parse_qs(urlsplit(response.headers["location"]).query)
    panel = twin(urlsplit(response.headers["location"]).query)["panels"]["descent"]
    z = np.array([2.0, 1.0])
    for _ in range(10):
        O = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        z = z - 0.5 * (O - [1, 0])
    np.testing.assert_allclose([float(v) for v in query["logits"][0].split(",")], z, rtol=1e-12)
    assert panel["steps"] == 10
    assert panel["total"] == pytest.approx(3.0, abs=1e-12)
    assert panel["behaviour"] == "converging"
    assert len(panel["trajectory"]["loss"]) == 11
    page = client.get(response.headers["location"]).text
    assert "Σ Z = 3 at every step" in page
    step = re.search(r'href="([^"]*steps=11[^"]*)"', page)
    assert step, "a link takes one more step"
    assert client.get(step.group(1).replace("&amp;", "&")).status_code in (200, 303)


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("start=2,1&lr=20", "lr", "between 0.01 and 10"),
        ("start=2,1&steps=501", "steps", "from 0 to 500"),
        ("start=2,1,3", "start", "one logit per class (2), got 3"),
        ("steps=3", "start", "need start="),
    ],
)
def test_bad_descent_values_are_refused_by_name(
    client: TestClient, query: str, field: str, words: str
) -> None:
    response = client.get(f"/explorer.json?{SEED}&{query}")
    assert response.status_code == 422
    assert words in response.json()["errors"][field]
    assert client.get(f"/?{SEED}&{query}").status_code == 422


def test_the_z_panel_shows_the_descent_s_start_previous_step_and_next_step(
    client: TestClient,
) -> None:
    location = client.get(
        "/?logits=2,1,0.5&target=0&start=2,1,0.5&steps=3", follow_redirects=False
    ).headers["location"]
    page = client.get(location).text
    logits = re.search(r'id="panel-logits".*?</section>', page, re.S)
    assert logits
    assert logits.group(0).count('class="ghost ghost-start"') == 3
    assert logits.group(0).count('class="ghost ghost-previous"') == 3
    assert logits.group(0).count('class="step-arrow"') == 3
    assert "the next step, −η·dE/dZ" in logits.group(0)
    plain = client.get(f"/?{SEED}").text
    assert 'class="ghost' not in plain


@pytest.mark.parametrize("mode", ["predict", "predict&ask=sign", "derive"])
def test_the_page_does_not_give_the_answer_it_asks_for(client: TestClient, mode: str) -> None:
    """Predicting (or deriving), the lede said dE/dZ_j = … = O_j − Y_j: a printed worksheet
    handed students the answer above the question."""
    page = client.get(f"/?{SEED}&mode={mode}").text
    lede = page.split('<p class="lede">')[1].split("</p>")[0]
    assert "O<sub>j</sub> − Y<sub>j</sub>" not in lede
    assert "What does that sum come to?" in lede
    exploring = client.get(f"/?{SEED}").text.split('<p class="lede">')[1].split("</p>")[0]
    assert "O<sub>j</sub> − Y<sub>j</sub>" in exploring


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("logits=0,1,2,3&target=7&probe=2", "probe"),
        ("logits=0,1,2,3&target=0&loss=bce&label_smoothing=0.1&probe=3", "probe"),
        ("logits=0,1,2,3&target=9&start=1,2,3,4&steps=2", "start"),
        ("logits=0,1,2,3&target=9&guess=0.1,0.2,0.3,-0.6", "guess"),
    ],
)
def test_an_invalid_state_s_instruments_are_judged_by_its_own_classes(
    client: TestClient, query: str, field: str
) -> None:
    """One wrong field made the others be checked against the two-class example shown instead:
    'probe: must be a class index in 0..1' for four logits (a tool builder found)."""
    for path in ("/explorer.json", "/", "/embed"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, path
        assert "0..1" not in response.text, path
        assert "per class (2)" not in response.text, path
    errors = client.get(f"/explorer.json?{query}").json()["errors"]
    assert field not in errors, errors


def test_an_empty_prediction_is_asked_for_not_ignored(client: TestClient) -> None:
    errors = client.get("/explorer.json?logits=2,1&target=0&mode=predict&guess=&guess=").json()
    assert errors["errors"]["guess"].startswith("type a prediction for each class")
    sign = client.get("/explorer.json?logits=2,1&target=0&mode=predict&ask=sign&guess=&guess=")
    assert "raises E, lowers E or has no effect" in sign.json()["errors"]["guess"]


def test_fields_that_take_a_negative_number_offer_a_keyboard_with_a_minus(
    client: TestClient,
) -> None:
    """iOS's decimal keypad has no minus key, and the true class's gradient is negative: a
    phone could not type the right prediction, nor a derivation's negative terms."""
    for query in ("mode=predict", "mode=derive&fade=5"):
        page = client.get(f"/?logits=2,1&target=0&{query}").text
        fields = re.findall(r'<input id="(?:guess|a\d)-\d+"[^>]*>', page)
        assert fields, query
        assert not [f for f in fields if 'inputmode="decimal"' in f], query
        assert not re.findall(r'<input[^>]*id="z-\d+"[^>]*inputmode="decimal"', page)


def test_an_edit_restarts_the_descent_from_the_edited_logits(client: TestClient) -> None:
    """Editing a logit dropped the descent: its panel vanished (a student found). The form
    carries start= alone, which starts the descent from the logits as they now are."""
    page = client.get("/?logits=2,1&target=0&start=2,1&steps=3&lr=2").text
    form = page.split('id="controls"')[1].split("</form>")[0]
    assert '<input type="hidden" name="start" value="">' in form
    assert '<input type="hidden" name="lr" value="2">' in form
    assert 'name="steps"' not in form
    edit = client.get("/?logits=3,1&target=0&start=&lr=2", follow_redirects=False)
    assert edit.status_code == 303
    assert edit.headers["location"] == "/?logits=3,1&target=0&start=3,1&lr=2"
    fragment = client.get(
        "/?logits=3,1,0&target=0&start=&op=add",
        headers={"HX-Request": "true", "HX-Target": "explorer"},
    ).text
    assert 'id="panel-descent"' in fragment
    assert "0 times from Z = (3, 1, 0, 0)" in fragment


def test_a_refused_step_size_is_named_beside_its_field_as_typed(client: TestClient) -> None:
    page = client.get("/?logits=2,1&target=0&start=2,1&lr=20").text
    label = page.split('<label for="lr">')[1].split("</label>")[0]
    assert "must be a step size η between 0.01 and 10, got &#39;20&#39;" in label
    assert 'value="20" aria-invalid="true" aria-describedby="error-lr"' in label


def test_the_explorer_offers_each_instrument_as_a_link_that_turns_it_on_or_off(
    client: TestClient,
) -> None:
    """No control on / turned an instrument on (a student found): only hand-written URLs did."""
    page = client.get("/?logits=2,1,0.5&target=0&probe=1").text
    menu = page.split('id="instrument-menu"')[1].split("</nav>")[0]
    links = {
        re.sub(r"<[^>]+>", "", words).strip(): href.replace("&amp;", "&")
        for href, words in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', menu)
    }
    assert links["Predict dE/dZ first"] == "/?logits=2,1,0.5&target=0&mode=predict&probe=1"
    assert links["✓ Nudge Z2 (turn off)"] == "/?logits=2,1,0.5&target=0"
    assert links["Gradient descent"] == "/?logits=2,1,0.5&target=0&probe=1&start=2,1,0.5"
    assert links["Follow the path Z2 → O1 → E"].endswith("&focus=0,1")
    for href in links.values():  # each is a page that shows what it says
        assert client.get(href).status_code == 200, href
    assert 'id="panel-descent"' in client.get(links["Gradient descent"]).text
    # an edit's answer moves the links with the state
    edit = client.get(
        "/?logits=3,1,0.5&target=0&probe=1", headers={"HX-Request": "true", "HX-Target": "panels"}
    ).text
    oob = edit.split('id="instrument-menu"')[1].split("</nav>")[0]
    assert "start=3,1,0.5" in oob
    # cross-entropy's own instruments are offered under cross-entropy only; an embed has none
    mse = client.get("/?logits=2,1&target=0&loss=mse").text.split('id="instrument-menu"')[1]
    assert "Predict" not in mse.split("</nav>")[0]
    assert "Nudge" in mse.split("</nav>")[0]
    assert 'id="instrument-menu"' not in client.get("/embed?logits=2,1&target=0").text


def test_a_diagnosis_writes_the_gradient_as_the_state_has_it() -> None:
    """A sign flip was told 'dE/dZ is O − Y′ (scaled)' with no smoothing and nothing scaled."""
    from app.explorer.panels.facts import Facts
    from app.explorer.panels.predict import gradient_form

    def facts(**kw: Any) -> Facts:
        base = {
            "n": 2,
            "labels": ["1", "2"],
            "j": 1,
            "one_hot": 0,
            "smoothed": False,
            "weighted": False,
            "tempered": False,
            "norm": 1.0,
            "total": 1.0,
            "scale": 1.0,
        }
        return Facts(**{**base, **kw})  # type: ignore[arg-type]

    assert gradient_form(facts()) == "O − Y"
    assert gradient_form(facts(smoothed=True, one_hot=None)) == "O − Y′"
    assert gradient_form(facts(tempered=True, scale=0.5)) == "(O − Y)/T"
    assert gradient_form(facts(tempered=True, norm=2.0, smoothed=True)) == "(O − Y′)/(T·N)"
    assert gradient_form(facts(weighted=True)).startswith("(S·O − c)/(T·N)")
    page = CLIENT.get("/explorer.json?logits=2,1&target=0&mode=predict&guess=0.269,-0.269")
    assert "dE/dZ is O − Y:" in page.text


def test_a_figures_open_link_keeps_its_descent_and_its_step(client: TestClient) -> None:
    """An embed's "Open in dEdZ" sent start= alone: the explorer restarted the run at step 0."""
    page = client.get("/embed?logits=2,1,0.5&target=0&start=2,1,0.5&steps=3").text
    assert re.search(r'href="/\?logits=[^"]*&amp;start=2,1,0\.5&amp;steps=3"', page)
    predicted = client.get("/embed?logits=2,1&target=0&mode=predict&guess=0.1,-0.1").text
    assert not re.search(r'href="/\?[^"]*guess=', predicted)  # an answer never travels


def test_the_menu_names_the_class_an_instrument_is_on(client: TestClient) -> None:
    page = client.get("/?logits=2,1,0.5&target=0&probe=1&j=2").text
    menu = page.split('id="instrument-menu"')[1].split("</nav>")[0]
    assert "Nudge Z<sub>2</sub>" in menu  # the nudge stays on Z2 as j moves to 3
    waiting = client.get("/?logits=2,1,0.5&target=0&mode=predict&probe=1").text
    assert "(shown after you answer)" in waiting.split('id="instrument-menu"')[1].split("</nav>")[0]


def test_turning_predict_on_from_the_menu_moves_the_share_forms_choice(
    client: TestClient,
) -> None:
    """The share form kept "explore" after Predict was turned on from the Instruments line, and
    every edit after it wrote share_mode=explore into the address (a student found)."""
    answer = client.get(
        "/?logits=2,1,0.5&target=0&mode=predict",
        headers={"HX-Request": "true", "HX-Target": "explorer"},
    ).text
    select = answer.split('<select id="share-mode"')[1].split("</select>")[0]
    assert 'hx-swap-oob="true"' in select
    assert '<option value="predict" selected>' in select
    edit = client.get(
        "/?logits=3,1,0.5&target=0&mode=predict&share_mode=predict",
        headers={"HX-Request": "true", "HX-Target": "panels"},
    ).text
    assert "share_mode" not in edit.split('id="last"')[1].split(">")[0]
