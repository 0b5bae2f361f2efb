"""Cross-entropy of softmax(Z/T) and its derivatives, with PyTorch's `F.cross_entropy` semantics.

Notation (as in DESIGN.md): Z logits (B×n), T temperature, O = softmax(Z/T), Y' the target
distribution after one-hot and label smoothing ε, w class weights, c = w·Y' the weighted target,
S = Σ c per row, and `norm` the reduction's divisor.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.core.softmax import Array, Softmax, softmax

Reduction = Literal["mean", "sum", "none"]
IGNORE_INDEX = -100  # PyTorch's default ignore_index


class CrossEntropy(NamedTuple):
    """Everything the loss E = reduce(−Σc·log O) and its derivatives are made of."""

    softmax: Softmax
    target: Array
    weighted_target: Array
    norm: float
    loss_terms: Array  # −c_i·log O_i / norm: each class's part of E
    row_loss: Array
    loss: float | Array  # NaN where 'mean' is 0/0 (every row ignored), as in PyTorch
    grad_logits: Array
    grad_probs: Array
    ignored: NDArray[np.bool_]  # rows whose class index is ignore_index: they contribute nothing
    # The class of a single row whose weighted target is plain one-hot (no smoothing, weights or
    # ignored row), else None: what lets the matrices be written by rows (chain_terms).
    hot: int | None = None


def is_class_index(target: NDArray[np.generic]) -> bool:
    """Tell class-index targets (one integer per row) from probability rows."""
    return target.ndim == 1


def ignored_rows(
    target: NDArray[np.generic], ignore_index: int = IGNORE_INDEX
) -> NDArray[np.bool_]:
    """Return which rows' class index is `ignore_index` (never a row of probabilities)."""
    if not is_class_index(target):
        return np.zeros(target.shape[0], dtype=bool)
    ignored: NDArray[np.bool_] = target == ignore_index
    return ignored


def smoothed_target(
    target: NDArray[np.generic],
    n: int,
    label_smoothing: float = 0.0,
    ignored: NDArray[np.bool_] | None = None,
) -> Array:
    """Return Y' = (1−ε)·Y + ε/n, reading class indices as one-hot rows; ignored rows are 0."""
    if ignored is not None and not ignored.any():
        ignored = None
    if is_class_index(target):
        B = target.shape[0]
        Y = np.zeros((B, n))
        if B == 1:
            if ignored is None:
                Y[0, int(target[0])] = 1.0
        else:
            ones = np.arange(0, B * n, n) + target
            Y.reshape(-1)[ones if ignored is None else ones[~ignored]] = 1.0
    else:
        Y = np.asarray(target, dtype=np.float64)
    if label_smoothing == 0.0:
        return Y
    Y = (1.0 - label_smoothing) * Y + label_smoothing / n
    if ignored is not None:
        Y[ignored] = 0.0
    return Y


def normaliser(
    target: NDArray[np.generic],
    weights: Array | None,
    reduction: Reduction,
    ignored: NDArray[np.bool_] | None = None,
) -> float:
    """Return what 'mean' divides by: the rows not ignored, or Σ w_y over them if weighted."""
    if reduction != "mean":
        return 1.0
    if weights is not None and is_class_index(target):
        kept = target if ignored is None else target[~ignored]
        return float(weights[kept].sum())
    return float(target.shape[0] - (0 if ignored is None else np.count_nonzero(ignored)))


def loss_terms(log_probs: Array, weighted_target: Array) -> Array:
    """Return −c_i·log O_i: each class's part of a row's loss."""
    terms: Array = -(weighted_target * log_probs)
    return terms


def row_losses(log_probs: Array, weighted_target: Array) -> Array:
    """Return −Σ_c c_c·log O_c for each row."""
    losses: Array = loss_terms(log_probs, weighted_target).sum(axis=-1)
    return losses


def cross_entropy(
    Z: Array,
    target: NDArray[np.generic],
    *,
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
    ignore_index: int = IGNORE_INDEX,
) -> CrossEntropy:
    """Compute E and dE/dZ, dE/dO for B×n logits and B class indices or B×n probabilities.

    Rows whose class index is `ignore_index` contribute nothing, and 'mean' divides by the
    (weighted) count of the others; if there are none, E is NaN and the gradients are 0, as
    PyTorch gives them.
    """
    sm = softmax(Z, temperature)
    n = Z.shape[1]
    if (
        Z.shape[0] == 1
        and n > 1
        and label_smoothing == 0.0
        and weights is None
        and is_class_index(target)
        and int(target[0]) != ignore_index
    ):
        return _one_hot_row(sm, int(target[0]), temperature, reduction)
    ignored = ignored_rows(target, ignore_index)
    Y = smoothed_target(target, n, label_smoothing, ignored)
    c = Y if weights is None else Y * weights
    norm = normaliser(target, weights, reduction, ignored)
    undefined = norm == 0.0  # 'mean' over no rows: 0/0
    if undefined:
        norm = 1.0  # every c is 0: the gradients are 0 whatever the divisor
    # Divide by the reduction's norm first: the weighted mean Σ w_y·l / Σ w_y then keeps its
    # precision when the weights are tiny (their products with a small loss would underflow).
    c_hat = c / norm if norm != 1.0 else c  # c/1 is c: the same bits, one pass less

    terms = loss_terms(sm.log_probs, c_hat)  # −c_i·log O_i / norm
    row_loss = np.add.reduce(terms, axis=-1)
    # One row's terms summed are its loss (a batch's: the sum over all terms, as PyTorch's)
    total = float(row_loss[0]) if Z.shape[0] == 1 else float(terms.sum())
    if norm != 1.0:
        row_loss *= norm
    loss: float | Array = row_loss if reduction == "none" else total
    if undefined:
        loss = float("nan")

    S = np.add.reduce(c_hat, axis=-1)
    grad = S[:, None] * sm.probs
    grad -= c_hat
    # S·O_top − c_top = (S − c_top) − S·(1 − O_top): both differences computed as sums of the
    # other classes, so the top component keeps its relative precision where O_top rounds to 1.
    if Z.shape[0] == 1:  # the same by scalar indices
        t = int(sm.top[0])
        others_row = c_hat[0].copy()
        others_row[t] = 0.0
        grad[0, t] = np.add.reduce(others_row) - S[0] * sm.complement[0]
    else:
        at_top = sm.at_top
        others = c_hat.copy()
        others.reshape(-1)[at_top] = 0.0
        grad.reshape(-1)[at_top] = np.add.reduce(others, axis=-1) - S * sm.complement
    if temperature != 1.0:
        grad /= temperature

    # −c/O overflows to −∞ where O is subnormal, as it is −∞ where O underflows to 0: JSON null.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad_probs = np.where(c == 0.0, 0.0, -c_hat / sm.probs)
    return CrossEntropy(sm, Y, c, norm, terms, row_loss, loss, grad, grad_probs, ignored)


def _one_hot_row(sm: Softmax, t: int, temperature: float, reduction: Reduction) -> CrossEntropy:
    """The same for one row and a plain class index t: c is one-hot and the divisor 1, so each
    of the general path's operations on a 0 or a 1 is written as what it gives (x·1 = x,
    x − 0 = x, a sum of zeros and one v is v + 0): the same bits in a third of the calls
    (tests/core/test_cross_entropy.py compares every field with the general path's)."""
    O = sm.probs
    n = O.shape[1]
    Y = np.zeros((1, n))
    Y[0, t] = 1.0
    terms = -(Y * sm.log_probs)
    loss = float(terms[0, t]) + 0.0  # the other terms are ±0: −0 + 0 is 0, as a sum gives
    row_loss = np.array([loss])
    grad = O.copy()
    row = grad[0]
    O_t = float(O[0, t])
    row[t] = O_t - 1.0
    top = int(sm.top[0])
    # the top component from the sum of the other classes' c: 1 if t is another class, else 0
    row[top] = (0.0 if t == top else 1.0) - float(sm.complement[0])
    if temperature != 1.0:
        grad /= temperature
    grad_probs = np.zeros((1, n))
    grad_probs[0, t] = -1.0 / O_t if O_t else -np.inf
    ignored = np.zeros(1, dtype=bool)
    result: float | Array = row_loss if reduction == "none" else loss
    return CrossEntropy(sm, Y, Y, 1.0, terms, row_loss, result, grad, grad_probs, ignored, t)


def chain_terms(ce: CrossEntropy, temperature: float = 1.0) -> Array:
    """Return chain[b, i, j] = dE/dO_i · dO_i/dZ_j = −c_i(δ_ij − O_j)/T/norm.

    The cancelled form stays finite where O_i underflows to 0 (there dE/dO_i is infinite).
    Summing over i gives dE/dZ_j.
    """
    if ce.hot is not None:
        return _one_hot_chain(ce, ce.hot, temperature)
    c = ce.weighted_target / ce.norm if ce.norm != 1.0 else ce.weighted_target  # as in E
    c = c + 0.0  # a target or weight written −0 counts as 0.0: no −0.0 in the matrix
    O = ce.softmax.probs
    B, n = O.shape
    chain = c[:, :, None] * O[:, None, :]  # c_i·O_j ≥ 0 off the diagonal
    one_minus = 1.0 - O
    at_top = ce.softmax.at_top
    one_minus.reshape(-1)[at_top] = ce.softmax.complement
    diagonal = c * one_minus
    if temperature != 1.0:
        chain /= temperature
        diagonal /= temperature
    # −c_i(1 − O_i)/T, and 0.0 rather than −0.0 where c_i is 0
    chain.reshape(B, n * n)[:, :: n + 1] = np.subtract(0.0, diagonal, out=diagonal)
    return chain


def _one_hot_chain(ce: CrossEntropy, t: int, temperature: float) -> Array:
    """The chain terms of one row with a plain class index t: only row t is not 0 (c_i = 0
    elsewhere), O_j/T off the diagonal and −(1 − O_t)/T on it; the same bits as the whole
    product, written by one row."""
    O = ce.softmax.probs[0]
    n = O.shape[0]
    chain = np.zeros((1, n, n))
    row = chain[0, t]
    at_top = t == int(ce.softmax.top[0])
    one_minus = float(ce.softmax.complement[0]) if at_top else 1.0 - float(O[t])
    if temperature != 1.0:
        np.divide(O, temperature, out=row)
        one_minus /= temperature
    else:
        row[:] = O
    row[t] = 0.0 - one_minus
    return chain
