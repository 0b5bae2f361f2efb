"""Softmax and its Jacobian: identities that hold for any logits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import Array, jacobian, softmax
from tests.core.strategies import logits


@given(logits(bound=700.0), st.floats(0.05, 20.0))
def test_probabilities_sum_to_one(Z: Array, T: float) -> None:
    sm = softmax(Z, T)
    assert np.all(sm.probs >= 0.0)
    np.testing.assert_allclose(sm.probs.sum(axis=1), 1.0, rtol=0, atol=4e-16 * Z.shape[1])


@given(logits(), st.integers(-100, 100))
def test_softmax_is_shift_invariant(Z: Array, c: int) -> None:
    np.testing.assert_allclose(softmax(Z + c).probs, softmax(Z).probs, rtol=1e-12, atol=1e-300)


@given(logits(bound=700.0))
def test_log_probs_match_probs(Z: Array) -> None:
    sm = softmax(Z)
    visible = sm.probs > 1e-300
    np.testing.assert_allclose(np.exp(sm.log_probs[visible]), sm.probs[visible], rtol=1e-13)
    assert np.all(np.isfinite(sm.log_probs))


@given(logits())
def test_complement_is_one_minus_top(Z: Array) -> None:
    sm = softmax(Z)
    rows = np.arange(Z.shape[0])
    np.testing.assert_allclose(sm.complement, 1.0 - sm.probs[rows, sm.top], atol=2e-16)


@given(logits(), st.floats(0.1, 10.0))
def test_jacobian_is_symmetric_psd_with_zero_sums(Z: Array, T: float) -> None:
    J = jacobian(softmax(Z, T), T)
    np.testing.assert_allclose(J, np.swapaxes(J, 1, 2), atol=0)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15 / T)
    np.testing.assert_allclose(J.sum(axis=2), 0.0, atol=1e-15 / T)
    assert np.linalg.eigvalsh(J).min() >= -1e-15 / T


@given(logits(bound=800.0), st.sampled_from([1e-4, 0.3, 1.0, 7.0, 1e4]))
def test_jacobian_off_diagonal_is_exactly_zero_minus_the_product(Z: Array, T: float) -> None:
    """Off the diagonal, J holds 0 − O_i·O_j/T bit for bit: a 0 is +0.0, never −0.0, also where
    the product underflows (logits 800 apart, T = 1e4)."""
    sm = softmax(Z, T)
    J = jacobian(sm, T)
    O = sm.probs
    expected = O[:, :, None] * O[:, None, :]
    if T != 1.0:
        expected /= T
    expected = 0.0 - expected
    off = ~np.eye(Z.shape[1], dtype=bool)
    assert np.array_equal(J[:, off], expected[:, off])
    assert not np.signbit(J[:, off][J[:, off] == 0.0]).any()


CASES = [([0.0, -800.0], 1.0), ([0.0, -391.0, -391.0], 1.0), ([0.0, -745.0], 1e-4)]
LARGE = [([0.0] + [z] * 199, T) for z, T in ((-800.0, 1.0), (-391.0, 1.0), (-0.1, 1e4))]


@pytest.mark.parametrize(("Z", "T"), CASES + LARGE)  # small and large J are made differently
def test_jacobian_off_diagonal_is_exact_for_large_and_small_j(Z: list[float], T: float) -> None:
    sm = softmax(np.array([Z, Z[::-1]]), T)
    O = sm.probs
    expected = (
        0.0 - O[:, :, None] * O[:, None, :] / T if T != 1.0 else 0.0 - O[:, :, None] * O[:, None, :]
    )
    off = ~np.eye(len(Z), dtype=bool)
    for J in (jacobian(sm, T), jacobian(softmax(np.array([Z]), T), T)):
        assert np.array_equal(J[:, off], expected[: len(J), off])
        assert not np.signbit(J[:, off][J[:, off] == 0.0]).any()


def test_jacobian_has_no_negative_zeros_where_products_underflow() -> None:
    for Z, T in CASES + LARGE[:2]:
        J = jacobian(softmax(np.array([Z]), T), T)
        assert (J == 0.0).any()
        assert not np.signbit(J[J == 0.0]).any()


def test_jacobian_equals_finite_differences_of_softmax() -> None:
    Z = np.array([[0.3, -1.2, 2.0, 0.0]])
    T, h = 1.7, 1e-6
    J = jacobian(softmax(Z, T), T)[0]
    for j in range(Z.shape[1]):
        e = np.zeros_like(Z)
        e[0, j] = h
        column = (softmax(Z + e, T).probs - softmax(Z - e, T).probs)[0] / (2 * h)
        np.testing.assert_allclose(J[:, j], column, rtol=1e-8, atol=1e-11)


def test_ties_at_the_maximum() -> None:
    sm = softmax(np.array([[1.0, 1.0, 1.0]]))
    np.testing.assert_array_equal(sm.probs, [[1 / 3, 1 / 3, 1 / 3]])
    assert sm.complement[0] == pytest.approx(2 / 3, rel=1e-15)


def test_extreme_logits_underflow_to_zero_but_log_stays_exact() -> None:
    sm = softmax(np.array([[1e4, -1e4, 0.0]]))
    np.testing.assert_array_equal(sm.probs, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(sm.log_probs, [[0.0, -2e4, -1e4]])
