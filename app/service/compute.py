"""The one computation behind every face of dEdZ: a validated request in, a result out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core import (
    Array,
    CrossEntropy,
    FiniteDifference,
    chain_terms,
    cross_entropy,
    finite_difference,
    jacobian,
)
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
    ce = cross_entropy(
        Z,
        target,
        temperature=T,
        label_smoothing=request.label_smoothing,
        weights=request.weights,
        reduction=request.reduction,
        ignore_index=request.ignore_index,
    )
    parts = request.include or []
    return GradientResult(
        request=request,
        ce=ce,
        jacobian=jacobian(ce.softmax, T) if "jacobian" in parts else None,
        chain=chain_terms(ce, T) if "chain" in parts else None,
        check=finite_difference(Z, ce, T) if "check" in parts else None,
    )
