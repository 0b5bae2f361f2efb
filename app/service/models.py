"""The request every face validates: `GradientRequest`, with every limit declared."""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from app.core import IGNORE_INDEX
from app.core.objectives import LossName
from app.service.numbers import as_written, invalid, within
from app.service.values import (
    DEFAULT_MATRIX_CLASSES,
    MAX_PARTS,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    PARTS,
    IgnoreIndex,
    Logits,
    Part,
    Target,
    Weights,
    probability_sum_tolerance,
)
from app.settings import Settings

SEED_EXAMPLE: dict[str, Any] = {"logits": [2.0, 1.0], "target": 0}


class GradientRequest(BaseModel):
    """Logits and targets of a softmax + cross-entropy loss; shapes follow `logits`."""

    model_config = ConfigDict(
        extra="forbid",
        arbitrary_types_allowed=True,
        json_schema_extra={"examples": [SEED_EXAMPLE]},
    )

    logits: Logits
    target: Target
    temperature: float = Field(
        1.0,
        ge=MIN_TEMPERATURE,
        le=MAX_TEMPERATURE,
        strict=True,
        allow_inf_nan=False,
        description="T: O = softmax(Z/T). Derivatives are taken with respect to the raw Z.",
    )
    label_smoothing: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        strict=True,
        allow_inf_nan=False,
        description="ε: the target becomes Y' = (1−ε)·Y + ε/n, as in PyTorch.",
    )
    weights: Weights = None
    ignore_index: IgnoreIndex = Field(
        IGNORE_INDEX,
        description=(
            "For class-index targets, as in PyTorch: rows whose class index equals it contribute "
            "nothing (their Y' in `target` is all 0), and 'mean' divides by the (weighted) count "
            "of the other rows. If every row "
            "is ignored, 'mean' is 0/0: `loss` is null (PyTorch: NaN), `loss_undefined` says "
            "why, and the gradients are 0, as PyTorch's. With probability targets only the "
            "default is allowed (PyTorch refuses it there too: 'ignore_index is not supported for "
            "floating point target')."
        ),
    )
    reduction: Literal["mean", "sum", "none"] = Field(
        "mean",
        description=(
            "How row losses combine (PyTorch semantics): 'mean' divides their sum by B (by "
            "N·d1⋯dK for K-dimensional logits), or by Σ w_y over the rows for class-index "
            "targets with weights, rows whose class equals ignore_index left out of both; "
            "'sum'; 'none' keeps them."
        ),
    )
    loss: LossName = Field(
        "cross_entropy",
        description=(
            "Which loss, each with PyTorch's semantics: 'cross_entropy' (the default, "
            "F.cross_entropy(Z/T, target)); 'mse', F.mse_loss(softmax(Z/T), Y′) with Y′ the "
            "one-hot or probability target after label smoothing (no class weights); 'bce', "
            "F.binary_cross_entropy_with_logits(Z/T, Y, weight=w) with Y one-hot or "
            "probabilities in [0, 1] that need not sum to 1 (no label smoothing). For 'mse' and "
            "'bce', 'mean' averages over all B·n entries and 'none' gives them one by one (B×n); "
            "`probs` is softmax(Z/T) or σ(Z/T), `jacobian` and `chain` follow (bce's Jacobian is "
            "diagonal), and `check` is for cross_entropy only."
        ),
    )
    include: list[Part] | None = Field(
        None,
        max_length=MAX_PARTS,
        description=(
            "Optional outputs: 'jacobian', 'chain', 'check'. Default: a single row of at most "
            f"{DEFAULT_MATRIX_CLASSES} classes gets 'jacobian' and 'chain' (while n² is within "
            "the matrix limit); a batch or a larger row gets none: ask for them explicitly. "
            f"At most {MAX_PARTS} items (repeats count once)."
        ),
    )

    # For K-dimensional logits (N, C, d1, …, dK): their shape. The request then holds them as
    # N·d1⋯dK rows of C (classes last), and the response is put back in this layout.
    _layout: tuple[int, ...] | None = PrivateAttr(None)

    @classmethod
    def checked(
        cls,
        *,
        logits: NDArray[np.float64],
        target: NDArray[np.generic],
        temperature: float,
        label_smoothing: float,
        weights: NDArray[np.float64] | None,
        ignore_index: int,
        reduction: Literal["mean", "sum", "none"],
        include: list[Part],
        loss: LossName = "cross_entropy",
    ) -> Self:
        """Return a request of a single row or a batch from values already checked as the
        validators check them (`app.service.quick`): nothing is validated again.

        What `model_construct` does, for these fields only, in a quarter of its time.
        """
        request = cls.__new__(cls)
        fields = {
            "logits": logits,
            "target": target,
            "temperature": temperature,
            "label_smoothing": label_smoothing,
            "weights": weights,
            "ignore_index": ignore_index,
            "reduction": reduction,
            "loss": loss,
            "include": include,
        }
        object.__setattr__(request, "__dict__", fields)
        object.__setattr__(request, "__pydantic_fields_set__", _FIELDS)
        object.__setattr__(request, "__pydantic_extra__", None)
        object.__setattr__(request, "__pydantic_private__", {"_layout": None})
        return request

    @property
    def layout(self) -> tuple[int, ...] | None:
        """Return the shape of K-dimensional logits as sent, or None for a row or a batch."""
        # From the private dict itself: pydantic's attribute lookup for a private attribute
        # costs 1.4 µs, a twentieth of a whole small answer, and it is read three times.
        private = self.__pydantic_private__
        layout: tuple[int, ...] | None = private["_layout"] if private else None
        return layout

    @property
    def is_batch(self) -> bool:
        """Tell whether the logits are a batch (B×n, or K-dimensional) rather than one row."""
        return bool(self.logits.ndim == 2)

    @model_validator(mode="after")
    def _check_shapes_and_limits(self, info: ValidationInfo) -> Self:
        """Check what depends on several fields or on the limits in the validation context."""
        limits = info.context if isinstance(info.context, Settings) else Settings()
        if self.logits.ndim >= 3:
            self._to_rows()
        B, n = self.logits.shape if self.is_batch else (1, self.logits.shape[0])
        self._check_loss()
        if n > limits.max_classes:
            raise invalid("logits", f"at most {limits.max_classes:,} classes per row, got {n:,}")
        if B * n > limits.max_batch_elements:
            raise invalid(
                "logits",
                f"at most {limits.max_batch_elements:,} logits per request (B·n), got {B * n:,}",
            )
        probabilities = self.target.ndim == (2 if self.is_batch else 1)
        if probabilities and self.ignore_index != IGNORE_INDEX:
            raise invalid(
                "ignore_index",
                "applies only to class-index targets (PyTorch refuses it for probabilities too)",
            )
        cross_entropy = self.loss == "cross_entropy"
        self.target = _checked_target(
            self.target,
            self.is_batch,
            B,
            n,
            self.ignore_index if cross_entropy else None,
            sums_to_one=self.loss != "bce",
        )
        if self.weights is not None and self.weights.shape[0] != n:
            raise invalid(
                "weights", f"must have one weight per class ({n}), got {len(self.weights)}"
            )
        kept = (
            self.target[self.target != self.ignore_index] if self.target.dtype.kind == "i" else None
        )
        if (
            cross_entropy
            and self.reduction == "mean"
            and self.weights is not None
            and kept is not None
            and kept.size
            and self.weights[kept].sum() == 0.0
        ):
            raise invalid(
                "weights",
                "the target classes' weights sum to 0, so 'mean' is undefined "
                "(PyTorch returns NaN): use reduction 'sum' or give them weight",
            )
        self.include = checked_include(self.include, self.is_batch, B * n * n, limits)
        if self._layout is not None and {"jacobian", "chain"} & set(self.include):
            raise invalid(
                "include",
                "jacobian and chain are for one row or a batch (B, C) of logits; "
                "K-dimensional logits take 'check' only",
            )
        return self

    def _check_loss(self) -> None:
        """Refuse what the chosen loss does not take, as PyTorch's function has no such argument."""
        if self.loss == "cross_entropy":
            return
        if self._layout is not None:
            raise invalid(
                "loss",
                f"'{self.loss}' takes one row or a batch (B, C) of logits, not K-dimensional ones",
            )
        if self.ignore_index != IGNORE_INDEX:
            raise invalid("ignore_index", "applies to loss 'cross_entropy' only")
        if self.loss == "mse" and self.weights is not None:
            raise invalid(
                "weights", "not for loss 'mse': PyTorch's mse_loss takes no class weights"
            )
        if self.loss == "bce" and self.label_smoothing != 0.0:
            raise invalid(
                "label_smoothing",
                "not for loss 'bce': PyTorch's binary_cross_entropy_with_logits has no label "
                "smoothing",
            )
        if self.include and "check" in self.include:
            raise invalid(
                "include",
                "check is for loss 'cross_entropy' (its finite differences and error bounds "
                "are cross-entropy's)",
            )

    def _to_rows(self) -> None:
        """Check K-dimensional logits (N, C, d1, …) and their target; hold both as rows of C.

        Their size was counted on the whole array while they were read (`number_tensor`)."""
        Z = self.logits
        N, C, *spatial = Z.shape
        Y = np.asarray(self.target, dtype=np.float64)  # parsed as float64 numbers
        indices_shape = (N, *spatial)
        if Y.shape == indices_shape:  # class indices (N, d1, …)
            _check_indices(Y, C, self.ignore_index, batch=True)
            self.target = Y.reshape(-1)
        elif Y.shape == Z.shape:  # probabilities (N, C, d1, …): classes on axis 1
            within(Y, "target", 0.0, 1.0)
            sums = Y.sum(axis=1)
            tolerance = probability_sum_tolerance(C)
            off = np.argwhere(np.abs(sums - 1.0) > tolerance)
            if off.size:
                at = tuple(int(i) for i in off[0])
                where = f"target[{at[0]}][:]" + "".join(f"[{i}]" for i in at[1:])
                raise invalid(
                    where,
                    f"probabilities must sum to 1 (within {tolerance:.2g} for {C:,} classes), "
                    f"got {float(sums[at]):.9g}",
                )
            self.target = np.moveaxis(Y, 1, -1).reshape(-1, C)
        else:
            raise invalid(
                "target",
                f"must be class indices shaped {list(indices_shape)} or probabilities shaped "
                f"{list(Z.shape)} (classes on axis 1, as the logits), got shape {list(Y.shape)}",
            )
        self._layout = tuple(Z.shape)
        self.logits = np.ascontiguousarray(np.moveaxis(Z, 1, -1).reshape(-1, C))


_FIELDS = frozenset(GradientRequest.model_fields)


def _check_indices(
    target: NDArray[np.float64], n: int, ignore_index: int | None, batch: bool
) -> None:
    """Refuse a class index outside 0..n−1 (and not ignore_index), naming where it is: `target`
    for one row, `target[k]` for a batch, `target[i][j]` for K-dimensional targets."""
    bad = (target != np.floor(target)) | (target < 0) | (target >= n)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        where = "target" + "".join(f"[{i}]" for i in at) if batch else "target"
        value = float(target[at])
        got = as_written(value)
        why = ""
        if abs(value) >= 2**53:  # 9007199254740993 arrives as …992.0
            why = " (float64's nearest: whole numbers past 2**53 are not exact)"
        elif ignore_index is None and value == IGNORE_INDEX:  # mse, bce
            why = f" (rows of {IGNORE_INDEX} are ignored under loss 'cross_entropy' only)"
        raise invalid(where, f"class index must be a whole number in 0..{n - 1}, got {got}{why}")


def _checked_target(
    target: NDArray[np.generic],
    is_batch: bool,
    B: int,
    n: int,
    ignore_index: int | None = IGNORE_INDEX,
    sums_to_one: bool = True,
) -> NDArray[np.generic]:
    """Return class indices as an int array of B (or 0-d) or probabilities shaped like logits.

    A class index may be written 2 or 2.0 (JSON Schema counts both as integers), not 2.5; it is
    in 0..n−1 or equals `ignore_index`.
    """
    shape = (B, n) if is_batch else (n,)
    if target.ndim == (1 if is_batch else 0):
        if is_batch and target.shape[0] != B:
            rows = f"{B:,} row" + ("s" if B != 1 else "")
            raise invalid(
                "target", f"must have one class index per row ({rows}), got {len(target)}"
            )
        _check_indices(np.asarray(target, dtype=np.float64), n, ignore_index, is_batch)
        return target.astype(np.int64)
    if target.shape != shape:
        rows = f"{B:,} row" + ("s" if B != 1 else "")
        probabilities = f"{n:,} probabilit" + ("y" if n == 1 else "ies")
        what = f"{rows} of {probabilities}" if is_batch else probabilities
        if target.ndim != len(shape):  # neither indices nor rows: say both ways
            indices = f"{B:,} class ind{'ex' if B == 1 else 'ices'} (one per row)"
            what = f"{indices} or {what}" if is_batch else f"a class index or {what}"
        got = "a single number" if target.ndim == 0 else f"shape {list(target.shape)}"
        raise invalid("target", f"must be {what}, got {got}")
    Y = target.astype(np.float64)
    within(Y, "target", 0.0, 1.0)
    if not sums_to_one:  # bce's targets are n independent probabilities
        return Y
    sums = Y.sum(axis=-1)
    tolerance = probability_sum_tolerance(n)
    off = np.flatnonzero(np.abs(np.atleast_1d(sums) - 1.0) > tolerance)
    if off.size:
        where = f"target[{off[0]}]" if is_batch else "target"
        total = float(np.atleast_1d(sums)[off[0]])
        raise invalid(
            where,
            f"probabilities must sum to 1 (within {tolerance:.2g} for {n:,} classes), "
            f"got {total:.9g}",
        )
    return Y


def _listed(names: list[Part]) -> str:
    """Write 'jacobian', 'jacobian and chain' or 'jacobian, chain and check'."""
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"


def checked_include(
    include: list[Part] | None, is_batch: bool, matrix_elements: int, limits: Settings
) -> list[Part]:
    """Resolve the default optional outputs and refuse matrices over the limit; the parts come
    back once each, in one order (the answer and its ETag don't depend on how they were listed)."""
    fits = matrix_elements <= limits.max_matrix_elements
    if include is None:
        # By default only matrices small enough to read: a 1,000-class row's would be 26 MB.
        small = matrix_elements <= DEFAULT_MATRIX_CLASSES**2
        return ["jacobian", "chain"] if not is_batch and fits and small else []
    if include and not fits:
        raise invalid(
            "include",
            f"{_listed(include)} {'needs' if len(set(include)) == 1 else 'need'} "
            f"B·n² ≤ {limits.max_matrix_elements:,} "
            f"matrix entries, this request has {matrix_elements:,}",
        )
    asked = set(include)
    return [part for part in PARTS if part in asked]
