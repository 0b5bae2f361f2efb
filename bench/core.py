"""The numeric core against naive numpy computing the same outputs, at n = 10 and n = 1000.

    .venv/bin/python bench/core.py [--repeat 7]

"Naive" is the textbook numpy a tool builder would write for the same seven outputs (O, log O,
E, dE/dZ, dE/dO, the Jacobian and the chain terms): one max-shift, no care for O_top near 1,
no care for underflow. dEdZ's core gives every one of them to the last digit where the naive
one loses them (tests/core). Prints the best time per call and ours ÷ naive beside the goal
(≤ 1.3). Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from functools import partial

import numpy as np
from common import ROOT  # noqa: F401  (puts the repository root on sys.path)

from app.core import chain_terms, cross_entropy, jacobian

GOAL = 1.3


def naive(Z: np.ndarray, y: np.ndarray) -> tuple[object, ...]:
    """softmax + cross-entropy and its derivatives, the textbook way, for B×n logits."""
    B, n = Z.shape
    m = Z.max(axis=-1, keepdims=True)
    e = np.exp(Z - m)
    s = e.sum(axis=-1, keepdims=True)
    O = e / s
    log_O = Z - m - np.log(s)
    Y = np.zeros_like(O)
    Y[np.arange(B), y] = 1.0
    loss = float(-(Y * log_O).sum() / B)
    grad = (O - Y) / B
    grad_probs = -Y / O / B
    J = np.eye(n) * O[:, :, None] - O[:, :, None] * O[:, None, :]
    chain = grad_probs[:, :, None] * J
    return O, log_O, loss, grad, grad_probs, J, chain


def ours(Z: np.ndarray, y: np.ndarray) -> tuple[object, ...]:
    """The same outputs from dEdZ's core."""
    ce = cross_entropy(Z, y)
    return ce, jacobian(ce.softmax), chain_terms(ce)


def best_us(calls: list[Callable[[], object]], repeat: int) -> list[float]:
    """Return each call's best time in µs, the calls timed in turn in every run (so that both
    meet the same allocator state: a fresh 8 MB matrix costs more in page faults than to fill)."""
    for call in calls:
        call()
    number = max(1, int(0.05 / max(timeit.timeit(calls[0], number=1), 1e-7)))
    best = [float("inf")] * len(calls)
    for _ in range(repeat):
        for k, call in enumerate(calls):
            best[k] = min(best[k], timeit.timeit(call, number=number) / number * 1e6)
    return best


def main() -> None:
    """Time both at each size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per path (7)")
    args = parser.parse_args()
    rng = np.random.default_rng(20_240_601)
    print(f"{'case':16}  {'ours µs':>9}  {'naive µs':>9}  {'ours/naive':>10}  goal")
    for B, n in [(1, 10), (1, 1000), (256, 10)]:
        Z = rng.normal(size=(B, n)) * 3.0
        y = rng.integers(0, n, size=B)
        us, them = best_us([partial(ours, Z, y), partial(naive, Z, y)], args.repeat)
        ratio = us / them
        verdict = "met" if ratio <= GOAL else "ABOVE"
        print(f"{f'B={B}, n={n}':16}  {us:9.1f}  {them:9.1f}  {ratio:10.2f}  ≤{GOAL} {verdict}")


if __name__ == "__main__":
    main()
