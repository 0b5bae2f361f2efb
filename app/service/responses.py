"""The response of the REST contract: `GradientResponse`, every field described."""

from __future__ import annotations

from pydantic import BaseModel, Field

Vector = list[float]
Matrix = list[list[float]]
Tensor3 = list[list[list[float]]]


class FiniteDifferenceCheck(BaseModel):
    """A central finite-difference gradient, its own error bound, and whether dE/dZ agrees."""

    grad_logits: Vector | Matrix = Field(
        description="fd: (E(Z + h·e_j) − E(Z − h·e_j)) / 2h with h = ε^(1/3)·max(1, |Z_j|)."
    )
    error_bound: Vector | Matrix = Field(
        description=(
            "A bound on |fd − the true dE/dZ_j| for each component: truncation (h²/6 times a "
            "bound on the third derivative over the step) plus rounding (from the losses' "
            "magnitude and the step). Where |dE/dZ_j| is below it, fd cannot resolve dE/dZ_j."
        )
    )
    agrees: list[bool] | list[list[bool]] = Field(
        description=(
            "Whether grad_logits lies within error_bound of fd (plus its own rounding), "
            "component by component. This, not a relative error, is what to gate on."
        )
    )
    all_agree: bool = Field(description="Whether every component agrees.")
    max_abs_error: float = Field(description="max |fd − grad_logits|.")
    max_rel_error: float | None = Field(
        description=(
            "max |fd − grad_logits| / max |grad_logits| over the components fd resolves "
            "(|grad_logits| > error_bound); null when it resolves none: a relative error "
            "would then be meaningless (saturated or underflowing gradients)."
        )
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
    loss: float | Vector | None = Field(
        description=(
            "E = −Σ_c w_c·Y'_c·log O_c per row, reduced. 'none' gives a list of row losses "
            "for a batch, one float for a single row (as PyTorch). null only where 'mean' is "
            "0/0 because every row is ignored (PyTorch: NaN); `loss_undefined` then says so."
        )
    )
    loss_undefined: str | None = Field(
        None, description="Present only when `loss` is null: why it is undefined."
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
