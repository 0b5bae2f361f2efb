"""The three bar panels: logits Z, O beside Y', and the gradient dE/dZ."""

from __future__ import annotations

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


def logits(state: ExplorerState, result: GradientResult, f: Facts) -> LogitsPanel:
    values = list(state.logits)
    chart = bar_chart(values, [f"Z{k}" for k in f.labels], symmetric_bounds(values))
    return LogitsPanel(f.labels, values, chart)


def probs(state: ExplorerState, result: GradientResult, f: Facts) -> ProbsPanel:
    probs, target = first_row(result.ce.softmax.probs), first_row(result.ce.target)
    chart = paired_bar_chart(probs, target, f.labels)
    return ProbsPanel(f.labels, probs, target, chart, f.smoothed, f.tempered)


def grad(state: ExplorerState, result: GradientResult, f: Facts) -> GradPanel:
    values = first_row(result.ce.grad_logits)
    return GradPanel(f.labels, values, bar_chart(values, [f"Z{k}" for k in f.labels]), f.scaled)
