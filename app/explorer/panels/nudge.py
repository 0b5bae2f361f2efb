"""Nudge a logit: the loss along Z_j with its tangent (slope dE/dZ_j) and a chord, the finite
differences converging to the slope, and every output along the same axis."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.core.nudge import Difference, LossLine, loss_line
from app.explorer.display import number
from app.explorer.lines import LineChart, loss_chart, probs_chart
from app.explorer.panels.facts import Facts
from app.explorer.panels.path import signed
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class NudgePanel:
    """The loss along one logit, and what a step of h does to it."""

    j: int  # 1-based
    h: float
    labels: list[str]
    loss: float
    slope: float
    differences: list[Difference]
    prob_slopes: list[float]  # dO_i/dZ_j at t = 0: the Jacobian's column j
    curve: LineChart
    strip: LineChart
    sentence: str
    converging: bool  # the central difference's error falls about a hundredfold per step
    lower: ExplorerState  # Z_j − h
    higher: ExplorerState  # Z_j + h
    line: LossLine


def _step(state: ExplorerState, j: int, delta: float) -> ExplorerState:
    """Return the state with Z_j moved by delta, written to 12 significant digits (so that two
    steps of 0.1 from 1 give 1.2, not 1.2000000000000002)."""
    logits = list(state.logits)
    logits[j] = float(f"{logits[j] + delta:.12g}")
    return replace(state, logits=tuple(logits))


def _converging(line: LossLine) -> bool:
    """Tell whether the central error falls about h²-fast over the first two steps."""
    first, second = line.differences[0].central_error, line.differences[1].central_error
    return first > 1e-12 and second <= first / 30


def _about(change: float, linear: float) -> str:
    """'about' where the step's change is within a fifth of h × slope, else 'against'."""
    return "about" if abs(change - linear) <= 0.2 * abs(linear) else "curving away from"


def _sentence(f: Facts, line: LossLine, state: ExplorerState) -> str:
    J = f.sub(line.j)  # 2, or _cat with the instructor's names
    h = line.h
    change = line.chord[1] - line.loss_at_zero
    moves = "raises" if change > 0 else "lowers" if change < 0 else "does not change"
    slope = signed(line.slope)
    y = f.plain_one_hot
    named = ""
    if y is not None:
        named = f" = O{J}" if y != line.j else f" = O{J} − 1"
    descent = "lowers" if line.slope > 0 else "raises" if line.slope < 0 else "leaves"
    text = (
        f"Raising Z{J} by {number(h, 3)} {moves} the loss"
        + (
            f" by {number(abs(change), 3)} ({_about(change, h * line.slope)} h × slope = "
            f"{number(h * line.slope, 3)})"  # signed: lowers by 0.036, h × slope = −0.0371
            if change
            else ""
        )
        + f": the slope is {slope}{named}, so gradient descent {descent} Z{J}."
    )
    if y is not None and f.n == 2 and y != line.j:
        wrong = -line.slope  # the belief dE/dZ_j = O_y − 1, which is −O_j for n = 2
        text += (
            f" The belief that dE/dZ{J} = O{f.sub(y)} − 1 = {number(wrong, 3)} would predict the "
            f"opposite: that the loss falls by about {number(abs(wrong) * h, 3)}."
        )
    return text


def nudge(state: ExplorerState, result: GradientResult, f: Facts, j: int, h: float) -> NudgePanel:
    """Build the panel for the logit Z_j (0-based) and the step h."""
    target = np.array([state.target])
    line = loss_line(
        np.array([state.logits]),
        target,
        j,
        h,
        temperature=state.temperature,
        label_smoothing=state.label_smoothing,
        weights=np.array(state.weights) if state.weights else None,
        reduction=state.reduction,
        loss=state.loss,
    )
    label = f.labels[j]
    curve = loss_chart(
        line.t.tolist(), line.loss.tolist(), line.loss_at_zero, line.slope, h, line.chord, label
    )
    strip = probs_chart(line.t.tolist(), line.probs.tolist(), f.labels, label)
    return NudgePanel(
        j=j + 1,
        h=h,
        labels=f.labels,
        loss=line.loss_at_zero,
        slope=line.slope,
        differences=line.differences,
        prob_slopes=[float(v) for v in line.prob_slopes],
        curve=curve,
        strip=strip,
        sentence=_sentence(f, line, state),
        converging=_converging(line),
        lower=_step(state, j, -h),
        higher=_step(state, j, h),
        line=line,
    )
