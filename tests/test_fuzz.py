"""Draft: fuzz every operation of the OpenAPI document with schemathesis."""

from __future__ import annotations

import os
from collections import Counter

import schemathesis
from hypothesis import settings

from app.main import create_app
from app.settings import Settings

EXAMPLES = int(os.environ.get("DEDZ_FUZZ_EXAMPLES", "150"))

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings()))
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")

CASES: Counter[tuple[str, str, str]] = Counter()


@schema.parametrize()
@settings(deadline=None)
def test_api(case: schemathesis.Case) -> None:
    meta = case.meta
    CASES[
        (
            case.operation.label,
            meta.phase.name.value if meta else "?",
            meta.generation.mode.value if meta else "?",
        )
    ] += 1
    case.call_and_validate()


def test_zz_count() -> None:
    for k, v in sorted(CASES.items()):
        print(k, v)
    print("TOTAL", sum(CASES.values()))
