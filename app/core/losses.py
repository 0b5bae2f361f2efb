"""Two other losses on the same logits, for comparison with cross-entropy: squared error of the
softmax outputs and binary cross-entropy of independent sigmoids, with PyTorch's semantics.

- `mse`: E = F.mse_loss(softmax(Z/T), Y′, reduction): (O − Y′)² summed, averaged over all B·n
  entries for 'mean', or elementwise for 'none' (B×n), with Y′ the one-hot or probability
  target after label smoothing, as for cross-entropy. dE/dO = 2(O − Y′)/N and dE/dZ = Jᵀ·dE/dO:
  no cancellation of the 1/O (there is none), which is why it learns slowly where it is most
  wrong.
- `bce`: E = F.binary_cross_entropy_with_logits(Z/T, Y, weight=w, reduction): per entry
  w·(softplus(x) − Y·x) with x = Z/T, averaged over all B·n entries for 'mean'. Each output
  σ(x_j) depends on its own logit only: the Jacobian is diagonal.

Both return a `CrossEntropy` (the same fields: `softmax.probs` holds O or σ, `softmax.log_probs`
log O or log σ), so that every face serialises them alike; `row_loss` is then the elementwise
loss (B×n) and `loss_terms` its entries divided by the reduction's N.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import CrossEntropy, Reduction, smoothed_target
from app.core.softmax import Array, Softmax, softmax, top_indices


def _norm(shape: tuple[int, ...], reduction: Reduction) -> float:
    """'mean' averages over every entry (B·n), as PyTorch's elementwise losses do."""
    return float(shape[0] * shape[1]) if reduction == "mean" else 1.0


def _reduced(terms: Array, norm: float, reduction: Reduction) -> float | Array:
    if reduction == "none":
        elementwise: Array = terms * norm
        return elementwise
    return float(terms.sum())


def mse(
    Z: Array,
    target: NDArray[np.generic],
    *,
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    reduction: Reduction = "mean",
) -> CrossEntropy:
    """Return F.mse_loss(softmax(Z/T), Y′) and its derivatives for B×n logits."""
    sm = softmax(Z, temperature)
    O = sm.probs
    n = Z.shape[1]
    Y = smoothed_target(target, n, label_smoothing)
    diff = O - Y
    # O_top − Y_top = (1 − Y_top) − (1 − O_top): exact where both are near 1 (a target there).
    # Elsewhere O − Y as it is, so that tied outputs keep bit-equal differences.
    flat = diff.reshape(-1)
    near = Y.reshape(-1)[sm.at_top] >= 0.5
    flat[sm.at_top[near]] = (1.0 - Y.reshape(-1)[sm.at_top[near]]) - sm.complement[near]
    norm = _norm(Z.shape, reduction)
    element = diff * diff  # each entry's loss as 'none' returns it, to the last bit
    terms = element / norm
    grad_probs = 2.0 * diff / norm
    grad = _through_softmax(O, grad_probs)
    if temperature != 1.0:
        grad /= temperature
    return CrossEntropy(
        sm,
        Y,
        Y,
        norm,
        terms,
        element,
        _reduced(terms, norm, reduction),
        grad,
        grad_probs,
        np.zeros(Z.shape[0], dtype=bool),
    )


# Rows up to this many entries n² go through the pairwise form (exact for ties); larger ones the
# O(n) form (the top class summed over the others).
PAIRWISE = 1_000_000


def _through_softmax(O: Array, g: Array) -> Array:
    """Return dE/dZ_j = O_j·Σ_i O_i·(g_j − g_i) (T = 1) for dE/dO = g.

    Pairwise, the differences g_j − g_i are exactly 0 for tied outputs, and nothing cancels
    between a large Σ O_i g_i and g_j: the gradient of tied classes is the same, and tiny
    components keep their digits. Past PAIRWISE entries the O(n) form g_j − Σ O_i g_i is used,
    with the top class as Σ_{i≠top} O_i (g_top − g_i).
    """
    B, n = O.shape
    if B * n * n <= PAIRWISE:
        pairs = g[:, :, None] - g[:, None, :]  # [b, j, i] = g_j − g_i
        grad: Array = O * np.einsum("bji,bi->bj", pairs, O)
        return grad + 0.0
    s = np.add.reduce(O * g, axis=-1)
    grad = O * (g - s[:, None])
    top = O.argmax(axis=-1)
    at_top = top_indices(top, n)
    others = O * (g.reshape(-1)[at_top][:, None] - g)
    others.reshape(-1)[at_top] = 0.0
    grad.reshape(-1)[at_top] = O.reshape(-1)[at_top] * np.add.reduce(others, axis=-1)
    return grad + 0.0


def _log_sigmoid(x: Array) -> Array:
    """log σ(x) = −softplus(−x), without overflow or loss of digits on either side."""
    out: Array = np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))
    return out


def bce(
    Z: Array,
    target: NDArray[np.generic],
    *,
    temperature: float = 1.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
) -> CrossEntropy:
    """Return F.binary_cross_entropy_with_logits(Z/T, Y, weight=w) and its derivatives."""
    x = Z / temperature if temperature != 1.0 else Z
    n = Z.shape[1]
    Y = smoothed_target(target, n)  # one-hot rows, or the probabilities as given
    sigma, sigma_neg = sigmoids(x)
    e = np.exp(-np.abs(x))
    w = np.ones(n) if weights is None else weights
    c = Y * w
    norm = _norm(Z.shape, reduction)
    # w·(softplus(x) − Y·x) = w·(max(x, 0) − Y·x + log1p(e^−|x|))
    element = w * (np.maximum(x, 0.0) - Y * x + np.log1p(e))
    terms = element / norm
    # σ − Y = σ·(1 − Y) − Y·σ(−x): no cancellation where σ saturates
    grad = w * (sigma * (1.0 - Y) - Y * sigma_neg) / norm
    if temperature != 1.0:
        grad /= temperature
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        per_unit = np.where(Y == 1.0, 0.0, (1.0 - Y) / sigma_neg) - np.where(
            Y == 0.0, 0.0, Y / sigma
        )
        # ±∞ where σ saturates against its target (JSON null); 0 where the class weighs 0
        grad_probs = np.where(w == 0.0, 0.0, w * per_unit) / norm
    top = x.argmax(axis=-1)
    at_top = top_indices(top, n)
    outputs = Softmax(_log_sigmoid(x), sigma, top, at_top, sigma_neg.reshape(-1)[at_top])
    return CrossEntropy(
        outputs,
        Y,
        c,
        norm,
        terms,
        element,
        _reduced(terms, norm, reduction),
        grad + 0.0,
        grad_probs + 0.0,
        np.zeros(Z.shape[0], dtype=bool),
    )


def sigmoids(x: Array) -> tuple[Array, Array]:
    """σ(x) and σ(−x) = 1 − σ(x), each to full relative precision."""
    e = np.exp(-np.abs(x))
    positive = x >= 0
    sigma: Array = np.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))
    sigma_neg: Array = np.where(positive, e / (1.0 + e), 1.0 / (1.0 + e))
    return sigma, sigma_neg


def bce_jacobian(Z: Array, temperature: float = 1.0) -> Array:
    """dσ_i/dZ_j for bce: diagonal, σ(x)·σ(−x)/T (each output moves with its own logit)."""
    x = Z / temperature if temperature != 1.0 else Z
    sigma, sigma_neg = sigmoids(x)
    B, n = Z.shape
    J = np.zeros((B, n, n))
    J.reshape(B, n * n)[:, :: n + 1] = sigma * sigma_neg / temperature
    return J


def mse_chain(ce: CrossEntropy, J: Array) -> Array:
    """chain[b, i, j] = dE/dO_i · dO_i/dZ_j for mse (dE/dO is finite everywhere)."""
    chain: Array = ce.grad_probs[:, :, None] * J + 0.0
    return chain


def diagonal_chain(ce: CrossEntropy) -> Array:
    """chain for bce: only i = j survives, and it is dE/dZ_j itself (the cancelled form)."""
    B, n = ce.grad_logits.shape
    chain = np.zeros((B, n, n))
    chain.reshape(B, n * n)[:, :: n + 1] = ce.grad_logits
    return chain
