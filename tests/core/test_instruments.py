"""The instruments' maths against references written here: the wrong-model catalogue formula by
formula in plain numpy, and the loss line's slopes, strips and differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import cross_entropy, jacobian
from app.core.misconceptions import MODELS, signs, tolerance, within, wrong_models
from app.core.nudge import STEPS, half_width, loss_line

rows = st.lists(st.floats(-8, 8, allow_nan=False), min_size=2, max_size=6)


def _reference(Z: np.ndarray, y: int, T: float) -> dict[str, np.ndarray]:
    """The catalogue for a plain one-hot row, each model from its textbook formula."""
    x = Z / T
    O = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    Y = np.zeros_like(Z)
    Y[y] = 1.0
    g = (O - Y) / T
    J = (np.diag(O) - np.outer(O, O)) / T
    return {
        "copy-true-class": np.full_like(Z, (O[y] - 1) / T),
        "direct-only": -Y * (1 - O) / T,
        "stop-at-outputs": np.where(Y == 0, 0.0, -Y / O),
        "sign-flipped": -g,
        "temperature-ignored": g * T,
        "independent-sigmoids": 1 / (1 + np.exp(-x)) - Y,
        "squared-error": J.T @ (2 * (O - Y)),
    }


@given(rows, st.data(), st.sampled_from([1.0, 0.5, 2.0]))
def test_property_each_model_is_its_formula(
    values: list[float], data: st.DataObject, T: float
) -> None:
    Z = np.array(values)
    y = data.draw(st.integers(0, len(values) - 1))
    ce = cross_entropy(Z[None], np.array([y]), temperature=T)
    Y = np.zeros_like(Z)
    Y[y] = 1.0
    models = {m.model: m.gradient for m in wrong_models(ce, Z[None], Y, T, y)}
    expected = _reference(Z, y, T)
    if T == 1.0:
        expected.pop("temperature-ignored")
    assert set(models) == set(expected)  # raw-target only where it differs from the truth
    assert [m for m in MODELS if m in models] == list(models)  # catalogue order
    for name, value in expected.items():
        np.testing.assert_allclose(models[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


def test_raw_target_appears_where_smoothing_or_weights_change_the_target() -> None:
    Z = np.array([[2.0, 1.0, 0.5]])
    Y = np.array([1.0, 0.0, 0.0])
    smoothed = cross_entropy(Z, np.array([0]), label_smoothing=0.1)
    models = {m.model: m.gradient for m in wrong_models(smoothed, Z, Y, 1.0, None)}
    O = smoothed.softmax.probs[0]
    np.testing.assert_allclose(models["raw-target"], O - Y)
    assert "copy-true-class" not in models  # no one-hot target to copy
    weighted = cross_entropy(Z, np.array([1]), weights=np.array([1.0, 3.0, 1.0]), reduction="sum")
    models = {m.model for m in wrong_models(weighted, Z, np.array([0.0, 1.0, 0.0]), 1.0, 1)}
    assert "raw-target" in models


def test_the_truth_is_never_a_wrong_model_and_tolerance_is_as_documented() -> None:
    np.testing.assert_array_equal(tolerance(np.array([0.0, 0.1, 1.0])), [0.01, 0.01, 0.05])
    assert within(np.array([0.109]), np.array([0.1])).all()
    assert not within(np.array([1.06]), np.array([1.0])).any()
    np.testing.assert_array_equal(signs(np.array([0.3, -1e-12, -0.2]), 0.3), [1, 0, -1])
    Z = np.array([[2.0, 1.0]])
    ce = cross_entropy(Z, np.array([0]))
    for m in wrong_models(ce, Z, np.array([1.0, 0.0]), 1.0, 0):
        assert not within(m.gradient, ce.grad_logits[0]).all(), m.model


@given(rows, st.data(), st.sampled_from([1.0, 0.3, 3.0]), st.sampled_from(["mean", "sum"]))
def test_property_the_loss_line_s_slopes_are_the_gradient_and_the_jacobian(
    values: list[float], data: st.DataObject, T: float, reduction: str
) -> None:
    Z = np.array([values])
    n = Z.shape[1]
    y = np.array([data.draw(st.integers(0, n - 1))])
    j = data.draw(st.integers(0, n - 1))
    line = loss_line(Z, y, j, 0.1, temperature=T, reduction=reduction)  # type: ignore[arg-type]
    ce = cross_entropy(Z, y, temperature=T, reduction=reduction)  # type: ignore[arg-type]
    assert line.slope == ce.grad_logits[0, j]
    np.testing.assert_allclose(line.loss_at_zero, ce.loss, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(line.prob_slopes, jacobian(ce.softmax, T)[0, :, j])
    assert line.t[0] == -half_width(T)
    assert line.t[-1] == half_width(T)
    assert np.isfinite(line.loss).all()
    assert np.isfinite(line.probs).all()
    np.testing.assert_allclose(line.probs.sum(axis=1), 1.0, rtol=1e-12)
    # The curve is E itself: each point as its own one-row loss.
    k = len(line.t) // 3
    shifted = Z.copy()
    shifted[0, j] += line.t[k]
    other = cross_entropy(shifted, y, temperature=T, reduction=reduction)  # type: ignore[arg-type]
    np.testing.assert_allclose(line.loss[k], other.loss, rtol=1e-12, atol=1e-15)
    # Slopes of the strip at t = 0, by a central difference of O_i along the grid's middle.
    mid = len(line.t) // 2
    assert line.t[mid] == 0.0
    dt = line.t[mid + 1] - line.t[mid]
    estimate = (line.probs[mid + 1] - line.probs[mid - 1]) / (2 * dt)
    np.testing.assert_allclose(estimate, line.prob_slopes, atol=0.05 / T**2 + 1e-3)


@given(rows, st.data())
def test_property_the_central_difference_converges_as_h_squared(
    values: list[float], data: st.DataObject
) -> None:
    Z = np.array([values])
    y = np.array([data.draw(st.integers(0, Z.shape[1] - 1))])
    j = data.draw(st.integers(0, Z.shape[1] - 1))
    line = loss_line(Z, y, j, 0.1)
    errors = [d.central_error for d in line.differences]
    assert [d.h for d in line.differences] == list(STEPS)
    # Truncation: (h²/6)·|E'''| ≤ h²/6 · 1/4 ... with rounding once h is tiny; each step of
    # h/10 cuts the error about a hundredfold until rounding (≈ 1e-16/h) takes over.
    for h, error in zip(STEPS, errors, strict=True):
        assert error <= h**2 / 10 + 1e-12 / h
    assert errors[1] <= errors[0] / 50 or errors[0] < 1e-12


def test_the_seed_s_nudge_reads_as_the_issue_says() -> None:
    line = loss_line(np.array([[2.0, 1.0]]), np.array([0]), 1, 0.1)
    assert line.slope == pytest.approx(0.2689414213699951, rel=1e-15)
    assert line.chord[1] - line.loss_at_zero == pytest.approx(0.0279, abs=1e-4)
    assert line.differences[3].central == pytest.approx(line.slope, abs=1e-7)


@given(rows, st.data(), st.sampled_from([0.05, 0.5, 2.0]), st.integers(0, 40))
def test_property_descent_is_the_plain_loop_and_keeps_the_sum(
    values: list[float], data: st.DataObject, lr: float, steps: int
) -> None:
    from app.core.descent import descend

    Z = np.array([values])
    n = Z.shape[1]
    y = data.draw(st.integers(0, n - 1))
    path = descend(Z, np.array([y]), lr, steps)
    z = Z[0].copy()  # the loop, by hand, in plain numpy
    for _ in range(steps):
        O = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        z = z - lr * (O - np.eye(n)[y])
    np.testing.assert_allclose(path.logits[-1], z, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(path.logits.sum(axis=1), Z.sum(), rtol=0, atol=1e-9 * (1 + steps))
    if lr <= 0.5:  # a small step never raises the loss (the Hessian's norm is at most 1/2)
        assert (np.diff(path.loss) <= 1e-12).all()
