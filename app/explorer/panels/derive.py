"""The faded derivation (`mode=derive`, `fade=k`): the five steps of dE/dZ_j, the last k of
them blanks the student fills in (`a1` … `a5`), each checked with a hint aimed at the slip
it looks like: the predict mode's catalogue for the sum, step-specific slips for the rest."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.derivation import Steps, steps
from app.core.misconceptions import wrong_models
from app.explorer.display import number
from app.explorer.instruments import STEPS, Instruments, typed_number
from app.explorer.panels.facts import Facts
from app.explorer.panels.predict import MODEL_TITLES, draw, raw_target
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult
from app.service.numbers import quoted

CHOICES = (
    ("only", "only i = j"),
    ("sum", "the sum over all i"),
    ("product", "the product over i"),
)
TITLES = (
    "The chain rule: which terms make dE/dZ_j?",
    "dE/dO_i = −c_i/(N·O_i) for each i",
    "dO_i/dZ_j = O_i(δ_ij − O_j)/T for each i",
    "term_i = (dE/dO_i)(dO_i/dZ_j) = −c_i(δ_ij − O_j)/(T·N): the O_i cancels",
    "dE/dZ_j = Σ_i term_i = (O_j·S − c_j)/(T·N)",
)
# A number is right within 1%, or within 0.005 (2% of a value under 0.25), with its sign.
ABSOLUTE, RELATIVE, SMALL = 0.005, 0.01, 0.02


@dataclass(frozen=True, slots=True)
class Entry:
    """One value of a step: class i's (or the step's single value)."""

    label: str  # the class, as the page names it ("" for a single value)
    truth: float
    typed: str
    right: bool | None  # None: not checked (a worked step, or a blank left empty)
    hint: str


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # 1 … 5
    title: str
    blank: bool
    kind: str  # "choice", "values" (one per class) or "value"
    entries: list[Entry]
    right: bool | None
    hint: str  # for a choice


@dataclass(frozen=True, slots=True)
class DerivePanel:
    j: int  # 1-based
    n: int
    labels: list[str]
    fade: int
    steps: list[Step]
    checked: bool  # something was typed
    solved: bool  # every blank right
    givens: str  # the numbers the steps are made of, in words
    more: Instruments | None  # fade one more step
    renumbered: ExplorerState  # the same steps with new numbers
    renumber: Instruments


def read_number(text: str) -> float | None:
    """Read a typed value as the instruments read numbers, and −∞ as the page writes it."""
    value = typed_number(text.replace("∞", "inf").replace(" ", ""))
    return None if math.isnan(value) else value


def close(given: float, value: float) -> bool:
    """Tell whether a typed number is right: within 1%, or 0.005 (2% of a value under 0.25),
    and of the value's sign; ∞ only as itself."""
    if not math.isfinite(value) or not math.isfinite(given):
        return given == value
    if value != 0.0 and given != 0.0 and (given > 0) != (value > 0):
        return False
    near = ABSOLUTE if value == 0.0 else min(ABSOLUTE, SMALL * abs(value))
    return abs(given - value) <= max(near, RELATIVE * abs(value))


def _n(v: float) -> str:
    return number(v, 3)


def _hint2(g: float, i: int, c: float, O: float, f: Facts) -> str:
    k = f.sub(i)
    N = f.norm
    if c != 0.0 and O != 0.0 and N != 1.0 and close(g, -c / O):
        return f"Divide by N = {_n(N)} too: the reduction divides E, so dE/dO{k} = −c{k}/(N·O{k})."
    c = c / N  # the rest compare with −c_i/O_i per unit of E
    if c == 0.0:
        return f"c{k} = 0 (its target is 0): dE/dO{k} = 0, whatever O{k} is."
    if O == 0.0:  # O_i underflows: −c_i/O_i is −∞
        return f"O{k} is below float64's range (it computes as 0): dE/dO{k} = −c{k}/O{k} is −∞."
    if close(g, -c) and O != 1.0:
        return f"dE/dO{k} divides by O{k}: −c{k}/(N·O{k}), with c{k}/N = {_n(c)}, O{k} = {_n(O)}."
    if close(g, c / O):
        return f"The sign: E = −Σ c·log O falls as O{k} rises, so dE/dO{k} = −c{k}/O{k} < 0."
    if close(g, -1.0 / O) and c != 1.0:
        return (
            f"c{k} = {_n(c)} here (weights and smoothing change it from Y{k}): "
            f"dE/dO{k} = −c{k}/O{k}."
        )
    return f"dE/dO{k} = −c{k}/(N·O{k}), with c{k}/N = {_n(c)} and O{k} = {_n(O)}."


def _hint3(g: float, i: int, j: int, O: np.ndarray, truth: float, T: float, f: Facts) -> str:
    k, J = f.sub(i), f.sub(j)
    over = "/T" if T != 1.0 else ""
    if i != j and (close(g, O[i] * (1 - O[i]) / T) or close(g, O[i] * (1 - O[i]))):
        return (
            f"δ({f.labels[i]},{f.labels[j]}) = 0 when i ≠ j: the off-diagonal entry is "
            f"−O{k}·O{J}{over} = {_n(-O[i] * O[j] / T)}."
        )
    if i == j and (close(g, -(O[j] ** 2) / T) or close(g, -(O[j] ** 2))):
        return (
            f"δ({f.labels[j]},{f.labels[j]}) = 1 on the diagonal: O{J}(1 − O{J}){over} = "
            f"{_n(O[j] * (1 - O[j]) / T)}."
        )
    if T != 1.0 and close(g, truth * T):
        return f"Divide by T = {_n(T)}: the softmax is of Z/T, so each slope is 1/T as steep."
    if close(g, -truth):
        return f"The sign: raising Z{J} raises O{J} (δ = 1) and lowers every other output."
    if i == j:
        return f"On the diagonal δ = 1: O{J}(1 − O{J}){over}, with O{J} = {_n(O[j])}."
    return f"Off the diagonal δ = 0: −O{k}·O{J}{over}, with O{k} = {_n(O[i])}, O{J} = {_n(O[j])}."


def _hint4(g: float, i: int, j: int, s: Steps, truth: float, T: float, f: Facts, o_j: float) -> str:
    k, J = f.sub(i), f.sub(j)
    if close(g, float(s.grad_probs[i])) and not close(g, truth):
        return f"That is dE/dO{k} alone (step 2): multiply it by dO{k}/dZ{J} (step 3)."
    if close(g, float(s.jacobian[i])) and not close(g, truth):
        return f"That is dO{k}/dZ{J} alone (step 3): multiply it by dE/dO{k} (step 2)."
    if T != 1.0 and close(g, truth * T):
        return f"Keep step 3's 1/T: the term is −c{k}(δ − O{J})/(T·N)."
    if f.norm != 1.0 and close(g, truth * f.norm):
        return f"Keep step 2's 1/N = 1/{_n(f.norm)}: the term is −c{k}(δ − O{J})/(T·N)."
    if close(g, -truth):
        return f"The sign: −c{k}/O{k} times O{k}(δ − O{J}) is −c{k}(δ − O{J})."
    delta = "1" if i == j else "0"
    return (
        f"Multiply steps 2 and 3: the O{k} cancels, leaving −c{k}(δ − O{J})/(T·N) with "
        f"δ = {delta}, O{J} = {_n(o_j)}, T = {_n(T)}, N = {_n(f.norm)}."
    )


def _hint5(
    g: float, j: int, total: float, state: ExplorerState, result: GradientResult, f: Facts
) -> str:
    ce = result.ce
    models = wrong_models(
        ce, np.array([state.logits]), raw_target(state), state.temperature, f.one_hot
    )
    for m in models:
        if close(g, float(m.gradient[j])) and not close(g, total):
            return f"That matches {MODEL_TITLES[m.model]}."
    if f.norm != 1.0 and close(g, total * f.norm):
        return f"Divide by N = {_n(f.norm)}: the reduction “{state.reduction}” averages."
    O, c = float(ce.softmax.probs[0, j]), float(ce.weighted_target[0, j])
    return (
        f"Add step 4's n terms: (O{f.sub(j)}·S − c{f.sub(j)})/(T·N) with O{f.sub(j)} = {_n(O)}, "
        f"S = {_n(f.total)}, c{f.sub(j)} = {_n(c)}, T = {_n(state.temperature)}, "
        f"N = {_n(f.norm)}."
    )


def derive(
    state: ExplorerState, result: GradientResult, f: Facts, instruments: Instruments
) -> DerivePanel:
    """Build the five steps for the state's j, the last `fade` of them blanks."""
    T = state.temperature
    j = f.j
    s = steps(result.ce, j, T)
    O = result.ce.softmax.probs[0]
    c = result.ce.weighted_target[0]
    fade = instruments.fade
    built: list[Step] = []
    for number_, title in enumerate(TITLES, start=1):
        blank = number_ > STEPS - fade
        typed = instruments.answer(number_) if blank else ()
        if number_ == 1:
            choice = typed[0].strip() if typed else ""
            right = None if not choice else choice == "sum"
            hint = ""
            if right is False:
                hint = (
                    "Only i = j is the diagonal-only model: every O_i depends on Z_j through "
                    "the softmax's shared denominator, so every output carries a term."
                    if choice == "only"
                    else "The chain rule adds one term per path Z_j → O_i → E; it does not "
                    "multiply them."
                )
            built.append(
                Step(1, title, blank, "choice", [Entry("", 0.0, choice, right, "")], right, hint)
            )
            continue
        if number_ == 5:
            truths = [s.total]
        else:
            truths = [float(v) for v in (s.grad_probs, s.jacobian, s.terms)[number_ - 2]]
        entries = []
        for i, truth in enumerate(truths):
            text = typed[i] if i < len(typed) else ""
            given = read_number(text) if text.strip() else None
            if not text.strip():
                entries.append(Entry(f.labels[i] if number_ < 5 else "", truth, text, None, ""))
                continue
            if given is None:
                entries.append(
                    Entry(
                        f.labels[i] if number_ < 5 else "",
                        truth,
                        text,
                        False,
                        f"{quoted(text.strip())} is not a number; type one such as −0.27.",
                    )
                )
                continue
            ok = close(given, truth)
            hint = ""
            if not ok:
                if number_ == 2:
                    hint = _hint2(given, i, float(c[i]), float(O[i]), f)
                elif number_ == 3:
                    hint = _hint3(given, i, j, O, truth, T, f)
                elif number_ == 4:
                    hint = _hint4(given, i, j, s, truth, T, f, float(O[j]))
                else:
                    hint = _hint5(given, j, truth, state, result, f)
            entries.append(Entry(f.labels[i] if number_ < 5 else "", truth, text, ok, hint))
        marks = [e.right for e in entries]
        right = None if all(m is None for m in marks) else all(m is True for m in marks)
        missing = "" if right is None or None not in marks else "Fill in every class's value."
        kind = "value" if number_ == 5 else "values"
        built.append(Step(number_, title, blank, kind, entries, right, missing))
    blanks = [step for step in built if step.blank]
    solved = bool(blanks) and all(step.right is True for step in blanks)
    seed = (instruments.seed or 0) + 1
    givens = (
        "O = ("
        + ", ".join(_n(float(o)) for o in O)
        + "), c = w·Y′ = ("
        + ", ".join(_n(float(v)) for v in c)
        + f"), S = Σc = {_n(f.total)}, T = {_n(T)}, "
        f"N = {_n(f.norm)}, j = {f.labels[j]}."
    )
    return DerivePanel(
        j=j + 1,
        n=f.n,
        labels=f.labels,
        fade=fade,
        steps=built,
        checked=instruments.answered,
        solved=solved,
        givens=givens,
        more=instruments.faded(fade + 1) if solved and fade < STEPS else None,
        renumbered=draw(state, seed),
        renumber=instruments.renumbered(seed),
    )
