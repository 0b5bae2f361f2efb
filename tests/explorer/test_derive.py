"""The faded derivation: each step's check and hint on a table of right and wrong answers
(the slips a student makes), its numbers against plain numpy written here, fading, and the
links it offers once every blank is right."""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.main import create_app

CLIENT = TestClient(create_app())
SEED = "logits=2,1&target=0"  # O = (0.731, 0.269); j = 2 (index 1)
THREE = "logits=2,1,0.5&target=0"  # O = (0.629, 0.231, 0.140)


def panel(query: str) -> dict[str, Any]:
    response = CLIENT.get(f"/explorer.json?{query}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["panels"]["derive"]
    return data


def step(query: str, number: int) -> dict[str, Any]:
    found: dict[str, Any] = panel(query)["steps"][number - 1]
    return found


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize(
    ("state", "answer", "right", "hint"),
    [
        # step 1: the choice
        (SEED, "a1=sum", True, ""),
        (SEED, "a1=only", False, "diagonal-only model"),
        (SEED, "a1=product", False, "does not multiply"),
        # step 2: dE/dO_i = −c_i/O_i = (−1.368, 0)
        (SEED, "a2=-1.368,0", True, ""),
        (SEED, "a2=−1.37,0", True, ""),  # the page's own minus, 0.005 off
        (SEED, "a2=-1,0", False, "divides by O1"),  # −c_i: forgot the 1/O_i
        (SEED, "a2=1.368,0", False, "The sign"),
        (SEED, "a2=-1.368,-3.72", False, "c2 = 0 (its target is 0)"),
        # step 3: dO_i/dZ_2 = O_i(δ_i2 − O_2) = (−0.197, 0.197)
        (SEED, "a3=-0.197,0.197", True, ""),
        (THREE, "a3=0.2331,0.1778,-0.0324", False, "the off-diagonal entry is −O1·O2 = −0.145"),
        (SEED, "a3=-0.197,-0.0723", False, "δ(2,2) = 1 on the diagonal"),
        (SEED, "a3=0.197,-0.197", False, "The sign"),
        ("logits=2,1&target=0&temperature=2", "a3=-0.235,0.235", False, "Divide by T = 2"),
        # step 4: term_i = −c_i(δ_i2 − O_2) = (0.269, 0)
        (SEED, "a4=0.269,0", True, ""),
        (SEED, "a4=-1.368,0", False, "That is dE/dO1 alone"),
        (SEED, "a4=-0.197,0", False, "That is dO1/dZ2 alone"),
        # step 5: dE/dZ_2 = 0.269
        (SEED, "a5=0.269", True, ""),
        (SEED, "a5=0.27", True, ""),  # within 0.005
        (SEED, "a5=-0.269", False, "the correct class's gradient copied"),  # O_1 − 1
        (THREE, "a5=0", False, "the direct term only"),  # c_2 = 0: only i = 2 is 0
        ("logits=2,1&target=0&reduction=sum&weights=2,1", "a5=0.269", False, "the raw target"),
        ("logits=2,1,0&target=0.5,0.5,0&reduction=mean", "a5=abc", False, "not a number"),
    ],
)
def test_each_step_checks_the_answer_and_names_the_slip(
    state: str, answer: str, right: bool, hint: str
) -> None:
    number = int(answer[1])
    checked = step(f"{state}&mode=derive&fade=5&{answer}", number)
    assert checked["right"] is right, checked
    hints = " ".join([checked["hint"], *(e["hint"] for e in checked["entries"])])
    assert hint in hints, hints


def test_a_mean_over_a_batch_hint_says_divide_by_n() -> None:
    # weights 2,1 with a class index: 'mean' divides by w_y = 2
    checked = step("logits=2,1&target=0&weights=2,1&mode=derive&fade=1&a5=0.538", 5)
    assert checked["right"] is False
    assert "Divide by N = 2" in checked["entries"][0]["hint"]


@given(
    z=st.lists(st.floats(-8, 8), min_size=2, max_size=6),
    t=st.sampled_from([0.5, 1.0, 3.0]),
    j=st.integers(0, 5),
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_steps_are_the_textbooks_in_plain_numpy(z: list[float], t: float, j: int) -> None:
    j = j % len(z)
    logits = ",".join(repr(v) for v in z)
    data = panel(f"logits={logits}&target=0&temperature={t!r}&j={j}&mode=derive&fade=0")
    o = _softmax(np.array(z) / t)
    c = np.zeros(len(z))
    c[0] = 1.0
    delta = np.eye(len(z))[j]
    shifted = delta - o[j]
    shifted[j] = np.delete(o, j).sum()  # 1 − O_j without cancelling where O_j is near 1
    values = [[e["truth"] for e in s["entries"]] for s in data["steps"][1:]]
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(values[0], np.where(c == 0, 0.0, -c / o), rtol=1e-9)
    np.testing.assert_allclose(values[1], o * shifted / t, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(values[2], -c * shifted / t, rtol=1e-9, atol=1e-300)
    grad = CLIENT.get(f"/gradient?logits={logits}&target=0&temperature={t!r}").json()
    assert values[3][0] == grad["grad_logits"][j]  # step 5 is /gradient's, to the bit
    assert sum(values[2]) == pytest.approx(values[3][0], rel=1e-9, abs=1e-15)


def test_fade_blanks_the_last_k_steps_and_zero_is_the_worked_example() -> None:
    for fade in range(6):
        steps = panel(f"{SEED}&mode=derive&fade={fade}")["steps"]
        assert [s["blank"] for s in steps] == [k >= 5 - fade for k in range(5)]
    html_ = CLIENT.get(f"/?{SEED}&mode=derive&fade=0").text
    assert "explain to yourself why step 4 has no 1/O" in html_
    assert "Check my steps" not in html_
    assert 'id="panel-grad"' not in CLIENT.get(f"/?{SEED}&mode=derive").text  # the answer


def test_all_right_offers_one_more_fade_and_new_numbers() -> None:
    page = CLIENT.get(f"/?{SEED}&mode=derive&a4=0.269,0&a5=0.269").text
    assert 'id="derive-solved">Every step right' in page
    more = re.search(r'href="([^"]*)"[^>]*>Fade one more step', page)
    assert more is not None
    assert "fade=3" in html.unescape(more.group(1))
    other = re.search(r'href="([^"]*)"[^>]*>Same steps, new numbers', page)
    assert other is not None
    link = html.unescape(other.group(1))
    assert "seed=1" in link
    assert "logits=2,1&" not in link  # new numbers
    assert CLIENT.get(link).status_code == 200
    wrong = CLIENT.get(f"/?{SEED}&mode=derive&a4=0.269,0&a5=0.3").text
    assert "Fade one more step" not in wrong


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"{SEED}&mode=derive&fade=9", "fade"),
        (f"{SEED}&fade=2", "mode"),
        (f"{SEED}&a2=1,2", "mode"),
        (f"{SEED}&mode=derive&a2=1,2,3", "a2"),
        (f"{SEED}&mode=derive&loss=mse", "loss"),
    ],
)
def test_bad_derivation_parameters_are_named(query: str, field: str) -> None:
    response = CLIENT.get(f"/explorer.json?{query}")
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_without_javascript_the_form_submits_the_blanks_as_typed() -> None:
    page = CLIENT.get(f"/?{SEED}&mode=derive&fade=1").text
    form = re.search(
        r'<form class="derive-form" action="([^"]*)" method="get"(.*?)</form>', page, re.S
    )
    assert form is not None
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert hidden["mode"] == "derive"
    assert hidden["fade"] == "1"
    fields = re.findall(r'name="(a\d)"', form.group(2))
    assert fields == ["a5"]
    response = CLIENT.get(form.group(1), params={**hidden, "a5": "0.269"})
    assert 'id="derive-solved"' in response.text


def test_a_mean_that_divides_by_n_is_in_steps_2_and_4_as_in_the_chain_rule_panel() -> None:
    """With weights 2,1,1 and class 0, 'mean' divides by N = 2: dE/dO1 is −c1/(N·O1), the
    chain-rule panel's and /gradient's."""
    query = "logits=2,1,0.5&target=0&weights=2,1,1"
    api = CLIENT.get(f"/gradient?{query}&include=chain").json()
    steps = panel(f"{query}&mode=derive&fade=0")["steps"]
    assert [e["truth"] for e in steps[1]["entries"]] == pytest.approx(api["grad_probs"])
    assert [e["truth"] for e in steps[3]["entries"]] == pytest.approx([r[1] for r in api["chain"]])
    slip = step(f"{query}&mode=derive&fade=4&a2=-3.182,0,0", 2)  # the 1/N left out
    assert "Divide by N = 2" in slip["entries"][0]["hint"]


@pytest.mark.parametrize(
    ("answer", "right"),
    [("0.0305", False), ("0.0345", False), ("0.0316", True), ("-0.0315", False)],
)
def test_small_values_need_their_own_digits_and_sign(answer: str, right: bool) -> None:
    """dE/dZ2 = 0.03154 here: 0.005 would be a sixth of it."""
    query = "logits=3.8,0.4,0.1&target=2&mode=derive&fade=1"
    assert step(f"{query}&a5={answer}", 5)["right"] is right


def test_a_half_filled_step_says_what_is_missing() -> None:
    checked = step(f"{SEED}&mode=derive&fade=3&a3=-0.197", 3)
    assert checked["right"] is False
    assert checked["hint"] == "Fill in every class's value."


def test_the_blank_first_step_does_not_show_its_answer() -> None:
    page = CLIENT.get(f"/?{SEED}&mode=derive&fade=5").text
    first = page.split('id="step-1"', 1)[1].split("</li>", 1)[0]
    assert "∑" not in first


def test_the_steps_warn_of_nothing_where_a_probability_underflows() -> None:
    """O2 = 0 exactly (Z2 = −800) and its target 0: dE/dO2 is 0, not a 0/0 warning."""
    import warnings

    from app.core import cross_entropy
    from app.core.derivation import steps

    ce = cross_entropy(np.array([[0.0, -800.0, 3.0]]), np.array([2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = steps(ce, 1, 1.0)
    assert s.grad_probs[1] == 0.0
