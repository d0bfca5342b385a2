"""Tensor construction, attributes, operators and their errors."""

import numpy as np
import pytest

import tinygrad_lr as tg


def test_construction_from_every_kind_of_data():
    assert tg.Tensor(2).shape == ()
    assert tg.Tensor([[1, 2], [3, 4]]).shape == (2, 2)
    arr = np.arange(3.0, dtype=np.float32)
    t = tg.Tensor(arr)
    assert t.data is arr and t.dtype == np.float32
    assert tg.Tensor(t).data is arr
    assert tg.Tensor(np.float32(1.5)).dtype == np.float32
    assert tg.Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert tg.Tensor([[tg.Tensor(1.0), 2.0]]).shape == (1, 2)


def test_integer_and_bool_tensors_cannot_require_grad():
    assert tg.Tensor(np.array([1, 2])).dtype.kind == "i"
    with pytest.raises(TypeError, match="int64"):
        tg.Tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        tg.Tensor(np.array([True]), requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        tg.Tensor("abc")
    with pytest.raises(TypeError, match="name"):
        tg.Tensor(1.0, name=3)


def test_attributes_and_conversions():
    t = tg.Tensor([[1.0, 2.0, 3.0]], requires_grad=True, name="w")
    assert (t.shape, t.ndim, t.size, t.numel(), t.name) == ((1, 3), 2, 3, 3, "w")
    assert t.numpy() is t.data and t.tolist() == [[1.0, 2.0, 3.0]]
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert tg.Tensor([[4.0]]).item() == 4.0 and float(tg.Tensor(2.5)) == 2.5
    with pytest.raises(ValueError, match=r"shape \(1, 3\)"):
        t.item()
    assert len(t) == 1 and [r.shape for r in t] == [(3,)]
    assert t.requires_grad and t.is_leaf and t.grad is None and t.op is None
    assert repr(t) == "Tensor([[1., 2., 3.]], requires_grad=True, name='w')"
    assert repr(t * 2) == "Tensor([[2., 4., 6.]], op=mul)"
    assert "dtype=float32" in repr(tg.Tensor([1.0], dtype=np.float32))


def test_requires_grad_flag():
    t = tg.Tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad
    y = tg.Tensor(1.0, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


@pytest.mark.parametrize("other", [2.0, 2, np.float64(2.0), np.array(2.0), np.array([2.0, 2.0])])
def test_operators_with_numbers_and_arrays_on_either_side(other):
    x = tg.Tensor([1.0, 4.0], requires_grad=True)
    for result, expected in [
        (x + other, [3, 6]), (other + x, [3, 6]), (x - other, [-1, 2]), (other - x, [1, -2]),
        (x * other, [2, 8]), (other * x, [2, 8]), (x / other, [0.5, 2]), (other / x, [2, 0.5]),
        (x ** other, [1, 16]), (other ** x, [2, 16]),
    ]:
        assert isinstance(result, tg.Tensor), type(result)
        np.testing.assert_allclose(result.data, expected)
    np.testing.assert_allclose((-x).data, [-1, -4])


def test_ndarray_on_the_left_of_matmul_gives_a_tensor():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = np.eye(2) @ w
    assert isinstance(y, tg.Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(w.grad.data, [1, 1])


def test_float32_tensor_with_python_and_numpy_scalars_stays_float32():
    x = tg.Tensor(np.ones(2, dtype=np.float32))
    for y in (x * 2.5, 2.5 * x, x + np.float64(1.0), x / 3, x ** 2):
        assert y.dtype == np.float32


def test_comparisons_return_boolean_tensors_without_grad():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                             (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1])]:
        assert result.dtype == bool and not result.requires_grad
        assert result.tolist() == [bool(e) for e in expected]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert ((x < 2) | (x > 2)).tolist() == [True, False, True]
    assert (~(x > 1)).tolist() == [True, False, False]
    assert {x: 1}[x] == 1  # still hashable


def test_indexing_basic_and_advanced_with_repeated_indices():
    x = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[1:, ::2].sum() + x[[0, 0, 2], [1, 1, 3]].sum() + x[x.data > 10].sum() + x[-1, 0]
    y.backward()
    expected = np.zeros((3, 4))
    expected[1:, ::2] += 1
    expected[0, 1] += 2
    expected[2, 3] += 1
    expected[2, 3] += 1  # x > 10 selects only element 11
    expected[-1, 0] += 1
    np.testing.assert_allclose(x.grad.data, expected)
    index = tg.Tensor(np.array([2, 0]))
    np.testing.assert_allclose(x[index].data, x.data[[2, 0]])


def test_shape_errors_name_the_op_and_both_shapes():
    a = tg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\), \(2, 3\).*inner dimensions differ"):
        a @ a
    with pytest.raises(ValueError, match=r"add.*\(2, 3\), \(4,\)"):
        a + np.ones(4)
    with pytest.raises(ValueError, match="at least one dimension"):
        tg.Tensor(2.0) @ a
    with pytest.raises(IndexError, match="getitem"):
        a[5]
    with pytest.raises(ValueError, match="reshape"):
        a.reshape(4, 2)


def test_unsupported_operand_types_raise_type_error():
    a = tg.Tensor([1.0])
    with pytest.raises(TypeError, match="unsupported operand"):
        a + "x"
    with pytest.raises(TypeError, match="unsupported operand"):
        object() * a
    with pytest.raises(TypeError, match=r"exp\(\) input 0 must be a Tensor"):
        tg.exp({"a": 1})


def test_bool_of_multi_element_tensor_is_an_error():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tg.Tensor([1.0, 2.0]))
    assert bool(tg.Tensor([1.0]))


def test_constructors():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.ones((2,)).tolist() == [1.0, 1.0]
    assert tg.zeros_like(tg.ones(2)).tolist() == [0.0, 0.0]
    assert tg.ones_like(np.zeros(2)).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(tg.randn(3, seed=1).data, tg.randn(3, seed=1).data)
    assert tg.randn(2, requires_grad=True).requires_grad
    assert 0 <= tg.rand(50, seed=0).data.min() and tg.rand(50, seed=0).data.max() < 1
    assert tg.arange(1, 4).tolist() == [1.0, 2.0, 3.0]
    assert tg.tensor([1]).dtype == np.float64 and tg.is_tensor(tg.tensor(1))


def test_methods_and_functions_agree():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3) / 6)
    np.testing.assert_allclose(x.sum(axis=1).data, tg.sum(x, 1).data)
    np.testing.assert_allclose(x.T.data, x.data.T)
    np.testing.assert_allclose(x.transpose().data, x.data.T)
    np.testing.assert_allclose(x.transpose((1, 0)).data, x.data.T)
    np.testing.assert_allclose(x.reshape((3, 2)).data, x.data.reshape(3, 2))
    np.testing.assert_allclose(x.broadcast_to(4, 2, 3).data, np.broadcast_to(x.data, (4, 2, 3)))
    np.testing.assert_allclose(abs(-x).data, x.data)
    np.testing.assert_allclose(x.max(axis=(0, 1)).data, 5 / 6)
    np.testing.assert_allclose(x.clip(0.2, 0.5).data, np.clip(x.data, 0.2, 0.5))
    np.testing.assert_allclose(tg.concatenate([x, x], 1).data, np.concatenate([x.data] * 2, 1))
    np.testing.assert_allclose(tg.stack([x, x], axis=-1).data, np.stack([x.data] * 2, -1))
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.sum(axes=1)
    with pytest.raises(TypeError, match="extra positional"):
        x.sum(1, True, 3)


def test_transpose_with_negative_axes_differentiates():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 4) / 24, requires_grad=True)
    assert tg.gradcheck(lambda t: t.transpose(-1, 0, 1) * np.arange(24.0).reshape(4, 2, 3), [x])
    assert tg.gradcheck(lambda t: t.transpose(axes=(-1, 0, -2)), [x])


def test_reducing_a_zero_dimensional_tensor_over_axis_zero():
    for method in ("max", "min", "sum"):  # numpy itself refuses mean(axis=0) of a 0-d array
        a = tg.Tensor(2.0, requires_grad=True)
        getattr(a, method)(axis=0).backward()
        assert a.grad.item() == 1.0, method


def test_losses_keep_float32_gradients_with_float64_targets():
    z = tg.Tensor(np.array([0.5, -1.0], np.float32), requires_grad=True)
    targets = np.array([1.0, 0.0])
    for loss in (tg.binary_cross_entropy_with_logits(z, targets),
                 tg.binary_cross_entropy(z.sigmoid(), targets)):
        assert loss.dtype == np.float32
        assert tg.grad(loss, z)[0].dtype == np.float32
