"""Serialising the n=1000 response (Jacobian and chain): dEdZ's lists + orjson vs the others.

    .venv/bin/python bench/serializers.py [--repeat 7]

The floor is orjson's numpy serializer, which dEdZ does not use (orjson 3.12 and 3.13 corrupt
the heap on some such payloads); then pydantic's paths. Prints the best time per call, its ratio
to the floor, and whether the outputs agree. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

import numpy as np
import orjson
import pydantic_core
from api import build_scenarios  # also puts the repository root on sys.path (common)

from app.api.serialise import gradient_json, gradient_payload
from app.service.compute import compute
from app.service.responses import GradientResponse
from app.service.validation import validate
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

    body = next(s.body for s in build_scenarios() if s.key == "post1000")
    request = validate(orjson.loads(body or b""), Settings(), "body")
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
