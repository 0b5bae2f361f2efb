"""The maths of dEdZ: numpy only, no web imports; pure functions over float64 arrays."""

from app.core.cross_entropy import (
    IGNORE_INDEX,
    CrossEntropy,
    Reduction,
    chain_terms,
    cross_entropy,
    ignored_rows,
    is_class_index,
    normaliser,
    row_losses,
    smoothed_target,
)
from app.core.finite_difference import RELATIVE_STEP, FiniteDifference, finite_difference
from app.core.softmax import Array, Softmax, jacobian, softmax, top_indices

__all__ = [
    "IGNORE_INDEX",
    "RELATIVE_STEP",
    "Array",
    "CrossEntropy",
    "FiniteDifference",
    "Reduction",
    "Softmax",
    "chain_terms",
    "cross_entropy",
    "finite_difference",
    "ignored_rows",
    "is_class_index",
    "jacobian",
    "normaliser",
    "row_losses",
    "smoothed_target",
    "softmax",
    "top_indices",
]
