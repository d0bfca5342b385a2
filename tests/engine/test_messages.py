"""Bad arguments get a clear error naming the op and the argument, not numpy's internals."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.registry import register_op, registered_ops, unregister_op

AXIS_OPS = sorted(name for name, op in registered_ops().items() if "axis" in op.param_names)
BAD_AXES = [(1.5, TypeError, "got float 1.5"), ("0", TypeError, "got str '0'"),
            (True, TypeError, "got bool True"), ((0, 1.0), TypeError, "got float 1.0"),
            (10 ** 20, ValueError, "100000000000000000000 is out of range")]


def _inputs_for(op):
    n = 2 if op.variadic else op.n_inputs
    return [tg.Tensor(np.ones((2, 3))) for _ in range(n)]


@pytest.mark.parametrize("name", AXIS_OPS)
@pytest.mark.parametrize("axis, error, message", BAD_AXES)
def test_every_op_with_an_axis_refuses_a_bad_axis_by_name(name, axis, error, message):
    op = registered_ops()[name]
    with pytest.raises(error, match=rf"^{name}\(\): axis .*{message}"):
        op(*_inputs_for(op), axis=axis)


def test_an_op_registered_later_gets_the_axis_check_for_free():
    register_op("axis_demo", lambda x, *, axis=0: np.flip(x, axis),
                lambda g, out, x, *, axis=0: g, replace=True)
    try:
        with pytest.raises(TypeError, match=r"axis_demo\(\): axis .* got str 'rows'"):
            registered_ops()["axis_demo"](tg.ones(2), axis="rows")
    finally:
        unregister_op("axis_demo")


def test_an_axis_just_out_of_range_names_the_op():
    with pytest.raises(ValueError, match=r"^sum: .*shapes \(2,\).*axis 1 is out of bounds"):
        tg.ones(2).sum(axis=1)


def test_good_axes_still_work():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(axis=np.int64(1)).tolist() == [3.0, 12.0]
    assert x.sum(axis=[0, 1]).item() == 15.0
    assert x.mean(axis=-1).tolist() == [1.0, 4.0]


@pytest.mark.parametrize("array", [np.array(["a", "b"]), np.array([b"1", b"2"]),
                                   np.array([1.0, "a"], dtype=object)])
def test_string_and_object_arrays_in_arithmetic_name_the_op(array):
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"mul\(\) input 1: .*(numbers|text)"):
        tg.mul(x, array)
    with pytest.raises(TypeError, match=r"add\(\) input 1: .*(numbers|text)"):
        tg.add(x, array)


def test_an_object_array_of_plain_numbers_is_read_as_numbers():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert (x + np.array([1, 2.5], dtype=object)).tolist() == [2.0, 4.5]


def test_a_huge_python_integer_names_the_op_and_input():
    x = tg.Tensor([1.0, 2.0])
    with pytest.raises(OverflowError, match=r"mul\(\): input 1 is an integer with 401 digits"):
        x * 10 ** 400
    with pytest.raises(OverflowError, match=r"^add: .*out of bounds for uint8"):
        tg.Tensor(np.array([1], dtype=np.uint8)) + 1000


@pytest.mark.parametrize("bad", ["a", [None, 1.0], {"a": 1}, b"1"])
def test_backward_with_a_gradient_that_is_not_numbers(bad):
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"backward\(\): grad must be a Tensor or an array of "
                                        r"numbers shaped like the output \(2,\)"):
        (x * 2).backward(bad)
    if not isinstance(bad, list):  # a list there is one gradient per output
        with pytest.raises(TypeError, match=r"grad\(\): grad_outputs must be"):
            tg.grad(x * 2, x, grad_outputs=bad)


@pytest.mark.parametrize("text", ["1.5", b"1.5", ["1.5", "2"], np.array(["1.5"]),
                                  np.str_("1.5"), [1.0, None]])
def test_tensor_refuses_text_and_none(text):
    with pytest.raises(TypeError, match="a Tensor holds numbers"):
        tg.Tensor(text)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.bool_, np.int16, np.int64])
@pytest.mark.parametrize("name", ["exp", "sqrt", "log", "sigmoid", "tanh"])
def test_integer_tensors_compute_floating_results_in_float64(dtype, name):
    values = np.array([1, 2, 3]).astype(dtype)
    result = getattr(tg.Tensor(values), name)()
    assert result.dtype == np.float64
    reference = getattr(tg.Tensor(values.astype(np.float64)), name)()
    np.testing.assert_array_equal(result.data, reference.data)  # computed in float64


def test_float32_inputs_keep_float32():
    assert tg.Tensor(np.ones(2, dtype=np.float32)).exp().dtype == np.float32
    assert (tg.Tensor(np.ones(2, dtype=np.float16)) * 2).dtype == np.float16
    assert tg.Tensor(np.ones(2, dtype=np.uint8)).sum().dtype.kind == "u"  # integers stay integers
