"""Whole derivative matrices built on :func:`tinygrad_lr.grad`: Jacobians and Hessians."""

from __future__ import annotations

import numpy as np

from .autograd import grad
from .ops.shape import stack
from .tensor import Tensor


def _as_input(x) -> Tensor:
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            raise TypeError(f"the input must be floating point, got dtype {x.dtype}")
        return x if x.requires_grad else x.detach().requires_grad_()
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def jacobian(f, x, create_graph: bool = False) -> Tensor:
    """The Jacobian of ``f`` at ``x``: shape ``f(x).shape + x.shape``.

    Entry ``[i..., j...]`` is d f(x)[i...] / d x[j...]. One backward pass per output element.

    >>> import tinygrad_lr as tg
    >>> jacobian(lambda x: x * x, tg.Tensor([1.0, 2.0])).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    x = _as_input(x)
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"jacobian(): f must return a Tensor, got {type(y).__name__}")
    rows = []
    if y.requires_grad:
        for i in range(y.size):
            seed = np.zeros(y.shape, dtype=y.dtype)
            seed.flat[i] = 1.0
            (row,) = grad(y, x, grad_outputs=Tensor(seed), retain_graph=True,
                          create_graph=create_graph, allow_unused=True)
            rows.append(row if row is not None else Tensor(np.zeros(x.shape, dtype=x.dtype)))
    if not rows:
        return Tensor(np.zeros(y.shape + x.shape, dtype=x.dtype))

    return stack(rows).reshape(y.shape + x.shape)


def hessian(f, x, create_graph: bool = False) -> Tensor:
    """The Hessian of a scalar function ``f`` at ``x``: shape ``x.shape + x.shape``.

    Computed by differentiating the gradient (double backward), so every op's backward
    formula is itself differentiated; no second derivative is written by hand.

    >>> import tinygrad_lr as tg
    >>> hessian(lambda x: (x ** 3).sum(), tg.Tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    x = _as_input(x)

    def gradient(point):
        y = f(point)
        if not isinstance(y, Tensor) or y.size != 1:
            raise ValueError("hessian(): f must return a single-element Tensor")
        (g,) = grad(y, point, create_graph=True, allow_unused=True)
        return g if g is not None else Tensor(np.zeros(point.shape, dtype=point.dtype))

    return jacobian(gradient, x, create_graph=create_graph)
