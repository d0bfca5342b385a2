"""numpy's functions on tensors run the registered ops, with gradients (NEP 13 and NEP 18)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import numpy_dispatch
from tinygrad_lr.registry import register_op, registered_ops, unregister_op

X = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])


def point(*shape):
    return tg.Tensor(np.random.default_rng(0).uniform(0.5, 2.0, shape), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda t: np.sum(np.exp(t)),
    lambda t: np.mean(t * t, axis=0),
    lambda t: np.sum(t, 1, keepdims=True),            # axis given by position, as numpy allows
    lambda t: np.where(t.data > 1.0, t, 0.0) * 3,
    lambda t: np.matmul(X, t.T),
    lambda t: X @ t.T,
    lambda t: X * t,                                  # an ndarray on the left
    lambda t: (1.0 - X) / t + X ** 2 - t,
    lambda t: np.power(2.0, t) + np.sqrt(t) + np.log(t) + np.tanh(t) + np.abs(-t),
    lambda t: np.maximum(t, 1.0) + np.negative(np.minimum(t, 1.5)),
    lambda t: np.concatenate([t, X], axis=0),
    lambda t: np.stack([t, t * 2], axis=-1),
    lambda t: np.clip(t, 0.8, 1.6),
    lambda t: np.max(t, axis=1) + np.amin(t),
    lambda t: np.transpose(np.reshape(t, (3, 2))),
    lambda t: np.add.reduce(t * t, axis=1),
    lambda t: np.broadcast_to(t, (2, 2, 3)),
], ids=lambda fn: "numpy function")
def test_numpy_functions_have_the_gradients_of_finite_differences(fn):
    t = point(2, 3)
    result = fn(t)
    assert isinstance(result, tg.Tensor) and result.requires_grad
    assert tg.gradcheck(fn, (t,))


def test_closed_form_gradients_through_numpy_calls():
    t = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.mean(np.exp(t)).backward()
    np.testing.assert_allclose(t.grad.data, np.exp(t.data) / 3)
    t.grad = None
    np.sum(np.array([[1.0, 2.0, 3.0]]) * t * t).backward()
    np.testing.assert_allclose(t.grad.data, 2 * np.array([1.0, 2.0, 3.0]) * t.data)


def test_dtype_is_applied_by_a_differentiable_cast():
    t = tg.Tensor([1.0, 2.0], requires_grad=True)
    total = np.sum(t, dtype=np.float32)
    assert total.dtype == np.float32
    total.backward()
    assert t.grad.tolist() == [1.0, 1.0]
    assert np.sqrt(t, dtype=np.float32).dtype == np.float32
    cast = np.astype(t, np.float32)  # an op whose own setting is dtype
    assert cast.op.name == "astype" and cast.dtype == np.float32
    with pytest.raises(TypeError, match=r"numpy\.sum\(\): dtype=int64 is not supported"):
        np.sum(t, dtype=np.int64)


def test_out_is_refused_clearly():
    t = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.sum\(\): out= is not supported"):
        np.sum(t, out=np.zeros(()))
    with pytest.raises(TypeError, match=r"numpy\.add\(\): out= is not supported"):
        np.add(t, 1.0, out=np.zeros(2))
    array = np.zeros(2)
    with pytest.raises(TypeError, match="out= is not supported"):
        array += t
    assert array.tolist() == [0.0, 0.0]  # nothing written


def test_results_without_gradients_are_computed_on_the_data():
    t = tg.Tensor([1.0, np.nan, 3.0])
    greater = np.greater(t, 2.0)
    assert isinstance(greater, tg.Tensor) and greater.tolist() == [False, False, True]
    assert (np.ones(3) < t).tolist() == (t > 1.0).tolist()  # as Tensor comparisons
    assert np.isnan(t).tolist() == [False, True, False]
    assert np.shape(t) == (3,) and np.ndim(t) == 1
    assert np.argmax(tg.Tensor([1.0, 5.0, 2.0])) == 1
    assert np.allclose(tg.Tensor([1.0, 2.0]), [1.0, 2.0]) is True
    (indices,) = np.nonzero(tg.Tensor([0.0, 2.0, 3.0]))
    assert indices.tolist() == [1, 2]


def test_conversion_still_gives_the_data():
    t = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t) is t.data
    assert np.array(t).tolist() == [1.0, 2.0]


def test_a_numpy_function_without_an_op_is_a_type_error_naming_it():
    t = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.median\(\) has no differentiable tinygrad_lr "
                                        r"equivalent.*t\.numpy\(\)"):
        np.median(t)
    with pytest.raises(TypeError, match=r"numpy\.copy\(\).*`t \* 1`"):
        np.copy(t)
    with pytest.raises(TypeError, match=r"numpy\.sum\(\): the argument\(s\) \['where'\] are not "
                                        r"supported on tensors"):
        np.sum(t, where=np.array([True, False]))
    with pytest.raises(TypeError, match=r"numpy\.add\.outer on a tensor"):
        np.add.outer(t, t)


def test_ops_registered_later_are_found_by_their_numpy_name():
    owned = []
    if "cbrt" not in registered_ops():  # a ufunc: NEP 13
        register_op("cbrt", lambda x: np.cbrt(x), lambda g, out, x: g / (3 * out * out))
        owned.append("cbrt")
    register_op("ptp", lambda x, *, axis=None, keepdims=False: np.ptp(x, axis, keepdims=keepdims),
                lambda g, out, x, *, axis=None, keepdims=False: _ptp_backward(g, x, axis),
                replace=True)  # an array function: NEP 18
    owned.append("ptp")
    try:
        t = tg.Tensor([[8.0, 1.0], [2.0, 27.0]], requires_grad=True)
        np.sum(np.cbrt(t)).backward()
        np.testing.assert_allclose(t.grad.data, t.data ** (-2 / 3) / 3)
        t.grad = None
        spread = np.ptp(t, axis=0)
        assert spread.op.name == "ptp" and spread.tolist() == [6.0, 26.0]
        spread.sum().backward()
        assert t.grad.tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    finally:
        for name in owned:
            unregister_op(name)


def test_a_numpy_function_taking_star_arrays_runs_the_op_on_each():
    owned = "atleast_2d" not in registered_ops()
    if owned:  # np.atleast_2d(*arys): a numpy signature with *arrays
        register_op("atleast_2d", lambda x: np.atleast_2d(x),
                    lambda g, out, x: g.reshape(x.shape))
    try:
        x = tg.Tensor([1.0, 2.0], requires_grad=True)
        single = np.atleast_2d(x)
        assert single.shape == (1, 2) and single.op.name == "atleast_2d"
        first, second = np.atleast_2d(x, x * 3)
        (first.sum() + second.sum()).backward()
        assert x.grad.tolist() == [4.0, 4.0]
    finally:
        if owned:
            unregister_op("atleast_2d")


def _ptp_backward(g, x, axis):
    data = x.data
    top = (data == data.max(axis=axis, keepdims=True)).astype(float)
    bottom = (data == data.min(axis=axis, keepdims=True)).astype(float)
    return g.reshape(np.max(data, axis=axis, keepdims=True).shape) * (top - bottom)


def test_the_operators_of_an_array_on_the_left_still_work():
    t = tg.Tensor([1.0, 2.0], requires_grad=True)
    results = [np.ones(2) * t, np.ones(2) + t, np.ones(2) - t, np.ones(2) / t, np.ones(2) ** t,
               np.float64(3.0) * t]
    assert [r.op.name for r in results] == ["mul", "add", "sub", "div", "pow", "mul"]
    assert results[2].tolist() == [0.0, -1.0]


@pytest.mark.parametrize("name", sorted(numpy_dispatch._C_FUNCTION_SIGNATURES))
def test_c_functions_without_a_signature_use_numpys_own(name, monkeypatch):
    """numpy < 2.3 gives where, concatenate, dot, inner and vdot no signature."""
    stub = inspect.signature(numpy_dispatch._C_FUNCTION_SIGNATURES[name])
    try:
        real = inspect.signature(getattr(np, name))
    except ValueError:
        real = None
    if real is not None:  # numpy >= 2.3 says it: the stand-in must say the same
        assert list(real.parameters) == list(stub.parameters)
        assert [p.kind for p in real.parameters.values()] == \
            [p.kind for p in stub.parameters.values()]
    numpy_dispatch._signature.cache_clear()

    def no_signature(func, *args, **kwargs):
        raise ValueError(f"no signature found for builtin {func!r}")

    monkeypatch.setattr(numpy_dispatch.inspect, "signature",
                        lambda f, *a, **k: stub if f is getattr(np, name) else no_signature(f))
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    calls = {"where": lambda: np.where(x.data > 1, x, 0),
             "concatenate": lambda: np.concatenate([x, x]),
             "dot": lambda: np.dot(x, x), "inner": lambda: np.inner(x, x),
             "vdot": lambda: np.vdot(x, x)}
    out = calls[name]()
    numpy_dispatch._signature.cache_clear()
    out.sum().backward()
    expected = {"where": [0, 1], "concatenate": [2, 2], "dot": [2, 4], "inner": [2, 4],
                "vdot": [2, 4]}
    assert x.grad.tolist() == expected[name]
