"""The wrong answers students give for dE/dZ, each computed for a state, so that a prediction can
be matched to the model it came from.

Each model is a formula a student may have used in place of the chain rule, evaluated on the
same numbers as the truth (c = w·Y', S = Σ c, `norm` the reduction's divisor, T the
temperature). A model is offered only where it differs from the truth in this state:
`raw-target` only where weights, smoothing or S ≠ 1 make the raw target wrong, and
`temperature-ignored` only where T ≠ 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from app.core.cross_entropy import CrossEntropy
from app.core.losses import sigmoids
from app.core.softmax import Array

# The catalogue's ids, in the order a diagnosis names them.
MODELS = (
    "copy-true-class",
    "direct-only",
    "stop-at-outputs",
    "sign-flipped",
    "raw-target",
    "temperature-ignored",
    "independent-sigmoids",
    "squared-error",
)


class Prediction(NamedTuple):
    """One wrong model's ĝ for the state's first row, and how it differs from the truth."""

    model: str
    gradient: Array  # ĝ_j for each class j


def wrong_models(
    ce: CrossEntropy,
    Z: Array,
    raw_target: Array,
    temperature: float,
    one_hot: int | None,
) -> list[Prediction]:
    """Return every catalogue model's ĝ for the first row, in MODELS order.

    `raw_target` is the target as given (one-hot or probabilities, before smoothing); `one_hot`
    the target class when it is a class index (`copy-true-class` needs one).
    """
    T = temperature
    O = ce.softmax.probs[0]
    Y = ce.target[0]  # Y', after smoothing
    c = ce.weighted_target[0]
    c_hat = c / ce.norm
    g = ce.grad_logits[0]
    models: list[Prediction] = []
    if one_hot is not None:
        models.append(Prediction("copy-true-class", np.full_like(g, g[one_hot])))
    models.append(Prediction("direct-only", -c_hat * (1.0 - O) / T + 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):  # −c/O is −∞ where O underflows
        models.append(Prediction("stop-at-outputs", np.where(c == 0.0, 0.0, -c_hat / O)))
    models.append(Prediction("sign-flipped", -g + 0.0))
    raw = np.asarray(raw_target, dtype=np.float64)
    if not np.array_equal(c_hat, raw) or float(c_hat.sum()) != 1.0:
        models.append(Prediction("raw-target", (O - raw) / T))
    if T != 1.0:
        models.append(Prediction("temperature-ignored", g * T))
    models.append(Prediction("independent-sigmoids", sigmoids(Z[0] / T)[0] - Y))
    J = (np.diag(O) - np.outer(O, O)) / T
    models.append(Prediction("squared-error", J.T @ (2.0 * (O - Y))))
    return models


def tolerance(value: Array) -> Array:
    """How far a guess may be from a value and still count as it: max(0.01, 5% of |value|)."""
    tol: Array = np.maximum(0.01, 0.05 * np.abs(value))
    return tol


def within(guess: Array, value: Array) -> np.ndarray:
    """Tell, class by class, whether a guess counts as the value."""
    with np.errstate(invalid="ignore"):
        close: np.ndarray = np.abs(guess - value) <= tolerance(value)
    return close


def signs(value: Array, scale: float) -> np.ndarray:
    """Return −1, 0 or +1 per class: 0 where |value| is below 1e-9 of the largest |value|."""
    s: np.ndarray = np.where(np.abs(value) <= 1e-9 * scale, 0, np.sign(value)).astype(int)
    return s
