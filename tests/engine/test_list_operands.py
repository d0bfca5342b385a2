"""Lists of tensors given to an op are stacked into one tensor, as numpy does, and keep
every gradient (the registry's operand conversion)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lr as tg


def test_mean_of_a_list_of_tensors_stacks_them_like_numpy():
    x = tg.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    result = tg.mean([x, x + 2])
    assert result.item() == pytest.approx(np.mean([x.data, x.data + 2]))
    result.backward()
    np.testing.assert_allclose(x.grad.data, np.full(3, 2 / 6))  # each x appears twice in 6


def test_sum_of_a_list_and_a_nested_list_keeps_every_gradient():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = tg.Tensor([3.0, 5.0], requires_grad=True)
    total = tg.sum([[x, y], [y * 2, x]], axis=0)
    np.testing.assert_allclose(total.data, [[1 + 6, 2 + 10], [3 + 1, 5 + 2]])  # [x + 2y, y + x]
    total.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])
    np.testing.assert_allclose(y.grad.data, [3.0, 3.0])


def test_a_list_mixing_tensors_and_numbers_keeps_the_tensors_dtype():
    x = tg.Tensor(np.array(2.0, dtype=np.float32), requires_grad=True)
    stacked = tg.mul([x, 1.0], 3.0)
    assert stacked.dtype == np.float32
    stacked.sum().backward()
    assert x.grad.item() == 3.0


def test_tensors_that_do_not_stack_get_an_error_naming_the_op():
    with pytest.raises(ValueError, match=r"sum\(\) input 0 is a list of tensors.*stacked"):
        tg.sum([tg.ones(2, requires_grad=True), tg.ones(3)])


def test_tensor_of_a_list_of_grad_tensors_points_to_stack():
    x = tg.Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"tg\.stack"):
        tg.Tensor([x, x * 2])
    # constants and no_grad are conversion, not a lost gradient
    assert tg.Tensor([x.detach(), tg.Tensor(2.0)]).tolist() == [1.0, 2.0]
    with tg.no_grad():
        assert tg.Tensor([x, x]).tolist() == [1.0, 1.0]


def test_an_object_array_of_tensors_is_stacked_too():
    x = tg.Tensor(3.0, requires_grad=True)
    boxed = np.empty(2, dtype=object)
    boxed[0], boxed[1] = x, x * x
    (tg.sum(boxed)).backward()
    assert x.grad.item() == pytest.approx(1 + 2 * 3.0)
