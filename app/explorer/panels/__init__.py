"""One view model per panel, built from the canonical state and the one `GradientResult`.

No maths here: every number comes from the result (or, for the instruments, from the core's
functions of the same state); what the state *is* comes from `facts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.embed.options import PANELS
from app.explorer.instruments import Instruments
from app.explorer.panels import (
    bars,
    binary,
    chain,
    compare,
    derive,
    descent,
    jacobian,
    loss,
    nudge,
    path,
    predict,
)
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
ANSWERS = (
    "grad",
    "chain",
    "jacobian",
    "nudge",
    "path",
    "compare",
    "binary",
    "descent",
)  # hidden while a prediction is asked


def shown(
    names: Sequence[str], instruments: Instruments, state: ExplorerState | None = None
) -> tuple[str, ...]:
    """Return the panels a page shows, in order: the chosen ones, the instruments its URL asks
    for, and none that gives the answer away while a prediction is asked. Given the state of
    the explorer's own page (not an embed's, which shows what its URL names), the whole
    explorer of two classes under cross-entropy shows the two-class bridge after the chain
    rule: it is the seed question's own picture."""
    order = list(names)
    if (
        state is not None
        and tuple(names) == PANELS
        and state.n == 2
        and state.loss == "cross_entropy"
        and "binary" not in order
    ):
        order.insert(order.index("chain") + 1, "binary")
    if instruments.mode == "predict" and "predict" not in order:
        order.insert(0, "predict")
    if instruments.mode == "derive" and "derive" not in order:
        order.insert(0, "derive")
    if instruments.probe is not None and "nudge" not in order:
        order.insert(order.index("grad") + 1 if "grad" in order else len(order), "nudge")
    if instruments.focus is not None and "path" not in order:
        order.insert(order.index("chain") + 1 if "chain" in order else len(order), "path")
    if instruments.start is not None and "descent" not in order:
        order.insert(order.index("grad") + 1 if "grad" in order else len(order), "descent")
    if instruments.pair is not None and "binary" not in order:
        order.insert(order.index("grad") + 1 if "grad" in order else len(order), "binary")
    if instruments.compare is not None and "compare" not in order:
        order.insert(order.index("chain") + 1 if "chain" in order else len(order), "compare")
    if instruments.predicting:
        order = [name for name in order if name not in ANSWERS]
    return tuple(order)


def focus_of(state: ExplorerState, instruments: Instruments) -> tuple[int, int]:
    """Return the path a page follows: the URL's, or the target's output into Z_j."""
    if instruments.focus is not None:
        return instruments.focus
    i = (
        state.target
        if isinstance(state.target, int)
        else max(range(state.n), key=state.target.__getitem__)
    )
    return (i if i != state.j or state.n == 1 else (i + 1) % state.n), state.j


def pair_of(state: ExplorerState) -> tuple[int, int]:
    """Return the bridge's pair: Z1 and Z2 for two classes, else Z_j and the next."""
    return (0, 1) if state.n == 2 else (state.j, (state.j + 1) % state.n)


def build(
    state: ExplorerState,
    result: GradientResult,
    names: Sequence[str],
    instruments: Instruments | None = None,
    class_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return the view model of each named panel (only those: an embed may show a few), its
    classes labelled by `class_names` when the instructor gave them."""
    f = facts(state, result, class_names)
    instruments = instruments or Instruments()
    built: dict[str, Any] = {}
    # The descent's trajectory, once for its panel and the Z panel's outlines
    trajectory = None
    if instruments.start is not None or "descent" in names:
        trajectory = descent.trajectory_of(state, instruments)
    for name in names:
        if name == "predict":
            built[name] = predict.predict(state, result, f, instruments)
        elif name == "derive":
            built[name] = derive.derive(state, result, f, instruments)
        elif name == "nudge":
            j = instruments.probe if instruments.probe is not None else state.j
            built[name] = nudge.nudge(state, result, f, j, instruments.h)
        elif name == "descent":
            assert trajectory is not None
            built[name] = descent.descent(state, result, f, instruments, trajectory)
        elif name == "binary":
            j, k = instruments.pair or pair_of(state)
            built[name] = binary.binary(state, result, f, j, k)
        elif name == "compare":
            built[name] = compare.compare(state, result, f, instruments.compare or "mse")
        elif name == "path":
            built[name] = path.path(state, result, f, *focus_of(state, instruments))
        elif name == "logits" and instruments.start is not None:  # the descent's outlines
            assert trajectory is not None
            built[name] = bars.logits(state, result, f, *descent.outlines(trajectory, instruments))
        else:
            built[name] = BUILDERS[name](state, result, f)
    return built
