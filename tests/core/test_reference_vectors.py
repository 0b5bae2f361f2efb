"""Published reference values, with their sources."""

from __future__ import annotations

import numpy as np
import pytest

from app.core import cross_entropy


@pytest.mark.parametrize(
    ("Z", "Y", "E"),
    [
        # optax, optax/losses/_classification_test.py (SoftmaxCrossEntropyTest): the expected
        # values are given there to 5-8 significant digits.
        ([10.0, 1.0, -2.0], [0.0, 1.0, 0.0], 9.00013),
        ([1.0, 4.0, 0.2], [1.0, 0.0, 0.0], 3.0696733),
    ],
)
def test_optax_softmax_cross_entropy(Z: list[float], Y: list[float], E: float) -> None:
    ce = cross_entropy(np.array([Z]), np.array([Y]))
    assert ce.loss == pytest.approx(E, rel=1e-6)


def test_textbook_two_class_values() -> None:
    """Z = (2, 1): O1 = 1/(1 + e⁻¹) = 0.7310585786300049 (logistic function at 1)."""
    ce = cross_entropy(np.array([[2.0, 1.0]]), np.array([0]))
    assert ce.softmax.probs[0, 0] == pytest.approx(0.7310585786300049, rel=1e-15)
    assert ce.loss == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-15)
