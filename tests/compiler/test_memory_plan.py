"""The memory plan: steps write into buffers kept between calls; answers stay eager's.

Results handed to the caller are fresh (a later call never changes them, they share no
memory with an argument or a kept buffer), and two threads never share buffers.
"""

import functools
import re

import numpy as np
import pytest
from thread_helpers import run_together

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import memory_plan

N = 1 << 15  # above memory_plan.PLAN_MIN_SIZE: planned


def _logistic(params, X, y):
    w, b = params
    return F.binary_cross_entropy_with_logits(X @ w + b, y)


def _mlp(params, X, y):
    w1, w2 = params
    hidden = (X @ w1).tanh() * 0.5 + (X @ w1).exp() * 0.01
    return ((hidden @ w2 - y) ** 2).mean()


def _data(rng, d=4, hidden=None):
    X = rng.standard_normal((N, d))
    y = (rng.random(N) < 0.5).astype(float)
    if hidden is None:
        return [rng.standard_normal(d), np.asarray(rng.standard_normal())], X, y
    return [rng.standard_normal((d, hidden)) * 0.1, rng.standard_normal(hidden)], X, y


def _eager(fn, params, X, y):
    tensors = [tg.Tensor(p, requires_grad=True) for p in params]
    value = fn(tensors, tg.Tensor(X), tg.Tensor(y))
    return value.numpy(), [g.numpy() for g in tg.grad(value, tensors)]


@pytest.mark.parametrize("fn, hidden", [(_logistic, None), (_mlp, 3)])
def test_planned_program_equals_eager_bit_for_bit_and_results_stay_fresh(fn, hidden):
    rng = np.random.default_rng(7)
    step = tg.value_and_grad(fn)
    rows = [_data(rng, hidden=hidden) for _ in range(4)]
    kept = []
    for params, X, y in rows:
        value, grads = step(params, X, y)
        expected_value, expected_grads = _eager(fn, params, X, y)
        assert value.numpy().tobytes() == expected_value.tobytes()
        for got, expected in zip(grads, expected_grads):
            np.testing.assert_array_equal(got, expected)
        kept.append((value.numpy().copy(), [g.copy() for g in grads], value, grads))
    program = step.program()
    assert "out=b[" in program.source, program.source
    mine = program.run.__globals__["buffers"]()
    for saved_value, saved_grads, value, grads in kept:  # later calls changed nothing
        assert value.numpy().tobytes() == saved_value.tobytes()
        for saved, g in zip(saved_grads, grads):
            np.testing.assert_array_equal(g, saved)
            assert not any(np.shares_memory(g, buffer) for buffer in mine)
            assert not any(np.shares_memory(g, a) for row in rows for a in [*row[0], *row[1:]])


def test_the_plan_changes_no_answer():
    rng = np.random.default_rng(8)
    params, X, y = _data(rng, hidden=3)
    planned = tg.value_and_grad(_mlp)(params, X, y)
    memory_plan.enabled = False
    try:
        plain_step = tg.value_and_grad(_mlp)
        plain = plain_step(params, X, y)
        assert "out=" not in plain_step.program().source
    finally:
        memory_plan.enabled = True
    assert planned[0].item() == plain[0].item()
    for a, b in zip(planned[1], plain[1]):
        np.testing.assert_array_equal(a, b)


def test_a_value_read_through_a_view_is_never_planned():
    # X @ w feeds a reshape: a view of a reused buffer could change under the caller
    step = tg.compile(lambda X, w: ((X @ w) + 1.0).reshape((-1, 2)))
    rng = np.random.default_rng(9)
    X, w = rng.standard_normal((N, 3)), rng.standard_normal(3)
    first = step(X, w)
    saved = first.numpy().copy()
    step(X * 2, w)
    np.testing.assert_array_equal(first.numpy(), saved)


def test_two_threads_never_share_buffers():
    rng = np.random.default_rng(10)
    step = tg.value_and_grad(_logistic)
    rows = [_data(rng) for _ in range(2)]
    step(*rows[0])
    expected = [_eager(_logistic, *row) for row in rows]
    failures = []
    seen = {}

    def work(k):
        seen[k] = step.program().run.__globals__["buffers"]()
        for _ in range(15):
            value, grads = step(*rows[k])
            if value.numpy().tobytes() != expected[k][0].tobytes() or not all(
                    np.array_equal(g, e) for g, e in zip(grads, expected[k][1])):
                failures.append(k)

    run_together(*(functools.partial(work, k) for k in range(2)))
    assert not failures
    assert not any(np.shares_memory(a, b) for a in seen[0] for b in seen[1])


def test_an_elementwise_step_overwrites_an_argument_read_for_the_last_time():
    def fn(x):
        doubled = x * 2.0
        return ((doubled * doubled + 1.0).exp() * 0.5).sum()  # mul(v, v): one argument twice

    x = np.random.default_rng(11).standard_normal(N) * 0.1
    step = tg.value_and_grad(fn)
    value, grad = step(x)
    source = step.program().source
    planned = re.findall(r"out=b\[(\d+)\]", source)
    assert len(set(planned)) < len(planned), source  # buffers reused within the call
    t = tg.Tensor(x, requires_grad=True)
    expected = fn(t)
    (expected_grad,) = tg.grad(expected, [t])
    assert value.item() == expected.item()
    np.testing.assert_array_equal(grad, expected_grad.numpy())
