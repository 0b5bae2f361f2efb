"""The finite-difference check: its bound holds at extreme states and is tight at ordinary ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import Array, cross_entropy, finite_difference
from tests.core.strategies import logits_and_target

temperatures = st.floats(-4.0, 4.0).map(lambda e: float(10.0**e))  # 1e-4 .. 1e4, log-uniform
smoothing = st.sampled_from([0.0, 0.1, 0.5])


@given(logits_and_target(bound=900.0), smoothing, temperatures, st.booleans())
def test_the_true_gradient_always_agrees(
    case: tuple[Array, np.ndarray], eps: float, T: float, weighted: bool
) -> None:
    Z, target = case
    weights = np.linspace(1e-3, 1e3, Z.shape[1]) if weighted else None
    ce = cross_entropy(Z, target, temperature=T, label_smoothing=eps, weights=weights)
    check = finite_difference(Z, ce, T)
    assert check.agrees.all(), (check.grad_logits, ce.grad_logits, check.tolerance)
    assert np.all(np.isfinite(check.error_bound))
    if check.max_rel_error is not None:
        assert 0.0 <= check.max_rel_error < 1.0


@given(logits_and_target(bound=20.0), smoothing, st.floats(0.2, 5.0), st.data())
def test_a_gradient_off_by_a_ten_thousandth_is_caught(
    case: tuple[Array, np.ndarray], eps: float, T: float, data: st.DataObject
) -> None:
    """Resolution: the bound's rounding term is about 3·ε^(2/3)·|Z/T|^(2/3)/T, 1.2e-8 at
    |Z/T| = 100 and T = 0.2, so an error of 1e-4 of a gradient of 1e-3 is always caught (1e-5
    is not: Z = (16.5, 14.5), T = 0.25 has a tolerance of 1.1e-5 of its gradient)."""
    Z, target = case
    ce = cross_entropy(Z, target, temperature=T, label_smoothing=eps)
    g = ce.grad_logits
    scale = float(np.max(np.abs(g)))
    if scale < 1e-3:  # a nearly perfect prediction: nothing to resolve at this size
        return
    check = finite_difference(Z, ce, T)
    b = data.draw(st.integers(0, Z.shape[0] - 1))
    j = data.draw(st.integers(0, Z.shape[1] - 1))
    wrong = g.copy()
    wrong[b, j] += data.draw(st.sampled_from([1.0, -1.0])) * 1e-4 * scale
    assert check.agrees_with(g).all()
    assert not check.agrees_with(wrong)[b, j], (Z, target, T, eps, check.tolerance, scale)
    assert np.max(check.tolerance) < 2e-5 * scale


@pytest.mark.parametrize(
    ("Z", "T"),
    [([0.0, -744.0], 1.0), ([740.0, 0.0], 1.0), ([1e-4, 0.0], 1e-4), ([1e6, -1e6], 1e-4)],
    ids=["underflow", "saturated", "tiny-T", "extreme"],
)
def test_no_false_alarm_where_the_gradient_is_below_resolution(Z: list[float], T: float) -> None:
    logits = np.array([Z])
    ce = cross_entropy(logits, np.array([0]), temperature=T)
    check = finite_difference(logits, ce, T)
    assert check.agrees.all()
    resolved = np.abs(ce.grad_logits) > check.error_bound
    if not resolved.any():
        assert check.max_rel_error is None  # said so, rather than a relative error of 1.0
    else:
        assert check.max_rel_error is not None
        assert check.max_rel_error < 1e-3


@given(
    st.integers(2, 6),
    temperatures,
    st.floats(-1e6, 1e6),
    st.floats(0.1, 5.0),
    st.integers(0, 2**32 - 1),
)
def test_wherever_dedz_is_large_the_check_resolves_it_and_catches_a_sign_flip(
    n: int, T: float, base: float, spread: float, seed: int
) -> None:
    """Logits far from 0 but close to each other on the scale of T (|Z| ≫ T): a step blind to T
    resolved nothing there and let any gradient pass."""
    rng = np.random.default_rng(seed)
    Z = base + rng.normal(size=(1, n)) * T * spread
    target = np.array([int(rng.integers(0, n))])
    ce = cross_entropy(Z, target, temperature=T)
    check = finite_difference(Z, ce, T)
    g = ce.grad_logits
    large = np.abs(g) > 1e-3 / T
    assert check.agrees.all()
    assert check.resolved[large].all()
    assert not check.agrees_with(-g)[large].any()


@pytest.mark.parametrize(
    ("Z", "T"),
    [([1e6, 999_999.9999], 1e-4), ([1000.0, 1000.01], 1e-2)],
    ids=["huge-logits-tiny-T", "large-logits-small-T"],
)
def test_a_two_percent_error_is_caught_where_logits_dwarf_the_temperature(
    Z: list[float], T: float
) -> None:
    logits = np.array([Z])
    ce = cross_entropy(logits, np.array([0]), temperature=T)
    check = finite_difference(logits, ce, T)
    assert check.resolved.all()
    assert not check.agrees_with(ce.grad_logits * 1.02).any()
