"""Forwards that work in buffers of their own give what the plain formula gives: the same
dtype and shape for every mix of dtypes, broadcasting and 0-d inputs, values equal up to
rounding (at the precision of the least precise input), and inputs left untouched."""

import itertools

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.ops.elementwise import IN_PLACE_MIN_SIZE
from tinygrad_lr.ops.losses import probability_bounds


def _bce_backward_formula(grad, a, y, reduction):
    a = np.asarray(a)
    low, high = probability_bounds(a.dtype)
    if isinstance(y, np.ndarray) and a.dtype.kind == "f":
        y = y.astype(a.dtype)
    c = np.clip(a, low, high)
    g = grad / a.size if reduction == "mean" else grad
    return g * (-y / c + (1 - y) / (1 - c))


FORMULAS = {
    "tanh_backward": lambda grad, out: grad * (1 - out * out),
    "sigmoid_backward": lambda grad, out: grad * out * (1 - out),
    "binary_cross_entropy_backward": _bce_backward_formula,
}

# (grad shape, other shape): equal, grad broadcast up, grad broadcast into, 0-d; arrays
# big enough to be worked on in place, and small ones
N = IN_PLACE_MIN_SIZE
SHAPES = [((2, N), (2, N)), ((2, N), (N,)), ((N,), (2, N)), ((), (2, N)), ((2, 3), (3,)),
          ((), ())]
DTYPES = [np.float64, np.float32]


def _arguments(name, grad_shape, shape, grad_dtype, dtype, rng):
    grad = np.asarray(rng.standard_normal(grad_shape), dtype=grad_dtype)
    if name == "binary_cross_entropy_backward":
        a = np.asarray(rng.uniform(0.05, 0.95, shape), dtype=dtype)
        return [grad, a, np.asarray(rng.uniform(0, 1, shape) > 0.5, dtype=dtype)]
    return [grad, np.asarray(rng.uniform(-0.9, 0.9, shape), dtype=dtype)]


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_in_place_forwards_match_the_plain_formula(name):
    forward = tg.get_op(name).forward
    rng = np.random.default_rng(3)
    reductions = ("mean", "sum", "none") if name == "binary_cross_entropy_backward" else (None,)
    for (grad_shape, shape), grad_dtype, dtype, reduction in itertools.product(
            SHAPES, DTYPES, DTYPES, reductions):
        args = _arguments(name, grad_shape, shape, grad_dtype, dtype, rng)
        if reduction in ("mean", "sum") and grad_shape:
            continue  # a reduced loss has a single-element gradient
        params = {} if reduction is None else {"reduction": reduction}
        copies = [a.copy() for a in args]
        got = forward(*args, **params)
        expected = FORMULAS[name](*args, **params)
        where = f"{name} {grad_shape}/{np.dtype(grad_dtype)} {shape}/{np.dtype(dtype)}"
        assert np.result_type(got) == np.result_type(expected), where
        assert np.shape(got) == np.shape(expected), where
        # rounding happens at the precision of the least precise input, in either form
        rtol = 1e-5 if np.float32 in (grad_dtype, dtype) else 1e-13
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, err_msg=where)
        for before, after in zip(copies, args):
            np.testing.assert_array_equal(before, after, err_msg=f"{where}: input changed")


def test_sigmoid_and_bce_accept_integer_and_zero_d_inputs_as_before():
    assert tg.get_op("sigmoid").forward(np.array([0, 1000, -1000])).dtype == np.float64
    zero_d = tg.get_op("sigmoid").forward(np.array(0.0, np.float32))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d.dtype == np.float32
    bce = tg.get_op("binary_cross_entropy").forward
    perfect = bce(np.array([0, 1]), np.array([0.0, 1.0]), reduction="sum")
    assert perfect.dtype == np.float64 and 0 <= perfect < 1e-15  # clipped: −log(1 − floor)
    loss = bce(np.array(0.25, np.float32), np.float32(1.0), reduction="none")
    assert loss.dtype == np.float32 and loss.shape == ()
    np.testing.assert_allclose(loss, -np.log(0.25), rtol=1e-6)
