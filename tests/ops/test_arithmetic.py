"""Edge cases of the arithmetic ops (ops/arithmetic.py): a number base in ``**`` has a
gradient in the exponent, and a zero base or exponent gives the slopes calculus gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lr as tg


@pytest.mark.parametrize("base, expected", [(0.0, [0.0, 0.0, 0.0]),
                                            (-2.0, [math.nan, math.nan, math.nan]),
                                            (2.0, [4 * math.log(2), math.log(2), 8 * math.log(2)])])
def test_number_base_gradient_in_the_exponent(base, expected):
    y = tg.Tensor([2.0, 0.0, 3.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        (base ** y).sum().backward()
    np.testing.assert_allclose(y.grad.data, expected)


def test_tensor_zero_base_gradient_in_the_exponent_is_zero():
    y = tg.Tensor([2.0, 0.5, 0.0], requires_grad=True)
    (tg.Tensor(0.0) ** y).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [0.0, 0.0, 0.0])
    y.grad = None
    with np.errstate(invalid="ignore"):
        (tg.Tensor([0.0, -2.0, 2.0]) ** y).sum().backward()
    assert y.grad.data[0] == 0.0 and np.isnan(y.grad.data[1])
    assert y.grad.data[2] == pytest.approx(math.log(2))  # 2**y · ln 2 at y = 0


def test_zero_exponent_tensor_gives_the_base_a_zero_slope():
    x = tg.Tensor([0.0, 3.0], requires_grad=True)
    y = tg.Tensor([0.0, 2.0], requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 6.0])  # y·x^(y−1); x^0 is constant
    np.testing.assert_allclose(y.grad.data, [0.0, 9 * math.log(3)])


def test_number_base_second_derivative_matches_finite_differences():
    y = tg.Tensor([0.5, 1.5], requires_grad=True)
    assert tg.gradgradcheck(lambda t: 3.0 ** t, (y,))
