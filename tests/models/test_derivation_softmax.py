"""Softmax regression's hand-derived gradients (dZ = A − Y with one-hot Y, dW = Xᵀ·dZ/m,
db = mean dZ) against the engine, against finite differences, and as the K = 2 case of
the binary formulas; ``tinygrad-lr check --softmax``."""

import math

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.models.derivation import (
    SOFTMAX_EXAMPLE,
    backward_softmax,
    check_batch,
    check_softmax,
    forward_softmax,
)


def example_table(y=SOFTMAX_EXAMPLE["y"]):
    return check_softmax([SOFTMAX_EXAMPLE["x"]], SOFTMAX_EXAMPLE["W"], SOFTMAX_EXAMPLE["b"], [y])


def test_single_example_numbers_from_closed_form():
    table = example_table()
    z = [0.2, 0.5, 0.4]  # x·W + b with x = (1, 2)
    a = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
    for k in range(3):
        assert table[f"z{k + 1}"].engine == pytest.approx(z[k], abs=1e-15)
        assert table[f"a{k + 1}"].engine == pytest.approx(a[k], rel=1e-14)
        dz = a[k] - (k == 2)
        assert table[f"dz{k + 1}"].engine == pytest.approx(dz, rel=1e-14)
        assert table[f"dw2{k + 1}"].engine == pytest.approx(2 * dz, rel=1e-14)  # x2·dz_k
        assert table[f"db{k + 1}"].engine == pytest.approx(dz, rel=1e-14)
    assert table["L"].engine == pytest.approx(-math.log(a[2]), rel=1e-14)
    assert table.max_abs_diff <= 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_random_batches_engine_equals_hand_derived(seed):
    rng = np.random.default_rng(seed)
    m, n, K = rng.integers(1, 30), rng.integers(1, 5), rng.integers(2, 6)
    X, W, b = rng.normal(size=(m, n)), rng.normal(size=(n, K)), rng.normal(size=K)
    Y = rng.integers(0, K, size=m)
    table = check_softmax(X, W, b, Y)
    assert table.max_abs_diff <= 1e-12
    # The formulas themselves: the gradient of J by central finite differences.
    J = lambda W_, b_: forward_softmax(X, W_, b_, Y)["J"]  # noqa: E731
    hand, eps = backward_softmax(X, W, b, Y), 1e-6
    for index in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[index] = eps
        assert hand["dW"][index] == pytest.approx((J(W + step, b) - J(W - step, b)) / (2 * eps),
                                                  abs=1e-8)
    for k in range(K):
        step = np.eye(K)[k] * eps
        assert hand["db"][k] == pytest.approx((J(W, b + step) - J(W, b - step)) / (2 * eps),
                                              abs=1e-8)


def test_two_classes_are_the_binary_model():
    rng = np.random.default_rng(7)
    X, w, b, Y = rng.normal(size=(12, 3)), rng.normal(size=3), 0.3, rng.integers(0, 2, 12)
    softmax = check_softmax(X, np.column_stack([np.zeros(3), w]), [0.0, b], Y)
    binary = check_batch(X, w, b, Y.astype(float), loss="logits")
    hand = backward_softmax(X, np.column_stack([np.zeros(3), w]), [0.0, b], Y)
    np.testing.assert_allclose(softmax["A"].engine[:, 1], 1 / (1 + np.exp(-(X @ w + b))),
                               rtol=1e-13)
    np.testing.assert_allclose(hand["dZ"][:, 1], binary["dZ"].hand_derived, atol=1e-15)
    np.testing.assert_allclose(hand["dZ"][:, 0], -binary["dZ"].hand_derived, atol=1e-15)
    np.testing.assert_allclose(softmax["dW"].engine[:, 1], binary["dw"].engine, atol=1e-15)
    assert softmax["J"].engine == pytest.approx(binary["J"].engine, rel=1e-14)


@pytest.mark.parametrize("arguments, message", [
    (([[1.0, 2.0]], [[1.0, 2.0]], [0.0, 0.0], [0]), r"W must have shape \(2, K\)"),
    (([[1.0]], [[1.0, 2.0]], [0.0], [0]), r"b must have shape \(2,\)"),
    (([[1.0]], [[1.0, 2.0]], [0.0, 0.0], [2]), r"Y must hold class indices 0..1"),
    (([[np.nan]], [[1.0, 2.0]], [0.0, 0.0], [0]), r"X contains NaN"),
])
def test_bad_input_is_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        check_softmax(*arguments)


def test_cli_check_softmax(capsys):
    assert main(["check", "--softmax"]) == 0
    out = capsys.readouterr().out
    assert "3 classes, softmax" in out and "dz3" in out and "dw23" in out
    assert "engine and hand-derived agree" in out
    assert main(["check", "--softmax", "--y", "0", "--x1", "-1"]) == 0
    out = capsys.readouterr().out
    dz1 = [line for line in out.splitlines() if line.startswith("dz1 ")][0]
    assert float(dz1.split()[-3]) < 0  # the true class: a − 1 < 0
    assert main(["check", "--softmax", "--y", "3"]) == 2
    assert "class indices 0..2" in capsys.readouterr().err
    assert main(["check", "--softmax", "--w1", "2"]) == 2
    assert "--w1 set the binary example" in capsys.readouterr().err
