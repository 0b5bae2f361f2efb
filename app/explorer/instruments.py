"""The learning instruments' part of a URL: predict first, nudge a logit, follow one path.

`mode=predict` hides the answer and asks for it (`ask=value`: a number per class, `ask=sign`:
raises / lowers / no effect); `guess=…` is the answer given (page order), `why=` the
student's reason (echoed back, never stored), `seed=` the draw of "Try another". `probe=j` plots
the loss along Z_j with steps `h=`; `focus=i,j` follows the path Z_j → O_i → E through every
view. Indices are 0-based, as `j` and `target` are. Like the state, these are read from a URL
or a form, checked (a message per field), and written back only by `pairs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from app.core.descent import MAX_STEPS
from app.explorer.display import exact
from app.service.numbers import quoted

MODES = ("explore", "predict", "derive")
STEPS = 5  # the faded derivation's steps
DEFAULT_FADE = 2  # blanks the last two: the terms and their sum
ANSWERS = tuple(f"a{k}" for k in range(1, STEPS + 1))  # a1 … a5: the blanks as typed
MAX_ANSWER = 40  # characters of one typed value
ASKS = ("value", "sign")
SIGNS = {"raises": 1, "lowers": -1, "none": 0}
SIGN_NAMES = {value: name for name, value in SIGNS.items()}
DEFAULT_H = 0.1
MIN_H = 1e-6  # smaller steps show only rounding: (E(h) − E(−h))/2h is noise over ε·E/h
MAX_H = 10.0
MAX_WHY = 300  # characters of the reason a student may give
MAX_GUESS = 1e6
PARAMETERS = (
    "mode",
    "ask",
    "guess",
    "why",
    "seed",
    "probe",
    "h",
    "focus",
    "compare",
    "pair",
    "start",
    "lr",
    "steps",
    "fade",
    *ANSWERS,
)
DEFAULT_LR = 0.5
MIN_LR, MAX_LR = 0.01, 10.0
COMPARE = ("mse", "bce")  # the losses whose chain rule the compare panel sets beside CE's


@dataclass(frozen=True, slots=True)
class Instruments:
    """Which instruments a page shows, and what the student gave them."""

    mode: str = "explore"
    ask: str = "value"
    guess: tuple[float, ...] | None = None  # values, or signs −1/0/+1 when ask=sign
    why: str = ""
    seed: int | None = None
    probe: int | None = None  # 0-based class whose logit is nudged
    h: float = DEFAULT_H
    focus: tuple[int, int] | None = None  # (i, j), 0-based: the path Z_j → O_i → E
    typed: tuple[str, ...] = ()  # the prediction as typed, shown back beside its message
    compare: str | None = None  # another loss whose chain-rule terms are shown beside CE's
    pair: tuple[int, int] | None = None  # (j, k), 0-based: the two-class bridge for Z_j, Z_k
    start: tuple[float, ...] | None = None  # gradient descent: the logits it starts from
    lr: float = DEFAULT_LR  # η
    steps: int = 0  # k: the state's logits are the k-th step from `start`
    fade: int = DEFAULT_FADE  # the derivation's last `fade` steps are blanks
    answers: tuple[tuple[str, ...], ...] = ()  # per step 1 … 5, the values typed (or none)
    typed_lr: str = ""  # a step size refused, as typed, shown back beside its message

    @property
    def predicting(self) -> bool:
        """Tell whether the answer is hidden: a prediction is asked and not yet given, or a
        derivation is asked (its steps are the answer)."""
        return (self.mode == "predict" and self.guess is None) or self.mode == "derive"

    def answer(self, step: int) -> tuple[str, ...]:
        """Return what was typed for step 1 … 5 (nothing if the step was not answered)."""
        return self.answers[step - 1] if len(self.answers) >= step else ()

    @property
    def answered(self) -> bool:
        """Tell whether any blank of the derivation was filled in."""
        return any(any(v.strip() for v in a) for a in self.answers)

    def faded(self, fade: int) -> Instruments:
        """Return the derivation with `fade` blanks and nothing typed yet."""
        return replace(self, fade=min(max(fade, 0), STEPS), answers=())

    def renumbered(self, seed: int) -> Instruments:
        """Return the same steps for the numbers drawn from `seed`, nothing typed yet."""
        return replace(self, seed=seed, answers=())

    @property
    def revealed(self) -> bool:
        """Tell whether a prediction was given and the answer is shown beside it."""
        return self.mode == "predict" and self.guess is not None

    def pairs(self) -> list[tuple[str, str]]:
        """Return the instruments' query pairs, defaults left out."""
        pairs: list[tuple[str, str]] = []
        if self.mode != "explore":
            pairs.append(("mode", self.mode))
        if self.ask != "value":
            pairs.append(("ask", self.ask))
        if self.guess is not None:
            if self.ask == "sign":
                text = ",".join(SIGN_NAMES[int(g)] for g in self.guess)
            else:
                text = ",".join(exact(g) for g in self.guess)
            pairs.append(("guess", text))
        if self.why:
            pairs.append(("why", self.why))
        if self.seed is not None:
            pairs.append(("seed", str(self.seed)))
        if self.probe is not None:
            pairs.append(("probe", str(self.probe)))
            if self.h != DEFAULT_H:
                pairs.append(("h", exact(self.h)))
        if self.focus is not None:
            pairs.append(("focus", f"{self.focus[0]},{self.focus[1]}"))
        if self.compare is not None:
            pairs.append(("compare", self.compare))
        if self.pair is not None:
            pairs.append(("pair", f"{self.pair[0]},{self.pair[1]}"))
        if self.start is not None:
            pairs.append(("start", ",".join(exact(z) for z in self.start)))
            if self.lr != DEFAULT_LR:
                pairs.append(("lr", exact(self.lr)))
            if self.steps:
                pairs.append(("steps", str(self.steps)))
        if self.mode == "derive":
            if self.fade != DEFAULT_FADE:
                pairs.append(("fade", str(self.fade)))
            for name, values in zip(ANSWERS, self.answers, strict=False):
                if any(v.strip() for v in values):
                    pairs.append((name, ",".join(v.strip() for v in values)))
        return pairs

    def with_focus(self, focus: tuple[int, int]) -> Instruments:
        """Return these instruments following the path (i, j)."""
        return replace(self, focus=focus)

    def without_guess(self) -> Instruments:
        """Return the question again, with nothing given yet."""
        return replace(self, guess=None, why="", typed=())

    def another(self, seed: int) -> Instruments:
        """Return the question for the state drawn from `seed`."""
        return replace(self, guess=None, why="", seed=seed, focus=None, typed=())

    def query(self) -> str:
        """Return the instruments as query parameters, leaving out defaults."""
        return urlencode(self.pairs(), safe=",")

    def carried(self) -> list[tuple[str, str]]:
        """Return what the form carries along an edit: the instruments, not the answer given
        for the state before it, nor a descent's start and steps: an edited logit restarts
        the descent from where the logits now are (`start=` alone), at the same step size."""
        dropped = ("guess", "why", "start", "steps", *ANSWERS)
        pairs = [(k, v) for k, v in self.pairs() if k not in dropped]
        return pairs + ([("start", "")] if self.start is not None else [])

    def asked(self) -> list[tuple[str, str]]:
        """Return what a link to this figure carries: the instruments and a descent where it
        is, never an answer given (a guess, a reason, the derivation's values)."""
        return [(k, v) for k, v in self.pairs() if k not in ("guess", "why", *ANSWERS)]

    def anchored(self, logits: tuple[float, ...]) -> Instruments:
        """Return these instruments with a descent asked to start from the logits as they are
        (`start=` with nothing in it, as an edit carries it) starting from `logits`."""
        return replace(self, start=logits, steps=0) if self.start == () else self

    def without_descent(self) -> Instruments:
        """Return these instruments with no descent."""
        return replace(self, start=None, lr=DEFAULT_LR, steps=0)

    def stepped(self, steps: int) -> Instruments:
        """Return the descent after `steps` steps from its start (0: reset)."""
        return replace(self, steps=min(max(steps, 0), MAX_STEPS))


def typed_number(text: str) -> float:
    """Read a number the instruments' fields take as typed: ASCII digits, the page's own minus
    (U+2212, pasted back) as "-", no underscores; NaN for anything else."""
    cleaned = text.strip().replace("\u2212", "-")
    if not cleaned.isascii() or "_" in cleaned:
        return math.nan
    try:
        return float(cleaned)
    except ValueError:
        return math.nan


def _index(text: str, n: int, name: str, errors: dict[str, str]) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) < n:
        return int(text)
    shown = repr(text) if len(text) <= 20 else f"{len(text):,} characters"
    errors[name] = f"must be a class index in 0..{n - 1} (0 is Z1), got {shown}"
    return None


def _guess(values: list[str], n: int, ask: str, errors: dict[str, str]) -> tuple[float, ...] | None:
    items = values[0].split(",") if len(values) == 1 else values
    items = [item.strip() for item in items]
    if all(not item for item in items):  # "Check my prediction" pressed with nothing typed
        errors["guess"] = (
            "choose for each class whether raising it raises E, lowers E or has no effect"
            if ask == "sign"
            else "type a prediction for each class first, such as -0.27"
        )
        return None
    if len(items) != n:
        errors["guess"] = f"must give one prediction per class ({n}), got {len(items)}"
        return None
    guess: list[float] = []
    for k, item in enumerate(items):
        if ask == "sign":
            if item not in SIGNS:
                errors["guess"] = (
                    f"Z{k + 1}: choose raises E, lowers E or has no effect, got {quoted(item)}"
                    if item
                    else f"Z{k + 1}: choose whether raising it raises E, lowers E or has no effect"
                )
                return None
            guess.append(float(SIGNS[item]))
            continue
        value = typed_number(item)
        if not math.isfinite(value) or abs(value) > MAX_GUESS:
            shown = repr(item) if len(item) <= 20 else f"{len(item):,} characters"
            # digits too large for float64 read as ±inf: a number, out of range as 2e6 is
            number = not math.isnan(value) and any(c.isdigit() for c in item)
            what = "is outside −1e6 to 1e6" if number else "is not a number"
            errors["guess"] = (
                f"dE/dZ{k + 1}: {shown} {what}; type one such as -0.27 (between −1e6 and 1e6)"
            )
            return None
        guess.append(value)
    return tuple(guess)


def read_instruments(
    params: QueryParams, n: int, loss: str = "cross_entropy"
) -> tuple[Instruments, dict[str, str]]:
    """Read the instruments from a query string for a state of n classes and its loss, with a
    message for each value that is not one of the choices. An embed whose panels include
    `predict` is in predict mode."""
    errors: dict[str, str] = {}
    for name in PARAMETERS:
        if name != "guess" and name not in ANSWERS and len(params.getlist(name)) > 1:
            errors[name] = "given more than once"
    panels = ",".join(params.getlist("panels")).split(",")
    mode = params.get(
        "mode", "predict" if "predict" in panels else "derive" if "derive" in panels else "explore"
    )
    if mode not in MODES:
        errors["mode"] = f"{quoted(mode)} is not one of {', '.join(MODES)}"
        mode = "explore"
    ask = params.get("ask", "value")
    if ask not in ASKS:
        errors["ask"] = f"{quoted(ask)} is not one of {', '.join(ASKS)}"
        ask = "value"
    guess = _guess(params.getlist("guess"), n, ask, errors) if "guess" in params else None
    typed: tuple[str, ...] = ()
    if "guess" in params:
        values = params.getlist("guess")
        typed = tuple((values[0].split(",") if len(values) == 1 else values)[:n])
    why = params.get("why", "").strip()
    if len(why) > MAX_WHY:
        errors["why"] = f"at most {MAX_WHY} characters, got {len(why):,}"
        why = why[:MAX_WHY]
    seed = None
    if "seed" in params:
        text = params["seed"].strip()
        if text.isascii() and text.isdigit() and len(text) <= 9:
            seed = int(text)
        else:
            errors["seed"] = f"must be a whole number from 0 to 999999999, got {quoted(text)}"
    probe = _index(params["probe"], n, "probe", errors) if "probe" in params else None
    h = DEFAULT_H
    if "h" in params:
        text = params["h"].strip()
        h = typed_number(text)
        if not MIN_H <= h <= MAX_H:  # NaN fails too
            errors["h"] = (
                f"must be a step between {MIN_H:g} and {MAX_H:g} (such as 0.1), got {quoted(text)}"
            )
            h = DEFAULT_H
    focus = None
    if "focus" in params:
        parts = params["focus"].split(",")
        if len(parts) != 2:
            errors["focus"] = (
                f"must be two class indices i,j (the path Z_j → O_i), got {quoted(params['focus'])}"
            )
        else:
            i = _index(parts[0], n, "focus", errors)
            j = _index(parts[1], n, "focus", errors)
            focus = (i, j) if i is not None and j is not None else None
    compare = params.get("compare")
    if compare is not None and compare not in COMPARE:
        errors["compare"] = f"{quoted(compare)} is not one of {', '.join(COMPARE)}"
        compare = None
    pair = None
    if "pair" in params:
        parts = params["pair"].split(",")
        if len(parts) != 2:
            errors["pair"] = f"must be two class indices j,k, got {quoted(params['pair'])}"
        else:
            a, b = _index(parts[0], n, "pair", errors), _index(parts[1], n, "pair", errors)
            if a is not None and b is not None and a == b:
                errors["pair"] = "must be two different classes"
            elif a is not None and b is not None:
                pair = (a, b)
    start: tuple[float, ...] | None = None
    lr, steps = DEFAULT_LR, 0
    if "start" in params and not params["start"].strip():
        start = ()  # start= alone: from the logits as they are (an edit restarts the descent)
    elif "start" in params:
        items = params["start"].split(",")
        logits: list[float] = []
        for k, item in enumerate(items):
            value = typed_number(item)
            if not abs(value) <= 1e6:  # NaN fails too
                errors["start"] = (
                    f"start[{k}]: must be a number between −1e6 and 1e6, got {quoted(item)}"
                )
                break
            logits.append(value)
        else:
            if len(logits) != n:
                errors["start"] = f"must give one logit per class ({n}), got {len(logits)}"
            else:
                start = tuple(logits)
    if "lr" in params:
        text = params["lr"].strip()
        lr = typed_number(text)
        if not MIN_LR <= lr <= MAX_LR:
            errors["lr"] = (
                f"must be a step size η between {MIN_LR:g} and {MAX_LR:g}, got {quoted(text)}"
            )
            lr = DEFAULT_LR
    if "steps" in params:
        text = params["steps"].strip()
        if text.isascii() and text.isdigit() and len(text) <= 4 and int(text) <= MAX_STEPS:
            steps = int(text)
        else:
            errors["steps"] = (
                f"must be a whole number of steps from 0 to {MAX_STEPS}, got {quoted(text)}"
            )
    if start is None and ("lr" in params or "steps" in params) and "start" not in errors:
        errors["start"] = "lr and steps need start= (the logits the descent starts from)"
    if mode != "predict" and (guess is not None or "ask" in params):
        errors.setdefault("mode", "guess and ask need mode=predict")
    fade = DEFAULT_FADE
    if "fade" in params:
        text = params["fade"].strip()
        if text.isascii() and text.isdigit() and len(text) <= 4 and int(text) <= STEPS:
            fade = int(text)
        else:
            errors["fade"] = f"must be how many steps are blank, 0 to {STEPS}, got {quoted(text)}"
    answers: list[tuple[str, ...]] = []
    for name in ANSWERS:
        values = params.getlist(name)
        items = values[0].split(",") if len(values) == 1 else values
        if len(items) > n or any(len(v) > MAX_ANSWER for v in items):
            errors[name] = f"at most {n} values of at most {MAX_ANSWER} characters"
            items = []
        answers.append(tuple(items))
    while answers and not any(v.strip() for v in answers[-1]):
        answers.pop()
    if mode != "derive" and ("fade" in params or any(a in params for a in ANSWERS)):
        errors.setdefault("mode", "fade and a1 … a5 need mode=derive")
    if loss != "cross_entropy":
        needing = [
            what
            for what, asked in (
                ("predict first (mode=predict)", mode == "predict"),
                ("the faded derivation (mode=derive)", mode == "derive"),
                ("follow one path (focus=)", focus is not None or "path" in panels),
                ("the two-class bridge (pair=)", pair is not None or "binary" in panels),
            )
            if asked
        ]
        if needing:
            errors.setdefault(
                "loss",
                f"{' and '.join(needing)} {'is' if len(needing) == 1 else 'are'} about "
                f"cross-entropy's chain rule; choose loss=cross_entropy for "
                f"{'it' if len(needing) == 1 else 'them'}, or compare={loss} to see {loss} "
                "beside it",
            )
    return (
        Instruments(
            mode,
            ask,
            guess,
            why,
            seed,
            probe,
            h,
            focus,
            typed,
            compare,
            pair,
            start,
            lr,
            steps,
            fade,
            tuple(answers),
            params.get("lr", "") if "lr" in errors else "",
        ),
        errors,
    )
