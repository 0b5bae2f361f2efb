"""Serialising the n=1000 response: dEdZ's path (lists, then orjson) versus the alternatives.

Run from the repository root:

    .venv/bin/python bench/serializers.py [--repeat 7]

The response is the one `bench/api.py` asks for in its n=1000 scenario: one row of 1000 logits
with the Jacobian and the chain terms (two 1000×1000 matrices). It is computed once with
`app.service.compute`, then serialised by what dEdZ does (`gradient_json`: arrays to lists,
then orjson), by orjson's numpy serializer (the floor; dEdZ does not use it, because orjson 3.12
and 3.13 corrupt the heap on some such payloads) and by the pydantic paths a FastAPI app would
take. Prints the best time per call of each path and its ratio to the numpy floor, and whether
the outputs agree. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable

import numpy as np
import orjson
import pydantic_core
from common import ROOT

# Run as a script, Python sees bench/ (for `api`) but not the repository root (for `app`).
sys.path.insert(0, str(ROOT))

from api import build_scenarios

from app.parsing import validate
from app.rendering import gradient_json, gradient_payload
from app.schemas import GradientResponse
from app.service import compute
from app.settings import Settings


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
    result = compute(request)
    lists = gradient_payload(result)
    arrays = {k: np.asarray(v) if isinstance(v, list) else v for k, v in lists.items()}
    model = GradientResponse.model_validate(lists)

    def numpy_floor() -> bytes:
        return orjson.dumps(arrays, option=orjson.OPT_SERIALIZE_NUMPY)

    def via_model() -> bytes:
        response = GradientResponse.model_validate(gradient_payload(result))
        return response.model_dump_json(exclude_unset=True).encode()

    def via_core() -> bytes:
        return pydantic_core.to_json(gradient_payload(result))

    paths: list[tuple[str, Callable[[], object]]] = [
        ("orjson.dumps(numpy arrays, OPT_SERIALIZE_NUMPY)  [floor, unsafe]", numpy_floor),
        ("gradient_json: tolist + orjson.dumps  [dEdZ]", lambda: gradient_json(result)),
        ("  of which: .tolist() on every array", lambda: gradient_payload(result)),
        ("tolist + GradientResponse.model_validate + model_dump_json", via_model),
        ("  of which: GradientResponse.model_validate(lists)", lambda: model.model_validate(lists)),
        ("  of which: .model_dump_json()", lambda: model.model_dump_json(exclude_unset=True)),
        ("tolist + pydantic_core.to_json", via_core),
    ]
    reference = gradient_json(result)
    print(
        f"n=1000 response with jacobian and chain: {len(reference) / 1e6:.1f} MB of JSON; "
        f"best of {args.repeat} calls.\n"
    )
    width = max(len(name) for name, _ in paths)
    print(f"{'path':<{width}}  {'ms/call':>9}  {'× floor':>8}")
    print("-" * (width + 21))
    orjson_ms = 0.0
    for name, call in paths:
        ms = best_ms(call, args.repeat)
        orjson_ms = orjson_ms or ms
        ratio = "" if name.startswith("  ") else f"{ms / orjson_ms:.2f}"
        print(f"{name:<{width}}  {ms:>9.1f}  {ratio:>8}".rstrip())

    print()
    outputs = (
        ("numpy floor", numpy_floor()),
        ("GradientResponse", via_model()),
        ("pydantic_core", via_core()),
    )
    for name, output in outputs:
        same_bytes = output == reference
        same_values = same_bytes or orjson.loads(output) == orjson.loads(reference)
        print(
            f"{name}: {'same bytes' if same_bytes else 'different bytes'} as dEdZ's, "
            f"{'same' if same_values else 'different'} values, {len(output) / 1e6:.1f} MB."
        )


if __name__ == "__main__":
    main()
