"""One name for each loss dEdZ computes, and one place that dispatches on it.

Every face that evaluates a loss along a line, over a grid or down a descent goes through
`evaluate`, so that `loss=mse` means the same function everywhere: cross-entropy
(`app.core.cross_entropy`), squared error of the softmax outputs and binary cross-entropy of
independent sigmoids (`app.core.losses`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import IGNORE_INDEX, CrossEntropy, Reduction, chain_terms, cross_entropy
from app.core.losses import bce, bce_jacobian, diagonal_chain, mse, mse_chain
from app.core.softmax import Array, jacobian

LossName = Literal["cross_entropy", "mse", "bce"]
LOSSES: tuple[LossName, ...] = ("cross_entropy", "mse", "bce")


def evaluate(
    loss: LossName,
    Z: Array,
    target: NDArray[np.generic],
    *,
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
    ignore_index: int = IGNORE_INDEX,
) -> CrossEntropy:
    """Return the named loss and its derivatives for B×n logits (the arguments a loss does not
    take, smoothing for bce and weights for mse, are refused by the request's validation)."""
    if loss == "mse":
        return mse(
            Z, target, temperature=temperature, label_smoothing=label_smoothing, reduction=reduction
        )
    if loss == "bce":
        return bce(Z, target, temperature=temperature, weights=weights, reduction=reduction)
    return cross_entropy(
        Z,
        target,
        temperature=temperature,
        label_smoothing=label_smoothing,
        weights=weights,
        reduction=reduction,
        ignore_index=ignore_index,
    )


def output_jacobian(loss: LossName, ce: CrossEntropy, Z: Array, temperature: float) -> Array:
    """Return dO_i/dZ_j (B×n×n): the softmax's for cross-entropy and mse, σ′/T on the diagonal
    for bce."""
    if loss == "bce":
        return bce_jacobian(Z, temperature)
    return jacobian(ce.softmax, temperature)


def chain_of(loss: LossName, ce: CrossEntropy, J: Array | None, temperature: float) -> Array:
    """Return chain[b, i, j] = dE/dO_i · dO_i/dZ_j, whose columns sum to dE/dZ_j."""
    if loss == "mse":
        assert J is not None
        return mse_chain(ce, J)
    if loss == "bce":
        return diagonal_chain(ce)
    return chain_terms(ce, temperature)


def per_row(ce: CrossEntropy) -> Array:
    """Return each row's loss as its own one-row problem of the same reduction's divisor:
    cross-entropy's row loss, or the sum of an elementwise loss's row."""
    rows: Array = ce.row_loss if ce.row_loss.ndim == 1 else ce.row_loss.sum(axis=1)
    return rows


def one_loss(ce: CrossEntropy) -> float:
    """Return a single row's E as one number: the reduced loss, or for 'none' the sum of the
    row's losses (one for cross-entropy, n elementwise for mse and bce), whose gradient
    `grad_logits` is."""
    return float(np.sum(ce.loss))
