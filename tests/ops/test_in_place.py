"""Forwards that work in buffers of their own give what the plain formula gives: the same
dtype and shape for every mix of dtypes, broadcasting and 0-d inputs, values equal up to
rounding (at the precision of the least precise input), and inputs left untouched."""

import functools
import itertools

import numpy as np
import pytest
from thread_helpers import run_together

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


def _edge_logits(dtype, rng):
    """Random logits of every scale, with zeros (both signs), ties, NaN and the values
    where the sigmoid's clamp starts to matter."""
    limit = float(np.log(np.finfo(dtype).max)) - 1.0
    z = rng.standard_normal(2 * N) * 10.0 ** rng.integers(-3, 3, 2 * N)
    z[:12] = [0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0, 800.0, -800.0, limit, -limit,
              np.nextafter(-limit, 0), np.nan]
    return z.astype(dtype)


def _old_logits_loss(z, y):  # the eager forward's formula: softplus(z) − y·z
    from tinygrad_lr.ops.kernels import stable_softplus
    loss = stable_softplus(z)
    loss -= np.multiply(y, z)
    return loss


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_logits_loss_kernel_is_softplus_minus_y_z_bit_for_bit(dtype):
    from tinygrad_lr.ops.kernels import logits_loss
    rng = np.random.default_rng(5)
    z = _edge_logits(dtype, rng)
    for y in (np.asarray(rng.random(z.size) < 0.5, dtype), rng.random(z.size).astype(dtype),
              np.float64(0.25), 1.0, rng.random(z.size)):  # last: float64 targets
        with np.errstate(over="ignore", invalid="ignore"):
            got, expected = logits_loss(z, y), _old_logits_loss(z, y)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    for small in (z[:7], z[3:4].reshape(()), np.arange(-3, 4)):  # small, 0-d, integers
        np.testing.assert_array_equal(logits_loss(small, 0.5), _old_logits_loss(small, 0.5))
    assert logits_loss(np.array([1.0, np.inf]), 1.0) is None  # the caller takes the limit
    assert logits_loss(np.array([np.nan, -np.inf]), 1.0) is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_sigmoid_minus_target_kernel_is_eager_bit_for_bit(dtype):
    from tinygrad_lr.ops.kernels import _exp_limit, sigmoid_minus_target, stable_sigmoid
    rng = np.random.default_rng(6)
    z = _edge_logits(dtype, rng)
    limit = _exp_limit(np.dtype(dtype))
    for values in (z, z[12:], np.abs(z[12:])):  # values the clamp changes, or none
        with np.errstate(over="ignore"):
            expected = 1 / (1 + np.exp(-np.maximum(values, -limit)))
        np.testing.assert_array_equal(stable_sigmoid(values), expected.astype(dtype))
        y = (rng.random(values.size) < 0.5).astype(dtype)
        scale = np.asarray(1 / values.size, dtype)
        np.testing.assert_array_equal(sigmoid_minus_target(values, y, scale),
                                      scale * (stable_sigmoid(values) - y))
    # targets of another dtype or shape, a scale that promotes: numpy's own promotion
    small = z[20:30]
    for y, scale in ((np.ones(10), 0.5), (np.float32(1), np.float64(3.0)),
                     (np.ones((2, 10), dtype), 2.0)):
        expected = scale * (stable_sigmoid(small) - y)
        got = sigmoid_minus_target(small, y, scale)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_negates_its_sum_as_it_negated_every_term(dtype, reduction):
    from tinygrad_lr.ops.losses import reduce_loss
    rng = np.random.default_rng(7)
    a = rng.random(2 * N).astype(dtype)
    a[:4] = [0.0, 1.0, 1e-30, 0.5]
    y = (rng.random(2 * N) < 0.5).astype(dtype)
    low, high = probability_bounds(np.dtype(dtype))
    c = np.clip(a, low, high)
    got = tg.get_op("binary_cross_entropy").forward(a, y, reduction=reduction)
    # bit for bit against the same in-place sequence with the negation per term
    log_a, log_1 = np.log(c), np.log1p(-c)
    log_a -= log_1
    log_a *= y
    log_a += log_1
    expected = reduce_loss(-log_a, reduction)
    assert np.asarray(got).dtype == np.asarray(expected).dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_scratch_buffers_are_per_thread_and_never_handed_out():
    from tinygrad_lr.ops.kernels import SCRATCH_SIZES
    rng = np.random.default_rng(8)
    size = SCRATCH_SIZES[0] + 5  # large enough to use the kept buffers
    rows = [(rng.standard_normal(size) * 3, (rng.random(size) < 0.5).astype(float))
            for _ in range(4)]
    logits = tg.get_op("binary_cross_entropy_with_logits").forward
    bce = tg.get_op("binary_cross_entropy").forward
    expected = [(float(logits(z, y)), float(bce(1 / (1 + np.exp(-z)), y))) for z, y in rows]
    kept = logits(*rows[0], reduction="none")
    first = kept.copy()
    logits(*rows[1], reduction="none")
    bce(1 / (1 + np.exp(-rows[1][0])), rows[1][1])
    np.testing.assert_array_equal(kept, first)  # a result is never a kept buffer
    got, errors = {}, []

    def work(i):
        try:
            for _ in range(20):  # both threads in the same kernels at once
                z, y = rows[i]
                got[i] = (float(logits(z, y)), float(bce(1 / (1 + np.exp(-z)), y)))
                assert got[i] == expected[i]
        except AssertionError as error:  # pragma: no cover - reported below
            errors.append(error)
    run_together(*(functools.partial(work, i) for i in range(4)))
    assert not errors and got == dict(enumerate(expected))
