"""The typed values of a request: logits, target and weights, each read strictly and described
in JSON Schema; and the bounds of the numbers themselves."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from pydantic import PlainValidator, ValidationInfo, WithJsonSchema

from app.service.numbers import (
    MAX_DIMENSIONS,
    as_written,
    bound,
    describe,
    invalid,
    number_row,
    number_tensor,
    within,
)
from app.settings import Settings

Part = Literal["jacobian", "chain", "check"]
PARTS: tuple[Part, ...] = get_args(Part)  # the order an answer lists them in
MAX_PARTS = 16  # items of `include`, repeats allowed (and counted once)

# Bounds of the numbers themselves (not sizes): they keep Z/T, E and dE/dZ finite in float64.
MAX_ABS_LOGIT = 1e6
MAX_WEIGHT = 1e6
# A positive weight is at least this: weights then differ by at most 1e18, and a weighted mean
# (which divides by the target classes' weights) can neither overflow nor lose its digits.
MIN_POSITIVE_WEIGHT = 1e-12
MIN_TEMPERATURE = 1e-4
MAX_TEMPERATURE = 1e4
# How far the sum of a probability target may be from 1; it is then used as given, as PyTorch
# does. A softmax computed in float32 rounds its sum by up to about √n float32 epsilons (ten rows
# of torch.softmax(randn(10, 10000) * 4) sum to 1 ± 1.2e-6), so the tolerance grows with n:
# max(1e-6, 2·√n·2⁻²³), 2.4e-5 at n = 10,000. A sum further off is a mistake, not rounding.
PROBABILITY_SUM_TOLERANCE = 1e-6
FLOAT32_EPSILON = 2.0**-23


def probability_sum_tolerance(n: int) -> float:
    """Return how far a row of n target probabilities may sum from 1."""
    return max(PROBABILITY_SUM_TOLERANCE, 2.0 * math.sqrt(n) * FLOAT32_EPSILON)


# A single row of at most this many classes gets the Jacobian and the chain terms by default.
DEFAULT_MATRIX_CLASSES = 100


def _row_schema(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item, "minItems": 1}


_LOGIT = {"type": "number", "minimum": -MAX_ABS_LOGIT, "maximum": MAX_ABS_LOGIT}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}


def _nested(item: dict[str, Any], depth: int) -> dict[str, Any]:
    for _ in range(depth):
        item = _row_schema(item)
    return item


def _tensors(item: dict[str, Any], depths: range, what: str) -> list[dict[str, Any]]:
    """K-dimensional arrays, one schema per depth, rectangular (classes on axis 1)."""
    return [{**_nested(item, d), "description": f"{what}, {d} deep"} for d in depths]


def _limit(info: ValidationInfo) -> int:
    """Return how many numbers a request may hold, from the settings in the context (as the
    request's own checks take them: the defaults without one)."""
    settings = info.context if isinstance(info.context, Settings) else Settings()
    return settings.max_batch_elements


def _parse_logits(value: Any, info: ValidationInfo) -> NDArray[np.float64]:
    Z = number_tensor(value, "logits", limit=_limit(info))
    within(Z, "logits", -MAX_ABS_LOGIT, MAX_ABS_LOGIT)
    return Z


def _parse_target(value: Any, info: ValidationInfo) -> NDArray[np.float64]:
    """Read one number (a class index) or number rows; what a list means depends on logits."""
    if type(value) in (int, float):
        try:
            index = float(value)
        except OverflowError:
            raise invalid("target", "holds an integer too large for float64") from None
        if not math.isfinite(index):
            raise invalid("target", f"must be finite, got {index}")
        return np.array(index)
    if not isinstance(value, list):  # true, null, "0", {}: neither of the two forms
        raise invalid(
            "target",
            "must be a class index or a list of probabilities (a row's, or one per row), "
            f"got {describe(value)}",
        )
    return number_tensor(value, "target", limit=_limit(info))


def _parse_weights(value: Any) -> NDArray[np.float64] | None:
    if value is None:
        return None
    w = number_row(value, "weights")
    negative = np.flatnonzero(w < 0)
    if negative.size:
        # PyTorch accepts negative weights; dEdZ refuses them. A negative weight turns that
        # class's loss into a reward to maximise, and 'mean' divides by Σ w_y, which can then be
        # 0 or negative and flip the sign of every gradient: almost always a bug upstream.
        k = int(negative[0])
        got = as_written(float(w[k]))
        raise invalid(
            f"weights[{k}]",
            f"must not be negative, got {got}: a negative weight makes that class's loss a "
            "reward, and 'mean' can then divide by 0 (PyTorch accepts it; dEdZ does not)",
        )
    within(w, "weights", 0.0, MAX_WEIGHT)
    tiny = np.flatnonzero((w > 0) & (w < MIN_POSITIVE_WEIGHT))
    if tiny.size:
        k = int(tiny[0])
        raise invalid(
            f"weights[{k}]",
            f"must be 0 or between {bound(MIN_POSITIVE_WEIGHT)} and {bound(MAX_WEIGHT)}, "
            f"got {float(w[k])!r}",
        )
    return w


def _parse_ignore_index(value: Any) -> int:
    """Read a whole number: 3 or 3.0 (JSON Schema counts both as integers), never true or "3"."""
    # below 2⁵³ in magnitude: a class index past it reaches float64 rounded, and 2⁵³ + 1 would
    # be ignored as 2⁵³
    if type(value) is int and abs(value) < 2**53:
        return value
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    # as JSON spells it (true, not True), as the other fields' messages do
    raise invalid(
        "ignore_index", f"must be a whole number within ±(2**53 − 1), got {describe(value)}"
    )


IgnoreIndex = Annotated[
    int,
    PlainValidator(_parse_ignore_index),
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": -(2**53 - 1),
            "maximum": 2**53 - 1,
            "title": "Ignore Index",
        }
    ),
]

Logits = Annotated[
    NDArray[np.float64],
    PlainValidator(_parse_logits),
    WithJsonSchema(
        {
            "anyOf": [
                _row_schema(_LOGIT),
                _row_schema(_row_schema(_LOGIT)),
                *_tensors(_LOGIT, range(3, MAX_DIMENSIONS + 1), "logits (N, C, d1, …, dK)"),
            ],
            "title": "Logits",
            "description": (
                "Z: one row of n logits, a batch of B rows of n logits, or K-dimensional logits "
                "(N, C, d1, …, dK) as PyTorch takes them (classes on axis 1; the response keeps "
                f"that layout). Each logit is finite with |Z| ≤ {bound(MAX_ABS_LOGIT)}."
            ),
        }
    ),
]
Target = Annotated[
    NDArray[np.generic],
    PlainValidator(_parse_target),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer"},
                _row_schema(_PROBABILITY),
                _row_schema({"type": "integer"}),
                _row_schema(_row_schema(_PROBABILITY)),
                {**_nested({"type": "integer"}, 2), "description": "class indices (N, d1)"},
                *_tensors(
                    {"type": "integer"}, range(3, MAX_DIMENSIONS), "class indices (N, d1, …, dK)"
                ),
                *_tensors(
                    _PROBABILITY, range(3, MAX_DIMENSIONS + 1), "probabilities (N, C, d1, …, dK)"
                ),
            ],
            "title": "Target",
            "description": (
                "Y. For one row: a class index (0-based, as in PyTorch: in 0..n−1, or "
                "ignore_index to leave the row out) or n probabilities. "
                "For a batch: B class indices or B rows of n probabilities. Probabilities lie in "
                "[0, 1] and each row sums to 1 within max(1e-6, 2·√n·2⁻²³) (float32 rounding of "
                "a softmax over n classes; 2.4e-5 at n = 10,000), and is used as given."
            ),
        }
    ),
]
Weights = Annotated[
    NDArray[np.float64] | None,
    PlainValidator(_parse_weights),
    WithJsonSchema(
        {
            "anyOf": [
                _row_schema(
                    {
                        "anyOf": [
                            {"type": "number", "const": 0},
                            {
                                "type": "number",
                                "minimum": MIN_POSITIVE_WEIGHT,
                                "maximum": MAX_WEIGHT,
                            },
                        ]
                    }
                ),
                {"type": "null"},
            ],
            "title": "Weights",
            "description": (
                "w: one weight per class (n numbers, each 0 or in [1e-12, 1e6]), or null for all "
                "1. Negative weights are refused (PyTorch accepts them): they make a class's loss "
                "a reward, and 'mean' can then divide by 0 or flip every gradient's sign. Under "
                "'mean', target classes whose weights sum to 0 are refused (422): PyTorch's loss "
                "and gradients are NaN there, while rows all ignored by ignore_index give a null "
                "loss and zero gradients, as PyTorch's."
            ),
        }
    ),
]
