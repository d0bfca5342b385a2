"""Reductions over axes: sum, mean, max, min (axis=None | int | tuple, keepdims)."""

from __future__ import annotations

import numpy as np

from ..registry import op
from .kernels import column_sum

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def normalize_axes(axis, ndim: int) -> tuple:
    """The reduced axes as non-negative ints (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    bound = ndim or 1  # numpy lets a 0-d array be reduced over axis 0 / -1
    out = []
    for a in axes:
        if not -bound <= a < bound:
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimension(s)")
        out.append(int(a) % bound)
    return tuple(out)


def kept_shape(shape: tuple, axis) -> tuple:
    """``shape`` with the reduced axes set to 1: the shape of a ``keepdims=True`` result."""
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def empty_groups(shape: tuple, axis) -> bool:
    """True if a reduction over ``axis`` would reduce empty groups into a non-empty result
    (numpy's NaN or error); an empty result (another axis of length 0) is fine."""
    axes = normalize_axes(axis, len(shape))
    reduced = any(shape[i] == 0 for i in axes)
    kept_empty = any(n == 0 for i, n in enumerate(shape) if i not in axes)
    return reduced and not kept_empty


def spread_back(grad, shape: tuple, axis, keepdims: bool):
    """Give a reduction's gradient the input's shape again (a broadcast view, no copy)."""
    if not keepdims:
        grad = grad.reshape(kept_shape(shape, axis))
    return grad.broadcast_to(shape)


def reduction_cases(shape):
    cases = [((shape,), {}), ((shape,), {"keepdims": True})]
    if len(shape) >= 1:
        cases += [((shape,), {"axis": 0}), ((shape,), {"axis": -1, "keepdims": True})]
    if len(shape) >= 2:
        cases += [((shape,), {"axis": (0, len(shape) - 1)})]
    return cases


def _reduce_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@op("sum", label="Σ", formula="∂Σx/∂xᵢ = 1", method=True, cases=reduction_cases)
class sum_:
    """Sum over ``axis`` (all axes by default).

    >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).tolist()
    [4.0, 6.0]
    """

    def forward(x, *, axis=None, keepdims=False):
        if (x.__class__ is np.ndarray and x.ndim == 2 and (axis == 0 or axis == (0,))
                and axis is not False and not keepdims and x.dtype in _FLOATS):
            return column_sum(x)  # the same sums, bit for bit, faster on tall arrays
        # np.sum's own result, without its Python wrapper (a microsecond per call)
        return np.add.reduce(x, axis=_reduce_axis(axis), keepdims=keepdims)

    def backward(grad, out, x, *, axis=None, keepdims=False):
        return spread_back(grad, x.shape, axis, keepdims)


@op("mean", label="mean", formula="∂mean(x)/∂xᵢ = 1/n", method=True, cases=reduction_cases)
class mean:
    """Mean over ``axis`` (all axes by default).

    >>> tg.Tensor([1.0, 2.0, 6.0]).mean().item()
    3.0
    """

    def forward(x, *, axis=None, keepdims=False):
        if empty_groups(np.shape(x), axis):
            raise ValueError("mean of an empty array")
        return np.mean(x, axis=_reduce_axis(axis), keepdims=keepdims)

    def backward(grad, out, x, *, axis=None, keepdims=False):
        count = x.size // max(out.size, 1)
        return spread_back(grad / count, x.shape, axis, keepdims)


def _extremum_backward(grad, out, x, axis, keepdims):
    """The gradient goes to the elements equal to the extremum, shared equally at ties."""
    if x.ndim == 0:  # a 0-d "reduction" is the identity
        return grad * 1
    # the winners as a 0/1 mask in the gradient's dtype (comparison ops: no gradient)
    winners = (x == out.reshape(kept_shape(x.shape, axis))).astype(grad.dtype)
    count = winners.sum(axis=normalize_axes(axis, x.ndim), keepdims=True)
    return spread_back(grad, x.shape, axis, keepdims) * winners / count


@op("max", label="max", formula="∂max(x)/∂xᵢ = 1 for the largest element", method=True,
    cases=reduction_cases)
class max_:
    """Largest element over ``axis`` (all axes by default).

    >>> tg.Tensor([[1.0, 5.0], [3.0, 4.0]]).max(axis=1).tolist()
    [5.0, 4.0]
    """

    def forward(x, *, axis=None, keepdims=False):
        return np.max(x, axis=_reduce_axis(axis), keepdims=keepdims)

    def backward(grad, out, x, *, axis=None, keepdims=False):
        return _extremum_backward(grad, out, x, axis, keepdims)


@op("min", label="min", formula="∂min(x)/∂xᵢ = 1 for the smallest element", method=True,
    cases=reduction_cases)
class min_:
    """Smallest element over ``axis`` (all axes by default).

    >>> tg.Tensor([[1.0, 5.0], [3.0, 4.0]]).min(axis=1).tolist()
    [1.0, 3.0]
    """

    def forward(x, *, axis=None, keepdims=False):
        return np.min(x, axis=_reduce_axis(axis), keepdims=keepdims)

    def backward(grad, out, x, *, axis=None, keepdims=False):
        return _extremum_backward(grad, out, x, axis, keepdims)
