"""Why is it so simple? Cross-entropy's chain-rule terms beside another loss's, for the same j.

Cross-entropy's term (−Y′_i/O_i)·O_i(δ_ij − O_j) loses its O_i: the 1/O_i of dE/dO_i cancels
the O_i of dO_i/dZ_j, leaving −Y′_i(δ_ij − O_j), which sums to O_j − Y′_j. Squared error's
2(O_i − Y′_i)/N·O_i(δ_ij − O_j) keeps it, and binary cross-entropy's outputs do not compete:
its Jacobian is diagonal, so only i = j survives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core import Array, CrossEntropy
from app.core.objectives import LossName, chain_of, evaluate, output_jacobian
from app.explorer.charts import BarChart, waterfall_chart
from app.explorer.display import number
from app.explorer.panels.facts import Facts
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult

TITLES = {"mse": "squared error of O", "bce": "binary cross-entropy of σ(Z/T)"}


@dataclass(frozen=True, slots=True)
class Term:
    """Term i of dE/dZ_j under both losses: dE/dO_i, dO_i/dZ_j and their product."""

    i: int  # 1-based
    ce_grad_prob: float | None  # None where O_i underflows (−∞)
    ce_jacobian: float
    ce_value: float
    grad_prob: float  # the other loss's dE/dO_i
    jacobian: float
    value: float


@dataclass(frozen=True, slots=True)
class ComparePanel:
    """Cross-entropy's waterfall beside the other loss's."""

    other: str
    title: str
    j: int  # 1-based
    n: int
    terms: list[Term]
    ce_total: float
    total: float
    ce_chart: BarChart
    chart: BarChart
    sentence: str
    notes: list[str]


def _sentence(other: str, J: str, name: str, ce_total: float, total: float) -> str:
    """The comparison in words; J is the class's subscript ("2", or "_cat" with names), name
    how it is called ("2", or "cat")."""
    if other == "bce":
        return (
            f"For binary cross-entropy only the i = {name} term survives: each σ_i depends on Z_i "
            f"alone, so here the diagonal-only intuition is right, because sigmoid outputs "
            f"don't compete. dE/dZ{J} = {number(total, 5)} against cross-entropy's "
            f"{number(ce_total, 5)}."
        )
    ratio = abs(ce_total / total) if total else float("inf")
    text = (
        f"Squared error keeps every O_i: its dE/dZ{J} = {number(total, 5)} against "
        f"cross-entropy's {number(ce_total, 5)}"
    )
    if ratio > 10:
        text += (
            f", {number(ratio, 3)} times smaller: squared error learns slowest when it is "
            f"most wrong (O flattens, and so does every O_i(δ_ij − O_j))."
        )
    else:
        text += "."
    return text


def _worked(state: ExplorerState, loss: LossName) -> tuple[CrossEntropy, Array, Array]:
    """Return a loss of the state, its Jacobian and its chain-rule terms (mse leaves out the
    weights and bce the label smoothing, which they do not take)."""
    Z = np.array([state.logits])
    T = state.temperature
    ce = evaluate(
        loss,
        Z,
        np.array([state.target]),
        temperature=T,
        label_smoothing=0.0 if loss == "bce" else state.label_smoothing,
        weights=np.array(state.weights) if state.weights and loss != "mse" else None,
        reduction=state.reduction,
    )
    J = output_jacobian(loss, ce, Z, T)
    return ce, J, chain_of(loss, ce, J, T)


def compare(state: ExplorerState, result: GradientResult, f: Facts, other: str) -> ComparePanel:
    """Build the two waterfalls of dE/dZ_j (j = the state's) for cross-entropy and `other`."""
    notes = []
    if other == "mse" and state.weights is not None:
        notes.append("Squared error takes no class weights: they are left out here.")
    if other == "bce" and state.label_smoothing:
        notes.append("Binary cross-entropy takes no label smoothing: Y is used as given.")
    if (
        state.loss == "bce"
        and not isinstance(state.target, int)
        and abs(sum(state.target) - 1.0) > 1e-6
    ):
        notes.append(
            "Cross-entropy takes this target as given, though it does not sum to 1 "
            "(binary cross-entropy allows that; /gradient refuses it for cross-entropy)."
        )
    ce, J, chain = _worked(state, "mse" if other == "mse" else "bce")
    if state.loss == "cross_entropy":  # the page's own result is cross-entropy's
        assert result.jacobian is not None
        assert result.chain is not None
        main, main_J, main_chain = result.ce, result.jacobian, result.chain
    else:
        main, main_J, main_chain = _worked(state, "cross_entropy")
    j = f.j
    gp = main.grad_probs[0]
    terms = [
        Term(
            i=i + 1,
            ce_grad_prob=float(gp[i]) if np.isfinite(gp[i]) else None,
            ce_jacobian=float(main_J[0][i, j]),
            ce_value=float(main_chain[0][i, j]),
            grad_prob=float(ce.grad_probs[0, i]),
            jacobian=float(J[0, i, j]),
            value=float(chain[0, i, j]),
        )
        for i in range(f.n)
    ]
    labels = [*f.labels, "sum"]
    kinds = ["direct" if t.i == j + 1 else "cross" for t in terms] + ["total"]
    ce_total = float(main.grad_logits[0, j])
    total = float(ce.grad_logits[0, j])
    return ComparePanel(
        other=other,
        title=TITLES[other],
        j=j + 1,
        n=f.n,
        terms=terms,
        ce_total=ce_total,
        total=total,
        ce_chart=waterfall_chart([t.ce_value for t in terms], labels, kinds),
        chart=waterfall_chart([t.value for t in terms], labels, kinds),
        sentence=_sentence(other, f.sub(j), f.labels[j], ce_total, total),
        notes=notes,
    )
