"""Direct calls (compiler/lowering.py): each gives its op's forward answer bit for bit.

Whole compiled programs using them are compared with eager, bit for bit (the column sum
and the outer product are the forwards' own kernels, checked against numpy on edge values
in tests/ops/test_direct_kernels.py).
"""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import rewrite

RNG = np.random.default_rng(2024)


def _bits_equal(got, expected) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    return got.dtype == expected.dtype and got.shape == expected.shape and \
        got.tobytes() == expected.tobytes()


def _mlp(params, X, y):
    W1, b1, W2, b2 = params
    h = (X @ W1 + b1).tanh()
    return F.binary_cross_entropy((h @ W2 + b2).sigmoid(), y)


def _eager(fn, params, X, y):
    tensors = [tg.Tensor(p, requires_grad=True) for p in params]
    value = fn(tensors, tg.Tensor(X), tg.Tensor(y))
    return value.numpy(), [g.numpy() for g in tg.grad(value, tensors)]


def _params(d=3, hidden=8):
    return [RNG.standard_normal((d, hidden)), RNG.standard_normal(hidden),
            RNG.standard_normal((hidden, 1)), RNG.standard_normal(1)]


@pytest.fixture
def no_rules():
    """Rewrite rules off: their kernels have tolerances of their own (test_rewrite_*)."""
    rewrite.enabled = False
    yield
    rewrite.enabled = True


def test_a_small_mlp_step_uses_the_direct_calls_and_equals_eager_bit_for_bit(no_rules):
    step = tg.value_and_grad(_mlp)
    X = RNG.standard_normal((64, 3))
    y = (RNG.random((64, 1)) < 0.5).astype(float)
    rows = [(_params(), X, y) for _ in range(3)]
    zeros = _params()
    zeros[0][:, 0] = 0.0  # a dead unit: its gradient column sums to zero
    zeros[2][0] = -0.0
    rows += [(zeros, X, y), ([p * 40 for p in _params()], X, y),  # saturated units
             (_params(), X * 1e-150, y), (_params(), -X, 1 - y)]
    for params, X_row, y_row in rows:
        value, grads = step(params, X_row, y_row)
        expected_value, expected_grads = _eager(_mlp, params, X_row, y_row)
        assert _bits_equal(value.numpy(), expected_value)
        for got, expected in zip(grads, expected_grads):
            assert _bits_equal(got, expected)
    source = step.program().source
    for call in ("column_sum(", "outer_product(", ".T\n", "np_matmul("):
        assert call in source, source
    assert step.traces == 1


def test_other_sums_are_the_forwards_own_call_and_matrix_vector_products_blas(no_rules):
    def fn(x, w):
        return (x @ w).sum(axis=1).sum() + x.sum(axis=0, keepdims=True).sum() + \
            x.transpose().sum(axis=0).sum()

    step = tg.compile(fn)
    x, w = RNG.standard_normal((5, 4)), RNG.standard_normal((4, 1))
    got = step(x, w)
    assert _bits_equal(got.numpy(), fn(tg.Tensor(x), tg.Tensor(w)).numpy())
    source = step.program().source
    assert "add_reduce(" in source  # axis=1 and keepdims: the forward's np.add.reduce
    assert "outer_product(" not in source  # a matrix-vector product is BLAS's
