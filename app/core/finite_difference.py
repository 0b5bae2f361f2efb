"""Central finite differences of the loss, an independent check of the analytic dE/dZ."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from app.core.cross_entropy import CrossEntropy, row_losses
from app.core.softmax import Array, softmax

# The cube root of float64's machine epsilon balances truncation and rounding error.
RELATIVE_STEP = float(np.finfo(np.float64).eps ** (1 / 3))


class FiniteDifference(NamedTuple):
    """A finite-difference gradient and how far the analytic gradient is from it."""

    grad_logits: Array
    max_abs_error: float
    max_rel_error: float


def finite_difference(Z: Array, ce: CrossEntropy, temperature: float = 1.0) -> FiniteDifference:
    """Return (E(Z + h·e_j) − E(Z − h·e_j)) / 2h for every logit, and its error against `ce`.

    h_j = ε^(1/3)·max(1, |Z_j|), rounded so that Z_j ± h_j is exact. The relative error is
    max|fd − g| / max(|g|∞, |fd|∞) (0 when both vanish).
    """
    B, n = Z.shape
    h = RELATIVE_STEP * np.maximum(1.0, np.abs(Z))
    h = (Z + h) - Z
    eye = np.eye(n)
    # Row b, perturbation j: Z_b ± h_bj·e_j, evaluated all at once as a (B·n)×n batch.
    shift = h[:, :, None] * eye[None, :, :]
    c = np.repeat(ce.weighted_target / ce.norm, n, axis=0)

    def losses(perturbed: Array) -> Array:
        sm = softmax(perturbed.reshape(B * n, n), temperature)
        return row_losses(sm.log_probs, c).reshape(B, n)

    fd = (losses(Z[:, None, :] + shift) - losses(Z[:, None, :] - shift)) / (2.0 * h)
    abs_error = float(np.max(np.abs(fd - ce.grad_logits)))
    scale = float(max(np.max(np.abs(ce.grad_logits)), np.max(np.abs(fd))))
    return FiniteDifference(fd, abs_error, abs_error / scale if scale > 0.0 else 0.0)
