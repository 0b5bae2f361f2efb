"""One view model per panel, built from the canonical state and the one `GradientResult`.

What the state *is* (one-hot, smoothed, weighted, scaled …) is decided once, in `Facts`; every
panel, sentence and formula reads it from there. No maths here: every number comes from the
result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.explorer.charts import (
    BarChart,
    bar_chart,
    paired_bar_chart,
    symmetric_bounds,
    waterfall_chart,
)
from app.explorer.display import number
from app.explorer.heatmap import Heatmap, heatmap
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class Facts:
    """What kind of state this is, decided once for every panel."""

    n: int
    labels: list[str]  # the page's class names: 1 … n
    j: int  # 0-based class whose chain-rule terms are shown
    one_hot: int | None  # the target class (0-based) when Y' is one-hot
    smoothed: bool  # label smoothing ε > 0
    weighted: bool  # some class weight is not 1
    tempered: bool  # T ≠ 1
    norm: float  # N: what the reduction divides by
    total: float  # S = Σ c, c = w·Y'
    scale: float  # S / (T·N): dE/dZ = scale · (O − c/S)

    @property
    def scaled(self) -> bool:
        """Tell whether dE/dZ differs from O·ΣY − Y by a factor (T, N or the weights)."""
        return self.tempered or self.norm != 1.0 or self.weighted

    @property
    def plain_one_hot(self) -> int | None:
        """Return the target class when dE/dZ is exactly O − Y for a one-hot Y, else None."""
        return self.one_hot if self.one_hot is not None and self.scale == 1.0 else None


def facts(state: ExplorerState, result: GradientResult) -> Facts:
    """Decide what kind of state this is, from the state and its result."""
    ce = result.ce
    target = ce.target[0]
    hot = np.flatnonzero(target == 1.0)
    total = float(ce.weighted_target[0].sum())
    return Facts(
        n=state.n,
        labels=[str(i + 1) for i in range(state.n)],
        j=state.j,
        one_hot=int(hot[0]) if hot.size == 1 and not state.label_smoothing else None,
        smoothed=state.label_smoothing != 0.0,
        weighted=state.weights is not None,
        tempered=state.temperature != 1.0,
        norm=float(ce.norm),
        total=total,
        scale=total / (state.temperature * float(ce.norm)),
    )


@dataclass(frozen=True, slots=True)
class LogitsPanel:
    """The logits Z as bars."""

    labels: list[str]
    values: list[float]
    chart: BarChart


@dataclass(frozen=True, slots=True)
class ProbsPanel:
    """O beside the effective target Y'."""

    labels: list[str]
    probs: list[float]
    target: list[float]
    chart: BarChart
    smoothed: bool
    tempered: bool


@dataclass(frozen=True, slots=True)
class GradPanel:
    """dE/dZ as signed bars."""

    labels: list[str]
    values: list[float]
    chart: BarChart
    scaled: bool


@dataclass(frozen=True, slots=True)
class Term:
    """One class's part of the loss: −c_i·log O_i."""

    i: int  # 1-based, as the page names classes
    weighted_target: float
    log_prob: float


@dataclass(frozen=True, slots=True)
class LossPanel:
    """E with its formula in the state's numbers, and dE/dZ_j likewise."""

    loss: float
    terms: list[Term]
    smoothed: bool
    weighted: bool
    norm: float
    total: float
    temperature: float
    general: bool  # the gradient needs the general form (S·O_j − c_j)/(T·N)
    j: int  # 1-based
    grad_j: float
    prob_j: float
    target_j: float  # Y'_j
    weighted_target_j: float  # c_j


@dataclass(frozen=True, slots=True)
class ChainTerm:
    """dE/dO_i · dO_i/dZ_j for the chosen j."""

    i: int  # 1-based
    grad_prob: float | None  # None where O_i underflows (dE/dO_i is −∞)
    jacobian: float
    value: float
    direct: bool


@dataclass(frozen=True, slots=True)
class ChainPanel:
    """The n chain-rule terms that add up to dE/dZ_j, as a waterfall and a table."""

    n: int
    j: int  # 1-based
    terms: list[ChainTerm]
    total: float  # dE/dZ_j
    chart: BarChart
    sentence: str


@dataclass(frozen=True, slots=True)
class JacobianPanel:
    """dO/dZ as a heatmap and a table."""

    n: int
    labels: list[str]
    matrix: list[list[float]]
    map: Heatmap
    tempered: bool


def _row(array: Any) -> list[float]:
    return [float(v) for v in array[0]]


def _logits(state: ExplorerState, result: GradientResult, f: Facts) -> LogitsPanel:
    values = list(state.logits)
    chart = bar_chart(values, [f"Z{k}" for k in f.labels], symmetric_bounds(values))
    return LogitsPanel(f.labels, values, chart)


def _probs(state: ExplorerState, result: GradientResult, f: Facts) -> ProbsPanel:
    probs, target = _row(result.ce.softmax.probs), _row(result.ce.target)
    chart = paired_bar_chart(probs, target, f.labels)
    return ProbsPanel(f.labels, probs, target, chart, f.smoothed, f.tempered)


def _grad(state: ExplorerState, result: GradientResult, f: Facts) -> GradPanel:
    values = _row(result.ce.grad_logits)
    return GradPanel(f.labels, values, bar_chart(values, [f"Z{k}" for k in f.labels]), f.scaled)


def _loss(state: ExplorerState, result: GradientResult, f: Facts) -> LossPanel:
    ce = result.ce
    c = _row(ce.weighted_target)
    terms = [
        Term(i=i + 1, weighted_target=c[i], log_prob=float(ce.softmax.log_probs[0, i]))
        for i in range(f.n)
    ]
    return LossPanel(
        loss=float(np.atleast_1d(ce.loss)[0]),
        terms=terms,
        smoothed=f.smoothed,
        weighted=f.weighted,
        norm=f.norm,
        total=f.total,
        temperature=state.temperature,
        general=f.scaled,
        j=f.j + 1,
        grad_j=float(ce.grad_logits[0, f.j]),
        prob_j=float(ce.softmax.probs[0, f.j]),
        target_j=float(ce.target[0, f.j]),
        weighted_target_j=c[f.j],
    )


def sentence(f: Facts, grad: Sequence[float], terms: Sequence[ChainTerm]) -> str:
    """Say in words which terms make dE/dZ_j, as the seed question needs it said."""
    j, J = f.j, f.j + 1
    y = f.plain_one_hot
    if y is not None and y != j:
        # dE/dZ_y is O_y − 1 computed precisely (as −Σ_{k≠y} O_k): quote it, not O_y − 1 in
        # floating point, which rounds to 0 or to the wrong digits when O_y is near 1.
        return (
            f"dE/dZ{J} = O{J} = {number(grad[j], 2)}, not O{y + 1} − 1 = "
            f"{number(grad[y], 2)}: the i = {y + 1} term carries it, because "
            f"O{y + 1} depends on Z{J} through the softmax's shared denominator."
        )
    if y is not None:
        return (
            f"dE/dZ{J} = O{J} − 1 = {number(grad[j], 2)}: the i = {J} term carries it; "
            f"the other outputs' targets are 0, so their terms vanish."
        )
    direct = math.fsum(t.value for t in terms if t.direct)
    cross = math.fsum(t.value for t in terms if not t.direct)
    return (
        f"dE/dZ{J} = {number(grad[j], 3)}: the direct term (i = {J}) gives {number(direct, 3)} "
        f"and the cross terms (i ≠ {J}) give {number(cross, 3)}."
    )


def _chain(state: ExplorerState, result: GradientResult, f: Facts) -> ChainPanel:
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
        )
        for i in range(f.n)
    ]
    grad = _row(ce.grad_logits)
    chart = waterfall_chart(
        [t.value for t in terms],
        [str(t.i) for t in terms] + ["sum"],
        ["direct" if t.direct else "cross" for t in terms] + ["total"],
    )
    return ChainPanel(f.n, j + 1, terms, grad[j], chart, sentence(f, grad, terms))


def _jacobian(state: ExplorerState, result: GradientResult, f: Facts) -> JacobianPanel:
    assert result.jacobian is not None
    J = result.jacobian[0].tolist()
    hmap = heatmap(J, [f"O{k}" for k in f.labels], [f"Z{k}" for k in f.labels])
    return JacobianPanel(f.n, f.labels, J, hmap, f.tempered)


BUILDERS: dict[str, Callable[[ExplorerState, GradientResult, Facts], Any]] = {
    "logits": _logits,
    "probs": _probs,
    "grad": _grad,
    "loss": _loss,
    "chain": _chain,
    "jacobian": _jacobian,
}


def build(state: ExplorerState, result: GradientResult, names: Sequence[str]) -> dict[str, Any]:
    """Return the view model of each named panel (only those: an embed may show a few)."""
    f = facts(state, result)
    return {name: BUILDERS[name](state, result, f) for name in names}
