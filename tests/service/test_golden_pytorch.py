"""The API against PyTorch's `F.cross_entropy`, recorded in golden/ (with provenance).

The vectors were made by scripts/golden_pytorch.py with torch 2.13.0 in float64; PyTorch is
not needed to run this test. Where the top probability is near 1, PyTorch's log-softmax loses
relative precision that dEdZ keeps, hence the small absolute term in the tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

GOLDEN = json.loads((Path(__file__).parent / "golden" / "pytorch_cross_entropy.json").read_text())


def test_provenance_is_recorded() -> None:
    assert GOLDEN["provenance"]["torch"].startswith("2.")
    assert GOLDEN["provenance"]["dtype"] == "float64"


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_api_matches_pytorch(client: TestClient, case: dict[str, Any]) -> None:
    response = client.post("/gradient", json={**case["request"], "include": ["check"]})
    assert response.status_code == 200, response.text
    got = response.json()
    for key, want in case["expected"].items():
        if want is None:  # PyTorch's NaN: 'mean' over rows that are all ignored
            assert got[key] is None, key
            assert "ignore_index" in got["loss_undefined"]
            continue
        np.testing.assert_allclose(got[key], want, rtol=1e-12, atol=1e-15, err_msg=key)
    check = got["check"]
    assert check["all_agree"], check
    assert np.array(check["agrees"]).all()
    assert check["max_rel_error"] is None or check["max_rel_error"] < 1e-6
