"""Content negotiation for `/gradient`: which of JSON, .npz and safetensors an Accept asks for.

RFC 9110 §12.5.1, read strictly: media ranges separated by commas (quoted parameters may hold
commas; empty elements are skipped), each with an optional `q` of at most three decimals
between 0 and 1 (any other `q` makes the range unacceptable: `nan`, `0_5`, `2`); a type's
quality is that of the most specific range matching it. JSON is the default: it wins a tie
with a binary encoding admitted only by a wildcard, and a binary encoding named in the header
wins a tie with JSON (`.npz` before safetensors). Several Accept lines mean their values
joined by commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from starlette.exceptions import HTTPException

from app.api.serialise import NPZ_MEDIA_TYPE, SAFETENSORS_MEDIA_TYPE

JSON_MEDIA_TYPE = "application/json"
BINARY_MEDIA_TYPES = (NPZ_MEDIA_TYPE, SAFETENSORS_MEDIA_TYPE)
MEDIA_TYPES = (JSON_MEDIA_TYPE, *BINARY_MEDIA_TYPES)
MAX_RANGES = 64  # media ranges in an Accept; more is refused rather than read in part

_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def _split(text: str, separator: str) -> list[str]:
    """Split at `separator` outside quoted strings, in one pass (a regex for quoted strings
    took 0.4 s on an 8 kB Accept of unterminated quotes: it rescanned from every position)."""
    if '"' not in text:
        return text.split(separator)
    parts, start, quoted, escaped = [], 0, False, False
    for k, c in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == separator and not quoted:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def _weights(accept: str) -> Iterator[tuple[str, str | None]]:
    """Yield each media range of an Accept value (lower case) with its q as written, or None."""
    for element in _split(accept, ","):
        media_range, *parameters = _split(element, ";")
        if not media_range.strip():
            continue  # "Accept: ," is an empty list
        q = None
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                q = value.strip()
        yield media_range.strip().lower(), q


def _ranges(accept: str) -> list[tuple[str, float]]:
    """Return each media range of an Accept value with its q (0 for an invalid q)."""
    ranges = [
        (media_range, 1.0 if q is None else float(q) if _QVALUE.fullmatch(q) else 0.0)
        for media_range, q in _weights(accept)
    ]
    if len(ranges) > MAX_RANGES:
        raise HTTPException(
            400,
            f"accept: at most {MAX_RANGES} media ranges, got {len(ranges):,}",
            headers={"Vary": "Accept"},
        )
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> tuple[float, int]:
    """Return a type's q and how specifically it was matched: 2 by name, 1 by type/*, 0 by
    */*, −1 not at all."""
    kind = media_type.split("/")[0]
    ranks = {media_type: 2, f"{kind}/*": 1, "*/*": 0}
    best, specificity = 0.0, -1
    for media_range, q in ranges:
        rank = ranks.get(media_range, -1)
        if rank > specificity:
            best, specificity = q, rank
    return best, specificity


def encoding(accepts: list[str]) -> str:
    """Return the media type to answer the Accept lines `accepts` in, or raise 406 if they
    admit none (`application/vnd.safetensors`, a guess at a name, must not get JSON)."""
    accept = ", ".join(accepts)
    ranges = _ranges(accept) if accept.strip() else []
    if not ranges:
        return JSON_MEDIA_TYPE
    best, (best_q, _) = JSON_MEDIA_TYPE, _quality(ranges, JSON_MEDIA_TYPE)
    for media_type in BINARY_MEDIA_TYPES:
        q, rank = _quality(ranges, media_type)
        named_tie = q == best_q and rank == 2 and best == JSON_MEDIA_TYPE
        if q > 0 and (q > best_q or named_tie):
            best, best_q = media_type, q
    if best_q <= 0:
        raise HTTPException(406, not_acceptable(accept), headers={"Vary": "Accept"})
    return best


def _bad_weights(accept: str) -> list[str]:
    """Return the q values of `accept` that are not weights (RFC 9110: 0 to 1, at most three
    decimals): each makes its range count for nothing."""
    return [q[:20] for _, q in _weights(accept) if q is not None and not _QVALUE.fullmatch(q)]


def not_acceptable(accept: str) -> str:
    """The 406 message: what Accept said, and the media types there are (and, where a q was
    not a weight, that it made its range count for nothing: q=abc asked for nothing)."""
    shown = accept if len(accept) <= 100 else accept[:100] + "…"
    choices = ", ".join(MEDIA_TYPES[:-1]) + f" or {MEDIA_TYPES[-1]}"
    message = f"accept: /gradient answers {choices} (or */*), got {shown!r}"
    if bad := _bad_weights(accept):
        weights = ", ".join(f"q={value!r}" for value in bad[:3])
        message += f"; {weights}: a q is a weight from 0 to 1 with at most three decimals"
    return message
