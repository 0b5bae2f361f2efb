"""The explorer's buttons as edits of the form: add or remove a class, switch or normalise the
target, reset. They work on the draft, so they apply even while another field is invalid."""

from __future__ import annotations

from dataclasses import replace

from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams

from app.explorer.display import exact
from app.explorer.form import Draft, read_draft
from app.explorer.state import MAX_CLASSES, MIN_CLASSES, SEED_QUERY
from app.service.numbers import parse_token

OPS = ("add", "remove", "soft", "onehot", "normalise", "reset")


def _floats(texts: list[str]) -> list[float] | None:
    try:
        return [float(parse_token(t, "x")) for t in texts]
    except PydanticCustomError:
        return None


def _normalised(draft: Draft) -> Draft:
    probs = _floats(draft.target)
    if probs is None or len(probs) != draft.n:
        return draft
    total = sum(probs)
    if total <= 0:  # nothing to scale: spread the probability evenly
        probs, total = [1.0] * draft.n, float(draft.n)
    return replace(draft, target=[exact(round(p / total, 12)) for p in probs])


def apply(draft: Draft, op: str | None) -> Draft:
    """Apply a button's edit to the draft; an unknown or impossible edit changes nothing."""
    if op == "reset":
        return read_draft(QueryParams(SEED_QUERY))
    if op == "add" and draft.n < MAX_CLASSES:
        return replace(
            draft,
            logits=[*draft.logits, "0"],
            target=[*draft.target, "0"] if draft.soft else draft.target,
            weights=[*draft.weights, "1"] if draft.weights else [],
        )
    if op == "remove" and MIN_CLASSES < draft.n <= MAX_CLASSES:
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
