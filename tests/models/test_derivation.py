"""The lecture's hand-derived gradients: equal to the engine's to 1e-12 (both loss forms),
and themselves checked against closed-form numbers and finite differences."""

import math

import numpy as np
import pytest

from tinygrad_lr.models import derivation
from tinygrad_lr.models.derivation import LECTURE_EXAMPLE, check_batch, check_example

FORMS = ["sigmoid", "logits"]


@pytest.mark.parametrize("loss", FORMS)
def test_lecture_example_engine_equals_hand_derived(loss):
    table = check_example(**LECTURE_EXAMPLE, loss=loss)
    expected = ["z", "a", "L", "da", "dz", "dw1", "dw2", "db"] if loss == "sigmoid" else \
        ["z", "L", "dz", "dw1", "dw2", "db"]
    assert [row.quantity for row in table] == expected
    assert table.max_abs_diff <= 1e-12
    for row in table:
        assert row.abs_diff <= 1e-12, row


def test_lecture_example_numbers_from_closed_form():
    # z = 0.5·1 − 0.2·2 + 0.1 = 0.2, a = σ(0.2), y = 1.
    a = 1 / (1 + math.exp(-0.2))
    table = check_example(**LECTURE_EXAMPLE)
    assert table["z"].engine == pytest.approx(0.2, abs=1e-15)
    assert table["a"].engine == pytest.approx(a, rel=1e-15)
    assert table["L"].engine == pytest.approx(-math.log(a), rel=1e-14)
    assert table["da"].engine == pytest.approx(-1 / a, rel=1e-14)
    assert table["dz"].engine == pytest.approx(a - 1, rel=1e-14)
    assert table["dw2"].engine == pytest.approx(2 * (a - 1), rel=1e-14)


@pytest.mark.parametrize("loss", FORMS)
@pytest.mark.parametrize("seed", range(5))
def test_random_batches_engine_equals_hand_derived(loss, seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 40), rng.integers(1, 6)
    X = rng.normal(size=(m, n))
    w = rng.normal(size=n)
    Y = rng.integers(0, 2, size=m).astype(float)
    table = check_batch(X, w, rng.normal(), Y, loss=loss)
    assert table.max_abs_diff <= 1e-12


@pytest.mark.parametrize("loss", FORMS)
@pytest.mark.parametrize("seed", range(3))
def test_random_single_examples_and_soft_labels(loss, seed):
    rng = np.random.default_rng(100 + seed)
    n = rng.integers(1, 5)
    table = check_example(rng.normal(size=n), rng.normal(size=n), rng.normal(), rng.uniform(),
                          loss=loss)
    assert table.max_abs_diff <= 1e-12
    assert len(table) == (6 if loss == "sigmoid" else 4) + n


def test_batch_formulas_are_the_single_example_formulas_averaged():
    rng = np.random.default_rng(7)
    X, w, b = rng.normal(size=(6, 3)), rng.normal(size=3), 0.3
    Y = rng.integers(0, 2, size=6).astype(float)
    batch = derivation.backward_batch(X, w, b, Y)
    singles = [derivation.backward_example(x, w, b, y) for x, y in zip(X, Y)]
    np.testing.assert_allclose(batch["dZ"], [s["dz"] for s in singles], rtol=1e-14)
    np.testing.assert_allclose(batch["dA"], [s["da"] for s in singles], rtol=1e-14)
    np.testing.assert_allclose(batch["dw"], np.mean([s["dw"] for s in singles], axis=0),
                               rtol=1e-13)
    assert batch["db"] == pytest.approx(np.mean([s["db"] for s in singles]), rel=1e-13)


def test_hand_formulas_match_finite_differences():
    x, w, b, y = np.array([0.7, -1.3]), np.array([0.4, 0.9]), -0.2, 0.0
    hand = derivation.backward_example(x, w, b, y)
    eps = 1e-6

    def loss(w_, b_):
        return derivation.forward_example(x, w_, b_, y)["L"]

    for i in range(2):
        step = np.eye(2)[i] * eps
        numeric = (loss(w + step, b) - loss(w - step, b)) / (2 * eps)
        assert hand["dw"][i] == pytest.approx(numeric, rel=1e-7)
    assert hand["db"] == pytest.approx((loss(w, b + eps) - loss(w, b - eps)) / (2 * eps), rel=1e-7)
    a = derivation.forward_example(x, w, b, y)["a"]
    L = lambda a_: -(y * math.log(a_) + (1 - y) * math.log(1 - a_))  # noqa: E731
    assert hand["da"] == pytest.approx((L(a + eps) - L(a - eps)) / (2 * eps), rel=1e-7)


def test_sigmoid_is_stable():
    assert derivation.sigmoid(-1000.0) == 0.0 and derivation.sigmoid(1000.0) == 1.0
    assert derivation.sigmoid(np.array([0.0])).tolist() == [0.5]


def test_table_text_and_lookup():
    table = check_example(**LECTURE_EXAMPLE)
    text = str(table)
    assert "dz = a − y" in text and "hand-derived" in text and "max abs diff" in text
    assert "-0.450166002688" in text
    assert "GradientTable(8 rows" in repr(table)
    with pytest.raises(KeyError, match="no row 'dq'"):
        table["dq"]
    batch_text = str(check_batch(np.eye(3), np.ones(3), 0.0, [0, 1, 1]))
    assert "max|·| 1.000000 (3)" in batch_text and "dw = Xᵀ·dZ / m" in batch_text


@pytest.mark.parametrize("call, message", [
    (lambda: check_example([1.0], [1.0], 0.0, 1.0, loss="mse"), r"loss must be one of"),
    (lambda: check_example([1.0, 2.0], [1.0], 0.0, 1.0), r"w must have shape \(2,\)"),
    (lambda: check_example([], [], 0.0, 1.0), r"non-empty 1-D"),
    (lambda: check_example([1.0], [1.0], 0.0, 2.0), r"y must lie in \[0, 1\]"),
    (lambda: check_example([np.nan], [1.0], 0.0, 1.0), r"x contains NaN"),
    (lambda: check_example(["a"], [1.0], 0.0, 1.0), r"x must be numbers"),
    (lambda: check_batch(np.ones(3), np.ones(3), 0.0, [1, 0, 1]), r"2-D array \(m, n\)"),
    (lambda: check_batch(np.ones((3, 2)), np.ones(2), 0.0, [1, 0]), r"Y must have shape \(3,\)"),
    (lambda: check_batch(np.ones((1, 1)), np.ones(1), [0.0, 1.0], [1]), r"b must have shape"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
