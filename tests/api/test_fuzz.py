"""Property-based fuzzing of every operation in /openapi.json with schemathesis (4.x).

Every operation of the OpenAPI document (GET and POST /gradient, GET /oembed, GET /healthz) is
called in process, against the ASGI app (no server, no sockets), in schemathesis's three pytest
phases: `examples` (the schema's own examples), `coverage` (boundary values, missing and extra
parameters, wrong types, undeclared HTTP methods and content types) and `fuzzing` (Hypothesis
data, valid and invalid: generation modes `positive` and `negative`). Each response goes through
every built-in check, all enabled by default in schemathesis 4 (only max_response_time needs a
limit, and there is none to hold the app to): not_a_server_error, status_code_conformance,
content_type_conformance, response_headers_conformance, response_schema_conformance,
negative_data_rejection, positive_data_acceptance, unsupported_method, allow_header_conformance,
missing_required_header, ignored_auth, object_level_authorization, use_after_free and
ensure_resource_availability (the last five have nothing to act on here: no required header, no
security scheme, no stateful link). `CONFIG` narrows two checks for single operations, with why.

Deterministic: generation is derandomized and Hypothesis's example database is off, so every run
sends the same requests and CI is stable.

Volume: `DEDZ_FUZZ_EXAMPLES` (default 300) is the number of fuzzing-phase examples per operation;
the examples and coverage phases add their own (about 270 in all): about 1,100 requests in about
10 s on two cores. The terminal summary reports the count. A longer campaign:

    DEDZ_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_fuzz.py

and `DEDZ_FUZZ_SEED=<int>` replaces the fixed derandomized sequence with a seeded random one, to
explore other inputs (the same seed replays the same run).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.main import create_app
from app.settings import Settings

EXAMPLES = int(os.environ.get("DEDZ_FUZZ_EXAMPLES", "300"))
SEED = os.environ.get("DEDZ_FUZZ_SEED")

CONFIG: dict[str, Any] = {
    "generation": {
        "max-examples": EXAMPLES,
        "deterministic": SEED is None,
        "database": "none",
    },
    **({"seed": int(SEED)} if SEED else {}),
    "operations": [
        {
            # Replaced by `positive_data_acceptance_but_cross_field` (below) for these two: the
            # request's fields constrain each other (target and weights follow the shape of
            # logits, probability rows sum to 1, B·n and B·n² are capped...), which JSON Schema
            # cannot express, so schema-valid requests can rightly get 422.
            "include-name": ["GET /gradient", "POST /gradient", "GET /explorer.json"],
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
        {
            # oEmbed 1.0 prescribes 501 Not Implemented for a `format` the provider does not
            # offer (`format=xml`, here anything but json); the schema documents it. Any other
            # 5xx is still a failure.
            "include-name": "GET /oembed",
            "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "501"]}},
        },
    ],
}

schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings()), config=schemathesis.Config.from_dict(CONFIG)
)

# The app's messages for constraints between fields, or between rows of one field: a request can
# satisfy the schema and still break them (the app answers 422 naming the field).
_CROSS_FIELD = re.compile(
    "|".join(
        [
            r"a batch must not be ragged",  # every row of a batch has the same n
            r"must have one class index per row",  # len(target) == B
            r"class index must be a whole number in 0\.\.\d+, got -?\d+$",  # 0 ≤ target < n
            r"probabilit(y|ies), got (shape|a single number)",  # n or B×n probabilities
            r"probabilities must sum to 1",  # each probability row sums to 1
            r"must have one weight per class",  # len(weights) == n
            r"weights sum to 0, so 'mean' is undefined",  # Σ w[target] > 0 for 'mean'
            r"logits per request \(B·n\)",  # B·n ≤ max_batch_elements
            r"needs? B·n² ≤",  # jacobian/chain/check need B·n² ≤ max_matrix_elements
            r"applies only to class-index targets",  # ignore_index ≠ -100 needs class indices
            r"must be class indices shaped",  # a K-dimensional target follows the logits' shape
            r"the array must not be ragged",  # K-dimensional arrays are rectangular
            r"K-dimensional logits take 'check' only",  # no jacobian/chain for (N, C, d1, …)
            r"applies to loss 'cross_entropy' only",  # ignore_index with mse or bce
            r"not for loss '(mse|bce)'",  # weights with mse, label smoothing with bce
            r"check is for loss 'cross_entropy'",  # no finite differences for mse or bce
            r"takes one row or a batch \(B, C\) of logits",  # no K-dim for mse or bce
        ]
    )
)
# A 1-D list as target is B class indices for a batch but n probabilities for one row: which of
# these two constraints applies depends on logits. (JSON Schema counts 2.0 as an integer, as 2.)
_LIST_TARGET = re.compile(r"class index must be a whole number|must be between 0 and 1")
# The query form writes numbers inside strings, where a schema pattern cannot bound their size.
# And a query's single target is a class index, which its pattern (numbers, for a probability row
# too) cannot say must be whole.
_QUERY_RANGE = re.compile(
    r"is out of float64's range|must be between|must be 0 or between|must not be negative"
    r"|class index must be a whole number"
)


def _cross_field(message: str, case: schemathesis.Case) -> bool:
    """Tell whether a 422 message is a constraint the schema cannot express for this request."""
    if _CROSS_FIELD.search(message):
        return True
    if case.method == "GET" and _QUERY_RANGE.search(message):
        return True
    target = case.body.get("target") if isinstance(case.body, dict) else None
    if not _LIST_TARGET.search(message) or not isinstance(target, list):
        return False
    if any(isinstance(y, list) for y in target):
        return False
    integral = [type(y) is int or (type(y) is float and y.is_integer()) for y in target]
    if "between" in message:  # integers ≥ 0 (class indices) sent as one row's probabilities
        return all(integral) and min(target) >= 0
    return not all(integral)  # probabilities sent as a batch's class indices


def positive_data_acceptance_but_cross_field(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """`positive_data_acceptance`, except for a 422 whose every error is cross-field."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if response.status_code != 422:
            raise
        errors = response.json().get("detail", [])
        if not errors or not all(_cross_field(str(e.get("msg")), case) for e in errors):
            raise
        return None


_ADDITIONAL_CHECKS = {
    "GET /gradient": [positive_data_acceptance_but_cross_field],
    "POST /gradient": [positive_data_acceptance_but_cross_field],
}

CASES: Counter[str] = Counter()


class _CaseCount:
    """A pytest plugin: reports in the terminal summary how many requests the fuzzing sent."""

    seconds = 0.0

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if CASES:
            counts = ", ".join(f"{label} {n}" for label, n in sorted(CASES.items()))
            terminalreporter.write_line(
                f"test_fuzz: {sum(CASES.values())} cases in {self.seconds:.1f} s ({counts})"
            )


@pytest.fixture(scope="module", autouse=True)
def _count_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """Time the module's tests and have `_CaseCount` report them."""
    plugin = _CaseCount()
    request.config.pluginmanager.register(plugin, "dedz-fuzz-case-count")
    start = time.perf_counter()
    yield
    plugin.seconds = time.perf_counter() - start


@schema.parametrize()
@settings(deadline=None)
def test_api_conforms_to_schema(case: schemathesis.Case) -> None:
    CASES[case.operation.label] += 1
    case.call_and_validate(additional_checks=_ADDITIONAL_CHECKS.get(case.operation.label))
