"""A unique, meaningful title for each figure (iframe `title`, oEmbed `title`, the page's own):
Open edX and WCAG want one that says what the frame shows, not "dEdZ explorer" for all."""

from __future__ import annotations

from app.embed.options import PANELS, EmbedOptions
from app.explorer.display import subscript
from app.explorer.instruments import Instruments
from app.explorer.panels import focus_of, shown
from app.explorer.state import LOSS_TITLES, ExplorerState

_WHAT = {
    "logits": "logits",
    "probs": "softmax outputs",
    "grad": "gradient dE/dZ",
    "loss": "cross-entropy loss",
    "jacobian": "Jacobian dO/dZ",
    "predict": "a prediction of dE/dZ",
    "compare": "cross-entropy's chain rule beside another loss's",
    "binary": "the two-class bridge",
    "descent": "gradient descent on the logits",
    "derive": "a faded derivation of dE/dZ",
}


def figure_title(
    state: ExplorerState, options: EmbedOptions, instruments: Instruments | None = None
) -> str:
    """Return e.g. "dEdZ: chain rule for dE/dZ2, Z = (2, 1), Y1 = 1", or for the instruments
    "dEdZ: predict dE/dZ (signs), Z = (2, 1), Y1 = 1"."""
    if options.title:  # the instructor's own
        return options.title
    instruments = instruments or Instruments()
    names = shown(options.panels, instruments)
    logits, target = state.in_words(3, options.names)

    def sub(k: int) -> str:  # Z2, or Z_cat with the instructor's names
        return subscript(k, options.names, state.n)

    if state.loss != "cross_entropy":  # the loss every panel follows
        target += f", loss: {LOSS_TITLES[state.loss]}"
    if instruments.mode == "derive":
        return f"dEdZ: derive dE/dZ{sub(state.j)} step by step, {logits}, {target}"
    if instruments.mode == "predict":
        ask = "predict dE/dZ" + (" (signs)" if instruments.ask == "sign" else "")
        return f"dEdZ: {ask}{', answered' if instruments.revealed else ''}, {logits}, {target}"
    base = tuple(name for name in names if name not in ("nudge", "path"))
    if base == PANELS:  # the whole explorer: not the same title as the chain alone
        what = [f"explorer, with the chain rule for dE/dZ{sub(state.j)}"]
    elif "chain" in base:
        what = [f"chain rule for dE/dZ{sub(state.j)}"]
    else:
        what = [" and ".join(_WHAT[p] for p in base)] if base else []
        if state.loss != "cross_entropy":
            what = [w.replace("cross-entropy loss", "loss") for w in what]
    if "nudge" in names:
        j = instruments.probe if instruments.probe is not None else state.j
        what.append(f"the loss along Z{sub(j)}")
    if "path" in names:
        i, j = focus_of(state, instruments)
        what.append(f"the path Z{sub(j)} → O{sub(i)} → E")
    return f"dEdZ: {', '.join(what)}, {logits}, {target}"
