"""Direct calls (compiler/lowering.py): each gives its op's forward answer bit for bit.

The column sum and the outer product are checked against the numpy call the op's forward
makes, on random values and on the edge values where they could part: signed zeros (a
column of −0.0, products of −0.0), infinities, NaN, huge and tiny magnitudes, cancelling
sums; then whole compiled programs using them are compared with eager, bit for bit.
"""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import lowering, rewrite

RNG = np.random.default_rng(2024)


def _bits_equal(got, expected) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    return got.dtype == expected.dtype and got.shape == expected.shape and \
        got.tobytes() == expected.tobytes()


def _edge_columns(shape, dtype):
    x = (RNG.standard_normal(shape) * 10.0 ** RNG.integers(-30, 30, shape)).astype(dtype)
    rows, cols = shape
    x[:, 0] = -0.0  # a column of negative zeros: the sum is −0.0
    if cols > 2:
        x[:, 1] = 0.0
        x[: rows // 2, 2] = -0.0
    if cols > 4:
        x[0, 3], x[-1, 3] = np.inf, -np.inf  # inf − inf
        x[1, 4] = np.nan
    if cols > 6:
        big = np.finfo(dtype).max / 4
        x[:, 5] = np.where(np.arange(rows) % 2, big, -big).astype(dtype)  # cancels
        x[:, 6] = np.finfo(dtype).tiny
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(256, 16), (1, 3), (7, 2), (3, 1000), (2048, 9)])
def test_column_sum_is_numpys_axis_0_sum_bit_for_bit(shape, dtype):
    for x in [RNG.standard_normal(shape).astype(dtype), _edge_columns(shape, dtype)]:
        with np.errstate(all="ignore"):
            expected = np.add.reduce(x, axis=0)
            assert _bits_equal(lowering.column_sum(x), expected)
            fortran = np.asfortranarray(x)  # another layout: numpy's own reduction
            assert _bits_equal(lowering.column_sum(fortran), np.add.reduce(fortran, axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m, n", [(256, 16), (2, 2), (5, 300)])
def test_outer_product_is_numpys_matmul_bit_for_bit(m, n, dtype):
    a = RNG.standard_normal((m, 1)).astype(dtype)
    b = RNG.standard_normal((1, n)).astype(dtype)
    edge_a, edge_b = a.copy(), b.copy()
    edge_a[0], edge_a[1] = -0.0, 0.0
    edge_b[0, 0], edge_b[0, 1] = -0.0, np.inf
    if m > 3:
        edge_a[2], edge_a[3] = np.nan, 1e-300
    if n > 3:
        edge_b[0, 2], edge_b[0, 3] = np.finfo(dtype).max, -np.inf
    for x, y in [(a, b), (edge_a, edge_b), (edge_a, b), (a, edge_b)]:
        with np.errstate(all="ignore"):
            assert _bits_equal(lowering.outer_product(x, y), np.matmul(x, y))


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
