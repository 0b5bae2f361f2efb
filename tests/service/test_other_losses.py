"""The API's other losses, `mse` and `bce`, against PyTorch (golden vectors recorded by
scripts/golden_pytorch.py --other-losses, with provenance) and against their definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

GOLDEN = json.loads((Path(__file__).parent / "golden" / "pytorch_other_losses.json").read_text())


def test_provenance_is_recorded() -> None:
    assert GOLDEN["provenance"]["torch"].startswith("2.")
    assert "mse_loss" in GOLDEN["provenance"]["semantics"]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_api_matches_pytorch(client: TestClient, case: dict[str, Any]) -> None:
    request = {k: v for k, v in case["request"].items() if v is not None}
    response = client.post("/gradient", json={**request, "include": ["jacobian", "chain"]})
    assert response.status_code == 200, response.text
    got = response.json()
    for key, want in case["expected"].items():
        np.testing.assert_allclose(got[key], want, rtol=1e-12, atol=1e-15, err_msg=key)
    chain = np.array(got["chain"])
    np.testing.assert_allclose(chain.sum(axis=-2), got["grad_logits"], rtol=1e-12, atol=1e-15)


def test_confidently_wrong_learns_slowest_under_squared_error(client: TestClient) -> None:
    state = {"logits": [-4, 4], "target": 0}
    ce = client.post("/gradient", json=state).json()["grad_logits"]
    mse = client.post("/gradient", json={**state, "loss": "mse", "reduction": "sum"}).json()
    mean = client.post("/gradient", json={**state, "loss": "mse"}).json()["grad_logits"]
    np.testing.assert_allclose(ce, [-0.99966, 0.99966], atol=5e-6)
    np.testing.assert_allclose(mse["grad_logits"], [-0.00134, 0.00134], atol=5e-6)
    np.testing.assert_allclose(mean, [-0.00067, 0.00067], atol=5e-6)
    assert 740 < ce[1] / mse["grad_logits"][1] < 750


def test_bce_s_jacobian_is_diagonal_and_its_targets_need_not_sum_to_one(client: TestClient) -> None:
    body = {"logits": [2, -1, 0.5], "target": [1, 1, 0], "loss": "bce"}
    got = client.post("/gradient", json=body).json()
    J = np.array(got["jacobian"])
    assert np.count_nonzero(J - np.diag(np.diag(J))) == 0
    sigma = 1 / (1 + np.exp(-np.array([2, -1, 0.5])))
    np.testing.assert_allclose(got["probs"], sigma, rtol=1e-15)
    np.testing.assert_allclose(np.diag(J), sigma * (1 - sigma), rtol=1e-12)
    np.testing.assert_allclose(got["grad_logits"], (sigma - [1, 1, 0]) / 3, rtol=1e-12)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"loss": "mse", "weights": [1, 2]}, "weights", "not for loss 'mse'"),
        ({"loss": "bce", "label_smoothing": 0.1}, "label_smoothing", "not for loss 'bce'"),
        ({"loss": "bce", "include": ["check"]}, "include", "check is for loss 'cross_entropy'"),
        ({"loss": "mse", "ignore_index": 1}, "ignore_index", "loss 'cross_entropy' only"),
        ({"loss": "huber"}, "loss", "must be one of 'cross_entropy', 'mse' or 'bce'"),
        ({"loss": "mse", "target": -100}, "target", "class index must be a whole number in 0..1"),
        ({"loss": "bce", "target": [1.5, 0]}, "target", "must be between 0 and 1, got 1.5"),
    ],
)
def test_combinations_a_loss_does_not_take_are_refused(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post("/gradient", json={"logits": [2, 1], "target": 0, **body})
    assert response.status_code == 422
    assert words in response.text, response.text
    assert field in response.text


def test_get_takes_the_loss_and_its_etag_differs(client: TestClient) -> None:
    one = client.get("/gradient?logits=2,1&target=0&loss=mse")
    assert one.status_code == 200
    other = client.get("/gradient?logits=2,1&target=0")
    assert one.headers["etag"] != other.headers["etag"]
    assert one.json()["loss"] != other.json()["loss"]


def test_k_dimensional_logits_are_for_cross_entropy(client: TestClient) -> None:
    body = {"logits": [[[1.0, 2.0], [0.5, 0.1]]], "target": [[0, 1]], "loss": "mse"}
    response = client.post("/gradient", json=body)
    assert response.status_code == 422
    assert "one row or a batch" in response.text


rows = st.lists(st.floats(-30, 30, allow_nan=False), min_size=2, max_size=6)


@given(rows, st.data(), st.sampled_from(["mse", "bce"]), st.sampled_from(["mean", "sum"]))
def test_property_the_gradient_is_the_chain_rule_through_the_outputs(
    values: list[float], data: st.DataObject, loss: str, reduction: str
) -> None:
    from app.core.losses import bce, bce_jacobian, mse
    from app.core.softmax import jacobian

    Z = np.array([values])
    y = np.array([data.draw(st.integers(0, Z.shape[1] - 1))])
    T = data.draw(st.sampled_from([1.0, 0.5, 4.0]))
    if loss == "mse":
        ce = mse(Z, y, temperature=T, reduction=reduction)  # type: ignore[arg-type]
        J = jacobian(ce.softmax, T)
    else:
        ce = bce(Z, y, temperature=T, reduction=reduction)  # type: ignore[arg-type]
        J = bce_jacobian(Z, T)
    # dE/dZ = Jᵀ·dE/dO, to rounding; and E is its definition.
    np.testing.assert_allclose(ce.grad_logits[0], J[0].T @ ce.grad_probs[0], rtol=1e-9, atol=1e-14)
    Y = np.eye(Z.shape[1])[y[0]]
    O = ce.softmax.probs[0]
    if loss == "mse":
        expected = ((O - Y) ** 2).sum() / (Z.size if reduction == "mean" else 1)
    else:
        x = Z[0] / T
        expected = (np.logaddexp(0, x) - Y * x).sum() / (Z.size if reduction == "mean" else 1)
    # The plain formulas here lose digits the core keeps (softplus(x) − x cancels for large x,
    # to about ε·|x| a term): the golden test holds 1e-12 against PyTorch.
    slack = 8 * np.finfo(float).eps * float(np.abs(Z / T).sum() + Z.size)
    np.testing.assert_allclose(ce.loss, expected, rtol=1e-9, atol=slack)


def test_tied_outputs_get_the_same_mse_gradient_to_their_last_digits(client: TestClient) -> None:
    """Reference: the pairwise form O_j·Σ_i O_i·(g_j − g_i)·2/N, exact here (mpmath-checked:
    1.4465623859729e-22 for the tied pair)."""
    got = client.get("/gradient?logits=0,0,-50&target=2&loss=mse&reduction=sum").json()
    g = got["grad_logits"]
    assert g[0] == g[1]
    np.testing.assert_allclose(g[0], 1.4465623859729e-22, rtol=1e-12)
    # The chain's terms are ±0.25 here: their column sums meet dE/dZ to those terms' rounding.
    chain = np.array(got["chain"])
    np.testing.assert_allclose(chain.sum(axis=0), g, atol=1e-15 * np.abs(chain).max())


def test_bce_s_grad_probs_is_0_where_a_class_weighs_0(client: TestClient) -> None:
    got = client.get("/gradient?logits=800,1&target=0.5,0.5&loss=bce&weights=0,1").json()
    assert got["grad_probs"][0] == 0.0
