"""Hypothesis strategies for logits and targets."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app.core import Array


@st.composite
def logits(draw: st.DrawFn, max_batch: int = 4, max_classes: int = 8, bound: float = 30.0) -> Array:
    """Draw B×n logits with n ≥ 2."""
    B = draw(st.integers(1, max_batch))
    n = draw(st.integers(2, max_classes))
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    return draw(arrays(np.float64, (B, n), elements=elements))


@st.composite
def probability_rows(draw: st.DrawFn, B: int, n: int) -> Array:
    """Draw B rows of n probabilities (some may be exactly 0)."""
    raw = draw(arrays(np.float64, (B, n), elements=st.floats(0.0, 1.0)))
    raw[:, 0] += 1e-3  # never an all-zero row
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def logits_and_target(draw: st.DrawFn, bound: float = 30.0) -> tuple[Array, np.ndarray]:
    """Draw logits with either class-index or probability targets."""
    Z = draw(logits(bound=bound))
    B, n = Z.shape
    if draw(st.booleans()):
        return Z, np.array(draw(st.lists(st.integers(0, n - 1), min_size=B, max_size=B)))
    return Z, draw(probability_rows(B, n))
