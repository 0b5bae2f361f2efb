"""Serialising the n=1000 response: orjson on numpy arrays versus pydantic on lists.

Run from the repository root:

    .venv/bin/python bench/serializers.py [--repeat 7]

The response is the one `bench/api.py` asks for in its n=1000 scenario: one row of 1000 logits
with the Jacobian and the chain terms (two 1000×1000 matrices). It is computed once with
`app.service.compute`, then serialised by what dEdZ does (orjson with OPT_SERIALIZE_NUMPY on
the payload of numpy arrays) and by the pydantic paths a FastAPI app would take (arrays turned
into lists, then `GradientResponse` or `pydantic_core.to_json`). Prints the best time per call
of each path and its ratio to orjson's, and whether the outputs agree. Figures only: nothing
is asserted.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pydantic_core
from common import ROOT

# Run as a script, Python sees bench/ (for `api`) but not the repository root (for `app`).
sys.path.insert(0, str(ROOT))

from api import build_scenarios

from app.parsing import validate
from app.rendering import gradient_payload
from app.schemas import GradientResponse
from app.service import compute
from app.settings import Settings


def as_lists(value: Any) -> Any:
    """Return the payload with every numpy array (also inside dicts) turned into lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {key: as_lists(item) for key, item in value.items()}
    return value


def best_ms(call: Callable[[], object], repeat: int) -> float:
    """Return the best time of one call, in ms, over `repeat` runs (after one warm-up call)."""
    call()
    return min(timeit.repeat(call, number=1, repeat=repeat)) * 1e3


def main() -> None:
    """Time each path and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per path (7)")
    args = parser.parse_args()

    scenario = next(s for s in build_scenarios() if s.key == "post1000")
    if scenario.body is None:
        raise RuntimeError("the n=1000 scenario has no body")
    request = validate(orjson.loads(scenario.body), Settings(), "body")
    payload = gradient_payload(compute(request))
    lists = as_lists(payload)
    model = GradientResponse.model_validate(lists)

    def ours() -> bytes:
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)

    def via_model() -> bytes:
        response = GradientResponse.model_validate(as_lists(payload))
        return response.model_dump_json(exclude_unset=True).encode()

    def via_core() -> bytes:
        return pydantic_core.to_json(as_lists(payload))

    paths: list[tuple[str, Callable[[], object]]] = [
        ("orjson.dumps(numpy payload, OPT_SERIALIZE_NUMPY)  [dEdZ]", ours),
        ("tolist + GradientResponse.model_validate + model_dump_json", via_model),
        ("  of which: .tolist() on every array", lambda: as_lists(payload)),
        ("  of which: GradientResponse.model_validate(lists)", lambda: model.model_validate(lists)),
        ("  of which: .model_dump_json()", lambda: model.model_dump_json(exclude_unset=True)),
        ("tolist + pydantic_core.to_json", via_core),
    ]
    reference = ours()
    print(
        f"n=1000 response with jacobian and chain: {len(reference) / 1e6:.1f} MB of JSON; "
        f"best of {args.repeat} calls.\n"
    )
    width = max(len(name) for name, _ in paths)
    print(f"{'path':<{width}}  {'ms/call':>9}  {'× orjson':>8}")
    print("-" * (width + 21))
    orjson_ms = 0.0
    for name, call in paths:
        ms = best_ms(call, args.repeat)
        orjson_ms = orjson_ms or ms
        ratio = "" if name.startswith("  ") else f"{ms / orjson_ms:.2f}"
        print(f"{name:<{width}}  {ms:>9.1f}  {ratio:>8}".rstrip())

    print()
    for name, output in (("GradientResponse", via_model()), ("pydantic_core", via_core())):
        same_bytes = output == reference
        same_values = same_bytes or orjson.loads(output) == orjson.loads(reference)
        print(
            f"{name}: {'same bytes' if same_bytes else 'different bytes'} as orjson, "
            f"{'same' if same_values else 'different'} values, {len(output) / 1e6:.1f} MB."
        )


if __name__ == "__main__":
    main()
