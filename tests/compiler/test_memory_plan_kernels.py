"""The memory plan's kept buffers for sigmoid and the logistic backward kernels.

The logistic step's σ(z), ``sigmoid_bce_backward`` and ``sigmoid_minus_target`` write into
buffers kept between calls, read afterwards through a reshape. Each call must give the
answer the program gives without the plan (and eager's, where the program's kernels are
exact or their guard runs eager's chain), whatever the previous call left in the buffers.
"""

import functools

import numpy as np
import pytest
from thread_helpers import run_together

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import fused, memory_plan
from tinygrad_lr.ops.kernels import sigmoid_minus_target, stable_sigmoid

N = 1 << 15  # above memory_plan.PLAN_MIN_SIZE: planned
D = 4


def _logits(params, X, y):
    w, b = params
    return F.binary_cross_entropy_with_logits(X @ w + b, y)


def _sigmoid_bce(params, X, y):
    w, b = params
    return F.binary_cross_entropy((X @ w + b).sigmoid(), y)


LOSSES = {"logits": (_logits, "sigmoid_minus_target_out("),
          "sigmoid": (_sigmoid_bce, "sigmoid_bce_backward_out(")}


def _row(seed, dtype, scale=0.2):
    """Parameters, X, y; ``scale`` sets |z| (≤ 4 on the kernels' fast path for 0.2)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = (rng.random(N) < 0.5).astype(dtype)
    return [(rng.standard_normal(D) * scale).astype(dtype), np.asarray(0.1, dtype)], X, y


def _eager(fn, params, X, y):
    tensors = [tg.Tensor(p, requires_grad=True) for p in params]
    value = fn(tensors, tg.Tensor(X), tg.Tensor(y))
    return value.numpy(), [g.numpy() for g in tg.grad(value, tensors)]


def _unplanned(fn):
    """``value_and_grad(fn)`` traced without the plan (the program is made on the first
    call); ``.step`` is the compiled function."""
    step = tg.value_and_grad(fn)

    def call(*row):
        memory_plan.enabled = False
        try:
            return step(*row)
        finally:
            memory_plan.enabled = True

    call.step = step
    return call


def _outcome(step, row):
    """(value, grads) as arrays, or the error's type."""
    try:
        value, grads = step(*row)
    except (ValueError, FloatingPointError, RuntimeError) as error:
        return type(error)
    value = value.numpy() if isinstance(value, tg.Tensor) else value
    return np.asarray(value).copy(), [np.asarray(g).copy() for g in grads]


def _same(got, expected):
    if isinstance(expected, type):
        assert got is expected
        return
    assert got[0].tobytes() == expected[0].tobytes()
    for g, e in zip(got[1], expected[1]):
        assert g.dtype == e.dtype and g.tobytes() == e.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_kept_buffers_change_no_answer_from_call_to_call(loss, dtype):
    fn, kernel = LOSSES[loss]
    a, b = _row(1, dtype), _row(2, dtype)
    wide = _row(3, dtype, scale=3.0)  # |z| > 4: the sigmoid-BCE loss runs eager's chain
    clipped = _row(4, dtype, scale=60.0)  # σ(z) rounds to 1: a clipped probability
    nan = _row(5, dtype)
    nan[1][7, 2] = np.nan
    rows = [a, b, a, wide, a, clipped, b, nan, a]
    step, plain = tg.value_and_grad(fn), _unplanned(fn)
    for row in rows:
        got = _outcome(step, row)
        _same(got, _outcome(plain, row))
        if loss == "logits" or row is clipped or row is nan:
            # exact kernels, or the guards ran eager's chains: eager's bits or eager's error
            try:
                expected = _eager(fn, *row)
            except (ValueError, FloatingPointError, RuntimeError) as error:
                expected = type(error)
            _same(got, expected)
    source = step.program().source
    assert kernel in source and "reshape(" in source, source
    if loss == "sigmoid":
        assert "sigmoid_out(" in source, source
    assert "out=" not in plain.step.program().source


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_results_never_share_a_kept_buffer(loss):
    fn = LOSSES[loss][0]
    step = tg.value_and_grad(fn)
    results = [step(*_row(seed, np.float64)) for seed in (6, 7, 6)]
    mine = step.program().run.__globals__["buffers"]()
    assert len(mine) >= 2
    saved = [(v.numpy().copy(), [g.copy() for g in grads]) for v, grads in results]
    step(*_row(8, np.float64))
    for (value, grads), (saved_value, saved_grads) in zip(results, saved):
        assert value.numpy().tobytes() == saved_value.tobytes()
        for g, s in zip(grads, saved_grads):
            np.testing.assert_array_equal(g, s)
            assert not any(np.shares_memory(g, buffer) for buffer in mine)


def test_a_view_handed_to_the_caller_keeps_its_value_unplanned():
    # the reshape of σ(X @ w) is read by a transpose that is returned: no kept buffer
    step = tg.compile(lambda X, w: (X @ w).sigmoid().reshape((-1, 2)).transpose())
    rng = np.random.default_rng(9)
    X, w = rng.standard_normal((N, 3)), rng.standard_normal(3)
    first = step(X, w)
    saved = first.numpy().copy()
    step(X * 2, w)
    np.testing.assert_array_equal(first.numpy(), saved)
    assert "sigmoid_out(" not in step.program().source


def test_two_threads_never_share_the_kernels_buffers():
    step = tg.value_and_grad(_sigmoid_bce)
    rows = [_row(10, np.float64), _row(11, np.float64, scale=3.0)]
    expected = [_outcome(_unplanned(_sigmoid_bce), row) for row in rows]
    step(*rows[0])
    failures, seen = [], {}

    def work(k):
        seen[k] = step.program().run.__globals__["buffers"]()
        for _ in range(10):
            try:
                _same(_outcome(step, rows[k]), expected[k])
            except AssertionError:
                failures.append(k)

    run_together(*(functools.partial(work, k) for k in range(2)))
    assert not failures
    assert not any(np.shares_memory(a, b) for a in seen[0] for b in seen[1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_write_the_same_bits_into_out(dtype):
    rng = np.random.default_rng(12)
    z = (rng.standard_normal(1000) * 30).astype(dtype)
    z[:3] = [np.inf, -np.inf, 0.0]
    y = (rng.random(1000) < 0.5).astype(dtype)
    buffer = np.full(1000, 7.0, dtype)
    got = stable_sigmoid(z, out=buffer)
    assert got is buffer and got.tobytes() == stable_sigmoid(z).tobytes()
    assert stable_sigmoid(z, out=np.empty(999, dtype)).tobytes() == got.tobytes()
    got = sigmoid_minus_target(z, y, dtype(0.5), out=np.full(1000, 7.0, dtype))
    assert got.tobytes() == (dtype(0.5) * (stable_sigmoid(z) - y)).tobytes()
    s = stable_sigmoid(z * dtype(0.1))
    s[s >= 1] = dtype(0.5)  # the fast path: no clipped probability
    buffer = np.full(1000, 7.0, dtype)
    got = fused.sigmoid_bce_backward_into(dtype(1), s, y, reduction="mean", out=buffer)
    assert got is buffer and got.tobytes() == fused.SIGMOID_BCE_BACKWARD.forward(
        dtype(1), s, y, reduction="mean").tobytes()
    s[0] = dtype(1)  # clipped: eager's chain, a new array
    buffer = np.full(1000, 7.0, dtype)
    got = fused.sigmoid_bce_backward_into(dtype(1), s, y, reduction="mean", out=buffer)
    assert got is not buffer and np.all(buffer == 7.0)
    assert got.tobytes() == fused.SIGMOID_BCE_BACKWARD.forward(
        dtype(1), s, y, reduction="mean").tobytes()
