"""Predict first: the student's prediction of dE/dZ beside the truth, a verdict per class, and
a diagnosis that names the wrong model the prediction came from and the term it misses."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.core import cross_entropy
from app.core.misconceptions import MODELS, signs, tolerance, wrong_models
from app.explorer.charts import BarChart, compare_chart
from app.explorer.display import number
from app.explorer.instruments import SIGN_NAMES, Instruments
from app.explorer.panels.facts import Facts, first_row
from app.explorer.panels.path import signed, symbols
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult

MODEL_TITLES = {
    "copy-true-class": "the correct class's gradient copied to every logit",
    "direct-only": "the direct term only (the Jacobian taken as diagonal)",
    "stop-at-outputs": "dE/dO instead of dE/dZ (the chain rule stopped at the outputs)",
    "sign-flipped": "the sign flipped",
    "raw-target": "the raw target Y instead of the smoothed, weighted one",
    "temperature-ignored": "the temperature's 1/T left out",
    "independent-sigmoids": "each output as its own sigmoid (outputs that do not compete)",
    "squared-error": "the gradient of squared error, not of cross-entropy",
}
SIGN_WORDS = {1: "raises E", -1: "lowers E", 0: "no effect"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One class's prediction beside the truth."""

    k: int  # 1-based
    truth: float
    guess: float
    right: bool
    truth_text: str  # the value, or its sign's words (ask=sign)
    guess_text: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A wrong model the prediction matches, what it does and the one term it misses."""

    model: str
    title: str
    values: list[float]  # the model's ĝ on this state
    text: str
    focus: tuple[int, int]  # 0-based (i, j): the path the model drops


@dataclass(frozen=True, slots=True)
class PredictPanel:
    """The question (before the reveal), or the answer beside the prediction (after)."""

    ask: str
    n: int
    labels: list[str]
    revealed: bool
    verdicts: list[Verdict]
    all_right: bool
    diagnoses: list[Diagnosis]
    closest: bool  # the diagnoses are the nearest models, not exact matches
    chart: BarChart | None
    why: str
    guess_fields: list[str]  # what the form's fields hold: the guess as given, or empty
    another: ExplorerState  # "Try another": a new state of the same family
    another_seed: int


def _distance(guess: np.ndarray, value: np.ndarray) -> float:
    """How many tolerances the guess is from a value, at its worst class (∞ if undefined)."""
    if not np.isfinite(value).all():
        return float("inf")
    return float(np.max(np.abs(guess - value) / tolerance(value)))


def _path(model: str, f: Facts, truth: np.ndarray, values: np.ndarray) -> tuple[int, int]:
    """Return the path (i, j) the model drops where it errs most: j the class it gets most
    wrong, i the output whose term it leaves out (the target's, for a one-hot Y)."""
    with np.errstate(invalid="ignore"):
        gap = np.nan_to_num(np.abs(values - truth), nan=np.inf, posinf=np.inf)
    j = int(np.argmax(gap))
    i = f.one_hot if f.one_hot is not None and f.one_hot != j else (j + 1) % f.n
    if model in ("sign-flipped", "temperature-ignored", "raw-target", "stop-at-outputs"):
        i = f.one_hot if f.one_hot is not None else j
    return i, j


def _text(
    model: str,
    i: int,
    j: int,
    f: Facts,
    result: GradientResult,
    values: np.ndarray,
    ask: str = "value",
) -> str:
    """Say what the model did, in the state's numbers, and what it misses."""
    ce = result.ce
    assert result.jacobian is not None
    assert result.chain is not None
    I, J = f.sub(i), f.sub(j)  # 2, or _cat with the instructor's names
    O = first_row(ce.softmax.probs)
    g = first_row(ce.grad_logits)
    gp = first_row(ce.grad_probs)
    Jac = result.jacobian[0]
    term = float(result.chain[0][i, j])
    if ask == "sign":
        effect = SIGN_WORDS[int(np.sign(values[j]))]
        given = (
            f"You said raising Z{J} {'has no effect' if effect == 'no effect' else effect}, "
            f"as if dE/dZ{J} were {number(float(values[j]), 3)}"
        )
    else:
        given = f"You gave dE/dZ{J} ≈ {number(float(values[j]), 3)}"
    truth = f"dE/dZ{J} = {number(g[j], 3)}"
    factor, dE_symbol = symbols(f, i, j)
    path = (
        f"dO{I}/dZ{J} = {factor} = {number(float(Jac[i, j]), 3)}, and dE/dO{I} = {dE_symbol} = "
        f"{number(gp[i], 4)}; their product, {signed(term)}, is "
        + (
            f"the whole of dE/dZ{J}."
            if abs(term - g[j]) <= 1e-12 * max(1, abs(g[j]))
            else f"the term of dE/dZ{J} = {number(g[j], 3)} it leaves out."
        )
    )
    if model == "copy-true-class":
        y = f.one_hot if f.one_hot is not None else i
        copied = f"dE/dZ{J} = O{f.sub(y)} − 1 = {number(float(values[j]), 3)}"
        said = (
            f"You said raising Z{J} {SIGN_WORDS[int(np.sign(values[j]))]}, as if {copied}"
            if ask == "sign"
            else f"You gave {copied}"
        )
        return (
            f"{said}. That copies the correct class's gradient to every logit. But Z{J} also "
            f"moves O{I}: " + path
        )
    if model == "direct-only":
        return (
            f"{given}, the direct term i = {f.labels[j]} alone: that takes the Jacobian as "
            f"diagonal. But Z{J} also moves O{I} through the softmax's shared denominator: " + path
        )
    if model == "stop-at-outputs":
        return (
            f"{given} = dE/dO{J}: the chain rule stopped at the outputs. The last step multiplies "
            f"by the Jacobian and sums over every output: dE/dZ{J} = Σi (dE/dOi)(dOi/dZ{J}); "
            f"for i = {f.labels[i]}, " + path
        )
    if model == "sign-flipped":
        return (
            f"{given}, but {truth}: the signs are reversed. dE/dZ is {gradient_form(f)}: "
            f"positive where an output is too large, so gradient descent, which subtracts it, "
            f"lowers that logit."
        )
    if model == "raw-target":
        return (
            f"{given} = (O{J} − Y{J})/T with the target as given, but the loss uses "
            f"Y′ = (1 − ε)·Y + ε/n and the weights (c = w·Y′, divided by N): {truth}."
        )
    if model == "temperature-ignored":
        return (
            f"{given}, T times the truth: with O = softmax(Z/T), every dO/dZ carries a factor "
            f"1/T = {number(1 / _temperature(result), 3)}, so {truth}."
        )
    if model == "independent-sigmoids":
        return (
            f"{given} = σ(Z{J}/T) − Y′{J}, as if each output were its own sigmoid. Softmax "
            f"outputs compete: raising Z{J} lowers every other output, and O{I} too: " + path
        )
    return (
        f"{given}: the gradient of the squared error Σ(Oi − {_y(f)}i)², not of cross-entropy. "
        f"Cross-entropy's dE/dOi = −c_i/O_i cancels the O_i in dOi/dZj, which is why its "
        f"gradient is simply {gradient_form(f)}: {truth}"
        + (
            f" = O{J} − {_y(f)}{J} = {number(O[j], 3)} − {number(float(ce.target[0, j]), 3)}."
            if f.scale == 1
            else "."
        )
    )


def _y(f: Facts) -> str:
    """The target as the state uses it: Y, or Y′ after smoothing."""
    return "Y′" if f.smoothed else "Y"


def gradient_form(f: Facts) -> str:
    """Cross-entropy's dE/dZ in this state's terms: O − Y for plain one-hot targets, O − Y′
    after smoothing, divided by T (and N) where they are not 1, the general form with weights."""
    if f.weighted:
        return "(S·O − c)/(T·N), with c = w·Y′ and S = Σc"
    divisor = "·".join(x for x, on in (("T", f.tempered), ("N", f.norm != 1.0)) if on)
    difference = f"O − {_y(f)}"
    divisor = f"({divisor})" if "·" in divisor else divisor
    return f"({difference})/{divisor}" if divisor else difference


def _temperature(result: GradientResult) -> float:
    return float(result.request.temperature)


def draw(state: ExplorerState, seed: int) -> ExplorerState:
    """Return a state of the same family (n, target kind, T, ε, weights, reduction) drawn from
    `seed`: of a few draws, the one whose wrong models are furthest from the truth, so that a
    prediction tells them apart."""
    rng = random.Random(seed)
    best, best_score = state, -1.0
    for _ in range(6):
        logits = tuple(round(rng.gauss(0.0, 1.6), 1) for _ in range(state.n))
        target: int | tuple[float, ...]
        if state.soft:
            raw = [rng.random() + 0.05 for _ in range(state.n)]
            head = [round(v / sum(raw), 2) for v in raw[:-1]]
            target = (*head, round(1.0 - sum(head), 2))
            if min(target) <= 0:
                continue
        else:
            target = rng.randrange(state.n)
        candidate = replace(state, logits=logits, target=target)
        weights = np.array(state.weights) if state.weights else None
        if weights is not None and isinstance(target, int) and weights[target] == 0:
            continue
        Z = np.array([logits])
        ce = cross_entropy(
            Z,
            np.array([target]),
            temperature=state.temperature,
            label_smoothing=state.label_smoothing,
            weights=weights,
            reduction=state.reduction,
        )
        one_hot = target if isinstance(target, int) else None
        models = wrong_models(ce, Z, raw_target(candidate), state.temperature, one_hot)
        # Told apart: the closest two of the truth and the models, as far apart as can be.
        values = [ce.grad_logits[0], *(m.gradient for m in models)]
        score = min(_distance(a, b) for k, a in enumerate(values) for b in values[k + 1 :])
        if score > best_score:
            best, best_score = candidate, score
    return best


def raw_target(state: ExplorerState) -> np.ndarray:
    """The target as given: one-hot or the probabilities."""
    if isinstance(state.target, int):
        raw = np.zeros(state.n)
        raw[state.target] = 1.0
        return raw
    return np.array(state.target)


def predict(
    state: ExplorerState, result: GradientResult, f: Facts, instruments: Instruments
) -> PredictPanel:
    """Build the question, or the reveal when a prediction was given."""
    seed = (instruments.seed or 0) + 1
    another = draw(state, seed)
    guess = instruments.guess
    fields = [*instruments.typed, *[""] * f.n][: f.n]  # what was typed, if it was refused
    if guess is None:
        return PredictPanel(
            instruments.ask,
            f.n,
            f.labels,
            False,
            [],
            False,
            [],
            False,
            None,
            instruments.why,
            fields,
            another,
            seed,
        )
    ce = result.ce
    truth = ce.grad_logits[0]
    g = np.array(guess)
    scale = float(np.max(np.abs(truth))) or 1.0
    models = wrong_models(
        ce, np.array([state.logits]), raw_target(state), state.temperature, f.one_hot
    )
    if instruments.ask == "sign":
        true_signs = signs(truth, scale)
        right = [bool(s == int(k)) for s, k in zip(true_signs, guess, strict=True)]
        verdicts = [
            Verdict(
                k + 1,
                float(truth[k]),
                guess[k],
                right[k],
                SIGN_WORDS[int(true_signs[k])],
                SIGN_WORDS[int(guess[k])],
            )
            for k in range(f.n)
        ]
        fields = [SIGN_NAMES[int(k)] for k in guess]
        matched = [
            m
            for m in models
            if (signs(m.gradient, float(np.max(np.abs(m.gradient))) or 1.0) == g).all()
            and np.isfinite(m.gradient).all()
        ]
        closest = False
        chart = None
    else:
        ok = np.abs(g - truth) <= tolerance(truth)
        right = [bool(v) for v in ok]
        verdicts = [
            Verdict(
                k + 1,
                float(truth[k]),
                guess[k],
                right[k],
                number(float(truth[k]), 3),
                number(guess[k], 3),
            )
            for k in range(f.n)
        ]
        fields = [f"{v:.6g}" for v in guess]
        distances = {m.model: _distance(g, m.gradient) for m in models}
        matched = [m for m in models if distances[m.model] <= 1.0]
        closest = False
        own = _distance(g, truth)
        if not matched and not all(right):
            nearest = min(distances.values(), default=float("inf"))
            if nearest < min(own, 3.0):
                matched = [m for m in models if distances[m.model] == nearest]
                closest = True
        chart = compare_chart(list(map(float, truth)), list(guess), f.labels)
    diagnoses = []
    if not all(right):
        for m in sorted(matched, key=lambda m: MODELS.index(m.model)):
            i, j = _path(m.model, f, truth, m.gradient)
            diagnoses.append(
                Diagnosis(
                    m.model,
                    MODEL_TITLES[m.model],
                    [float(v) for v in m.gradient],
                    _text(m.model, i, j, f, result, m.gradient, instruments.ask),
                    (i, j),
                )
            )
    return PredictPanel(
        instruments.ask,
        f.n,
        f.labels,
        True,
        verdicts,
        all(right),
        diagnoses,
        closest,
        chart,
        instruments.why,
        fields,
        another,
        seed,
    )


def model_values(state: ExplorerState, result: GradientResult, f: Facts) -> dict[str, list[float]]:
    """Return every catalogue model's ĝ on this state (for explorer.json)."""
    models = wrong_models(
        result.ce, np.array([state.logits]), raw_target(state), state.temperature, f.one_hot
    )
    return {m.model: [float(v) for v in m.gradient] for m in models}


def names(values: Sequence[str]) -> str:
    """Join names as a sentence says them: 'a', 'a and b', 'a, b and c'."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"
