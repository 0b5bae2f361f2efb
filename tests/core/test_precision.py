"""Precision beyond PyTorch: every representable component keeps its relative precision.

The reference is the plain formula (no cancellation tricks) in 340-digit arithmetic (mpmath):
enough digits that 1 − O_top is exact down to the smallest normal float64, 1e-308.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import cross_entropy

mpmath.mp.dps = 340


def exact(Z: list[float], y: int) -> tuple[mpmath.mpf, list[mpmath.mpf]]:
    """Return E and dE/dZ = O − onehot(y) for one row, in 340-digit arithmetic."""
    z = [mpmath.mpf(v) for v in Z]
    m = max(z)
    s = mpmath.fsum(mpmath.exp(v - m) for v in z)
    O = [mpmath.exp(v - m) / s for v in z]
    loss = -(z[y] - m - mpmath.log(s))
    return loss, [O[j] - (1 if j == y else 0) for j in range(len(z))]


def assert_relatively_exact(Z: list[float], y: int, rtol: float = 1e-14) -> None:
    ce = cross_entropy(np.array([Z]), np.array([y]))
    loss, grad = exact(Z, y)
    assert float(ce.loss) == pytest.approx(float(loss), rel=rtol, abs=0)
    for got, want in zip(ce.grad_logits[0], grad, strict=True):
        if abs(want) > 1e-300:  # below that, float64 keeps no relative precision to check
            assert float(got) == pytest.approx(float(want), rel=rtol, abs=0)


def test_top_probability_rounding_to_one_keeps_the_loss_and_gradient() -> None:
    """PyTorch returns E = 0 and dE/dZ = (0, 0) here."""
    ce = cross_entropy(np.array([[37.43, 0.0]]), np.array([0]))
    assert ce.softmax.probs[0, 0] == 1.0
    assert ce.loss == pytest.approx(5.5508e-17, rel=1e-4)
    assert ce.grad_logits[0, 0] == pytest.approx(-5.5508e-17, rel=1e-4)
    assert ce.grad_logits[0, 1] == pytest.approx(5.5508e-17, rel=1e-4)
    assert_relatively_exact([37.43, 0.0], 0)


def test_tiny_gradient_of_the_target_class_is_not_zero() -> None:
    ce = cross_entropy(np.array([[123.0, 456.0, 789.0]]), np.array([2]))
    assert ce.grad_logits[0, 2] == pytest.approx(-2.3985e-145, rel=1e-4)
    assert_relatively_exact([123.0, 456.0, 789.0], 2)


@pytest.mark.parametrize(
    ("Z", "y"),
    [
        ([2.0, 1.0], 0),
        ([2.0, 1.0], 1),
        ([50.0, 0.0, -3.0], 0),
        ([700.0, 0.0], 0),
        ([0.0, 0.0, 0.0, 40.0], 3),
        ([-5.0, 30.0, 29.0], 2),
    ],
)
def test_representative_rows_are_relatively_exact(Z: list[float], y: int) -> None:
    assert_relatively_exact(Z, y)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-300, 300, allow_nan=False), min_size=2, max_size=6),
    st.integers(0, 5),
)
def test_random_rows_are_relatively_exact(Z: list[float], y: int) -> None:
    assert_relatively_exact(Z, y % len(Z), rtol=1e-13)
