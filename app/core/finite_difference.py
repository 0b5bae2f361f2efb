"""Central finite differences of the loss, an independent check of the analytic dE/dZ.

A finite difference has its own error, and where |dE/dZ_j| is below it the difference says
nothing about that component. So each component gets a bound on |fd − true gradient|:

- truncation: |fd − E'| ≤ h²/6 · sup |∂³E/∂Z_j³| over [Z_j − h, Z_j + h], where
  ∂³E/∂Z_j³ = S·O_j(1 − O_j)(1 − 2·O_j)/T³/norm and |(1 − 2·O)| ≤ 1, so the sup is at most
  S/T³/norm · max O_j(1 − O_j) over the interval: 1/4 if O_j crosses 1/2 there (O_j is monotone
  in Z_j), else the larger of its two ends;
- rounding: each loss is a sum of ĉ_i·(−log O_i) with log O_i = x_i − m − log1p(r), x = Z/T,
  whose error is at most a few ε·(|x_i| + |m| + |log O_i| + 1) per term and ε·log₂(n) for the
  sum; the difference of two such losses, divided by 2h, gives (δE₊ + δE₋)/2h;
- and the analytic value's own rounding, 8ε·(S·O_j + ĉ_j)/T.

`agrees` says whether the analytic gradient lies within that bound of the difference.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from app.core.cross_entropy import CrossEntropy, row_losses
from app.core.softmax import Array, softmax

EPS = float(np.finfo(np.float64).eps)
# The cube root of float64's machine epsilon balances truncation and rounding error.
RELATIVE_STEP = EPS ** (1 / 3)
ROUNDING_SAFETY = 2.0  # Z/T, x − m, log1p and ·c each err by ε/2 of a part of that sum
TINY = float(np.finfo(np.float64).smallest_subnormal)


class FiniteDifference(NamedTuple):
    """A finite-difference gradient, its error bound and whether the analytic one agrees."""

    grad_logits: Array
    error_bound: Array  # |fd − true dE/dZ| ≤ error_bound, component by component
    tolerance: Array  # error_bound plus the analytic value's own rounding
    agrees: NDArray[np.bool_]  # |analytic − fd| ≤ tolerance
    resolved: NDArray[np.bool_]  # the bound is below |fd|: the difference measures this component
    max_abs_error: float
    max_rel_error: float | None  # over the components the difference resolves; None if none

    def agrees_with(self, gradient: Array) -> NDArray[np.bool_]:
        """Tell, component by component, whether a gradient lies within tolerance of fd."""
        within: NDArray[np.bool_] = np.abs(gradient - self.grad_logits) <= self.tolerance
        return within


def _loss_rounding(log_probs: Array, x: Array, c: Array) -> Array:
    """Return a bound on the rounding error of each row's loss Σ −c_i·log O_i."""
    m = x.max(axis=-1, keepdims=True)
    n = x.shape[-1]
    per_term = np.abs(c) * (np.abs(x) + np.abs(m) + np.abs(log_probs) + 1.0)
    terms: Array = per_term.sum(axis=-1)
    bound: Array = (ROUNDING_SAFETY + math.log2(max(n, 2))) * EPS * terms + n * TINY
    return bound


def finite_difference(Z: Array, ce: CrossEntropy, temperature: float = 1.0) -> FiniteDifference:
    """Return (E(Z + h·e_j) − E(Z − h·e_j)) / 2h for every logit, its error bound, and agreement.

    The loss depends on x = Z/T, its curvature scale in x is 1 (softmax is shift-invariant)
    and its rounding error grows as ε·|x|: the step that balances the two is
    h_x = (ε·max(1, |x_j|))^(1/3), so h_j = T·(ε·max(1, |Z_j|/T))^(1/3), rounded so that
    Z_j ± h_j is exact. (A step of ε^(1/3)·|Z_j| in Z, blind to T, could not resolve anything
    where |Z| ≫ T.)
    """
    B, n = Z.shape
    T = temperature
    h = RELATIVE_STEP * T * np.cbrt(np.maximum(1.0, np.abs(Z) / T))
    h = (Z + h) - Z
    eye = np.eye(n)
    # Row b, perturbation j: Z_b ± h_bj·e_j, evaluated all at once as a (B·n)×n batch.
    shift = h[:, :, None] * eye[None, :, :]
    c_hat = ce.weighted_target / ce.norm  # divided first, as in cross_entropy
    c = np.repeat(c_hat, n, axis=0)
    idx = np.arange(n)

    def evaluate(perturbed: Array) -> tuple[Array, Array, Array]:
        rows = perturbed.reshape(B * n, n)
        sm = softmax(rows, T)
        losses = row_losses(sm.log_probs, c).reshape(B, n)
        rounding = _loss_rounding(sm.log_probs, rows / T, c).reshape(B, n)
        own = sm.probs.reshape(B, n, n)[:, idx, idx]  # O_j where Z_j moved
        return losses, rounding, own

    plus, round_plus, o_plus = evaluate(Z[:, None, :] + shift)
    minus, round_minus, o_minus = evaluate(Z[:, None, :] - shift)
    fd = (plus - minus) / (2.0 * h)

    S = c_hat.sum(axis=-1, keepdims=True)
    crosses = (o_plus - 0.5) * (o_minus - 0.5) <= 0.0
    peak = np.where(crosses, 0.25, np.maximum(o_plus * (1 - o_plus), o_minus * (1 - o_minus)))
    truncation = h**2 / 6.0 * np.abs(S) * peak / T**3
    rounding = (round_plus + round_minus) / (2.0 * h)
    bound = truncation + rounding

    g = ce.grad_logits
    own_error = 8.0 * EPS * (np.abs(S) * ce.softmax.probs + np.abs(c_hat)) / T + TINY
    tolerance = bound + own_error
    error = np.abs(fd - g)

    resolved = np.abs(fd) > bound
    max_rel: float | None = None
    if resolved.any():
        scale = float(max(np.max(np.abs(g[resolved])), np.max(np.abs(fd[resolved]))))
        max_rel = float(np.max(error[resolved])) / scale
    return FiniteDifference(
        fd, bound, tolerance, error <= tolerance, resolved, float(np.max(error)), max_rel
    )
