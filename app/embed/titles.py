"""A unique, meaningful title for each figure (iframe `title`, oEmbed `title`, the page's own):
Open edX and WCAG want one that says what the frame shows, not "dEdZ explorer" for all."""

from __future__ import annotations

from app.embed.options import PANELS, EmbedOptions
from app.explorer.state import ExplorerState

_WHAT = {
    "logits": "logits",
    "probs": "softmax outputs",
    "grad": "gradient dE/dZ",
    "loss": "cross-entropy loss",
    "jacobian": "Jacobian dO/dZ",
    "predict": "a prediction of dE/dZ",
    "nudge": "the loss along one logit",
    "path": "one chain-rule path",
}


def figure_title(state: ExplorerState, options: EmbedOptions) -> str:
    """Return e.g. "dEdZ: chain rule for dE/dZ2, Z = (2, 1), Y1 = 1"."""
    if options.panels == PANELS:  # the whole explorer: not the same title as the chain alone
        what = f"explorer, with the chain rule for dE/dZ{state.j + 1}"
    elif "chain" in options.panels:
        what = f"chain rule for dE/dZ{state.j + 1}"
    else:
        what = " and ".join(_WHAT[p] for p in options.panels)
    logits, target = state.in_words(3)
    return f"dEdZ: {what}, {logits}, {target}"
