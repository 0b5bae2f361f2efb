"""The whole explorer under another loss (`loss=mse|bce`): every panel's numbers are
`/gradient`'s for that loss, the instruments that are about cross-entropy's chain rule say so,
and the two-class bridge appears by default for two classes under cross-entropy."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.explorer.form import state_of
from app.main import create_app
from app.settings import get_settings

CLIENT = TestClient(create_app())
STATES = [
    "logits=2,1&target=0",
    "logits=-4,4&target=0",
    "logits=3,-1,0.5&target=0.7,0.2,0.1&temperature=2",
    "logits=1,2,3&target=2&reduction=sum",
    "logits=40,-40&target=1",
]


def twin(query: str) -> dict[str, Any]:
    response = CLIENT.get(f"/explorer.json?{query}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def api(query: str) -> dict[str, Any]:
    response = CLIENT.get(f"/gradient?{query}&include=jacobian,chain")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("query", STATES)
def test_every_panel_follows_the_chosen_loss_as_the_api_computes_it(query: str, loss: str) -> None:
    page, truth = twin(f"{query}&loss={loss}"), api(f"{query}&loss={loss}")
    assert page["state"]["loss"] == loss
    panels = page["panels"]
    assert panels["grad"]["values"] == truth["grad_logits"]
    assert panels["probs"]["probs"] == truth["probs"]
    assert panels["loss"]["loss"] == truth["loss"]
    assert panels["jacobian"]["matrix"] == truth["jacobian"]
    j = page["state"]["j"]
    terms = [t["value"] for t in panels["chain"]["terms"]]
    assert terms == [row[j] for row in truth["chain"]]
    assert panels["chain"]["total"] == truth["grad_logits"][j]


def test_the_losses_differ_where_they_should_and_the_page_says_why() -> None:
    ce, mse = twin("logits=-4,4&target=0"), twin("logits=-4,4&target=0&loss=mse&reduction=sum")
    assert ce["panels"]["grad"]["values"][0] == pytest.approx(-0.99966, abs=1e-5)
    assert mse["panels"]["grad"]["values"][0] == pytest.approx(-0.00134, abs=1e-5)
    html = CLIENT.get("/?logits=-4,4&target=0&loss=mse&reduction=sum").text
    assert "under squared error nothing cancels" in html
    assert 'option value="mse" selected' in html
    bce = CLIENT.get("/?logits=2,1,0&target=0&loss=bce").text
    assert "only the i = 2 term is non-zero" in bce
    assert "0 off it, because each sigmoid depends on its own logit" in bce  # the Jacobian
    assert "need not sum to 0" in bce  # the gradient panel: no zero-sum for sigmoids


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def test_a_descent_under_squared_error_replays_a_plain_numpy_loop() -> None:
    """Z ← Z − η·dE/dZ with dE/dZ = J·2(O − Y)/n written out here (T = 1, mean)."""
    start, lr, steps = np.array([-4.0, 4.0]), 2.0, 30
    z = start.copy()
    y = np.array([1.0, 0.0])
    for _ in range(steps):
        o = _softmax(z)
        g = 2 * (o - y) / 2
        z = z - lr * (np.diag(o) - np.outer(o, o)) @ g
    data = twin(f"logits=-4,4&target=0&loss=mse&start=-4,4&lr=2&steps={steps}")
    np.testing.assert_allclose(data["state"]["logits"], z, rtol=1e-12, atol=1e-12)
    descent = data["panels"]["descent"]
    assert descent["total"] == pytest.approx(0.0, abs=1e-12)  # Σ Z conserved under mse too
    bce = twin("logits=-4,2&target=0&loss=bce&start=-4,2&lr=2&steps=5")["panels"]["descent"]
    assert bce["conserved"] is False
    assert bce["total"] != pytest.approx(-2.0, abs=1e-3)  # each logit descends on its own


@given(
    z=st.lists(st.floats(-30, 30), min_size=2, max_size=4),
    loss=st.sampled_from(["mse", "bce"]),
    h=st.sampled_from([0.5, 1.0, 2.0]),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_nudge_slope_is_the_chosen_losses_gradient(z: list[float], loss: str, h: float) -> None:
    logits = ",".join(repr(v) for v in z)
    query = f"logits={logits}&target=0&loss={loss}"
    nudge = twin(f"{query}&probe=0&h={h}")["panels"]["nudge"]
    assert nudge["slope"] == api(query)["grad_logits"][0]


def test_the_compare_panel_still_sets_cross_entropy_beside_the_other_loss() -> None:
    under_mse = twin("logits=-4,4&target=0&loss=mse&compare=bce")["panels"]["compare"]
    plain = twin("logits=-4,4&target=0&compare=bce")["panels"]["compare"]
    assert under_mse == plain


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("mode=predict", "predict first"),
        ("focus=0,1", "follow one path"),
        ("pair=0,1", "the two-class bridge"),
    ],
)
def test_instruments_about_cross_entropy_refuse_another_loss_on_every_face(
    extra: str, named: str
) -> None:
    query = f"logits=2,1&target=0&loss=mse&{extra}"
    data = CLIENT.get(f"/explorer.json?{query}")
    assert data.status_code == 422
    assert named in data.json()["errors"]["loss"]
    for path in ("/", "/embed"):
        response = CLIENT.get(f"{path}?{query}")
        assert response.status_code == 422
        assert "choose loss=cross_entropy" in response.text
    oembed = CLIENT.get("/oembed", params={"url": f"http://testserver/embed?{query}"})
    assert oembed.status_code == 422 or oembed.status_code == 404, oembed.text


def test_a_loss_a_state_cannot_take_is_refused_beside_its_field() -> None:
    html = CLIENT.get("/?logits=2,1&target=0&loss=mse&weights=2,1").text
    assert re.search(r'id="error-weights"[^>]*>[^<]*mse_loss takes no class weights', html)
    html = CLIENT.get("/?logits=2,1&target=0&loss=bce&label_smoothing=0.1").text
    assert re.search(r'id="error-label_smoothing"[^>]*>[^<]*no label smoothing', html)
    html = CLIENT.get("/?logits=2,1&target=0&loss=hinge").text
    assert re.search(r"id=\"error-loss\"[^>]*>[^<]*must be one of", html)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce"])
def test_the_loss_round_trips_through_the_url(loss: str) -> None:
    state = state_of(f"logits=2,1&target=0&loss={loss}", get_settings())
    assert state is not None
    assert state.loss == loss
    assert state_of(state.to_query(), get_settings()) == state
    assert ("loss=" in state.to_query()) == (loss != "cross_entropy")  # the default left out


def test_the_bridge_is_shown_by_default_for_two_classes_under_cross_entropy() -> None:
    assert 'id="panel-binary"' in CLIENT.get("/?logits=2,1&target=0").text
    assert "binary" in twin("logits=2,1&target=0")["panels"]
    for query in (
        "logits=2,1,0&target=0",  # three classes: pair= asks for it
        "logits=2,1&target=0&loss=mse",
        "logits=2,1&target=0&mode=predict",  # it gives the answer away
    ):
        assert 'id="panel-binary"' not in CLIENT.get(f"/?{query}").text, query
    assert 'id="panel-binary"' not in CLIENT.get("/embed?logits=2,1&target=0&panels=chain").text
    html = CLIENT.get("/?logits=2,1,0&target=0&pair=0,2").text
    assert 'id="panel-binary"' in html


def test_the_forms_weights_of_one_are_no_weights_so_squared_error_takes_them() -> None:
    """The form always sends its weight fields; all 1 is no weights, and mse takes none."""
    query = "logits=-4&logits=4&target=0&weights=1&weights=1&loss=mse"
    response = CLIENT.get(f"/?{query}", headers={"HX-Request": "true", "HX-Target": "panels"})
    assert "hx-reswap" not in response.headers
    assert "under squared error nothing cancels" in response.text
    assert CLIENT.get("/?logits=2,1&target=0&weights=1,1,1").status_code == 422  # still counted


FACES = ("/", "/embed", "/explorer.json", "/figure.svg", "/figure.csv", "/figure.tex", "/figure.py")


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_face_answers_every_loss_and_reduction(loss: str, reduction: str) -> None:
    """loss=mse&reduction=none once answered 500: its E is n entries, not one number."""
    for state in ("logits=2,1&target=0", "logits=3,-1,0.5&target=0.7,0.2,0.1&temperature=2"):
        for extra in ("", "&probe=0&start=1,2" + (",0" if "0.5" in state else "") + "&steps=3"):
            query = f"{state}&loss={loss}&reduction={reduction}{extra}&compare=bce"
            for face in FACES:
                response = CLIENT.get(f"{face}?{query}", follow_redirects=True)
                assert response.status_code == 200, (face, query, response.text[:300])
    data = twin(f"logits=2,1&target=0&loss={loss}&reduction={reduction}")
    grad = api(f"logits=2,1&target=0&loss={loss}&reduction={reduction}")["grad_logits"]
    assert data["panels"]["grad"]["values"] == grad


@pytest.mark.parametrize(
    ("query", "claims"),
    [
        ("logits=2,1&target=0", True),  # dE/dd = O1 − 1: the seed's case
        ("logits=2,1&target=1", False),
        ("logits=2,1&target=0&temperature=2", False),
        ("logits=2,1&target=0&label_smoothing=0.2", False),
        ("logits=2,1&target=0.3,0.7", False),
    ],
)
def test_the_bridge_says_not_o1_minus_1_only_where_de_dd_is_o1_minus_1(
    query: str, claims: bool
) -> None:
    sentence = twin(f"{query}&panels=binary")["panels"]["binary"]["sentence"]
    assert ("is not O1 − 1 but its negative" in sentence) is claims, sentence
    assert "each other's negatives" in sentence or claims


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("logits=-4,4&target=0&loss=mse&start=-4,4&steps=50", "stalled"),
        ("logits=2,1&target=0.7,0.3&start=2,1&lr=10&steps=50", "oscillating"),
        ("logits=2,1&target=0&start=2,1&steps=20", "converging"),
    ],
)
def test_the_descents_behaviour_label_reads_its_loss(query: str, label: str) -> None:
    assert twin(query)["panels"]["descent"]["behaviour"] == label
