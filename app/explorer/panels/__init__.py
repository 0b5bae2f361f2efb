"""One view model per panel, built from the canonical state and the one `GradientResult`.

No maths here: every number comes from the result; what the state *is* comes from `facts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.explorer.panels import bars, chain, jacobian, loss
from app.explorer.panels.facts import Facts, facts
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult

BUILDERS: dict[str, Callable[[ExplorerState, GradientResult, Facts], Any]] = {
    "logits": bars.logits,
    "probs": bars.probs,
    "grad": bars.grad,
    "loss": loss.loss,
    "chain": chain.chain,
    "jacobian": jacobian.jacobian,
}


def build(state: ExplorerState, result: GradientResult, names: Sequence[str]) -> dict[str, Any]:
    """Return the view model of each named panel (only those: an embed may show a few)."""
    f = facts(state, result)
    return {name: BUILDERS[name](state, result, f) for name in names}
