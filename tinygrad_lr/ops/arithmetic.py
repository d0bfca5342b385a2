"""The arithmetic operators: + - * / ** and unary minus.

The forward of each operator but ``**`` is the numpy ufunc the operator calls (see
``registry``): one Python call fewer per op, in forward and in every rule that uses it.
"""

from __future__ import annotations

import math

import numpy as np

from ..formulas import Derivatives, Name
from ..registry import POSITIVE, REAL, needs_grad, op
from ..tensor import Tensor
from .elementwise import where


@op("add", label="+", derivatives=Derivatives(Name("a") + Name("b"), a=1, b=1), method="__add__",
    rmethod="__radd__")
class add:
    """a + b, elementwise with broadcasting.

    >>> (tg.Tensor([1.0, 2.0]) + 1).tolist()
    [2.0, 3.0]
    """

    forward = np.add  # a + b

    def backward(grad, out, a, b):
        return grad, grad


@op("sub", label="−", derivatives=Derivatives(Name("a") - Name("b"), a=1, b=-1), method="__sub__",
    rmethod="__rsub__")
class sub:
    """a - b, elementwise with broadcasting.

    >>> (tg.Tensor([1.0, 2.0]) - tg.Tensor([0.5, 0.5])).tolist()
    [0.5, 1.5]
    """

    forward = np.subtract  # a - b

    def backward(grad, out, a, b):
        return grad, (-grad if needs_grad(b) else None)


@op("mul", label="×", derivatives=Derivatives(Name("a") * Name("b"), a=Name("b"), b=Name("a")),
    method="__mul__",
    rmethod="__rmul__")
class mul:
    """a * b, elementwise with broadcasting.

    >>> (tg.Tensor([1.0, 2.0]) * 3).tolist()
    [3.0, 6.0]
    """

    forward = np.multiply  # a * b

    def backward(grad, out, a, b):
        return (grad * b if needs_grad(a) else None), (grad * a if needs_grad(b) else None)


@op("div", label="÷", derivatives=Derivatives(Name("a") / Name("b"), a=1 / Name("b"),
                                               b=-Name("a") / Name("b") ** 2),
    method="__truediv__",
    rmethod="__rtruediv__", domain=(REAL, POSITIVE))
class div:
    """a / b, elementwise with broadcasting.

    >>> (1 / tg.Tensor([2.0, 4.0])).tolist()
    [0.5, 0.25]
    """

    forward = np.divide  # a / b

    def backward(grad, out, a, b):
        return (grad / b if needs_grad(a) else None), (-grad * out / b if needs_grad(b) else None)


@op("neg", label="−x", derivatives=Derivatives(-Name("x"), x=-1), method="__neg__")
class neg:
    """-x, elementwise.

    >>> (-tg.Tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]
    """

    forward = np.negative  # -x

    def backward(grad, out, x):
        return -grad


@op("pow", label="^", formula="∂(uᵛ)/∂u = v·uᵛ⁻¹, ∂(uᵛ)/∂v = uᵛ·ln u", method="__pow__",
    rmethod="__rpow__", domain=(POSITIVE, REAL))
class pow_:
    """a ** b, elementwise with broadcasting (a > 0 when b is not a whole number).

    >>> (tg.Tensor([2.0, 3.0]) ** 2).tolist()
    [4.0, 9.0]
    """

    def forward(a, b):
        return a ** b

    def backward(grad, out, a, b):
        grad_a = grad_b = None
        if needs_grad(a):
            if isinstance(b, (int, float)) and b == 0:
                grad_a = grad * 0  # x**0 is constant; the general rule gives 0 * inf at 0
            elif isinstance(b, Tensor):
                # The same where a tensor exponent holds zeros: a slope of 0 there, with the
                # exponent masked first so that no 0 * inf is formed (nor differentiated).
                zero_power = b == 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    slope = b * a ** (where(zero_power, 1.0, b) - 1)
                grad_a = where(zero_power, 0.0, grad * slope)
            else:
                grad_a = grad * b * a ** (b - 1)
        if needs_grad(b):
            # ln a is -inf at a zero base and NaN at a negative one (no real logarithm).
            # 0 ** y is flat (0 or 1) for y >= 0: its slope in y is 0, not 0 * log 0 = NaN.
            # The mask goes on the base before the logarithm, so that no derivative of the
            # rule (with respect to grad, a or b) meets 0 * log 0 either.
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * out * _log_of_base(a, b >= 0)
        return grad_a, grad_b


def _log_of_base(a, flat_if_zero):
    """ln a, with 0 where a = 0 and ``flat_if_zero`` holds (the exponent is not negative)."""
    if isinstance(a, Tensor):
        flat = (a == 0) & flat_if_zero
        return where(flat, 0.0, where(flat, 1.0, a).log())
    if a == 0:
        return where(flat_if_zero, 0.0, -math.inf)
    return math.log(a) if a > 0 else math.nan
