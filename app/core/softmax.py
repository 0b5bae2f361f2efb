"""Softmax with temperature, computed so that every representable output keeps its precision."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class Softmax(NamedTuple):
    """O = softmax(Z/T) for each row of Z, with the parts that keep it precise.

    `top` is the index of the largest logit of each row and `complement` is 1 − O_top,
    computed as the sum of the other probabilities: it stays exact where O_top rounds to 1.
    """

    log_probs: Array
    probs: Array
    top: NDArray[np.intp]
    complement: Array


def softmax(Z: Array, temperature: float = 1.0) -> Softmax:
    """Return O = softmax(Z/T) over the last axis of a B×n array, with log O and 1 − O_top."""
    x = Z / temperature
    rows = np.arange(x.shape[0])
    top = x.argmax(axis=-1)
    m = x[rows, top]
    e = np.exp(x - m[:, None])
    e[rows, top] = 0.0
    # r = Σ_{j≠top} exp(x_j − m); then Σ exp(x − m) = 1 + r, and log1p keeps log(1 + r) exact
    # for tiny r, where log(sum) would round to 0 and lose the whole loss.
    r = e.sum(axis=-1)
    s = 1.0 + r
    log_probs = x - m[:, None] - np.log1p(r)[:, None]
    e[rows, top] = 1.0
    probs = e / s[:, None]
    return Softmax(log_probs, probs, top, r / s)


def jacobian(sm: Softmax, temperature: float = 1.0) -> Array:
    """Return dO/dZ = (diag(O) − O Oᵀ)/T for each row: J[b, i, j] = dO_i/dZ_j."""
    O = sm.probs
    J = -O[:, :, None] * O[:, None, :]
    diagonal = O * (1.0 - O)
    rows = np.arange(O.shape[0])
    # O_i(1 − O_i) for the top class uses the exact complement instead of 1 − O_top.
    diagonal[rows, sm.top] = O[rows, sm.top] * sm.complement
    idx = np.arange(O.shape[1])
    J[:, idx, idx] = diagonal
    J /= temperature
    J += 0.0  # turns −0.0 (from O_i = 0) into 0.0
    return J
