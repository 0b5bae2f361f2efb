"""The five steps of dE/dZ_j for softmax + cross-entropy, each in the state's numbers.

    1. dE/dZ_j = Σ_i (dE/dO_i)(dO_i/dZ_j)           (a choice: the sum over every output)
    2. dE/dO_i = −c_i/(N·O_i)                        (c = w·Y′ after weights and smoothing)
    3. dO_i/dZ_j = O_i(δ_ij − O_j)/T
    4. term_i = −c_i(δ_ij − O_j)/(T·N)               (the O_i cancels: no 1/O_i is left)
    5. Σ_i term_i = (O_j·S − c_j)/(T·N)              (O_j − Y_j when S = T = N = 1)

N is what the reduction divides by (1 for one row under "mean" without weights): steps 2 and
4 are then `/gradient`'s `grad_probs` and `chain` terms, and step 5 its dE/dZ_j to the last
bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from app.core.cross_entropy import CrossEntropy
from app.core.softmax import Array


class Steps(NamedTuple):
    """Each step's values for the first row and class j."""

    grad_probs: Array  # −c_i/(N·O_i) (−∞ where O_i underflows and c_i > 0)
    jacobian: Array  # O_i(δ_ij − O_j)/T
    terms: Array  # −c_i(δ_ij − O_j)/(T·N)
    total: float  # (O_j·S − c_j)/(T·N) = dE/dZ_j


def steps(ce: CrossEntropy, j: int, temperature: float) -> Steps:
    """Return the derivation's numbers for class j (0-based) of the first row."""
    O = ce.softmax.probs[0]
    c = ce.weighted_target[0] / ce.norm if ce.norm != 1.0 else ce.weighted_target[0]
    delta = np.zeros_like(O)
    delta[j] = 1.0
    # 0/0 where O underflows (c is 0 too), and c/O past float64 where O is subnormal: −∞
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad_probs = np.where(c == 0.0, 0.0, -c / O)
    # δ_ij − O_j, with the precise complement 1 − O_j where it is the top class
    shifted = delta - O[j]
    if j == int(ce.softmax.top[0]):
        shifted[j] = float(ce.softmax.complement[0])
    jacobian = O * shifted / temperature
    terms = -c * shifted / temperature
    return Steps(grad_probs + 0.0, jacobian + 0.0, terms + 0.0, float(ce.grad_logits[0, j]))
