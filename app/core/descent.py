"""Gradient descent on the logits: k steps of Z ← Z − η·dE/dZ from a start, replayed exactly
(the same start, η and k give the same bits), through the same loss (`objectives.evaluate`) as
`/gradient`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import Reduction
from app.core.objectives import LossName, evaluate, one_loss
from app.core.softmax import Array

MAX_STEPS = 500


class Trajectory(NamedTuple):
    """Z, E, O and dE/dZ at every step 0..k (rows)."""

    logits: Array  # (k + 1, n)
    loss: Array  # (k + 1,)
    probs: Array  # (k + 1, n)
    grads: Array  # (k + 1, n)


def descend(
    start: Array,
    target: NDArray[np.generic],
    lr: float,
    steps: int,
    *,
    loss: LossName = "cross_entropy",
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
) -> Trajectory:
    """Return the trajectory of `steps` descent steps of size `lr` from `start` (1×n)."""
    n = start.shape[1]
    Z = np.empty((steps + 1, n))
    E = np.empty(steps + 1)
    O = np.empty((steps + 1, n))
    G = np.empty((steps + 1, n))
    z = start.copy()
    for k in range(steps + 1):
        ce = evaluate(
            loss,
            z,
            target,
            temperature=temperature,
            label_smoothing=label_smoothing,
            weights=weights,
            reduction=reduction,
        )
        Z[k], E[k], O[k], G[k] = (
            z[0],
            one_loss(ce),
            ce.softmax.probs[0],
            ce.grad_logits[0],
        )
        z = z - lr * ce.grad_logits
    return Trajectory(Z, E, O, G)


def behaviour(loss: Array) -> str:
    """Say how the loss moves along the trajectory: converging, oscillating or diverging."""
    if loss.size < 3:
        return "starting"
    steps = np.diff(loss)
    if not np.isfinite(loss).all():
        return "diverging"
    quarter = max(loss.size // 4, 1)
    growing = loss[-quarter:].max() > 2.0 * loss[:quarter].max() + 1e-12
    if loss[-1] > loss[0] * 1.5 + 1e-12 and growing:
        return "diverging"
    ups = np.count_nonzero(steps > 1e-15 * np.abs(loss[:-1]))
    if ups > steps.size // 4:
        return "oscillating"
    if loss[0] - loss[-1] <= 1e-3 * abs(loss[0]):  # a plateau: the steps barely move E
        return "stalled"
    return "converging"
