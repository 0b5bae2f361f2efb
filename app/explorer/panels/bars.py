"""The three bar panels: logits Z, O beside Y', and the gradient dE/dZ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.explorer.charts import BarChart, bar_chart, paired_bar_chart
from app.explorer.panels.facts import Facts, first_row
from app.explorer.scales import symmetric_bounds
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class LogitsPanel:
    """The logits Z as bars."""

    labels: list[str]
    values: list[float]
    chart: BarChart
    descending: bool = False  # the outlines and arrows of a descent are drawn


@dataclass(frozen=True, slots=True)
class ProbsPanel:
    """O beside the effective target Y'."""

    labels: list[str]
    probs: list[float]
    target: list[float]
    chart: BarChart
    smoothed: bool
    tempered: bool
    loss: str


@dataclass(frozen=True, slots=True)
class GradPanel:
    """dE/dZ as signed bars."""

    labels: list[str]
    values: list[float]
    chart: BarChart
    scaled: bool
    loss: str
    smoothed: bool = False  # the target is Y′, after label smoothing
    weighted: bool = False  # class weights: each bar is (S·O_j − c_j)/(T·N)


def logits(
    state: ExplorerState,
    result: GradientResult,
    f: Facts,
    start: Sequence[float] | None = None,
    previous: Sequence[float] | None = None,
    lr: float | None = None,
) -> LogitsPanel:
    """Build the logits' bars; in a descent, with the start and the previous step as outlines
    and an arrow per bar previewing the next step −η·dE/dZ_j."""
    values = list(state.logits)
    ghosts = [(g, kind) for g, kind in ((start, "ghost-start"), (previous, "ghost-previous")) if g]
    steps = None if lr is None else [-lr * g for g in first_row(result.ce.grad_logits)]
    chart = bar_chart(values, f.symbols("Z"), symmetric_bounds(values), ghosts, steps)
    return LogitsPanel(f.labels, values, chart, lr is not None)


def probs(state: ExplorerState, result: GradientResult, f: Facts) -> ProbsPanel:
    probs, target = first_row(result.ce.softmax.probs), first_row(result.ce.target)
    chart = paired_bar_chart(probs, target, f.labels)
    return ProbsPanel(f.labels, probs, target, chart, f.smoothed, f.tempered, f.loss)


def grad(state: ExplorerState, result: GradientResult, f: Facts) -> GradPanel:
    values = first_row(result.ce.grad_logits)
    chart = bar_chart(values, f.symbols("Z"))
    return GradPanel(f.labels, values, chart, f.scaled, f.loss, f.smoothed, f.weighted)
