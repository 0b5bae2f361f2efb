"""The response of the REST contract: `GradientResponse`, every field described."""

from __future__ import annotations

from pydantic import BaseModel, Field

Vector = list[float]
Matrix = list[list[float]]
Tensor3 = list[list[list[float]]]


class FiniteDifferenceCheck(BaseModel):
    """A central finite-difference gradient and its distance to `grad_logits`."""

    grad_logits: Vector | Matrix = Field(
        description="(E(Z + h·e_j) − E(Z − h·e_j)) / 2h with h = ε^(1/3)·max(1, |Z_j|)."
    )
    max_abs_error: float = Field(description="max |fd − grad_logits|.")
    max_rel_error: float = Field(
        description="max |fd − grad_logits| / max(|grad_logits|∞, |fd|∞), or 0 when both are 0."
    )


class GradientResponse(BaseModel):
    """O, log O, Y', E and its derivatives; shapes follow `logits` (a batch: lists of rows)."""

    probs: Vector | Matrix = Field(description="O = softmax(Z/T). Underflowing entries are 0.")
    log_probs: Vector | Matrix = Field(
        description="log O = Z/T − m − log Σ exp(Z/T − m), exact even where O underflows."
    )
    target: Vector | Matrix = Field(
        description="Y', the effective target distribution after one-hot and label smoothing."
    )
    loss: float | Vector = Field(
        description=(
            "E = −Σ_c w_c·Y'_c·log O_c per row, reduced. 'none' gives a list of row losses "
            "for a batch, one float for a single row (as PyTorch)."
        )
    )
    grad_logits: Vector | Matrix = Field(
        description="dE/dZ = (S·O − c)/T/norm with c = w·Y', S = Σc; for 'none', of Σ rows."
    )
    grad_probs: list[float | None] | list[list[float | None]] = Field(
        description="dE/dO = −c/O/norm; null where O underflows to 0 but c > 0 (−∞)."
    )
    jacobian: Matrix | Tensor3 | None = Field(
        None, description="dO/dZ = (diag(O) − O·Oᵀ)/T; jacobian[i][j] = dO_i/dZ_j."
    )
    chain: Matrix | Tensor3 | None = Field(
        None,
        description=(
            "chain[i][j] = dE/dO_i · dO_i/dZ_j = −c_i(δ_ij − O_j)/T/norm; column j sums to dE/dZ_j."
        ),
    )
    check: FiniteDifferenceCheck | None = None
