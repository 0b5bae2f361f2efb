"""Run dEdZ's "Copy as PyTorch" snippets under real PyTorch and record what they printed.

For every golden case the explorer can show (one row of 2 to 10 classes), this asks the app
for `/figure.py?<the case's state>`, runs the snippet with PyTorch's Python, and records the
snippet's SHA-256 with the E and dE/dZ it printed. tests/embed/test_exports.py checks that each
recorded hash is still the snippet the app writes today (so the record is of this code) and
that what PyTorch printed is the golden vectors' answer.

Run from the repo's virtualenv, naming a Python that has torch::

    .venv/bin/python scripts/snippets_pytorch.py /tmp/torchenv/bin/python \\
        > tests/embed/golden/pytorch_snippets.json
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.main import create_app  # noqa: E402

GOLDEN = ROOT / "tests" / "service" / "golden"


def query_of(request: dict[str, Any]) -> str | None:
    """Return the explorer query of a golden request, or None if the explorer cannot show it."""
    logits = request["logits"]
    if request.get("ignore_index", -100) != -100:  # the explorer takes no ignore_index
        return None
    if not isinstance(logits[0], (int, float)) or not 2 <= len(logits) <= 10:
        return None
    target = request["target"]
    if isinstance(target, list) and (not target or isinstance(target[0], list)):
        return None
    if isinstance(target, int) and target < 0:
        return None
    pairs = [("logits", ",".join(repr(float(v)) for v in logits))]
    pairs.append(
        ("target", ",".join(map(repr, target)) if isinstance(target, list) else str(target))
    )
    for name in ("temperature", "label_smoothing", "reduction", "loss"):
        if name in request:
            pairs.append((name, str(request[name])))
    if request.get("weights") is not None:
        pairs.append(("weights", ",".join(repr(float(w)) for w in request["weights"])))
    return urlencode(pairs, safe=",")


def main(torch_python: str) -> None:
    client = TestClient(create_app())
    runs = []
    for name in ("pytorch_cross_entropy", "pytorch_other_losses"):
        for case in json.loads((GOLDEN / f"{name}.json").read_text())["cases"]:
            query = query_of(case["request"])
            if query is None:
                continue
            response = client.get(f"/figure.py?{query}")
            if response.status_code != 200:
                continue  # outside the explorer's range (its 422s are tested elsewhere)
            snippet = response.text
            program = (
                snippet + "\nimport json as _j\nprint(_j.dumps([E.item(), Z.grad[0].tolist()]))\n"
            )
            done = subprocess.run(
                [torch_python, "-c", program], capture_output=True, text=True, check=True
            )
            loss, grad = json.loads(done.stdout.strip().splitlines()[-1])
            runs.append(
                {
                    "golden": f"{name}: {case['name']}",
                    "query": query,
                    "sha256": hashlib.sha256(snippet.encode()).hexdigest(),
                    "printed": {"loss": loss, "grad_logits": grad},
                }
            )
    version = subprocess.run(
        [torch_python, "-c", "import torch; print(torch.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        json.dumps(
            {
                "provenance": {
                    "generator": "scripts/snippets_pytorch.py",
                    "torch": version,
                    "generated": datetime.date.today().isoformat(),
                    "what": "each /figure.py snippet run under PyTorch; E and dE/dZ as printed",
                },
                "runs": runs,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
