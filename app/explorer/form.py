"""The explorer's form: the fields as typed (`Draft`), read from a URL or a form, and checked
with the API's grammar into the canonical `ExplorerState` or messages beside each field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams

from app.explorer.display import exact
from app.explorer.state import (
    DEFAULT_J,
    MAX_CLASSES,
    MIN_CLASSES,
    PARTS,
    SCALAR_FIELDS,
    ExplorerState,
)
from app.service.errors import InvalidRequestError
from app.service.fields import LIST_FIELDS, read_item, read_value
from app.service.numbers import is_integer_token
from app.service.validation import validate
from app.settings import Settings


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
    j: int = DEFAULT_J
    loss: str = "cross_entropy"
    repeated: tuple[str, ...] = ()  # single-valued fields given more than once
    j_error: str = ""  # a j in the URL that names no class

    @property
    def n(self) -> int:
        """Return the number of classes."""
        return len(self.logits)

    @property
    def index(self) -> int:
        """Return the one-hot target class (0-based), or -1 if it is not a valid index."""
        text = self.target[0].strip(" ") if self.target and not self.soft else ""
        return int(text) if len(text) <= 18 and is_integer_token(text) else -1

    @property
    def oversized(self) -> bool:
        """Tell whether a list holds more values than the explorer shows."""
        return max(len(self.logits), len(self.target), len(self.weights)) > MAX_CLASSES


def _items(params: QueryParams, name: str) -> list[str]:
    """Read a list field: one comma list (a URL) or repeated fields (a form), as typed."""
    values = params.getlist(name)
    return [own_minus(v) for v in (values[0].split(",") if len(values) == 1 else values)]


def own_minus(text: str) -> str:
    """Read the page's own minus sign (U+2212, as every number on the page is written, pasted
    back into a field) as "-"; other dashes still get a message that quotes them."""
    stripped = text.lstrip(" ")
    return "-" + stripped[1:] if stripped.startswith("\u2212") else text


def read_draft(params: QueryParams) -> Draft:
    """Read the explorer's fields from a query string; missing ones take the seed's values."""
    logits = _items(params, "logits") if "logits" in params else ["2", "1"]
    target = _items(params, "target") if "target" in params else ["0"]
    weights = _items(params, "weights") if "weights" in params else []
    if weights in ([""], ["null"]):
        weights = []
    repeated = tuple(name for name in (*SCALAR_FIELDS, "j") if len(params.getlist(name)) > 1)
    j_text = params.get("j", str(DEFAULT_J))
    j = int(j_text) if len(j_text) <= 4 and is_integer_token(j_text) else -1
    last = max(len(logits) - 1, 0)
    j_error = ""
    if not 0 <= j <= last:
        shown = repr(j_text) if len(j_text) <= 20 else f"{len(j_text):,} characters"
        j_error = f"must be a class index in 0..{last} (j=0 is Z1), got {shown}"
    return Draft(
        logits=logits,
        soft=len(target) > 1,  # one number is a class index (1 or 1.0), as in the API
        target=target,
        temperature=own_minus(params.get("temperature", "1")),
        label_smoothing=own_minus(params.get("label_smoothing", "0")),
        weights=weights,
        reduction=params.get("reduction", "mean"),
        j=min(max(j, 0), last) if not j_error else min(DEFAULT_J, last),
        loss=params.get("loss", "cross_entropy"),
        repeated=repeated,
        j_error=j_error,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """A draft checked as `GET /gradient` checks its URL: the state, or messages by field."""

    draft: Draft
    state: ExplorerState | None
    errors: dict[str, str]


def _message(exc: PydanticCustomError) -> str:
    return str(exc.context["detail"] if exc.context else exc.message())


def _error_key(loc: list[str | int]) -> str:
    """Map an error location such as ['query', 'target', 1] to a form field key 'target-1'."""
    return "-".join(str(p) for p in loc[1:]) or "form"


def _read(draft: Draft) -> tuple[dict[str, Any], dict[str, str]]:
    """Read every field of the draft with the API's grammar, collecting each field's message."""
    data: dict[str, Any] = {"reduction": draft.reduction, "loss": draft.loss, "include": PARTS}
    errors = dict.fromkeys(draft.repeated, "given more than once")
    lists = {"logits": draft.logits, "target": draft.target, "weights": draft.weights}
    for name in LIST_FIELDS:
        items = lists[name]
        if not items:
            continue
        if name == "target" and not draft.soft:
            try:
                data[name] = read_value(name, items[0])
            except PydanticCustomError as exc:
                errors[name] = _message(exc)
            continue
        values = []
        for i, item in enumerate(items):
            try:
                values.append(read_item(name, i, item))
            except PydanticCustomError as exc:
                errors[f"{name}-{i}"] = _message(exc)
        if name == "weights" and len(values) == draft.n and all(w == 1.0 for w in values):
            continue  # all 1 is no weights (the form always has the fields): mse takes none
        data[name] = values
    for name, text in (
        ("temperature", draft.temperature),
        ("label_smoothing", draft.label_smoothing),
    ):
        try:
            data[name] = read_value(name, text)
        except PydanticCustomError as exc:
            errors[name] = _message(exc)
    return data, errors


def check(draft: Draft, settings: Settings) -> Outcome:
    """Validate the draft exactly as `GET /gradient` would validate its URL."""
    if not MIN_CLASSES <= draft.n <= MAX_CLASSES or draft.oversized:
        # Counted before anything is parsed, so a URL of thousands of values costs nothing.
        got = max(draft.n, len(draft.target), len(draft.weights))
        if not any(item.strip() for item in draft.logits) and got <= 1:  # `logits=`, or none
            message = f"none given: type {MIN_CLASSES} to {MAX_CLASSES} logits, such as 2, 1"
        else:
            message = (
                f"the explorer shows {MIN_CLASSES} to {MAX_CLASSES} classes, got {got:,}; "
                "the API takes up to 10,000"
            )
        return Outcome(draft, None, {"logits": message})
    data, errors = _read(draft)
    if draft.j_error:
        errors["j"] = draft.j_error
    if errors:
        return Outcome(draft, None, errors)
    try:
        request = validate(data, settings, "query")
    except InvalidRequestError as exc:
        for error in exc.errors():
            key = _error_key(error["loc"])
            errors.setdefault(key, str(error["msg"]).split(": ", 1)[-1])
        return Outcome(draft, None, errors)
    if request.target.ndim == 0 and int(request.target) < 0:  # the API's ignore_index
        message = f"class index must be a whole number in 0..{draft.n - 1}, got {request.target}"
        return Outcome(draft, None, {"target": message})
    return Outcome(draft, ExplorerState.from_request(request, draft.j), {})


def state_of(query: str, settings: Settings) -> ExplorerState | None:
    """Return the state a query string describes, or None if it is not valid."""
    return check(read_draft(QueryParams(query)), settings).state


def draft_of(state: ExplorerState) -> Draft:
    """Return the form's fields for a state, as the page writes them."""
    target = (
        [str(state.target)] if isinstance(state.target, int) else [exact(v) for v in state.target]
    )
    return Draft(
        logits=[exact(v) for v in state.logits],
        soft=state.soft,
        target=target,
        temperature=exact(state.temperature),
        label_smoothing=exact(state.label_smoothing),
        weights=[exact(w) for w in state.weights] if state.weights else [],
        reduction=state.reduction,
        j=state.j,
        loss=state.loss,
    )
