"""The explorer's state: read from a URL or a form, edited by its buttons, written as a URL.

The query string uses the API's names (`logits=2,1&target=0`), so every explorer URL maps onto
a `GET /gradient` call; only `j` (the class whose chain-rule terms are shown) is the page's own.
Class indices in the URL are 0-based as in the API; the page labels classes from 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams

from app.errors import InvalidRequestError
from app.formatting import exact
from app.numbers import is_integer_token, parse_token
from app.parsing import validate
from app.schemas import GradientRequest
from app.settings import Settings

MIN_CLASSES = 2
MAX_CLASSES = 10
SEED_QUERY = "logits=2,1&target=0"


@dataclass(frozen=True, slots=True)
class Draft:
    """What the form holds, as typed: strings, so an invalid value can be shown back."""

    logits: list[str]
    soft: bool
    target: list[str]  # one index (one-hot) or one probability per class (soft)
    temperature: str = "1"
    label_smoothing: str = "0"
    weights: list[str] = field(default_factory=list)  # empty: all 1
    reduction: str = "mean"
    j: int = 1

    @property
    def n(self) -> int:
        """Return the number of classes."""
        return len(self.logits)

    @property
    def index(self) -> int:
        """Return the one-hot target class (0-based), or -1 if it is not a valid index."""
        try:
            return int(self.target[0]) if not self.soft else -1
        except (ValueError, IndexError):
            return -1


def _values(params: QueryParams, name: str) -> list[str]:
    """Read a field given either once as a comma list or repeated by a form."""
    values = params.getlist(name)
    if len(values) == 1:
        return [v.strip() for v in values[0].split(",")]
    return [v.strip() for v in values]


def read_draft(params: QueryParams) -> Draft:
    """Read the explorer's state from a query string; missing fields take the seed's values."""
    logits = _values(params, "logits") if "logits" in params else ["2", "1"]
    target = _values(params, "target") if "target" in params else ["0"]
    soft = len(target) > 1 or not is_integer_token(target[0])
    weights = _values(params, "weights") if params.get("weights") else []
    try:
        j = int(params.get("j", "1"))
    except ValueError:
        j = 1
    return Draft(
        logits=logits,
        soft=soft,
        target=target,
        temperature=params.get("temperature", "1").strip() or "1",
        label_smoothing=params.get("label_smoothing", "0").strip() or "0",
        weights=weights,
        reduction=params.get("reduction", "mean"),
        j=min(max(j, 0), max(len(logits) - 1, 0)),
    )


def _floats(texts: list[str]) -> list[float] | None:
    try:
        return [float(parse_token(t, "x")) for t in texts]
    except PydanticCustomError:
        return None


def apply(draft: Draft, op: str | None) -> Draft:
    """Apply a button's edit: add or remove a class, switch or normalise the target, reset."""
    if op == "reset":
        return read_draft(QueryParams(SEED_QUERY))
    if op == "add" and draft.n < MAX_CLASSES:
        return replace(
            draft,
            logits=[*draft.logits, "0"],
            target=[*draft.target, "0"] if draft.soft else draft.target,
            weights=[*draft.weights, "1"] if draft.weights else [],
        )
    if op == "remove" and draft.n > MIN_CLASSES:
        target = draft.target[:-1] if draft.soft else [str(min(max(draft.index, 0), draft.n - 2))]
        smaller = replace(
            draft,
            logits=draft.logits[:-1],
            target=target,
            weights=draft.weights[:-1],
            j=min(draft.j, draft.n - 2),
        )
        return _normalised(smaller) if draft.soft else smaller
    if op == "soft" and not draft.soft:
        k = draft.index if 0 <= draft.index < draft.n else 0
        return replace(draft, soft=True, target=["1" if i == k else "0" for i in range(draft.n)])
    if op == "onehot" and draft.soft:
        probs = _floats(draft.target) or [1.0]
        return replace(draft, soft=False, target=[str(probs.index(max(probs)))])
    if op == "normalise" and draft.soft:
        return _normalised(draft)
    return draft


def _normalised(draft: Draft) -> Draft:
    probs = _floats(draft.target)
    if probs is None or len(probs) != draft.n:
        return draft
    total = sum(probs)
    if total <= 0:
        return replace(draft, target=["1"] + ["0"] * (draft.n - 1))
    return replace(draft, target=[exact(round(p / total, 12)) for p in probs])


@dataclass(frozen=True, slots=True)
class Outcome:
    """A draft checked against the API: the request, or the messages by form field."""

    draft: Draft
    request: GradientRequest | None
    errors: dict[str, str]


def _error_key(loc: list[str | int]) -> str:
    """Map an error location such as ['body', 'target', 1] to a form field key 'target-1'."""
    parts = [str(p) for p in loc[1:]]
    return "-".join(parts) or "form"


def check(draft: Draft, settings: Settings) -> Outcome:
    """Validate the draft exactly as `GET /gradient` would validate its URL."""
    errors: dict[str, str] = {}
    data: dict[str, object] = {"reduction": draft.reduction}
    for name, texts in (
        ("logits", draft.logits),
        ("target", draft.target),
        ("weights", draft.weights),
    ):
        if name == "weights" and not texts:
            continue
        values: list[float | int] = []
        for i, text in enumerate(texts):
            key = f"{name}-{i}" if (name != "target" or draft.soft) else "target"
            try:
                values.append(parse_token(text, key))
            except PydanticCustomError as exc:
                errors[key] = str(exc.context["detail"] if exc.context else exc.message())
        if name == "target" and not draft.soft:
            data[name] = values[0] if values else None
        else:
            data[name] = [float(v) for v in values] if name != "logits" else values
    for name, text in (
        ("temperature", draft.temperature),
        ("label_smoothing", draft.label_smoothing),
    ):
        try:
            data[name] = float(parse_token(text, name))
        except PydanticCustomError as exc:
            errors[name] = str(exc.context["detail"] if exc.context else exc.message())
    if not MIN_CLASSES <= draft.n <= MAX_CLASSES:
        errors["logits"] = (
            f"the explorer shows {MIN_CLASSES} to {MAX_CLASSES} classes, got {draft.n}; "
            "the API takes up to 10,000"
        )
    if errors:
        return Outcome(draft, None, errors)
    try:
        request = validate(data, settings, "query")
    except InvalidRequestError as exc:
        for error in exc.errors():
            key = _error_key(error["loc"])
            message = str(error["msg"])
            errors.setdefault(key, message.split(": ", 1)[-1])
        return Outcome(draft, None, errors)
    return Outcome(draft, request, {})


def api_query(draft: Draft) -> str:
    """Return the canonical `GET /gradient` query of a valid draft (API names only)."""
    values = _floats(draft.logits) or []
    pairs = [("logits", ",".join(exact(v) for v in values))]
    if draft.soft:
        pairs.append(("target", ",".join(exact(v) for v in _floats(draft.target) or [])))
    else:
        pairs.append(("target", str(draft.index)))
    temperature = float(draft.temperature)
    if temperature != 1.0:
        pairs.append(("temperature", exact(temperature)))
    smoothing = float(draft.label_smoothing)
    if smoothing != 0.0:
        pairs.append(("label_smoothing", exact(smoothing)))
    weights = _floats(draft.weights)
    if weights and any(w != 1.0 for w in weights):
        pairs.append(("weights", ",".join(exact(w) for w in weights)))
    if draft.reduction != "mean":
        pairs.append(("reduction", draft.reduction))
    return urlencode(pairs, safe=",")


def page_query(draft: Draft) -> str:
    """Return the explorer's canonical query: the API's, plus `j` when it is not the default."""
    query = api_query(draft)
    return query if draft.j == 1 else f"{query}&j={draft.j}"


def field_keys(draft: Draft) -> list[str]:
    """Return the key of every inline error message the form has room for."""
    n = draft.n
    keys = ["logits", "target", "temperature", "label_smoothing", "weights", "form"]
    keys += [f"logits-{i}" for i in range(n)] + [f"weights-{i}" for i in range(n)]
    if draft.soft:
        keys += [f"target-{i}" for i in range(n)]
    return keys


def placed_errors(draft: Draft, errors: dict[str, str]) -> dict[str, str]:
    """Put each message beside a field the form shows; the rest go to the form's own line."""
    keys = set(field_keys(draft))
    placed: dict[str, str] = {}
    for key, message in errors.items():
        where = key if key in keys else "form"
        placed[where] = f"{placed[where]} {message}" if where in placed else message
    return placed
