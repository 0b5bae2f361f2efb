"""The two-class bridge: with two classes, softmax is a sigmoid of the difference d = Z1 − Z2, and
both gradients come from one number, dE/dd; Z2 enters d with a minus sign. And the loss over
(Z1, Z2): bands parallel to the diagonal, the −∇E arrow across them, shifting both changes
nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.grid import LossGrid, loss_grid
from app.core.losses import sigmoids
from app.explorer.display import number
from app.explorer.heatmap import LEVELS, PALETTE
from app.explorer.panels.facts import Facts
from app.explorer.scales import subscripted
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult

PLOT = 260.0  # the map's side in SVG units
TOP = 40.0  # room above it for the Z_k axis name
BELOW = 44.0  # room below it for the Z_j ticks and axis name
CHARACTER = 9.5  # an upper bound on a label character's width (12 px sans-serif)
TITLE_SIZE = 12.0  # the axis names' font size (.label)


@dataclass(frozen=True, slots=True)
class MapGeometry:
    """Filled bands of E (one path per level), the point, the −∇E arrow and the (1, 1) line."""

    left: float  # x of the map's left edge: room for the longest Z_k tick
    top: float
    plot: float  # the map's side
    width: float  # the viewBox's
    height: float
    layers: list[tuple[str, str]]
    point: tuple[float, float]
    arrow: tuple[float, float, float, float]
    diagonal: tuple[float, float, float, float]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    x_title: str  # "Z1 →", or an instructor's name, cut to the map's width (escaped)
    y_title: str  # "Z2 ↑", from the left edge, cut to the viewBox's (escaped)


@dataclass(frozen=True, slots=True)
class BinaryPanel:
    """The bridge's quantities, the logistic regression beside it, and the map."""

    j: int  # 1-based
    k: int
    n: int
    d: float  # Z_j − Z_k
    prob: float  # σ(d/T) = O_j/(O_j + O_k); O_j itself when n = 2
    grad_d: float  # dE/dd (n = 2: dE/dZ_j)
    grad_j: float
    grad_k: float
    logistic_prob: float  # the one-output logistic regression with z = d
    logistic_grad: float
    grid: LossGrid
    table: list[tuple[float, list[float]]]  # every sixth row of the grid, every sixth column
    map: MapGeometry
    sentence: str


def _map(
    grid: LossGrid,
    point: tuple[float, float],
    grad: tuple[float, float],
    labels: tuple[str, str] = ("1", "2"),  # the classes': "2", or an instructor's "cat"
) -> MapGeometry:
    """The map of E over (Z_j, Z_k), for the classes `labels` (j's, k's)."""
    n = len(grid.zj)
    ticks = [0, n // 2, n - 1]
    x_labels = [number(float(grid.zj[t]), 3) for t in ticks]
    y_labels = [number(float(grid.zk[t]), 3) for t in ticks]
    # Margins sized by the labels they hold, so "−29999" or "1e−9" stays inside the viewBox.
    left = max(40.0, 12.0 + CHARACTER * max(len(label) for label in y_labels))
    right = max(12.0, CHARACTER * len(x_labels[-1]) / 2 + 4.0)
    cell = PLOT / n
    low, high = float(grid.loss.min()), float(grid.loss.max())
    span = (high - low) or 1.0
    paths: dict[str, list[str]] = {}
    levels = np.minimum(((grid.loss - low) / span * LEVELS).astype(int), LEVELS)
    for r in range(n):
        y = TOP + PLOT - (r + 1) * cell  # Z_k upwards
        c = 0
        while c < n:  # a run of cells of one level in this row is one rectangle
            end = c + 1
            while end < n and levels[r, end] == levels[r, c]:
                end += 1
            x, width = left + c * cell, (end - c) * cell
            paths.setdefault(PALETTE[0][int(levels[r, c])], []).append(
                f"M{x:.1f} {y:.1f}h{width:.1f}v{cell:.1f}h-{width:.1f}z"
            )
            c = end
    zj0, zk0 = grid.zj[0], grid.zk[0]
    step = grid.zj[1] - grid.zj[0]

    def at(zj: float, zk: float) -> tuple[float, float]:
        return (
            left + ((zj - zj0) / step + 0.5) * cell,
            TOP + PLOT - ((zk - zk0) / step + 0.5) * cell,
        )

    px, py = at(*point)
    norm = math.hypot(*grad) or 1.0
    length = PLOT / 4
    # −∇E, in the map's coordinates (y grows downwards)
    ax, ay = px - grad[0] / norm * length, py + grad[1] / norm * length
    half = PLOT / 2
    diagonal = (px - half, py + half, px + half, py - half)
    width = left + PLOT + right
    x_title, y_title = (
        subscripted("Z", label, f" {arrow}", room, TITLE_SIZE)
        for label, arrow, room in zip(labels, "→↑", (PLOT, width - 4.0), strict=True)
    )
    return MapGeometry(
        left=left,
        top=TOP,
        plot=PLOT,
        width=width,
        height=TOP + PLOT + BELOW,
        layers=[(fill, "".join(d)) for fill, d in paths.items()],
        point=(px, py),
        arrow=(px, py, ax, ay),
        diagonal=diagonal,
        x_ticks=[(at(float(grid.zj[t]), zk0)[0], x_labels[k]) for k, t in enumerate(ticks)],
        y_ticks=[(at(zj0, float(grid.zk[t]))[1], y_labels[k]) for k, t in enumerate(ticks)],
        # (an instructor's long names ran off the viewBox: "ZWWWWWWWWWWWWWWW ↑")
        x_title=x_title,
        y_title=y_title,
    )


def binary(state: ExplorerState, result: GradientResult, f: Facts, j: int, k: int) -> BinaryPanel:
    """Build the bridge for the pair (j, k), 0-based."""
    T = state.temperature
    Z = state.logits
    d = Z[j] - Z[k]
    g = result.ce.grad_logits[0]
    prob = float(sigmoids(np.array([d / T]))[0][0])
    grad_d = float(g[j]) if f.n == 2 else float(g[j] - g[k]) / 2
    # One output z = d with target y = c_j/S (Y′_j when unweighted): dE/dz = (σ(z/T) − y)·S/(T·N),
    # which is (S·O_j − c_j)/(T·N), cross-entropy's dE/dZ_j, exactly.
    c = result.ce.weighted_target[0]
    y = float(c[j]) / f.total if f.total else 0.0
    logistic_grad = (prob - y) * f.total / (T * float(result.ce.norm)) if f.n == 2 else float("nan")
    half = max(4.0, 3.0 * T)
    grid = loss_grid(
        np.array([Z]),
        np.array([state.target]),
        j,
        k,
        half,
        temperature=T,
        label_smoothing=state.label_smoothing,
        weights=np.array(state.weights) if state.weights else None,
        reduction=state.reduction,
    )
    J, K = f.sub(j), f.sub(k)  # 2, or _cat with the instructor's names
    if f.n == 2:
        sentence = (
            f"Both gradients come from one number: d = Z{J} − Z{K} = {number(d, 3)}, "
            f"O{J} = σ(d/T) = {number(prob, 3)} and dE/dd = {number(grad_d, 3)}. "
            f"dE/dZ{J} = (+1)·dE/dd = {number(float(g[j]), 3)} and dE/dZ{K} = (−1)·dE/dd = "
            f"{number(float(g[k]), 3)}: Z{K} enters d with a minus sign, "
            + (
                f"which is why dE/dZ{K} is not O{J} − 1 but its negative."
                if f.plain_one_hot == j  # dE/dd = O_J − 1 exactly
                else "so the two gradients are each other's negatives."
            )
        )
    else:
        sentence = (
            f"With {f.n} classes the pair's share O{J}/(O{J} + O{K}) = σ((Z{J} − Z{K})/T) = "
            f"{number(prob, 3)}, but the other outputs take part too: dE/dZ{J} = "
            f"{number(float(g[j]), 3)} and dE/dZ{K} = {number(float(g[k]), 3)} are no longer "
            f"each other's negatives."
        )
    table = [
        (float(grid.zk[r]), [float(grid.loss[r, c]) for c in range(0, len(grid.zj), 6)])
        for r in range(0, len(grid.zk), 6)
    ]
    return BinaryPanel(
        j=j + 1,
        k=k + 1,
        n=f.n,
        d=d,
        prob=prob,
        grad_d=grad_d,
        grad_j=float(g[j]),
        grad_k=float(g[k]),
        logistic_prob=prob,
        logistic_grad=logistic_grad,
        grid=grid,
        table=table,
        map=_map(grid, (Z[j], Z[k]), (float(g[j]), float(g[k])), (f.labels[j], f.labels[k])),
        sentence=sentence,
    )
