"""The one computation behind every face of dEdZ: a validated request in, a result out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.core import (
    Array,
    CrossEntropy,
    FiniteDifference,
    chain_terms,
    cross_entropy,
    finite_difference,
    jacobian,
)
from app.core.losses import bce, bce_jacobian, diagonal_chain, mse, mse_chain
from app.service.models import GradientRequest


@dataclass(frozen=True, slots=True)
class GradientResult:
    """The loss, its derivatives and the optional matrices, as B×n arrays (B = 1 for a row)."""

    request: GradientRequest
    ce: CrossEntropy
    jacobian: Array | None
    chain: Array | None
    check: FiniteDifference | None

    @property
    def is_batch(self) -> bool:
        """Tell whether the request was a batch."""
        return self.request.is_batch


def compute(request: GradientRequest) -> GradientResult:
    """Run the numeric core on a validated request."""
    Z = np.atleast_2d(request.logits)
    target = request.target if request.is_batch else request.target[np.newaxis, ...]
    T = request.temperature
    parts = request.include or []
    if request.loss != "cross_entropy":
        return _other_loss(request, Z, target, parts)
    ce = cross_entropy(
        Z,
        target,
        temperature=T,
        label_smoothing=request.label_smoothing,
        weights=request.weights,
        reduction=request.reduction,
        ignore_index=request.ignore_index,
    )
    return GradientResult(
        request=request,
        ce=ce,
        jacobian=jacobian(ce.softmax, T) if "jacobian" in parts else None,
        chain=chain_terms(ce, T) if "chain" in parts else None,
        check=finite_difference(Z, ce, T) if "check" in parts else None,
    )


def _other_loss(
    request: GradientRequest, Z: Array, target: NDArray[np.generic], parts: Sequence[str]
) -> GradientResult:
    """Compute mse or bce (app.core.losses): the same result, their own Jacobian and chain."""
    T = request.temperature
    if request.loss == "mse":
        ce = mse(
            Z,
            target,
            temperature=T,
            label_smoothing=request.label_smoothing,
            reduction=request.reduction,
        )
        J = jacobian(ce.softmax, T) if {"jacobian", "chain"} & set(parts) else None
        chain = mse_chain(ce, J) if J is not None and "chain" in parts else None
    else:
        ce = bce(Z, target, temperature=T, weights=request.weights, reduction=request.reduction)
        J = bce_jacobian(Z, T) if "jacobian" in parts else None
        chain = diagonal_chain(ce) if "chain" in parts else None
    return GradientResult(
        request=request,
        ce=ce,
        jacobian=J if "jacobian" in parts else None,
        chain=chain,
        check=None,  # refused for these losses by the request's validation
    )
