"""The Jacobian panel: dO/dZ as a heatmap and a table."""

from __future__ import annotations

from dataclasses import dataclass

from app.explorer.heatmap import Heatmap, heatmap
from app.explorer.panels.facts import Facts
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class JacobianPanel:
    """dO/dZ as a heatmap and a table."""

    n: int
    labels: list[str]
    matrix: list[list[float]]
    map: Heatmap
    tempered: bool
    loss: str


def jacobian(state: ExplorerState, result: GradientResult, f: Facts) -> JacobianPanel:
    assert result.jacobian is not None
    J = result.jacobian[0].tolist()
    hmap = heatmap(J, f.symbols("O"), f.symbols("Z"))
    return JacobianPanel(f.n, f.labels, J, hmap, f.tempered, f.loss)
