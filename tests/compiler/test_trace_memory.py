"""Tracing never copies the data: the first call of a compiled step peaks like eager."""

import tracemalloc

import numpy as np

import tinygrad_lr as tg
import tinygrad_lr.functional as F


def _loss(params, X, y):
    w, b = params
    return F.binary_cross_entropy((X @ w + b).sigmoid(), y)


def _peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_tracing_never_computes_the_gradient_of_the_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 32))  # 5 MB: a copy would show
    y = (rng.random(20_000) < 0.5).astype(float)
    params = [np.zeros(32), np.zeros(())]
    step = tg.value_and_grad(_loss)
    first = _peak(lambda: step(params, X, y))
    assert first < X.nbytes / 4, f"tracing peaked at {first / 1e6:.1f} MB (X: 5 MB)"
    w, b = tg.Tensor(params[0], requires_grad=True), tg.Tensor(params[1], requires_grad=True)
    value = _loss([w, b], tg.Tensor(X), tg.Tensor(y))
    dw, db = tg.grad(value, [w, b])
    got_value, (got_dw, got_db) = step(params, X, y)
    np.testing.assert_array_equal(got_dw, dw.numpy())
    assert float(got_value) == value.item() and float(got_db) == db.item()
