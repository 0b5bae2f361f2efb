"""JSON rendering of results: strict, exact, and safe for the process that serialises it.

The serialiser runs in a subprocess here, because the defect these tests guard against (heap
corruption in a C extension, issue "Hardening II") kills the interpreter instead of raising.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]

# Shared by the scripts below: the bytes must parse as strict JSON to exactly the numbers of the
# arrays (a non-finite number as null), so a serialiser that survives but writes wrong digits
# fails too.
_CHECK = """
import math, json
def expected(value):
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
def strict(token):
    raise ValueError(f"non-strict JSON token {token}")
def check(out, payload):
    parsed = json.loads(out, parse_constant=strict)
    want = {k: expected(v.tolist() if hasattr(v, "tolist") else v) for k, v in payload.items()}
    assert parsed == want, "serialised numbers differ from the arrays"
"""


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip().endswith("ok"), proc.stdout


@pytest.mark.parametrize("seed", [0])
def test_the_crash_request_serialises_cleanly(seed: int) -> None:
    # The reported request: 1,000 logits, the first 900 and the rest in [−6, 5], a soft target,
    # T = 2, with the Jacobian and the chain (the answer is 27 MB of long float reprs such as
    # −2.58888045e+192 and 5.52995602e−193).
    proc = _run(
        _CHECK
        + f"""
import numpy as np
from app.api.serialise import gradient_json, gradient_payload
from app.service.models import GradientRequest
from app.service.compute import compute
rng = np.random.default_rng({seed})
Z = np.concatenate([[900.0], rng.uniform(-6, 5, 999)])
Y = rng.random(1000); Y /= Y.sum()
request = GradientRequest.model_validate(
    {{"logits": Z.tolist(), "target": Y.tolist(), "temperature": 2,
      "include": ["jacobian", "chain"]}}
)
result = compute(request)
out = gradient_json(result)
assert len(out) > 20_000_000, len(out)
check(out, gradient_payload(result))
print("ok")
"""
    )
    _assert_clean(proc)


def test_serialiser_fuzz_random_shapes_and_awkward_floats() -> None:
    # Random shapes (rows, matrices, batches of matrices) filled with random mixes of 0.0, −0.0,
    # subnormals, values near the ends of float64 (1e±300, reprs of 24 characters) and ±∞,
    # several arrays to a payload, as a response holds them.
    proc = _run(
        _CHECK
        + """
import numpy as np
from app.api.serialise import dumps
rng = np.random.default_rng(20261201)
pool = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, -1.7976931348623157e308,
                 1e300, -1e-300, 1e-300, np.inf, -np.inf, -2.58888045e+192, 5.52995602e-193])
for case in range(60):
    payload = {}
    for k in range(int(rng.integers(1, 8))):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 300 if ndim < 3 else 40, size=ndim))
        mix = rng.random()
        values = np.where(
            rng.random(shape) < mix,
            rng.choice(pool, size=shape),
            rng.standard_normal(shape) * 10.0 ** rng.integers(-320, 300, size=shape),
        )
        payload[f"a{k}"] = values
    payload["loss"] = float(rng.choice(pool))
    out = dumps(payload)
    check(out, payload)
print("ok")
"""
    )
    _assert_clean(proc)


@pytest.mark.parametrize(
    "data",
    [
        {
            "logits": [float(i % 7) for i in range(600)],
            "target": 5,
            "include": ["jacobian", "chain"],
        },
        {"logits": [[0.5, -1.0, 2.0], [1e4, -1e4, 0.0]], "target": [2, 1], "reduction": "none"},
        {"logits": [[0.5, -1.0], [3.0, 0.0]], "target": [[0.3, 0.7], [1, 0]], "include": ["check"]},
        {"logits": [37.43, 0.0], "target": 0, "include": ["jacobian", "chain", "check"]},
    ],
)
def test_streamed_chunks_are_the_same_bytes(data: dict[str, object]) -> None:
    from app.api.serialise import CHUNK_BYTES, gradient_chunks, gradient_json
    from app.service.compute import compute
    from app.service.models import GradientRequest

    result = compute(GradientRequest.model_validate(data))
    chunks = list(gradient_chunks(result))
    assert b"".join(chunks) == gradient_json(result)
    assert max(map(len, chunks)) < CHUNK_BYTES + 20_000  # one row past the mark at most


def test_a_large_answer_is_streamed_with_the_same_bytes(client: TestClient) -> None:
    from app.api.serialise import gradient_json
    from app.service.compute import compute
    from app.service.models import GradientRequest

    data = {"logits": [float(i % 5) for i in range(800)], "target": 1, "include": ["chain"]}
    response = client.post("/gradient", json=data)
    assert response.status_code == 200
    assert "content-length" not in response.headers  # chunked
    assert response.content == gradient_json(compute(GradientRequest.model_validate(data)))


NPZ_BODIES = [
    {"logits": [2, 1, 0.1], "target": 0, "include": ["jacobian", "chain", "check"]},
    {"logits": [[2, 1], [0, -800]], "target": [0, 1], "reduction": "none"},
    {"logits": [[[1, 2], [3, 4]], [[0, 1], [2, 5]]], "target": [[0, 1], [1, 0]]},
    {"logits": [2, 1], "target": -100},  # every row ignored: the loss undefined, and why
    {"logits": [3, 1], "target": [0.25, 0.75], "include": []},
]


@pytest.mark.parametrize("body", NPZ_BODIES)
def test_the_npz_archive_is_what_numpy_savez_writes(body: dict[str, object]) -> None:
    """The .npz is put together by hand (each array sent from its own memory): a valid ZIP
    whose CRC-32s check, holding exactly the arrays numpy.savez would have written."""
    import io
    import zipfile

    import numpy as np

    from app.api.serialise import _arrays, _flat, gradient_npz
    from app.service.compute import compute
    from app.service.models import GradientRequest

    result = compute(GradientRequest.model_validate(body))
    archive = b"".join(gradient_npz(result))
    with zipfile.ZipFile(io.BytesIO(archive)) as members:
        assert members.testzip() is None  # every member's CRC-32 checks
    reference = io.BytesIO()
    np.savez(reference, allow_pickle=False, **dict(_flat(_arrays(result))))
    ours, theirs = np.load(io.BytesIO(archive)), np.load(io.BytesIO(reference.getvalue()))
    assert ours.files == theirs.files
    for name in ours.files:
        assert ours[name].dtype == theirs[name].dtype, name
        assert ours[name].shape == theirs[name].shape, name
        assert ours[name].tobytes() == theirs[name].tobytes(), name


def test_a_large_npz_answer_arrives_whole(client: TestClient) -> None:
    import io

    import numpy as np

    logits = [round(0.01 * i * (-1) ** i, 6) for i in range(600)]
    body = {"logits": logits, "target": 7, "include": ["jacobian", "chain"]}
    response = client.post("/gradient", json=body, headers={"Accept": "application/x-npz"})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    arrays = np.load(io.BytesIO(response.content))
    answer = client.post("/gradient", json=body).json()
    assert arrays["jacobian"].shape == (600, 600)
    assert arrays["grad_logits"].tolist() == answer["grad_logits"]
    assert arrays["jacobian"][7].tolist() == answer["jacobian"][7]


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=4096),
    start=st.integers(0, 64),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_npz_crc32_is_zlibs(data: bytes, start: int, seed: int) -> None:
    """The .npz's CRC-32s come from zlib-ng (a C extension, SIMD): on any bytes, at any
    alignment and from any starting value, it gives exactly zlib's CRC-32 (the one zipfile and
    numpy.load check). The SIMD paths fold 64-byte blocks, so lengths around them are drawn."""
    import zlib

    import numpy as np
    from zlib_ng.zlib_ng import crc32

    view = memoryview(bytes(start) + data)[start:]  # unaligned views of the same bytes
    assert crc32(view) == zlib.crc32(view)
    assert crc32(view, seed) == zlib.crc32(view, seed)
    array = np.frombuffer(data[: len(data) // 8 * 8], dtype=np.float64)
    as_bytes = array.reshape(-1).view(np.uint8).data  # as gradient_npz hands it over
    assert crc32(as_bytes) == zlib.crc32(as_bytes)


def test_the_npz_crc32_is_zlibs_on_a_large_matrix() -> None:
    import zlib

    import numpy as np
    from zlib_ng.zlib_ng import crc32

    matrix = np.random.default_rng(7).standard_normal((1000, 1001))  # 8 MB, not a block multiple
    data = matrix.reshape(-1).view(np.uint8).data
    assert crc32(data) == zlib.crc32(data)
    assert crc32(data[3:], 12345) == zlib.crc32(data[3:], 12345)


@given(seed=st.integers(0, 2**32 - 1), ndim=st.integers(2, 3))
@settings(max_examples=60, deadline=None)
def test_a_matrix_streamed_by_rows_is_what_orjson_writes(seed: int, ndim: int) -> None:
    """Rows of +0.0 are written from their known text; a row with a −0.0, a NaN, an infinity
    or any other value is formatted: the bytes are orjson's for the whole matrix either way."""
    from app.api.serialise import _matrix_pieces

    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 12, size=ndim))
    pool = np.array([0.0, -0.0, 1.0, np.nan, np.inf, -np.inf, 5e-324, 0.1])
    values = rng.choice(pool, size=shape)
    values[rng.random(shape[:-1]) < 0.5] = 0.0  # whole rows of +0.0
    for array in (values, values != 0.0):  # and a matrix of booleans, as `check` has
        assert b"".join(_matrix_pieces(array)) == orjson.dumps(array.tolist())
