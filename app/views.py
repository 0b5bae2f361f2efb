"""What each explorer panel shows, built from the one `GradientResult` (no maths here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.charts import BarChart, bar_chart, paired_bar_chart, symmetric_bounds, waterfall_chart
from app.explorer import MAX_CLASSES, MIN_CLASSES, Draft, api_query, page_query, placed_errors
from app.formatting import exact, number
from app.heatmap import Heatmap, heatmap
from app.service import GradientResult

LOGIT_RANGE = (-10.0, 10.0)


@dataclass(frozen=True, slots=True)
class Term:
    """One class's part of the loss: −c_i·log O_i."""

    i: int  # 1-based, as the page names classes
    weighted_target: float
    prob: float
    log_prob: float
    value: float


@dataclass(frozen=True, slots=True)
class ChainTerm:
    """dE/dO_i · dO_i/dZ_j for the chosen j."""

    i: int
    grad_prob: float | None  # None where O_i underflows (dE/dO_i is −∞)
    jacobian: float
    value: float
    direct: bool


@dataclass(frozen=True, slots=True)
class Panels:
    """Everything the panels draw, in page terms (1-based classes)."""

    n: int
    labels: list[str]
    logits: list[float]
    probs: list[float]
    target: list[float]
    grad: list[float]
    loss: float
    temperature: float
    norm: float
    total_weighted_target: float
    one_hot: int | None  # the target class (0-based) when Y' is one-hot and nothing rescales
    smoothed: bool
    weighted: bool
    j: int  # 0-based
    logits_chart: BarChart
    probs_chart: BarChart
    grad_chart: BarChart
    jacobian_matrix: list[list[float]]
    jacobian_map: Heatmap
    chain: list[ChainTerm]
    chain_chart: BarChart
    terms: list[Term]
    sentence: str


def _sentence(
    p_grad: float, j: int, chain: list[ChainTerm], one_hot: int | None, probs: list[float]
) -> str:
    """Say in words which terms make dE/dZ_j, as the seed question needs it said."""
    J = j + 1
    if one_hot is not None and one_hot != j:
        y = one_hot + 1
        return (
            f"dE/dZ{J} = O{J} = {number(p_grad, 2)}, not O{y} − 1 = "
            f"{number(probs[one_hot] - 1, 2)}: the i = {y} term carries it, because "
            f"O{y} depends on Z{J} through the softmax's shared denominator."
        )
    if one_hot is not None:
        return (
            f"dE/dZ{J} = O{J} − 1 = {number(p_grad, 2)}: the i = {J} term carries it; "
            f"the other outputs' targets are 0, so their terms vanish."
        )
    direct = sum(t.value for t in chain if t.direct)
    cross = sum(t.value for t in chain if not t.direct)
    return (
        f"dE/dZ{J} = {number(p_grad, 3)}: the direct term (i = {J}) gives {number(direct, 3)} "
        f"and the cross terms (i ≠ {J}) give {number(cross, 3)}."
    )


def panels(result: GradientResult, j: int) -> Panels:
    """Build the panels' view of a single-row result, with the chain broken down for class j."""
    ce = result.ce
    request = result.request
    T = request.temperature
    n = ce.softmax.probs.shape[1]
    labels = [str(i + 1) for i in range(n)]
    logits = [float(v) for v in np.atleast_2d(request.logits)[0]]
    probs = [float(v) for v in ce.softmax.probs[0]]
    target = [float(v) for v in ce.target[0]]
    grad = [float(v) for v in ce.grad_logits[0]]
    if result.jacobian is None or result.chain is None:
        raise ValueError("the explorer needs a result with the Jacobian and the chain terms")
    J = result.jacobian[0]
    chain_matrix = result.chain[0]
    c = ce.weighted_target[0]
    rescaled = request.weights is not None or T != 1.0 or ce.norm != 1.0
    hot = np.flatnonzero(ce.target[0] == 1.0)
    one_hot = int(hot[0]) if hot.size == 1 and not rescaled else None

    chain = [
        ChainTerm(
            i=i + 1,
            grad_prob=float(ce.grad_probs[0, i]) if np.isfinite(ce.grad_probs[0, i]) else None,
            jacobian=float(J[i, j]),
            value=float(chain_matrix[i, j]),
            direct=i == j,
        )
        for i in range(n)
    ]
    return Panels(
        n=n,
        labels=labels,
        logits=logits,
        probs=probs,
        target=target,
        grad=grad,
        loss=float(np.atleast_1d(ce.loss)[0]),
        temperature=T,
        norm=ce.norm,
        total_weighted_target=float(c.sum()),
        one_hot=one_hot,
        smoothed=request.label_smoothing != 0.0,
        weighted=request.weights is not None and bool(np.any(request.weights != 1.0)),
        j=j,
        logits_chart=bar_chart(logits, [f"Z{k}" for k in labels], symmetric_bounds(logits)),
        probs_chart=paired_bar_chart(probs, target, [str(k) for k in labels]),
        grad_chart=bar_chart(grad, [f"Z{k}" for k in labels]),
        jacobian_matrix=[[float(v) for v in row] for row in J],
        jacobian_map=heatmap(J.tolist(), [f"O{k}" for k in labels], [f"Z{k}" for k in labels]),
        chain=chain,
        chain_chart=waterfall_chart(
            [t.value for t in chain],
            [str(t.i) for t in chain] + ["sum"],
            ["direct" if t.direct else "cross" for t in chain] + ["total"],
        ),
        terms=[
            Term(
                i=i + 1,
                weighted_target=float(c[i]),
                prob=probs[i],
                log_prob=float(ce.softmax.log_probs[0, i]),
                value=float(ce.loss_terms[0, i]),
            )
            for i in range(n)
        ],
        sentence=_sentence(grad[j], j, chain, one_hot, probs),
    )


def page_context(
    draft: Draft, result: GradientResult, errors: dict[str, str], shown: Draft
) -> dict[str, Any]:
    """Return what the explorer's templates need: the form as typed and the panels as computed.

    `shown` is the state the panels show: the draft when it is valid, else the last valid one,
    which the form carries along for the next request.
    """
    sliders = []
    for text in draft.logits:
        try:
            sliders.append(min(max(float(text), LOGIT_RANGE[0]), LOGIT_RANGE[1]))
        except ValueError:
            sliders.append(0.0)
    p = panels(result, min(draft.j, result.ce.softmax.probs.shape[1] - 1))
    return {
        "draft": draft,
        "p": p,
        "errors": placed_errors(draft, errors),
        "sliders": [exact(v) for v in sliders],
        "weights": draft.weights or ["1"] * draft.n,
        "target_sum": _target_sum(draft),
        "last": page_query(shown),
        "api_query": api_query(shown),
        "min_classes": MIN_CLASSES,
        "max_classes": MAX_CLASSES,
        "advanced_open": draft.temperature != "1"
        or draft.label_smoothing != "0"
        or bool(draft.weights)
        or draft.reduction != "mean",
        "summary": (
            f"E = {number(p.loss, 4)}; dE/dZ = ("
            + ", ".join(number(g, 3) for g in p.grad)
            + f"); dE/dZ{p.j + 1} = {number(p.grad[p.j], 3)}"
        ),
    }


def _target_sum(draft: Draft) -> str:
    try:
        return number(sum(float(t) for t in draft.target), 6)
    except ValueError:
        return "?"
