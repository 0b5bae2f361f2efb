"""The response of the REST contract: `GradientResponse`, every field described."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from app.service.numbers import MAX_DIMENSIONS

# Each array field has one array type whose items are a leaf or a deeper array: a generated
# client tells `anyOf` members apart by isinstance(x, list), so two array alternatives side by
# side would leave the second unreachable (openapi-python-client: mypy --strict fails).


def _array(leaf: dict[str, Any], depth: int) -> dict[str, Any]:
    """An array 1 to `depth` deep, of `leaf`s."""
    if depth == 1:
        return {"type": "array", "items": leaf}
    leaves = leaf.get("anyOf", [leaf])
    return {"type": "array", "items": {"anyOf": [*leaves, _array(leaf, depth - 1)]}}


_NUMBER = {"type": "number"}
_NULLABLE = {"anyOf": [{"type": "number"}, {"type": "null"}]}


def _field(schema: dict[str, Any]) -> Any:
    return WithJsonSchema(schema)


# Shaped as the logits: (n), (B, n) or (N, C, d1, …, dK).
Values = Annotated[list[Any], _field(_array(_NUMBER, MAX_DIMENSIONS))]
NullableValues = Annotated[list[Any], _field(_array(_NULLABLE, MAX_DIMENSIONS))]
Flags = Annotated[list[Any], _field(_array({"type": "boolean"}, MAX_DIMENSIONS))]
# (n, n) or (B, n, n).
Matrices = Annotated[list[Any] | None, _field({"anyOf": [_array(_NUMBER, 3), {"type": "null"}]})]
# A number, or row losses shaped (B) or (N, d1, …, dK); null only for an undefined mean.
Loss = Annotated[
    float | list[Any] | None,
    _field({"anyOf": [_NUMBER, _array(_NUMBER, MAX_DIMENSIONS - 1), {"type": "null"}]}),
]


class FiniteDifferenceCheck(BaseModel):
    """A central finite-difference gradient, its own error bound, and whether dE/dZ agrees."""

    grad_logits: Values = Field(
        description=(
            "fd: (E(Z + h·e_j) − E(Z − h·e_j)) / 2h with h = T·(ε·max(1, |Z_j|/T))^(1/3), the "
            "step that balances truncation and rounding in x = Z/T."
        )
    )
    error_bound: Values = Field(
        description=(
            "A bound on |fd − the true dE/dZ_j| for each component: truncation (h²/6 times a "
            "bound on the third derivative over the step) plus rounding (from the losses' "
            "magnitude and the step). Where |dE/dZ_j| is below it, fd cannot resolve dE/dZ_j."
        )
    )
    agrees: Flags = Field(
        description=(
            "Whether grad_logits lies within error_bound of fd (plus its own rounding), "
            "component by component. This, not a relative error, is what to gate on."
        )
    )
    resolved: Flags = Field(
        description=(
            "Whether fd resolves the component (|fd| > error_bound): where it does not, "
            "`agrees` only says the gradient is as small as fd can tell, which it may be "
            "rightly (a saturated softmax) or wrongly."
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

    probs: Values = Field(
        description="O = softmax(Z/T) (bce: σ(Z/T), one per class). Underflowing entries are 0."
    )
    log_probs: Values = Field(
        description="log O = Z/T − m − log Σ exp(Z/T − m), exact even where O underflows."
    )
    target: Values = Field(
        description="Y', the effective target distribution after one-hot and label smoothing."
    )
    loss: Loss = Field(
        description=(
            "E = −Σ_c w_c·Y'_c·log O_c per row, reduced. 'none' gives a list of row losses "
            "for a batch, one float for a single row (as PyTorch). null only where 'mean' is "
            "0/0 because every row is ignored (PyTorch: NaN); `loss_undefined` then says so."
        )
    )
    loss_undefined: str | None = Field(
        None, description="Present only when `loss` is null: why it is undefined."
    )
    grad_logits: Values = Field(
        description=(
            "dE/dZ = (S·O − c)/T/norm with c = w·Y', S = Σc (cross-entropy); for mse Jᵀ·dE/dO, "
            "for bce w(σ − Y)/T/N; for 'none', of the sum."
        )
    )
    grad_probs: NullableValues = Field(
        description=(
            "dE/dO = −c/O/norm (cross-entropy; mse: 2(O − Y′)/N; bce: w((1 − Y)/(1 − σ) − "
            "Y/σ)/N); null where it is infinite: for cross-entropy −∞ (c > 0 and O underflows "
            "or is subnormal), for bce ±∞ where σ saturates against its target."
        )
    )
    jacobian: Matrices = Field(
        None,
        description=(
            "dO/dZ = (diag(O) − O·Oᵀ)/T (bce: diag(σ(1 − σ))/T); jacobian[i][j] = dO_i/dZ_j."
        ),
    )
    chain: Matrices = Field(
        None,
        description=(
            "chain[i][j] = dE/dO_i · dO_i/dZ_j = −c_i(δ_ij − O_j)/T/norm (cross-entropy, in the "
            "cancelled form; bce: dE/dZ_j on the diagonal, 0 elsewhere); column j sums to "
            "dE/dZ_j, to the rounding of its terms."
        ),
    )
    check: FiniteDifferenceCheck | None = Field(
        None, description="Only with include 'check': finite differences of E, to check dE/dZ."
    )
