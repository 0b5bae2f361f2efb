"""Softmax with temperature, computed so that every representable output keeps its precision."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class Softmax(NamedTuple):
    """O = softmax(Z/T) for each row of Z, with the parts that keep it precise.

    `top` is the index of the largest logit of each row (`at_top` its flat index in a B×n
    array) and `complement` is 1 − O_top, computed as the sum of the other probabilities: it
    stays exact where O_top rounds to 1.
    """

    log_probs: Array
    probs: Array
    top: NDArray[np.intp]
    at_top: NDArray[np.intp]
    complement: Array


def top_indices(top: NDArray[np.intp], n: int) -> NDArray[np.intp]:
    """Return the flat indices of each row's entry `top` in a C-contiguous B×n array.

    Indexing a flat view is about three times quicker than `a[rows, top]` on small arrays.
    """
    flat: NDArray[np.intp] = np.arange(0, top.shape[0] * n, n) + top
    return flat


def softmax(Z: Array, temperature: float = 1.0) -> Softmax:
    """Return O = softmax(Z/T) over the last axis of a B×n array, with log O and 1 − O_top."""
    x = Z / temperature if temperature != 1.0 else Z  # x/1 is x: the same bits, one pass less
    if x.shape[0] == 1:
        return _one_row(x)
    top = x.argmax(axis=-1)
    at_top = top_indices(top, x.shape[-1])
    m = x.reshape(-1)[at_top][:, None]
    shifted = x - m
    e = np.exp(shifted)
    flat = e.reshape(-1)
    flat[at_top] = 0.0
    # r = Σ_{j≠top} exp(x_j − m); then Σ exp(x − m) = 1 + r, and log1p keeps log(1 + r) exact
    # for tiny r, where log(sum) would round to 0 and lose the whole loss.
    r = np.add.reduce(e, axis=-1)
    s = 1.0 + r
    log_probs = shifted - np.log1p(r)[:, None]
    flat[at_top] = 1.0
    probs = np.divide(e, s[:, None], out=e)
    return Softmax(log_probs, probs, top, at_top, r / s)


def _one_row(x: Array) -> Softmax:
    """The same for a single row (1×n), indexed by scalars: the same operations on the same
    numbers (so the same bits), in half the numpy calls."""
    row = x[0]
    t = int(row.argmax())
    shifted = x - row[t]
    e = np.exp(shifted)
    e_row = e[0]
    e_row[t] = 0.0
    r = np.add.reduce(e_row)
    s = 1.0 + r
    log_probs = shifted - np.log1p(r)
    e_row[t] = 1.0
    probs = np.divide(e, s, out=e)
    top = np.array([t], dtype=np.intp)
    return Softmax(log_probs, probs, top, top, np.array([r / s]))


def jacobian(sm: Softmax, temperature: float = 1.0) -> Array:
    """Return dO/dZ = (diag(O) − O Oᵀ)/T for each row: J[b, i, j] = dO_i/dZ_j."""
    O = sm.probs
    B, n = O.shape
    if B == 1:
        return _one_row_jacobian(sm, temperature)
    J = _minus_products(O[:, :, None], O[:, None, :], O, temperature)
    diagonal = O * (1.0 - O)
    # O_i(1 − O_i) for the top class uses the exact complement instead of 1 − O_top.
    at_top = sm.at_top
    diagonal.reshape(-1)[at_top] = O.reshape(-1)[at_top] * sm.complement
    if temperature != 1.0:
        diagonal /= temperature
    J.reshape(B, n * n)[:, :: n + 1] = diagonal
    return J


_FUSED_FROM = 16_384  # B·n² entries: below it, fewer numpy calls beat one pass less over J


def _minus_products(left: Array, right: Array, O: Array, temperature: float) -> Array:
    """Return −left·right/T broadcast (the Jacobian's −O_i·O_j/T), exactly 0 − O_i·O_j/T: 0.0
    rather than −0.0 where a product is 0.

    A large J is made in one pass, from −O (−a·b is a·b's bits negated), with a second pass to
    turn −0.0 into 0.0 only when some O is small enough for a product to be 0: with O ≤ 1,
    every |O_i·O_j/T| ≥ min(O)²/max(T, 1), a normal number above 1e-300.
    """
    if O.size * O.shape[-1] < _FUSED_FROM:
        J = left * right
        if temperature != 1.0:
            J /= temperature
        return np.subtract(0.0, J, out=J)
    J = np.negative(left) * right
    if temperature != 1.0:
        J /= temperature
    if O.min() ** 2 / max(temperature, 1.0) < 1e-300:
        np.add(J, 0.0, out=J)  # −0.0 + 0.0 = 0.0; every other value is unchanged
    return J


def _one_row_jacobian(sm: Softmax, temperature: float) -> Array:
    """The same for a single row: the outer product of 1-D O, the same operations in the same
    order (so the same bits) in half the numpy calls."""
    o = sm.probs[0]
    n = o.shape[0]
    J = _minus_products(o[:, np.newaxis], o[np.newaxis, :], sm.probs, temperature)
    diagonal = o * (1.0 - o)
    t = int(sm.top[0])
    diagonal[t] = o[t] * sm.complement[0]
    if temperature != 1.0:
        diagonal /= temperature
    J.reshape(n * n)[:: n + 1] = diagonal
    return J[np.newaxis]
