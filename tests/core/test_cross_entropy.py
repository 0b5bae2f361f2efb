"""Cross-entropy and its derivatives: DESIGN.md's identities as properties, and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import (
    Array,
    chain_terms,
    cross_entropy,
    finite_difference,
    jacobian,
    smoothed_target,
    softmax,
)
from tests.core.strategies import logits, logits_and_target

smoothing = st.sampled_from([0.0, 0.1, 0.5, 1.0])
reductions = st.sampled_from(["mean", "sum", "none"])


def _entropy(Y: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(Y > 0, Y * np.log(Y), 0.0).sum(axis=1)


@given(logits_and_target(), smoothing, reductions)
def test_gradient_sums_to_zero(case: tuple[Array, np.ndarray], eps: float, reduction: str) -> None:
    Z, target = case
    ce = cross_entropy(Z, target, label_smoothing=eps, reduction=reduction)  # type: ignore[arg-type]
    np.testing.assert_allclose(ce.grad_logits.sum(axis=1), 0.0, atol=1e-15 * Z.shape[1])


@given(logits_and_target(), smoothing, st.floats(0.2, 5.0))
def test_gradient_is_o_times_sum_y_minus_y(
    case: tuple[Array, np.ndarray], eps: float, T: float
) -> None:
    Z, target = case
    ce = cross_entropy(Z, target, temperature=T, label_smoothing=eps, reduction="sum")
    Y = smoothed_target(target, Z.shape[1], eps)
    expected = (ce.softmax.probs * Y.sum(axis=1, keepdims=True) - Y) / T
    np.testing.assert_allclose(ce.grad_logits, expected, rtol=1e-12, atol=1e-15)


@given(logits_and_target(), smoothing, st.floats(0.3, 3.0))
def test_gradient_matches_central_finite_differences(
    case: tuple[Array, np.ndarray], eps: float, T: float
) -> None:
    Z, target = case
    ce = cross_entropy(Z, target, temperature=T, label_smoothing=eps)
    fd = finite_difference(Z, ce, T)
    # Near a zero gradient the central difference's rounding noise, ~ε·E/h, sets the floor.
    np.testing.assert_allclose(fd.grad_logits, ce.grad_logits, rtol=1e-6, atol=1e-7)


@given(logits_and_target(), smoothing)
def test_chain_columns_sum_to_the_gradient(case: tuple[Array, np.ndarray], eps: float) -> None:
    Z, target = case
    ce = cross_entropy(Z, target, label_smoothing=eps, temperature=1.5)
    chain = chain_terms(ce, 1.5)
    np.testing.assert_allclose(chain.sum(axis=1), ce.grad_logits, rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(chain))


@given(logits_and_target(), smoothing)
def test_loss_is_at_least_the_target_entropy(case: tuple[Array, np.ndarray], eps: float) -> None:
    Z, target = case
    ce = cross_entropy(Z, target, label_smoothing=eps, reduction="none")
    assert np.all(ce.row_loss >= _entropy(ce.target) - 1e-12)


@given(logits(max_classes=6))
def test_loss_equals_entropy_when_o_equals_target(Z: Array) -> None:
    Y = np.exp(Z / 30.0)
    Y /= Y.sum(axis=1, keepdims=True)
    ce = cross_entropy(np.log(Y), Y, reduction="none")
    np.testing.assert_allclose(ce.row_loss, _entropy(Y), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ce.grad_logits, 0.0, atol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000])
def test_uniform_logits_with_one_hot_target_give_log_n(n: int) -> None:
    ce = cross_entropy(np.zeros((1, n)), np.array([n - 1]))
    assert ce.loss == pytest.approx(math.log(n), rel=1e-15, abs=0)


@given(logits_and_target(), st.floats(0.1, 10.0))
def test_temperature_scales_the_gradient(case: tuple[Array, np.ndarray], T: float) -> None:
    Z, target = case
    scaled = cross_entropy(Z * T, target, temperature=T)
    plain = cross_entropy(Z, target)
    np.testing.assert_allclose(scaled.grad_logits, plain.grad_logits / T, rtol=1e-9, atol=1e-14)


def test_the_seed_question() -> None:
    """Two neurons, Y1 = 1: dE/dZ2 = O2 = −(O1 − 1), not O1 − 1."""
    ce = cross_entropy(np.array([[2.0, 1.0]]), np.array([0]))
    O1, O2 = ce.softmax.probs[0]
    assert ce.grad_logits[0, 0] == pytest.approx(O1 - 1, rel=1e-15)
    assert ce.grad_logits[0, 1] == pytest.approx(O2, rel=1e-15)
    assert ce.grad_logits[0, 1] == pytest.approx(-(O1 - 1), rel=1e-15)


def test_index_targets_equal_one_hot_probabilities() -> None:
    Z = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]])
    w = np.array([1.0, 2.0, 0.5])
    by_index = cross_entropy(Z, np.array([2, 1]), weights=w, reduction="sum", label_smoothing=0.2)
    one_hot = cross_entropy(Z, np.eye(3)[[2, 1]], weights=w, reduction="sum", label_smoothing=0.2)
    np.testing.assert_allclose(by_index.loss, one_hot.loss, rtol=1e-15)
    np.testing.assert_allclose(by_index.grad_logits, one_hot.grad_logits, rtol=1e-15)


def test_weighted_mean_divides_by_target_weights_for_indices_only() -> None:
    Z = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]])
    w = np.array([1.0, 2.0, 0.5])
    by_index = cross_entropy(Z, np.array([2, 1]), weights=w)
    assert by_index.norm == 2.5
    assert by_index.loss == pytest.approx(by_index.row_loss.sum() / 2.5, rel=1e-15)
    by_probability = cross_entropy(Z, np.eye(3)[[2, 1]], weights=w)
    assert by_probability.norm == 2.0


def test_grad_probs_is_minus_infinity_where_o_underflows_under_a_target() -> None:
    ce = cross_entropy(np.array([[1e4, -1e4, 0.0]]), np.array([1]))
    assert ce.grad_probs[0, 1] == -np.inf
    assert ce.grad_probs[0, 0] == 0.0
    assert ce.loss == 2e4
    np.testing.assert_array_equal(ce.grad_logits, [[1.0, -1.0, 0.0]])
    np.testing.assert_array_equal(chain_terms(ce), [[[0, 0, 0], [1, -1, 0], [0, 0, 0]]])


@pytest.mark.parametrize(
    "Z",
    [[1e4, -1e4], [-1e4, 1e4, 0.0], [1e6, -1e6, 5.0], [0.0, 746.0, -746.0, 1492.0]],
)
@pytest.mark.parametrize("T", [1e-4, 1.0, 1e4])
def test_extreme_logits_give_finite_results(Z: list[float], T: float) -> None:
    Z_ = np.array([Z])
    for target in range(len(Z)):
        ce = cross_entropy(Z_, np.array([target]), temperature=T, label_smoothing=0.1)
        assert np.isfinite(ce.loss)
        assert np.all(np.isfinite(ce.grad_logits))
        assert np.all(np.isfinite(chain_terms(ce, T)))


def _bits(value: object) -> bytes:
    """Every bit of a result, the sign of a zero included (assert_array_equal ignores it)."""
    return np.asarray(value, dtype=np.float64).tobytes()


row_logits = st.lists(
    st.one_of(
        st.floats(-40.0, 40.0),
        st.floats(-1e6, 1e6),
        st.sampled_from([0.0, -0.0, 745.0, -745.0, 1e6, -1e6, 5e-324]),
    ),
    min_size=2,
    max_size=12,
)
temperatures = st.sampled_from([1e-4, 0.37, 1.0, 3.0, 1e4])


@given(row_logits, st.data(), temperatures, reductions)
def test_a_row_with_a_class_index_has_the_general_paths_bits(
    Z: list[float], data: st.DataObject, T: float, reduction: str
) -> None:
    # One row with a plain class index takes a shorter path (cross_entropy._one_hot_row and
    # the by-row chain); the general path reads the same row's one-hot probabilities.
    t = data.draw(st.integers(0, len(Z) - 1))
    Z_ = np.array([Z])
    fast = cross_entropy(Z_, np.array([t]), temperature=T, reduction=reduction)  # type: ignore[arg-type]
    general = cross_entropy(Z_, np.eye(len(Z))[[t]], temperature=T, reduction=reduction)  # type: ignore[arg-type]
    assert fast.hot == t
    assert general.hot is None
    for field in ("target", "weighted_target", "loss_terms", "row_loss", "loss", "grad_logits"):
        assert _bits(getattr(fast, field)) == _bits(getattr(general, field)), field
    assert _bits(fast.grad_probs) == _bits(general.grad_probs)
    assert fast.norm == general.norm
    assert _bits(chain_terms(fast, T)) == _bits(chain_terms(general, T))


@given(row_logits, temperatures)
def test_a_rows_jacobian_has_the_batch_paths_bits(Z: list[float], T: float) -> None:
    one = softmax(np.array([Z]), T)
    two = softmax(np.array([Z, Z]), T)  # a batch takes the general path, row by row alike
    assert _bits(one.probs[0]) == _bits(two.probs[0])
    assert _bits(jacobian(one, T)[0]) == _bits(jacobian(two, T)[0])
