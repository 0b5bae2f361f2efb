"""Generate PyTorch reference vectors for softmax + cross-entropy and its gradient.

Every case is a request in the REST format of the API (logits, target, temperature,
label_smoothing, weights, reduction) with the values PyTorch computes for it in float64:
the loss E = cross_entropy(Z / T, target), its gradient with respect to the raw logits Z,
softmax(Z / T) and log_softmax(Z / T). A single row is passed to PyTorch unbatched (1-D).

Run it from a virtualenv (outside the repo) that has torch==2.13.0 and numpy::

    python scripts/golden_pytorch.py > tests/service/golden/pytorch_cross_entropy.json
    python scripts/golden_pytorch.py --other-losses > tests/service/golden/pytorch_other_losses.json

The output is deterministic apart from the "generated" date in the provenance block.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from typing import Any

import numpy as np
import torch

SEED = 20240607
SEMANTICS = (
    "E = torch.nn.functional.cross_entropy(Z / T, target, weight=weights, reduction=reduction, "
    "label_smoothing=label_smoothing) in float64 (a single row unbatched); grad_logits = dE/dZ "
    "by autograd, of the sum of the row losses for reduction 'none'; probs = softmax(Z / T) and "
    "log_probs = log_softmax(Z / T)."
)

Json = dict[str, Any]


def expected(request: Json) -> Json:
    """Return the loss, gradient, probabilities and log-probabilities PyTorch gives a request."""
    Z = torch.tensor(request["logits"], dtype=torch.float64, requires_grad=True)
    target = np.asarray(request["target"])
    t = torch.tensor(target, dtype=torch.long if target.dtype.kind == "i" else torch.float64)
    w = request["weights"]
    weight = None if w is None else torch.tensor(w, dtype=torch.float64)
    x = Z / request["temperature"]
    smoothing, reduction = request["label_smoothing"], request["reduction"]
    ignore_index = request.get("ignore_index", -100)
    loss = torch.nn.functional.cross_entropy(
        x,
        t,
        weight=weight,
        reduction=reduction,
        label_smoothing=smoothing,
        ignore_index=ignore_index,
    )
    loss.sum().backward()
    assert Z.grad is not None
    axis = 1 if x.ndim >= 2 else -1  # classes: axis 1 for (N, C, d1, …), as PyTorch takes them
    probs = torch.softmax(x, dim=axis).detach()
    if Z.shape[-1] > 1 and bool((probs == 1.0).any()):
        raise ValueError("a top probability rounds to 1: PyTorch is imprecise there")
    value = loss.tolist()
    return {
        # NaN ('mean' over rows that are all ignored) is recorded as null, as the API answers it.
        "loss": None if isinstance(value, float) and value != value else value,
        "grad_logits": Z.grad.tolist(),
        "probs": probs.tolist(),
        "log_probs": torch.log_softmax(x, dim=axis).detach().tolist(),
    }


def case(
    name: str,
    logits: Any,
    target: Any,
    *,
    temperature: float = 1.0,
    label_smoothing: float = 0.0,
    weights: list[float] | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
) -> Json:
    """Return one named case: the request in REST format and what PyTorch expects for it."""
    target = np.asarray(target)
    request = {
        "logits": np.asarray(logits, dtype=np.float64).tolist(),
        # Index targets stay ints; probability targets become floats (0 -> 0.0).
        "target": target.tolist() if target.dtype.kind == "i" else target.astype(float).tolist(),
        "temperature": float(temperature),
        "label_smoothing": float(label_smoothing),
        "weights": None if weights is None else [float(v) for v in weights],
        "reduction": reduction,
    }
    if ignore_index is not None:
        request["ignore_index"] = ignore_index
    return {"name": name, "request": request, "expected": expected(request)}


def cases() -> list[Json]:
    """Return the deterministic list of cases; the random ones come from a seeded Generator."""
    rng = np.random.default_rng(SEED)
    Zr = rng.normal(size=(4, 5)) * 3
    yr = rng.integers(0, 5, size=4)
    Pr = rng.dirichlet(np.ones(5), size=4)
    Z3 = [[1.0, 2.0, 3.0], [0.5, -1.2, 2.0], [-0.3, 0.8, 0.1], [2.5, 2.4, -1.0]]
    P3 = [[0.2, 0.3, 0.5], [0.0, 1.0, 0.0], [0.6, 0.1, 0.3], [1 / 3, 1 / 3, 1 / 3]]
    y3 = [2, 0, 1, 1]
    w3 = [0.5, 2.0, 1.25]
    row = [0.1, -0.4, 1.3, 0.7]
    soft = [0.0, 0.5, 0.5, 0.0]
    Zk = rng.normal(size=(2, 3, 2, 2)) * 2
    yk = rng.integers(0, 3, size=(2, 2, 2))
    yk_ignored = np.where(rng.random(size=(2, 2, 2)) < 0.3, -100, yk)
    Pk = np.moveaxis(rng.dirichlet(np.ones(3), size=(2, 2, 2)), -1, 1)
    Zk1 = rng.normal(size=(1, 4, 5)) * 3
    yk1 = rng.integers(0, 4, size=(1, 5))
    weighted: Json = {"temperature": 2, "weights": w3, "label_smoothing": 0.1}
    mixed: Json = {"temperature": 3, "weights": w3, "label_smoothing": 0.1, "reduction": "none"}
    return [
        case("seed question: logits [2, 1], target 0", [2, 1], 0),
        case("two classes, target 1", [2, 1], 1),
        case("three classes, target top", [1, 2, 3], 2),
        case("three classes, target lowest", [1, 2, 3], 0),
        case("three classes, sum", [0.5, -1.2, 2.0], 1, reduction="sum"),
        case("three classes, none (0-d loss)", [0.5, -1.2, 2.0], 1, reduction="none"),
        case("soft labels, single row", [1, 2, 3], [0.2, 0.3, 0.5]),
        case("soft labels with zeros", row, soft),
        case("one-hot probabilities equal index 0", [1, 2, 3], [1.0, 0.0, 0.0]),
        case("label smoothing 0.1, index", row, 2, label_smoothing=0.1),
        case("label smoothing 0.3, index", row, 0, label_smoothing=0.3),
        case("label smoothing 0.1, probabilities", row, soft, label_smoothing=0.1),
        case("label smoothing 0.3, probabilities", row, soft, label_smoothing=0.3),
        case("label smoothing 0.1, batch index", Z3, y3, label_smoothing=0.1),
        case("label smoothing 0.3, batch probabilities", Z3, P3, label_smoothing=0.3),
        case("weights, single row, mean (weight cancels)", [1, 2, 3], 1, weights=w3),
        case("weights, single row, sum", [1, 2, 3], 1, weights=w3, reduction="sum"),
        case("weights, batch index, mean", Z3, y3, weights=w3),
        case("weights, batch index, sum", Z3, y3, weights=w3, reduction="sum"),
        case("weights, batch index, none", Z3, y3, weights=w3, reduction="none"),
        case("weights, batch probabilities, mean", Z3, P3, weights=w3),
        case("weights, batch probabilities, none", Z3, P3, weights=w3, reduction="none"),
        case("weights + smoothing 0.1, batch index", Z3, y3, weights=w3, label_smoothing=0.1),
        case("weights + smoothing 0.3, batch probs", Z3, P3, weights=w3, label_smoothing=0.3),
        case("temperature 0.5, single row", [1, 2, 3], 0, temperature=0.5),
        case("temperature 3, single row", [1, 2, 3], 0, temperature=3),
        case("temperature 0.5, batch index", Z3, y3, temperature=0.5),
        case("temperature 3, batch probabilities", Z3, P3, temperature=3, reduction="sum"),
        case("T 3 + weights + smoothing, batch, none", Z3, y3, **mixed),
        case("random 4x5, index, mean", Zr, yr),
        case("random 4x5, index, sum", Zr, yr, reduction="sum"),
        case("random 4x5, index, none", Zr, yr, reduction="none"),
        case("random 4x5, Dirichlet probabilities, mean", Zr, Pr),
        case("random 4x5, Dirichlet probabilities, none", Zr, Pr, reduction="none"),
        case("single class n=1, index", [0.7], 0),
        case("single class n=1, probability", [-2.0], [1.0]),
        case("single class n=1, batch", [[0.7], [-2.0], [5.0]], [0, 0, 0], reduction="sum"),
        case("ties, three equal logits", [0, 0, 0], 1),
        case("ties, two equal logits, soft target", [1.5, 1.5], [0.3, 0.7]),
        case("ties, batch of equal rows", [[2, 2, 2, 2], [-1, -1, -1, -1]], [3, 0]),
        case("large logits [30, -30, 0], non-top target", [30, -30, 0], 2),
        case("large logits [20, -20, 0], target lowest", [20, -20, 0], 1),
        case("ten classes", np.linspace(-2.25, 2.25, 10).tolist(), 7, label_smoothing=0.1),
        case("ignore_index -100 rows, mean", Z3, [2, -100, 1, -100]),
        case("ignore_index -100 rows, sum", Z3, [2, -100, 1, -100], reduction="sum"),
        case("ignore_index -100 rows, none", Z3, [2, -100, 1, -100], reduction="none"),
        case("ignore_index 1, weights, mean", Z3, y3, weights=w3, ignore_index=1),
        case("ignore_index 1, smoothing 0.2, mean", Z3, y3, label_smoothing=0.2, ignore_index=1),
        case("ignore_index 0, weights + smoothing, T 2", Z3, y3, ignore_index=0, **weighted),
        case("ignore_index, every row, sum", Z3, [-100] * 4, reduction="sum"),
        case("ignore_index, every row, none", Z3, [-100] * 4, reduction="none"),
        case("ignore_index, every row, mean (NaN)", Z3, [-100] * 4),
        case(
            "ignore_index, every row, weights, mean (NaN)", Z3, [1] * 4, weights=w3, ignore_index=1
        ),
        case("ignore_index, single row ignored, mean (NaN)", [1, 2, 3], -100),
        case(
            "ignore_index, single row ignored, sum", [1, 2, 3], 2, ignore_index=2, reduction="sum"
        ),
        case("K-dim (2, 3, 2, 2), indices, mean", Zk, yk),
        case("K-dim (2, 3, 2, 2), indices, none", Zk, yk, reduction="none"),
        case("K-dim (2, 3, 2, 2), indices, weights + smoothing", Zk, yk, **weighted),
        case("K-dim (2, 3, 2, 2), ignore_index", Zk, yk_ignored, reduction="sum"),
        case("K-dim (2, 3, 2, 2), probabilities, mean", Zk, Pk),
        case(
            "K-dim (2, 3, 2, 2), probabilities, none, T 3", Zk, Pk, temperature=3, reduction="none"
        ),
        case("K-dim (1, 4, 5), indices, smoothing", Zk1, yk1, label_smoothing=0.1),
    ]


def main() -> None:
    """Print the provenance and all cases as strict JSON on stdout."""
    document = {
        "provenance": {
            "generator": "scripts/golden_pytorch.py",
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "dtype": "float64",
            "generated": datetime.date.today().isoformat(),
            "semantics": SEMANTICS,
        },
        "cases": cases(),
    }
    json.dump(document, sys.stdout, indent=1, sort_keys=False, allow_nan=False)
    sys.stdout.write("\n")


OTHER_SEMANTICS = (
    "mse: E = torch.nn.functional.mse_loss(torch.softmax(Z / T, dim=-1), Y', reduction) with Y' "
    "the one-hot or probability target after label smoothing ((1 - eps)·Y + eps/n); bce: E = "
    "torch.nn.functional.binary_cross_entropy_with_logits(Z / T, Y, weight=w (one per class, "
    "broadcast over rows), reduction) with Y one-hot or the probabilities; all float64, a single "
    "row unbatched; grad_logits = dE/dZ by autograd (of the sum for 'none'); probs = "
    "softmax(Z / T) for mse and sigmoid(Z / T) for bce; jacobian = dprobs/dZ by "
    "torch.autograd.functional.jacobian."
)


def expected_other(request: Json) -> Json:
    """Return the loss, gradient, outputs and their Jacobian PyTorch gives an mse or bce case."""
    Z = torch.tensor(request["logits"], dtype=torch.float64, requires_grad=True)
    n = Z.shape[-1]
    target = np.asarray(request["target"])
    if target.dtype.kind == "i":
        Y = torch.nn.functional.one_hot(torch.tensor(target), n).to(torch.float64)
    else:
        Y = torch.tensor(target, dtype=torch.float64)
    T, reduction = request["temperature"], request["reduction"]
    if request["loss"] == "mse":
        eps = request["label_smoothing"]
        Y = (1 - eps) * Y + eps / n

        def outputs(z: torch.Tensor) -> torch.Tensor:
            return torch.softmax(z / T, dim=-1)

        loss = torch.nn.functional.mse_loss(outputs(Z), Y, reduction=reduction)
    else:
        w = request["weights"]
        weight = None if w is None else torch.tensor(w, dtype=torch.float64)

        def outputs(z: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(z / T)

        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            Z / T, Y, weight=weight, reduction=reduction
        )
    loss.sum().backward()
    assert Z.grad is not None
    probs = outputs(Z).detach()
    rows = Z.detach() if Z.ndim == 2 else Z.detach()[None]
    jac = [torch.autograd.functional.jacobian(outputs, row).tolist() for row in rows]
    return {
        "loss": loss.tolist(),
        "grad_logits": Z.grad.tolist(),
        "probs": probs.tolist(),
        "jacobian": jac if Z.ndim == 2 else jac[0],
    }


def other_case(name: str, loss: str, logits: Any, target: Any, **options: Any) -> Json:
    """Return one mse or bce case: the request (with `loss`) and PyTorch's answer."""
    target = np.asarray(target)
    request = {
        "loss": loss,
        "logits": np.asarray(logits, dtype=np.float64).tolist(),
        "target": target.tolist() if target.dtype.kind == "i" else target.astype(float).tolist(),
        "temperature": float(options.get("temperature", 1.0)),
        "label_smoothing": float(options.get("label_smoothing", 0.0)),
        "weights": options.get("weights"),
        "reduction": options.get("reduction", "mean"),
    }
    return {"name": name, "request": request, "expected": expected_other(request)}


def other_cases() -> list[Json]:
    """Return the mse and bce cases, the random ones from a seeded Generator."""
    rng = np.random.default_rng(SEED + 1)
    Zr = rng.normal(size=(3, 4)) * 3
    yr = rng.integers(0, 4, size=3)
    Pr = rng.dirichlet(np.ones(4), size=3)
    Ur = rng.random(size=(3, 4))  # bce targets need not sum to 1
    w4 = [0.5, 2.0, 1.0, 1.5]
    cases = []
    for loss in ("mse", "bce"):
        cases += [
            other_case(f"{loss}: seed question [2, 1], target 0", loss, [2, 1], 0),
            other_case(
                f"{loss}: confidently wrong [-4, 4], target 0, sum",
                loss,
                [-4, 4],
                0,
                reduction="sum",
            ),
            other_case(f"{loss}: confidently wrong [-4, 4], target 0, mean", loss, [-4, 4], 0),
            other_case(f"{loss}: three classes, none", loss, [0.5, -1.2, 2.0], 1, reduction="none"),
            other_case(f"{loss}: temperature 3", loss, [1, 2, 3], 0, temperature=3),
            other_case(f"{loss}: temperature 0.5, batch", loss, Zr, yr, temperature=0.5),
            other_case(f"{loss}: batch index, mean", loss, Zr, yr),
            other_case(f"{loss}: batch index, none", loss, Zr, yr, reduction="none"),
            other_case(f"{loss}: batch probabilities, sum", loss, Zr, Pr, reduction="sum"),
            other_case(f"{loss}: large logits [30, -30, 0]", loss, [30, -30, 0], 2),
            other_case(f"{loss}: ten classes", loss, np.linspace(-2.25, 2.25, 10).tolist(), 7),
        ]
    cases += [
        other_case(
            "mse: label smoothing 0.1", "mse", [0.1, -0.4, 1.3, 0.7], 2, label_smoothing=0.1
        ),
        other_case("mse: smoothing 0.3, batch probabilities", "mse", Zr, Pr, label_smoothing=0.3),
        other_case("bce: weights, single row", "bce", [0.1, -0.4, 1.3, 0.7], 2, weights=w4),
        other_case("bce: weights, batch, sum", "bce", Zr, yr, weights=w4, reduction="sum"),
        other_case("bce: targets not summing to 1", "bce", Zr, Ur),
        other_case("bce: saturated [40, -40], target 1", "bce", [40, -40], 1),
    ]
    return cases


def main_other() -> None:
    """Print the provenance and the mse and bce cases as strict JSON on stdout."""
    document = {
        "provenance": {
            "generator": "scripts/golden_pytorch.py --other-losses",
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "dtype": "float64",
            "generated": datetime.date.today().isoformat(),
            "semantics": OTHER_SEMANTICS,
        },
        "cases": other_cases(),
    }
    json.dump(document, sys.stdout, indent=1, sort_keys=False, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main_other() if "--other-losses" in sys.argv else main()
