"""The chain-rule panel: the n terms (dE/dO_i)(dO_i/dZ_j) that add up to dE/dZ_j, and the
sentence that says which of them carries it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.explorer.charts import BarChart, waterfall_chart
from app.explorer.display import MINUS, number
from app.explorer.panels.facts import Facts, first_row
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class ChainTerm:
    """dE/dO_i · dO_i/dZ_j for the chosen j."""

    i: int  # 1-based
    grad_prob: float | None  # None where dE/dO_i is infinite (O_i underflows or σ_i saturates)
    jacobian: float
    value: float
    direct: bool
    infinite: str = ""  # what dE/dO_i is where it is None: −∞, or +∞ for a saturated σ


@dataclass(frozen=True, slots=True)
class ChainPanel:
    """The n chain-rule terms that add up to dE/dZ_j, as a waterfall and a table."""

    n: int
    j: int  # 1-based
    terms: list[ChainTerm]
    total: float  # dE/dZ_j
    chart: BarChart
    sentence: str
    loss: str = "cross_entropy"


def from_log(log_value: float) -> str:
    """Write e^log_value in decimal, even below float64's range: 5.1e−435 for e^−999."""
    exponent10 = log_value / math.log(10)
    exponent = math.floor(exponent10)
    mantissa = 10 ** (exponent10 - exponent)
    if f"{mantissa:.2g}" == "10":
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.2g}e{exponent}".replace("-", MINUS)


def sentence(
    f: Facts, grad: Sequence[float], terms: Sequence[ChainTerm], log_probs: Sequence[float]
) -> str:
    """Say in words which terms make dE/dZ_j, as the seed question needs it said."""
    j = f.j
    J, I = f.sub(j), f.labels[j]  # Z2 or Z_cat; the i = 2 (or i = cat) term
    if f.loss == "bce":
        return (
            f"dE/dZ{J} = {number(grad[j], 3)}: under binary cross-entropy each σ_i depends on "
            f"Z_i alone, so only the i = {I} term is non-zero, and it is w{J}(σ{J} − Y{J})/(T·N) "
            "— here the diagonal-only intuition is right, because sigmoid outputs don't compete."
        )
    if f.loss == "mse":
        direct = math.fsum(t.value for t in terms if t.direct)
        cross = math.fsum(t.value for t in terms if not t.direct)
        return (
            f"dE/dZ{J} = {number(grad[j], 3)}: under squared error nothing cancels, each term "
            f"keeps its O_i; the direct term (i = {I}) gives {number(direct, 3)} and the cross "
            f"terms (i ≠ {I}) give {number(cross, 3)}."
        )
    y = f.plain_one_hot
    if y is not None and y != j:
        Y, Yn = f.sub(y), f.labels[y]
        # dE/dZ_y is O_y − 1 computed precisely (as −Σ_{k≠y} O_k): quote it, not O_y − 1 in
        # floating point, which rounds to 0 or to the wrong digits when O_y is near 1.
        if grad[j] == 0.0 and math.isfinite(log_probs[j]):
            # O_j is below float64's range: say how small, from log O_j, rather than "0 ≠ 0".
            tiny = from_log(log_probs[j])
            return (
                f"dE/dZ{J} = O{J} ≈ {tiny}, too small for float64 (it computes as 0), and "
                f"not O{Y} − 1 ≈ {_complement(grad[y], log_probs, y)}: the i = {Yn} term "
                f"carries it, because O{Y} depends on Z{J} through the softmax's shared "
                "denominator."
            )
        return (
            f"dE/dZ{J} = O{J} = {number(grad[j], 2)}, not O{Y} − 1 = "
            f"{number(grad[y], 2)}: the i = {Yn} term carries it, because "
            f"O{Y} depends on Z{J} through the softmax's shared denominator."
        )
    if y is not None:
        return (
            f"dE/dZ{J} = O{J} − 1 = {number(grad[j], 2)}: the i = {I} term carries it; "
            f"the other outputs' targets are 0, so their terms vanish."
        )
    direct = math.fsum(t.value for t in terms if t.direct)
    cross = math.fsum(t.value for t in terms if not t.direct)
    return (
        f"dE/dZ{J} = {number(grad[j], 3)}: the direct term (i = {I}) gives {number(direct, 3)} "
        f"and the cross terms (i ≠ {I}) give {number(cross, 3)}."
    )


def chain(state: ExplorerState, result: GradientResult, f: Facts) -> ChainPanel:
    ce = result.ce
    assert result.jacobian is not None
    assert result.chain is not None
    J, chain, j = result.jacobian[0], result.chain[0], f.j
    grad_probs = ce.grad_probs[0]
    terms = [
        ChainTerm(
            i=i + 1,
            grad_prob=float(grad_probs[i]) if np.isfinite(grad_probs[i]) else None,
            jacobian=float(J[i, j]),
            value=float(chain[i, j]),
            direct=i == j,
            infinite="" if np.isfinite(grad_probs[i]) else "−∞" if grad_probs[i] < 0 else "+∞",
        )
        for i in range(f.n)
    ]
    grad = first_row(ce.grad_logits)
    chart = waterfall_chart(
        [t.value for t in terms],
        [*f.labels, "sum"],
        ["direct" if t.direct else "cross" for t in terms] + ["total"],
    )
    log_probs = first_row(ce.softmax.log_probs)
    return ChainPanel(
        f.n,
        j + 1,
        terms,
        grad[j],
        chart,
        sentence(f, grad, terms, log_probs),
        f.loss,
    )


def _complement(grad_y: float, log_probs: Sequence[float], y: int) -> str:
    """Write O_y − 1 = −Σ_{k≠y} O_k: the precise gradient where float64 holds it (−1 when
    O_y is tiny itself), else from the logs of the other outputs (it is not −O_j unless j is
    the only other class: with Z = (1000, −1000, 3), O_3 ≈ 1e−433 carries it)."""
    if grad_y != 0.0:
        return number(grad_y, 2)
    others = [v for k, v in enumerate(log_probs) if k != y]
    top = max(others)
    return MINUS + from_log(top + math.log(math.fsum(math.exp(v - top) for v in others)))
