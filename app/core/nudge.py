"""The loss along one logit: E(Z + t·e_j) over t, and finite differences of it at t = 0.

Everything is one batch of shifted copies of the row, through the same `cross_entropy` as
`/gradient` (the same semantics and precision): the loss curve, the probabilities O_i(t) and
the differences for each step h. dE/dZ_j is the curve's slope at t = 0, and column j of the
Jacobian the slopes of the O_i(t).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import Reduction
from app.core.objectives import LossName, evaluate, output_jacobian, per_row
from app.core.softmax import Array

STEPS = (1.0, 0.1, 0.01, 0.001)  # the readout's h: the central difference converges as h²
POINTS = 81  # of the curve


class Difference(NamedTuple):
    """The finite differences of E along Z_j for one step h."""

    h: float
    forward: float  # (E(h) − E(0))/h
    central: float  # (E(h) − E(−h))/2h
    forward_error: float  # |forward − dE/dZ_j|
    central_error: float


class LossLine(NamedTuple):
    """E and O along Z_j + t, the slope at t = 0, and the differences."""

    j: int
    t: Array  # the grid, symmetric about 0
    loss: Array  # E(Z + t·e_j)
    probs: Array  # O_i(Z + t·e_j), one row per t
    loss_at_zero: float
    slope: float  # dE/dZ_j (analytic)
    prob_slopes: Array  # dO_i/dZ_j at t = 0 (the Jacobian's column j)
    differences: list[Difference]
    h: float  # the step whose chord is drawn
    chord: tuple[float, float]  # E(−h), E(h)


def half_width(temperature: float, h: float = 0.0) -> float:
    """Return how far either side of Z_j the curve goes: far enough to show its shape (and
    the chord's ends at ±h)."""
    return max(4.0, 3.0 * temperature, 1.5 * h)


def loss_line(
    Z: Array,
    target: NDArray[np.generic],
    j: int,
    h: float,
    *,
    loss: LossName = "cross_entropy",
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    reduction: Reduction = "mean",
) -> LossLine:
    """Return E(Z + t·e_j) for a row Z (1×n) and its target (one index or one row), with the
    differences for every step in STEPS and for `h`."""
    width = half_width(temperature, h)
    t = np.linspace(-width, width, POINTS)
    steps = np.array([0.0, *(s for h_ in (*STEPS, h) for s in (h_, -h_))])
    shifts = np.concatenate([t, steps])
    rows = np.repeat(Z, shifts.size, axis=0)
    rows[:, j] += shifts
    target_rows = np.repeat(target, shifts.size, axis=0)
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
        target_rows,
        temperature=temperature,
        label_smoothing=label_smoothing,
        weights=weights,
        reduction="none",
    )
    E = per_row(many) / one.norm  # each shifted row's loss as its own one-row problem
    curve, at = E[: t.size], E[t.size :]
    e0 = float(at[0])
    slope = float(one.grad_logits[0, j])
    differences = []
    for k, step in enumerate(STEPS):
        up, down = float(at[1 + 2 * k]), float(at[2 + 2 * k])
        forward = (up - e0) / step
        central = (up - down) / (2 * step)
        differences.append(
            Difference(step, forward, central, abs(forward - slope), abs(central - slope))
        )
    return LossLine(
        j=j,
        t=t,
        loss=curve,
        probs=many.softmax.probs[: t.size],
        loss_at_zero=e0,
        slope=slope,
        prob_slopes=output_jacobian(loss, one, Z, temperature)[0, :, j],
        differences=differences,
        h=h,
        chord=(float(at[-1]), float(at[-2])),
    )
