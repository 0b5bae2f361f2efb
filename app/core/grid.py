"""The loss over two logits (Z_j, Z_k) around a point, the others fixed: one batch of shifted rows
through the same `cross_entropy` as `/gradient`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import Reduction
from app.core.objectives import LossName, evaluate, per_row
from app.core.softmax import Array


class LossGrid(NamedTuple):
    """E on a square grid: rows are Z_k (low to high), columns Z_j."""

    zj: Array  # the Z_j values (columns)
    zk: Array  # the Z_k values (rows)
    loss: Array  # loss[r, c] = E at (Z_j = zj[c], Z_k = zk[r])


def loss_grid(
    Z: Array,
    target: NDArray[np.generic],
    j: int,
    k: int,
    half: float,
    points: int = 25,
    *,
    loss: LossName = "cross_entropy",
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
) -> LossGrid:
    """Return E over Z_j ± half and Z_k ± half for a row Z (1×n)."""
    zj = Z[0, j] + np.linspace(-half, half, points)
    zk = Z[0, k] + np.linspace(-half, half, points)
    rows = np.repeat(Z, points * points, axis=0)
    rows[:, j] = np.tile(zj, points)
    rows[:, k] = np.repeat(zk, points)
    one = evaluate(
        loss,
        Z,
        target,
        temperature=temperature,
        label_smoothing=label_smoothing,
        weights=weights,
        reduction=reduction,
    )
    many = evaluate(
        loss,
        rows,
        np.repeat(target, rows.shape[0], axis=0),
        temperature=temperature,
        label_smoothing=label_smoothing,
        weights=weights,
        reduction="none",
    )
    return LossGrid(zj, zk, (per_row(many) / one.norm).reshape(points, points))
