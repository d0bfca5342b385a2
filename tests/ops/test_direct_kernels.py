"""The kernels sum's and matmul's forwards call (ops/kernels.py ``column_sum``,
``outer_product``) give the numpy call they replace bit for bit.

Checked on random values and on the edge values where they could part: signed zeros (a
column of −0.0, products of −0.0), infinities, NaN, huge and tiny magnitudes, cancelling
sums, float32 and float64, shapes on both sides of each kernel's size threshold; then
through the ops themselves (``Tensor.sum(axis=0)``, ``@``, the sums a backward makes).
"""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.ops import kernels

RNG = np.random.default_rng(2025)


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
        x[1 % rows, 4] = np.nan
    if cols > 6:
        big = np.finfo(dtype).max / 4
        x[:, 5] = np.where(np.arange(rows) % 2, big, -big).astype(dtype)  # cancels
        x[:, 6] = np.finfo(dtype).tiny
    return x


SUM_SHAPES = [(256, 16), (1, 3), (7, 2), (15, 9), (16, 16), (16, 17), (3, 1000), (2048, 9),
              (40, 1), (0, 5), (5000, 3), (20000, 2), (9000, 7)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SUM_SHAPES)
def test_column_sum_is_numpys_axis_0_sum_bit_for_bit(shape, dtype):
    for x in [RNG.standard_normal(shape).astype(dtype)] + (
            [_edge_columns(shape, dtype)] if 0 not in shape else []):
        with np.errstate(all="ignore"):
            expected = np.add.reduce(x, axis=0)
            assert _bits_equal(kernels.column_sum(x), expected)
            fortran = np.asfortranarray(x)  # another layout: numpy's own reduction
            assert _bits_equal(kernels.column_sum(fortran), np.add.reduce(fortran, axis=0))
            strided = x[:, ::2]  # a view that is not contiguous
            assert _bits_equal(kernels.column_sum(strided), np.add.reduce(strided, axis=0))


def test_column_sum_on_many_random_tall_shapes_and_magnitudes():
    for _ in range(200):
        rows, cols = int(RNG.integers(16, 600)), int(RNG.integers(2, 40))
        dtype = (np.float32, np.float64)[int(RNG.integers(2))]
        x = (RNG.standard_normal((rows, cols)) * 10.0 ** RNG.integers(-20, 20)).astype(dtype)
        assert _bits_equal(kernels.column_sum(x), np.add.reduce(x, axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m, n", [(256, 16), (2, 2), (5, 300), (1, 100), (100, 1), (8, 8),
                                  (7, 9)])
def test_outer_product_is_numpys_matmul_bit_for_bit(m, n, dtype):
    a = RNG.standard_normal((m, 1)).astype(dtype)
    b = RNG.standard_normal((1, n)).astype(dtype)
    edge_a, edge_b = a.copy(), b.copy()
    edge_a[0] = -0.0
    edge_b[0, 0] = -0.0
    if m > 1:
        edge_a[1] = 0.0
    if n > 1:
        edge_b[0, 1] = np.inf
    if m > 3:
        edge_a[2], edge_a[3] = np.nan, np.finfo(dtype).tiny
    if n > 3:
        edge_b[0, 2], edge_b[0, 3] = np.finfo(dtype).max, -np.inf
    for x, y in [(a, b), (edge_a, edge_b), (edge_a, b), (a, edge_b), (-edge_a, edge_b)]:
        with np.errstate(all="ignore"):
            assert _bits_equal(kernels.outer_product(x, y), np.matmul(x, y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_ops_call_the_kernels_with_numpys_answer(dtype):
    x = _edge_columns((64, 8), dtype)
    with np.errstate(all="ignore"):
        for axis in (0, (0,)):
            assert _bits_equal(tg.Tensor(x).sum(axis=axis).numpy(), np.add.reduce(x, axis=0))
        assert _bits_equal(tg.sum(tg.Tensor(x), axis=-2).numpy(), np.add.reduce(x, axis=0))
        a, b = x[:, :1].copy(), x[:1, :].copy()
        assert _bits_equal((tg.Tensor(a) @ tg.Tensor(b)).numpy(), np.matmul(a, b))


def test_a_bias_gradient_and_an_outer_product_in_backward_equal_numpy():
    X = RNG.standard_normal((256, 3))
    W = tg.Tensor(RNG.standard_normal((3, 16)), requires_grad=True)
    b = tg.Tensor(RNG.standard_normal(16), requires_grad=True)
    v = tg.Tensor(RNG.standard_normal((16, 1)), requires_grad=True)
    h = (tg.Tensor(X) @ W + b).tanh()
    (h @ v).sum().backward()
    g = np.broadcast_to(np.ones((1, 1)), (256, 1))  # sum's gradient, as its rule spreads it
    dh = np.matmul(g, v.numpy().T) * (1 - h.numpy() ** 2)  # (256,1) @ (1,16)
    assert _bits_equal(b.grad.numpy(), np.add.reduce(dh, axis=0))
    assert _bits_equal(W.grad.numpy(), np.matmul(X.T, dh))
    assert _bits_equal(v.grad.numpy(), np.matmul(h.numpy().T, g))
