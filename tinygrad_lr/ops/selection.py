"""Ops that pick elements by position: the indices as a graph value, not a setting.

``sort``'s gradient follows the permutation that sorted its input, so the permutation
(``argsort``) must be computed from the current values wherever the rule runs, eagerly or
in a compiled program: here it is an op whose result is an integer tensor with no gradient,
and the pick (``gather_along_axis``) and its adjoint (``scatter_add_along_axis``) take it as
an input. All are the engine's own (``internal``): not ``tg.*`` names.
"""

from __future__ import annotations

import numpy as np

from ..registry import op


def _normalized(axis: int, ndim: int) -> int:
    return axis % ndim if ndim else 0


@op("argsort", label="argsort", formula="indices that sort x (no gradient)",
    differentiable=False, internal=True)
class argsort:
    """The stable sorting permutation of x along ``axis``, as ``np.argsort(kind='stable')``.

    >>> import tinygrad_lr as tg
    >>> tg.get_op("argsort")(tg.Tensor([3.0, 1.0, 2.0]), axis=-1).tolist()
    [1, 2, 0]
    """

    def forward(x, *, axis=-1):
        return np.argsort(x, axis=axis, kind="stable")

    def backward(grad, out, x, *, axis=-1):
        return None


@op("gather_along_axis", label="gather", formula="∂gather(x, i)/∂x = scatter-add of the gradient",
    internal=True)
class gather_along_axis:
    """``np.take_along_axis(x, indices, axis)`` with the indices as an input.

    >>> import tinygrad_lr as tg
    >>> gather = tg.get_op("gather_along_axis")
    >>> gather(tg.Tensor([10.0, 20.0, 30.0]), tg.Tensor(np.array([2, 0])), axis=0).tolist()
    [30.0, 10.0]
    """

    def forward(x, indices, *, axis):
        return np.take_along_axis(x, indices, axis)

    def backward(grad, out, x, indices, *, axis):
        return scatter_add_along_axis(grad, indices, axis=axis, shape=x.shape), None


@op("scatter_add_along_axis", label="scatter+",
    formula="∂scatter(g, i)/∂g = gather of the gradient", internal=True)
class scatter_add_along_axis:
    """Zeros of ``shape`` with ``values`` added at ``indices`` along ``axis`` (repeats add up).

    >>> import tinygrad_lr as tg
    >>> scatter = tg.get_op("scatter_add_along_axis")
    >>> scatter(tg.Tensor([1.0, 2.0, 4.0]), tg.Tensor(np.array([1, 1, 0])), axis=0,
    ...         shape=(3,)).tolist()
    [4.0, 3.0, 0.0]
    """

    def forward(values, indices, *, axis, shape):
        out = np.zeros(shape, dtype=values.dtype)
        where = list(np.indices(indices.shape, sparse=True))
        where[_normalized(axis, indices.ndim)] = indices
        np.add.at(out, tuple(where), values)
        return out

    def backward(grad, out, values, indices, *, axis, shape):
        return gather_along_axis(grad, indices, axis=axis), None


@op("det_sign", label="sign det", formula="the sign of det A (no gradient)",
    differentiable=False, internal=True)
class det_sign:
    """The sign of the determinant (of each matrix in a stack), as ``np.linalg.slogdet``.

    >>> import tinygrad_lr as tg
    >>> tg.get_op("det_sign")(tg.Tensor([[0.0, 2.0], [3.0, 0.0]])).item()
    -1.0
    """

    def forward(a):
        return np.linalg.slogdet(a)[0]

    def backward(grad, out, a):
        return None
