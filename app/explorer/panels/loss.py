"""The loss panel: E with its formula in the state's numbers, and dE/dZ_j likewise."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.objectives import one_loss
from app.explorer.display import number
from app.explorer.panels.facts import Facts, first_row
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


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
    per_line: int  # terms per line of the formula: two fit a phone's width only if short
    loss_name: str = "cross_entropy"
    probs: tuple[float, ...] = ()  # O (mse) or σ (bce), for the other losses' formulas
    targets: tuple[float, ...] = ()  # Y′ (mse) or Y (bce)
    elements: tuple[float, ...] = ()  # each class's loss before the reduction divides by N
    weight_j: float = 1.0

    @property
    def coupling(self) -> float:
        """s = Σ_i (O_i − Y′_i)·O_i, squared error's coupling: with it the chain rule's sum is
        dE/dZ_j = 2·O_j·((O_j − Y′_j) − s)/(T·N), one line of numbers."""
        return math.fsum((o - y) * o for o, y in zip(self.probs, self.targets, strict=True))

    @property
    def pairs(self) -> list[tuple[float, float]]:
        """Return (O_i, Y′_i) per class, for squared error's formula."""
        return list(zip(self.probs, self.targets, strict=True))

    @property
    def pairs_per_line(self) -> int:
        """Return how many (O_i − Y′_i)² go on one line of squared error's formula: two
        fit a 375 px phone only if short (after "= 1/3 (", "(0.6285 − 1)² + (0.2312 − 0)²"
        did not)."""
        longest = max((len(number(o, 4)) + len(number(y, 4)) for o, y in self.pairs), default=0)
        return 2 if longest <= _SHORT_PAIR else 1


def loss(state: ExplorerState, result: GradientResult, f: Facts) -> LossPanel:
    ce = result.ce
    c = first_row(ce.weighted_target)
    terms = [
        Term(i=i + 1, weighted_target=c[i], log_prob=float(ce.softmax.log_probs[0, i]))
        for i in range(f.n)
    ]
    return LossPanel(
        loss=one_loss(ce),
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
        per_line=_per_line(terms, f.weighted or f.smoothed),
        loss_name=state.loss,
        probs=tuple(first_row(ce.softmax.probs)),
        targets=tuple(first_row(ce.target)),
        elements=tuple(first_row(ce.row_loss)) if ce.row_loss.ndim == 2 else (),
        weight_j=state.weights[f.j] if state.weights else 1.0,
    )


# Two terms such as "1·(−0.3133)" fit on one line of a phone's width; "0.1·(−50000)" do not.
_SHORT_TERM = 8  # characters of the two numbers of a term: 1·(−0.3133) fits twice, not more
_SHORT_PAIR = 5  # of squared error's (O_i − Y′_i)²: (0.5 − 1)² fits twice, (0.6285 − 1)² not


def _per_line(terms: list[Term], long_weights: bool) -> int:
    """Return how many terms of the loss formula go on one line."""
    longest = max(len(number(t.weighted_target, 4)) + len(number(t.log_prob, 4)) for t in terms)
    return 1 if long_weights or longest > _SHORT_TERM else 2
