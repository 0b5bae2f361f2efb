"""How tall an embed is, so that a snippet or an oEmbed answer fits without the host script.

Measured in Debian's chromium (DejaVu Sans) on the seed state, at a 690 px course column and a
375 px phone, for 2 and 10 classes; each figure is the taller of the two widths, and between 2
and 10 classes the height is taken as linear in n; an instructor's class names add what they
were measured to add. A state that opens the advanced settings or
writes the loss one term a line adds what those measured. tests/browser/test_embed_heights.py checks
that a snippet's height is never short of the content, nor more than a third too tall.
"""

from __future__ import annotations

import math
from dataclasses import replace

from app.embed.options import EmbedOptions
from app.explorer.instruments import STEPS, Instruments
from app.explorer.panels import shown
from app.explorer.state import ExplorerState

FRAME = 65  # the page's own padding and footer around the panels
# Each panel alone with the frame, and each controls choice above it: (2 classes, 10 classes).
PANEL_HEIGHTS = {
    "logits": (456, 456),
    "probs": (483, 483),
    "grad": (508, 508),
    "loss": (405, 539),
    "chain": (763, 988),
    "jacobian": (696, 945),
    # The instruments, measured as the others; the prediction after its reveal (the question
    # alone is 619 and 995), so that a frame without the host script never hides the answer.
    "predict": (918, 1056),
    "nudge": (1407, 1407),
    "path": (588, 844),
    "compare": (1189, 1484),
    "binary": (1358, 1358),
    "descent": (1531, 1554),
    # every step a blank (1235, 1928 measured), and room for two hints after a check
    "derive": (1490, 2180),
}
PROMPT_MARGIN, PROMPT_LINE = 36, 27
WORKED_STEP = (80, 230)  # a derivation step shown worked rather than blank
CONTROLS_HEIGHTS = {"all": (590, 1076), "logits": (200, 536), "none": (0, 0)}
# What a state adds: the advanced settings, open when T, ε, weights or reduction are not the
# defaults (all controls only); the loss formula one term a line (label smoothing or weights)
# and the gradient's general form (S·O_j − c_j)/(T·N) (T or weights).
ADVANCED = (372, 502)
LOSS_ONE_TERM_A_LINE = (28, 140)
LOSS_GENERAL_FORM = (91, 91)
# What an instructor's class names add, by the longest name's length (up to 4, 8, 12 and 16
# characters, measured with names of W's, the widest letter): a name too long to sit beside
# its slider or in a subscript on one line wraps it, and ten long names key the bar charts.
NAMED_LENGTHS = (4, 8, 12, 16)
NAMED = {  # (2 classes, 10 classes), each by NAMED_LENGTHS
    "controls:all": ((21, 84, 84, 84), (365, 548, 548, 614)),
    "controls:logits": ((59, 59, 59, 59), (368, 413, 413, 525)),
    "logits": ((0, 0, 0, 0), (76, 121, 121, 233)),
    "probs": ((0, 0, 0, 0), (75, 120, 120, 232)),
    "grad": ((0, 0, 0, 0), (76, 120, 120, 232)),
    "loss": ((0, 23, 23, 23), (0, 45, 45, 45)),
    "chain": ((97, 127, 194, 290), (141, 220, 310, 448)),
    "predict": ((0, 78, 99, 99), (0, 379, 400, 400)),
    "nudge": ((27, 124, 223, 313), (25, 116, 190, 257)),
    "path": ((73, 179, 331, 379), (97, 222, 352, 401)),
    "compare": ((72, 140, 238, 357), (187, 308, 405, 632)),
    "binary": ((100, 222, 353, 474), (152, 260, 475, 603)),
    "descent": ((0, 0, 21, 21), (0, 22, 43, 43)),
    "derive": ((24, 160, 208, 399), (120, 305, 737, 1191)),
}
MARGIN = 1.08  # fonts, rounding and the interpolation in n differ a little


def fitting_height(
    options: EmbedOptions,
    n: int,
    state: ExplorerState | None = None,
    instruments: Instruments | None = None,
) -> int:
    """Return an iframe height (px, a multiple of 10) that shows these panels and controls
    (and the instruments' panels, as the page shows them: `panels.shown`)."""
    t = (min(max(n, 2), 10) - 2) / 8

    def at(pair: tuple[int, int]) -> float:
        return pair[0] + (pair[1] - pair[0]) * t

    height = FRAME + at(CONTROLS_HEIGHTS[options.controls])
    instruments = instruments or Instruments()
    if instruments.mode == "predict":  # sized for the reveal, which shows the hidden panels
        instruments = replace(instruments, guess=(0.0,) * n)
    names = shown(options.panels, instruments)
    height += sum(at(PANEL_HEIGHTS[name]) - FRAME for name in names)
    if "derive" in names:  # each worked step (not a blank) is shorter than the estimate's blanks
        height -= (STEPS - instruments.fade) * at(WORKED_STEP)
    if options.names and (longest := max(map(len, options.names))) > 3:
        column = next(k for k, most in enumerate(NAMED_LENGTHS) if longest <= most)
        for part in (f"controls:{options.controls}", *names):
            if part in NAMED:
                few, many = NAMED[part]
                height += at((few[column], many[column]))
    if options.prompt:  # q=: 17 px bold lines of about 36 characters on a phone, and a margin
        height += PROMPT_MARGIN + PROMPT_LINE * math.ceil(len(options.prompt) / 36)
    if state is not None:
        weighted = state.weights is not None
        if options.controls == "all" and state.advanced:
            height += at(ADVANCED)
        if "loss" in names:
            if weighted or state.label_smoothing != 0.0:
                height += at(LOSS_ONE_TERM_A_LINE)
            if weighted or state.temperature != 1.0:
                height += at(LOSS_GENERAL_FORM)
    return math.ceil(height * MARGIN / 10) * 10
