"""Small programs: steps written over dying temporaries, the small-array rules, captures.

- memory_plan.in_place: an elementwise step writes over an argument this call made and
  nothing reads later; the answers are eager's bit for bit, a value still read (directly
  or through a view) or handed to the caller is never overwritten;
- rewrite_small: on small arrays, sigmoid-then-BCE keeps eager's loss exactly and its
  backward is (a − y)/m within a few ulp of eager's chain (eager's bits, or its error,
  where a probability is clipped or a value is NaN);
- a captured tensor that changed shape or dtype since tracing is refused.
"""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import nn
from tinygrad_lr.compiler import StaleTraceError, fused, memory_plan, rewrite, rewrite_small

RNG = np.random.default_rng(99)


def _bits_equal(got, expected) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    return got.dtype == expected.dtype and got.shape == expected.shape and \
        got.tobytes() == expected.tobytes()


def _within(got, expected, ulp: float) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return False
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= ulp * np.spacing(np.abs(expected))
    return bool(np.all(close | (got == expected) | (np.isnan(got) & np.isnan(expected))))


def _eager(fn, arrays, argnums=(0,)):
    tensors = [tg.Tensor(a, requires_grad=i in argnums) for i, a in enumerate(arrays)]
    value = fn(*tensors)
    return value.numpy(), [g.numpy() for g in tg.grad(value, [tensors[i] for i in argnums])]


def _layer(x, w, b):
    h = (x @ w + b).tanh()  # matmul, add over it, tanh over that: one array
    return ((h * 2.0 - 1.0).exp() * h).sum()


def test_elementwise_steps_write_over_dying_temporaries_with_eagers_bits():
    step = tg.value_and_grad(_layer, argnums=(1, 2))
    x = RNG.standard_normal((64, 5))
    for w, b in [(RNG.standard_normal((5, 7)), RNG.standard_normal(7)),
                 (np.zeros((5, 7)), -np.zeros(7)), (RNG.standard_normal((5, 7)) * 300,
                                                     np.full(7, np.inf))]:
        value, grads = step(x, w, b)
        expected_value, expected_grads = _eager(_layer, (x, w, b), (1, 2))
        assert _bits_equal(value.numpy(), expected_value)
        for got, expected in zip(grads, expected_grads):
            assert _bits_equal(got, expected)
    source = step.program().source
    assert source.count(", out=v") >= 2, source  # + b over x @ w, tanh over that


def test_a_value_still_read_or_returned_is_never_written_over():
    def through_a_view(x, w):
        p = x @ w
        q = p + 1.0  # p's last direct reader; its transpose is read after it
        return q.sum() * p.T

    def returned(x, w):
        p = x @ w
        return p * 2.0, p  # p's last reader is elementwise, but p is a result

    x, w = RNG.standard_normal((6, 4)), RNG.standard_normal((4, 3))
    for fn in (through_a_view, returned):
        f = tg.compile(fn)
        got = f(x, w)
        got = got if isinstance(got, tuple) else (got,)
        expected = fn(tg.Tensor(x), tg.Tensor(w))
        expected = expected if isinstance(expected, tuple) else (expected,)
        for g, e in zip(got, expected):
            assert _bits_equal(g.numpy(), e.numpy()), f.program().source
        arrays = [g.numpy() for g in got]
        for i, a in enumerate(arrays):  # results are separate arrays
            assert not any(np.shares_memory(a, b) for b in arrays[i + 1:])


def test_in_place_writes_can_be_switched_off_with_the_plan():
    memory_plan.enabled = False
    try:
        f = tg.compile(lambda x, w: (x @ w + 1.0).tanh())
        f(np.ones((3, 2)), np.ones((2, 2)))
        assert "out=" not in f.program().source
    finally:
        memory_plan.enabled = True


def _bce(z, y):
    return F.binary_cross_entropy(z.sigmoid(), y)


def _rows(n, dtype):
    z = (RNG.standard_normal((n, 1)) * 3).astype(dtype)
    y = (RNG.random((n, 1)) < 0.5).astype(dtype)
    soft = RNG.random((n, 1)).astype(dtype)
    outside = np.where(y > 0, 1.5, -0.25).astype(dtype)
    return [(z, y), (z * 10, y), (z, soft), (z, outside), (np.zeros_like(z), y),
            (z * 1e-12, y), (np.abs(z) * 5, 1 - y)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_sigmoid_bce_keeps_eagers_loss_and_its_backward_is_within_4_ulp(dtype):
    step = tg.value_and_grad(_bce)
    for z, y in _rows(256, dtype):
        value, grad = step(z, y)
        expected_value, (expected_grad,) = _eager(_bce, (z, y))
        assert _bits_equal(value.numpy(), expected_value)
        assert _within(grad, expected_grad, 4), (z, y)
        if np.abs(z).max() < 15:  # no probability clipped: the lecture's (a − y)/m, in f64
            oracle = (1 / (1 + np.exp(-z.astype(np.float64))) - y) / z.size
            eps = np.finfo(dtype).eps  # σ rounded to its dtype: an error of ~ε before − y
            assert np.allclose(grad, oracle, rtol=8 * eps, atol=8 * eps / z.size)
        fused_grad = fused.SIGMOID_BCE_BACKWARD.forward(
            dtype(1), step.program().run.__globals__["sigmoid"](z), y)
        assert _bits_equal(grad, fused_grad)  # the large-array kernel's very bits
    rules = step.program().stats["rewrites"]
    assert rules.get("small_sigmoid_bce_backward") and rules.get("small_bce_stays_eager")
    assert step.traces == 1


def test_small_sigmoid_bce_beyond_the_guard_is_eagers_bits_or_error():
    step = tg.value_and_grad(_bce)
    z = RNG.standard_normal((100, 1)) * 60  # saturated: eager clips the probabilities
    y = (RNG.random((100, 1)) < 0.5).astype(float)
    value, grad = step(z, y)
    expected_value, (expected_grad,) = _eager(_bce, (z, y))
    assert _bits_equal(value.numpy(), expected_value) and _bits_equal(grad, expected_grad)
    nan = z.copy()
    nan[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        step(nan, y)


def test_small_rules_leave_large_arrays_to_the_fused_kernels():
    n = rewrite_small.SMALL_MAX_SIZE + 1
    step = tg.value_and_grad(_bce)
    step(RNG.standard_normal(n), (RNG.random(n) < 0.5).astype(float))
    rules = step.program().stats["rewrites"]
    assert "small_sigmoid_bce_backward" not in rules and "sigmoid_bce_backward" in rules
    rewrite.enabled = False
    try:
        plain = tg.value_and_grad(_bce)
        plain(RNG.standard_normal(8), np.ones(8))
        assert "small" not in plain.program().source
    finally:
        rewrite.enabled = True


def test_a_captured_tensor_that_changed_shape_or_dtype_is_refused():
    W = tg.Tensor(np.ones((3, 2)))
    f = tg.compile(lambda x: (x @ W).tanh())
    assert f(np.ones((4, 3))).shape == (4, 2)
    W.data = np.full((3, 2), 0.5)  # same shape: read as it is now
    np.testing.assert_array_equal(f(np.ones((4, 3))).numpy(), np.tanh(np.full((4, 2), 1.5)))
    for changed in (np.ones((3, 7)), np.ones((3, 2), np.float32)):
        W.data = changed
        with pytest.raises(StaleTraceError, match="compile again"):
            f(np.ones((4, 3)))


def test_a_captured_parameter_is_read_as_an_array():
    model = nn.Linear(2, 3, seed=1)
    f = tg.compile(lambda x: (model(x) + 1.0).tanh())
    x = RNG.standard_normal((5, 2))
    got = f(x)
    assert type(got.data) is np.ndarray
    assert _bits_equal(got.numpy(), (model(tg.Tensor(x)) + 1.0).tanh().numpy())
