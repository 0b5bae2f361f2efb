"""The per-field grammar of a query string, one reader shared by `GET /gradient` and the pages.

`logits=2,1,0.1`, `target=0` (a class index) or `target=0.7,0.2,0.1`, `weights=1,2`,
`temperature=2`: each value is read here and nowhere else, so the explorer and the API accept
and refuse exactly the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.service.numbers import invalid, parse_list, parse_token

QUERY_FIELDS = (
    "logits",
    "target",
    "temperature",
    "label_smoothing",
    "weights",
    "reduction",
    "ignore_index",
    "include",
    "loss",
)
# Fields that hold one value per class; a form may send them as repeated fields.
LIST_FIELDS = ("logits", "target", "weights")


def read_value(key: str, value: str) -> Any:
    """Read one field's value as written in a URL (lists comma-separated)."""
    if key == "logits" or (key == "target" and "," in value):
        return parse_list(value, key)
    if key == "target":  # one number, a class index: 1 or 1.0, as a JSON body may write it
        return parse_token(value, key)
    if key == "ignore_index":
        index = parse_token(value, key)
        if not isinstance(index, int):
            raise invalid(key, f"must be a whole number, got {value.strip()!r}")
        return index
    if key == "weights":
        return None if value in ("", "null") else parse_list(value, key)
    if key in ("temperature", "label_smoothing"):
        return float(parse_token(value, key))
    if key == "include":
        return [part.strip(" ") for part in value.split(",") if part.strip(" ")]
    return value


def read_item(key: str, i: int, item: str) -> int | float:
    """Read item i of a list field given as repeated form fields (the error names `key[i]`)."""
    return parse_token(item, f"{key}[{i}]")


def read_items(key: str, items: Sequence[str]) -> list[int | float]:
    """Read a list field given as repeated form fields, one number per item."""
    return [read_item(key, i, item) for i, item in enumerate(items)]


def read_values(key: str, values: Sequence[str]) -> Any:
    """Read a field given once (as in a URL) or, for a list field, repeated (as by a form)."""
    if len(values) == 1:
        return read_value(key, values[0])
    if key not in LIST_FIELDS:
        raise invalid(key, "given more than once")
    return read_items(key, values)
