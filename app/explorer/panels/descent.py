"""Gradient descent on the logits: the state is the k-th step from a start, replayed exactly;
E, each O_i and each Z_i along the way, ΣZ (which the steps never change, since dE/dZ sums to
0), ‖∇E‖ and what the loss is doing."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from app.core.descent import MAX_STEPS, Trajectory, behaviour, descend
from app.explorer.display import number
from app.explorer.instruments import Instruments
from app.explorer.lines import LineChart, series_chart
from app.explorer.panels.facts import Facts
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult
from app.service.values import MAX_ABS_LOGIT


@dataclass(frozen=True, slots=True)
class DescentPanel:
    """The trajectory so far and the links that step it."""

    steps: int
    lr: float
    start: tuple[float, ...]
    loss: float
    total: float  # Σ Z, the same at every step
    grad_norm: float
    behaviour: str
    conserved: bool  # Σ Z is the same at every step (the gradient sums to 0): not for bce
    facts: list[str]
    trajectory: Trajectory
    loss_chart: LineChart
    probs_chart: LineChart
    logits_chart: LineChart
    links: list[tuple[str, Instruments]]  # (words, the instruments after it)


def trajectory_of(state: ExplorerState, instruments: Instruments) -> Trajectory:
    """Return the descent's k steps from its start (the state's logits if it has none)."""
    return descend(
        np.array([instruments.start or state.logits]),
        np.array([state.target]),
        instruments.lr,
        instruments.steps,
        temperature=state.temperature,
        label_smoothing=state.label_smoothing,
        weights=np.array(state.weights) if state.weights else None,
        reduction=state.reduction,
        loss=state.loss,
    )


def replay(
    state: ExplorerState, instruments: Instruments
) -> tuple[ExplorerState, Trajectory] | str:
    """Return the state at the descent's step and its trajectory, or why it cannot be."""
    trajectory = trajectory_of(state, instruments)
    out = np.flatnonzero(~(np.abs(trajectory.logits) <= MAX_ABS_LOGIT).all(axis=1))
    if out.size:
        return (
            f"the descent leaves the logits' range (|Z| ≤ 1e6) at step {int(out[0])}: "
            "take a smaller η or fewer steps"
        )
    return replace(state, logits=tuple(float(z) for z in trajectory.logits[-1])), trajectory


def _facts(state: ExplorerState, f: Facts) -> list[str]:
    facts = []
    if f.loss == "bce":
        facts.append(
            "Under binary cross-entropy each logit descends on its own σ_i: Σ Z changes, and "
            "each Z_i heads for T·log(Y_i/(1 − Y_i)), at infinity for a target of 0 or 1."
        )
    elif f.one_hot is not None:
        y = f.sub(f.one_hot)
        facts.append(
            f"With a one-hot target E → 0 only as Z{y} pulls away from every other logit: the "
            "optimum is at infinity, so the gaps keep growing however long the descent runs."
        )
    else:
        Y = state.target if not isinstance(state.target, int) else None
        if Y is not None or state.label_smoothing:
            facts.append(
                "With soft targets or label smoothing the optimum is finite: O = Y′, where "
                "Z_i − Z_k = T·log(Y′_i/Y′_k)."
            )
    if f.loss == "mse":
        facts.append(
            "Squared error keeps the O_i of every term: where the target's O is tiny the steps "
            "are tiny too, so it learns slowest when it is most wrong (compare=mse shows why)."
        )
    if state.temperature != 1.0:
        facts.append(
            f"The temperature scales each step by 1/T = {number(1 / state.temperature, 3)}: "
            "dE/dZ = (dE/d(Z/T))/T."
        )
    return facts


def descent(
    state: ExplorerState,
    result: GradientResult,
    f: Facts,
    instruments: Instruments,
    trajectory: Trajectory,
) -> DescentPanel:
    """Build the panel from the descent's `trajectory` (the state is its last step)."""
    start = tuple(float(z) for z in trajectory.logits[0])
    instruments = replace(instruments, start=start)
    k = instruments.steps
    x = list(range(k + 1)) if k else [0, 1]

    def rows(a: np.ndarray) -> list[list[float]]:
        values = a.T.tolist()
        return [v if k else v * 2 for v in values]

    losses = trajectory.loss.tolist() if k else trajectory.loss.tolist() * 2
    labels, probs = f.symbols("Z"), f.symbols("O")
    every = ["E", *probs, *labels]
    steps = [
        ("1 step", instruments.stepped(k + 1)),
        ("10 steps", instruments.stepped(k + 10)),
        ("50 steps", instruments.stepped(k + 50)),
        ("back 1", instruments.stepped(k - 1)),
        ("reset to the start", instruments.stepped(0)),
    ]
    links = [(words, i) for words, i in steps if i.steps != k and i.steps <= MAX_STEPS]
    return DescentPanel(
        steps=k,
        lr=instruments.lr,
        start=tuple(start),
        loss=float(trajectory.loss[-1]),
        total=float(math.fsum(trajectory.logits[-1])),
        grad_norm=float(np.linalg.norm(trajectory.grads[-1])),
        behaviour=behaviour(trajectory.loss),
        conserved=f.loss != "bce",
        facts=_facts(state, f),
        trajectory=trajectory,
        # the three charts share one step axis: their plots end at the same x
        loss_chart=series_chart(x, [losses], ["E"], "step", log=True, room_for=every),
        probs_chart=series_chart(
            x, rows(trajectory.probs), probs, "step", fixed=(0.0, 1.0), room_for=every
        ),
        logits_chart=series_chart(x, rows(trajectory.logits), labels, "step", room_for=every),
        links=links,
    )


def outlines(
    trajectory: Trajectory, instruments: Instruments
) -> tuple[tuple[float, ...], tuple[float, ...] | None, float]:
    """Return the start, the previous step's logits (None at step 0) and η, for the Z panel."""
    start = tuple(float(z) for z in trajectory.logits[0])
    previous = tuple(float(z) for z in trajectory.logits[-2]) if instruments.steps else None
    return start, previous, instruments.lr
