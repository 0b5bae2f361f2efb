"""The one computation behind every face of dEdZ: a validated request in, a result out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core import Array, CrossEntropy, FiniteDifference, finite_difference
from app.core.objectives import chain_of, evaluate, output_jacobian
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
    Z = request.logits
    target = request.target
    if not request.is_batch:  # a row as a batch of one
        Z, target = Z[np.newaxis], target[np.newaxis]
    T = request.temperature
    parts = request.include or []
    ce = evaluate(
        request.loss,
        Z,
        target,
        temperature=T,
        label_smoothing=request.label_smoothing,
        weights=request.weights,
        reduction=request.reduction,
        ignore_index=request.ignore_index,
    )
    # mse's chain is dE/dO times the Jacobian; cross-entropy's and bce's have closed forms
    needs_jacobian = "jacobian" in parts or ("chain" in parts and request.loss == "mse")
    J = output_jacobian(request.loss, ce, Z, T) if needs_jacobian else None
    return GradientResult(
        request=request,
        ce=ce,
        jacobian=J if "jacobian" in parts else None,
        chain=chain_of(request.loss, ce, J, T) if "chain" in parts else None,
        # refused for the other losses by the request's validation
        check=finite_difference(Z, ce, T) if "check" in parts else None,
    )
