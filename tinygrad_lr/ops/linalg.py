"""Matrix multiplication with numpy's semantics: 1-D, 2-D and batched (broadcast) operands."""

from __future__ import annotations

import numpy as np

from ..broadcasting import sum_to_shape
from ..registry import get_op, needs_grad, op
from .kernels import outer_product

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _swap_last_two(x):
    if x.ndim == 2:
        # x.T is the transpose op through the property, its method and Op.__call__ with a
        # keyword (1.2 µs); the same op's dispatch for one tensor, written out: 0.7 µs (W2
        # transposes 5 a step). (Looked up per call: an op replaced later is the one used.)
        return get_op("transpose")._run((x,), (x.data,), {"axes": None}, x._requires_grad)
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(axes=tuple(axes))


def _matmul_cases(shape):
    n = shape[0] if shape else 2
    return [(((3, n), (n, 2)), {}), (((n,), (n, 2)), {}), (((3, n), (n,)), {}),
            (((n,), (n,)), {}), (((2, 3, n), (n, 2)), {}), (((1, 2, n), (3, n, 2)), {})]


def _check_matmul_shapes(a, b) -> None:
    """Raise a ValueError naming the problem if ``a @ b`` cannot be formed."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError("matmul needs inputs with at least one dimension; use * to scale")
    inner_a = np.shape(a)[-1]
    inner_b = np.shape(b)[-2] if np.ndim(b) > 1 else np.shape(b)[0]
    if inner_a != inner_b:
        raise ValueError(
            f"inner dimensions differ: the last axis of the left input has {inner_a} "
            f"elements, the {'second-to-last' if np.ndim(b) > 1 else 'only'} axis of the "
            f"right input has {inner_b}"
        )


@op("matmul", label="@", formula="∂(U@V)/∂U = G@Vᵀ, ∂(U@V)/∂V = Uᵀ@G", method="__matmul__",
    rmethod="__rmatmul__", cases=_matmul_cases)
class matmul:
    """Matrix product a @ b, as ``np.matmul`` (1-D, 2-D and batched).

    >>> (tg.Tensor([[1.0, 2.0]]) @ tg.Tensor([3.0, 4.0])).tolist()
    [11.0]
    """

    def forward(a, b):
        if (a.__class__ is np.ndarray and a.shape[-1:] == (1,) and a.ndim == 2
                and b.__class__ is np.ndarray and b.ndim == 2 and b.shape[0] == 1
                and a.dtype == b.dtype and a.dtype in _FLOATS):
            return outer_product(a, b)  # a column times a row: matmul's bits, sooner
        try:
            return np.matmul(a, b)
        except ValueError:  # numpy refuses: say why in the op's words (a valid call pays nothing)
            _check_matmul_shapes(a, b)
            raise

    def backward(grad, out, a, b):
        # Lift 1-D operands to matrices so one rule covers every case, then drop the axis.
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        g2 = grad.reshape(out.shape[:-1] + (1,) + out.shape[-1:]) if a.ndim == 1 else grad
        if b.ndim == 1:
            g2 = g2.reshape(g2.shape + (1,))
        grad_a = grad_b = None
        if needs_grad(a):
            grad_a = sum_to_shape(g2 @ _swap_last_two(b2), a2.shape, "matmul")
            if a.ndim == 1:
                grad_a = grad_a.reshape(a.shape)
        if needs_grad(b):
            grad_b = sum_to_shape(_swap_last_two(a2) @ g2, b2.shape, "matmul")
            if b.ndim == 1:
                grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b
