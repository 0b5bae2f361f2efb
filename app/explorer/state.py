"""The explorer's one canonical state: read from a URL or a form, checked, written as a URL.

The query string uses the API's names (`logits=2,1&target=0`) and the API's grammar for each
of them (`app.service.fields`), so every explorer URL maps onto a `GET /gradient` call; only
`j` (the class whose chain-rule terms are shown) is the page's own. Class indices in the URL
are 0-based as in the API; the page labels classes from 1.

`app.explorer.form` reads a URL or a form into an `ExplorerState`; its `to_query` is the only
way a state is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from app.core import Reduction
from app.core.objectives import LossName
from app.explorer.display import exact, number, subscript
from app.service.models import GradientRequest
from app.service.validation import validate
from app.settings import Settings

MIN_CLASSES = 2
MAX_CLASSES = 10
DEFAULT_J = 1  # the page's Z2: the seed question's dE/dZ2
SEED_QUERY = "logits=2,1&target=0"
SCALAR_FIELDS = ("temperature", "label_smoothing", "reduction", "loss")
REDUCTIONS = ("mean", "sum", "none")
LOSS_TITLES = {  # the loss switch's choices, as the page names them
    "cross_entropy": "cross-entropy",
    "mse": "squared error of O",
    "bce": "binary cross-entropy of σ(Z/T)",
}
# The explorer draws the Jacobian and the chain terms: it asks for them, never relying on the
# API's default `include`.
PARTS = ["jacobian", "chain"]


@dataclass(frozen=True, slots=True)
class ExplorerState:
    """A valid explorer state in canonical form: equal states are equal objects."""

    logits: tuple[float, ...]
    target: int | tuple[float, ...]  # a class index (one-hot) or n probabilities (soft)
    temperature: float = 1.0
    label_smoothing: float = 0.0
    weights: tuple[float, ...] | None = None  # None: every weight is 1
    reduction: Reduction = "mean"
    j: int = DEFAULT_J
    loss: LossName = "cross_entropy"  # the loss every panel follows

    @property
    def n(self) -> int:
        """Return the number of classes."""
        return len(self.logits)

    @property
    def soft(self) -> bool:
        """Tell whether the target is a probability row rather than a class index."""
        return not isinstance(self.target, int)

    def in_words(self, digits: int, names: tuple[str, ...] = ()) -> tuple[str, str]:
        """Return the logits and the target as a title or a printout says them:
        ("Z = (2, 1)", "Y1 = 1") or ("Z = (2, 1, 0)", "Y = (0.7, 0.2, 0.1)"); with class
        names, the target class by its name ("Y_cat = 1")."""
        logits = "Z = (" + ", ".join(number(z, digits) for z in self.logits) + ")"
        if isinstance(self.target, int):
            return logits, f"Y{subscript(self.target, names, self.n)} = 1"
        return logits, "Y = (" + ", ".join(number(y, digits) for y in self.target) + ")"

    @property
    def advanced(self) -> bool:
        """Tell whether T, ε, weights or the reduction differ from their defaults."""
        return (
            self.temperature != 1.0
            or self.label_smoothing != 0.0
            or self.weights is not None
            or self.reduction != "mean"
        )

    @classmethod
    def from_request(cls, request: GradientRequest, j: int = DEFAULT_J) -> ExplorerState:
        """Return the canonical state of a validated single-row request."""
        n = int(request.logits.shape[-1])
        target: int | tuple[float, ...]
        if request.target.ndim == 0:
            target = int(request.target)
        else:
            target = tuple(float(v) for v in request.target)
        weights = request.weights
        return cls(
            logits=tuple(float(v) for v in request.logits),
            target=target,
            temperature=float(request.temperature),
            label_smoothing=float(request.label_smoothing),
            weights=None
            if weights is None or bool((weights == 1.0).all())
            else tuple(float(w) for w in weights),
            reduction=request.reduction,
            j=min(max(j, 0), n - 1),
            loss=request.loss,
        )

    def api_pairs(self) -> list[tuple[str, str]]:
        """Return the `GET /gradient` query pairs of this state, defaults left out."""
        return list(_api_pairs(self))

    def api_query(self) -> str:
        """Return the canonical `GET /gradient` query (API names only)."""
        return urlencode(_api_pairs(self), safe=",")

    def to_query(self) -> str:
        """Return the explorer's canonical query: the API's, plus `j` when not the default."""
        return _to_query(self)

    def api_data(self) -> dict[str, Any]:
        """Return the request data for this state, asking for the parts the explorer draws."""
        data: dict[str, Any] = {
            "logits": list(self.logits),
            "target": self.target if isinstance(self.target, int) else list(self.target),
            "temperature": self.temperature,
            "label_smoothing": self.label_smoothing,
            "reduction": self.reduction,
            "include": PARTS,
        }
        if self.loss != "cross_entropy":
            data["loss"] = self.loss
        if self.weights is not None:
            data["weights"] = list(self.weights)
        return data

    def request(self, settings: Settings) -> GradientRequest:
        """Return the validated request the panels are computed from."""
        return validate(self.api_data(), settings, "query")


# A page writes its state's query half a dozen times (links, the share form, the canonical URL):
# made once per state. Equal states write equal queries (exact(−0.0) is "0", as is exact(0.0)).
@lru_cache(maxsize=256)
def _api_pairs(state: ExplorerState) -> tuple[tuple[str, str], ...]:
    pairs = [("logits", ",".join(exact(v) for v in state.logits))]
    if isinstance(state.target, int):
        pairs.append(("target", str(state.target)))
    else:
        pairs.append(("target", ",".join(exact(v) for v in state.target)))
    if state.temperature != 1.0:
        pairs.append(("temperature", exact(state.temperature)))
    if state.label_smoothing != 0.0:
        pairs.append(("label_smoothing", exact(state.label_smoothing)))
    if state.weights is not None:
        pairs.append(("weights", ",".join(exact(w) for w in state.weights)))
    if state.reduction != "mean":
        pairs.append(("reduction", state.reduction))
    if state.loss != "cross_entropy":
        pairs.append(("loss", state.loss))
    return tuple(pairs)


@lru_cache(maxsize=256)
def _to_query(state: ExplorerState) -> str:
    pairs = _api_pairs(state)
    if state.j != DEFAULT_J:
        pairs += (("j", str(state.j)),)
    return urlencode(pairs, safe=",")
