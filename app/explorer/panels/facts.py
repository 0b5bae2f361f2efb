"""What kind of state this is (one-hot, smoothed, weighted, scaled …), decided once for every
panel, sentence and formula."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.explorer.display import subscript
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult


@dataclass(frozen=True, slots=True)
class Facts:
    """What kind of state this is, decided once for every panel."""

    n: int
    labels: list[str]  # the page's class names: 1 … n, or the instructor's `names=`
    j: int  # 0-based class whose chain-rule terms are shown
    one_hot: int | None  # the target class (0-based) when Y' is one-hot
    smoothed: bool  # label smoothing ε > 0
    weighted: bool  # some class weight is not 1
    tempered: bool  # T ≠ 1
    norm: float  # N: what the reduction divides by
    total: float  # S = Σ c, c = w·Y'
    scale: float  # S / (T·N): dE/dZ = scale · (O − c/S)
    loss: str = "cross_entropy"  # the loss every panel follows

    @property
    def scaled(self) -> bool:
        """Tell whether dE/dZ differs from O·ΣY − Y by a factor (T, N or the weights)."""
        return self.tempered or self.norm != 1.0 or self.weighted

    @property
    def named(self) -> bool:
        """Tell whether the classes carry an instructor's names rather than numbers."""
        return not self.labels[0].isdigit() if self.labels else False

    def sub(self, i: int) -> str:
        """Return class i's (0-based) subscript in plain text: "2" (Z2), or "_cat" (Z_cat)."""
        return subscript(i, tuple(self.labels) if self.named else (), self.n)

    def symbols(self, letter: str) -> list[str]:
        """Return the chart labels of a quantity per class: Z1 … Zn, or the names alone."""
        return list(self.labels) if self.named else [f"{letter}{k}" for k in self.labels]

    @property
    def plain_one_hot(self) -> int | None:
        """Return the target class when dE/dZ is exactly O − Y for a one-hot Y, else None."""
        plain = self.one_hot is not None and self.scale == 1.0 and self.loss == "cross_entropy"
        return self.one_hot if plain else None


def facts(state: ExplorerState, result: GradientResult, names: tuple[str, ...] = ()) -> Facts:
    """Decide what kind of state this is, from the state and its result (and the names the
    instructor gave the classes)."""
    ce = result.ce
    target = ce.target[0]
    hot = np.flatnonzero(target == 1.0)
    total = float(ce.weighted_target[0].sum())
    return Facts(
        n=state.n,
        labels=list(names) if len(names) == state.n else [str(i + 1) for i in range(state.n)],
        j=state.j,
        one_hot=int(hot[0]) if hot.size == 1 and not state.label_smoothing else None,
        smoothed=state.label_smoothing != 0.0,
        weighted=state.weights is not None,
        tempered=state.temperature != 1.0,
        norm=float(ce.norm),
        total=total,
        scale=total / (state.temperature * float(ce.norm)),
        loss=state.loss,
    )


def first_row(array: Any) -> list[float]:
    """Return the first (only) row of a B×n array as floats."""
    return [float(v) for v in array[0]]
