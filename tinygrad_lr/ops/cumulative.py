"""Running sums and products along an axis: cumsum (a primitive) and cumprod (a scan).

cumsum's gradient is the running sum from the other end, so it is its own backward. cumprod
is a composition: a Hillis–Steele scan multiplies each element by the one 1, 2, 4, ... places
before it, so zeros are handled exactly and second derivatives come for free.
"""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..registry import op
from ..tensor import Tensor
from .shape import concatenate


def _axis_cases(shape):
    return [((shape,), {}), ((shape,), {"axis": 0}), ((shape,), {"axis": -1})]


def _along(ndim: int, axis: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part,)


def _flipped(x, axis: int):
    return x[_along(x.ndim, axis, slice(None, None, -1))]


@op("cumsum", label="cumsum", formula="∂cumsum(x)ⱼ/∂xᵢ = 1 for i ≤ j: the gradient's "
    "running sum from the end", method=True, cases=_axis_cases)
class cumsum:
    """Running sum along ``axis`` (over the flattened input for ``axis=None``), as ``np.cumsum``.

    >>> tg.Tensor([1.0, 2.0, 3.0]).cumsum().tolist()
    [1.0, 3.0, 6.0]
    """

    def forward(x, *, axis=None):
        return np.cumsum(x, axis=axis)

    def backward(grad, out, x, *, axis=None):
        along = 0 if axis is None else axis % max(grad.ndim, 1)
        summed = _flipped(cumsum(_flipped(grad, along), axis=along), along)
        return summed.reshape(x.shape) if axis is None else summed


@composite("cumprod", formula="cumprod(x)ⱼ = ∏ᵢ≤ⱼ xᵢ, as a scan of products",
           numpy=lambda x, *, axis=None: np.cumprod(x, axis=axis), method=True,
           cases=_axis_cases)
def cumprod(x, *, axis=None):
    """Running product along ``axis`` (over the flattened input for ``axis=None``).

    >>> x = tg.Tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> x.cumprod().tolist()
    [2.0, 0.0, 0.0]
    >>> x.cumprod().sum().backward()
    >>> x.grad.tolist()
    [1.0, 8.0, 0.0]
    """
    if axis is None or x.ndim == 0:  # numpy treats a 0-d input as one element
        x, axis = x.reshape(-1), 0 if axis is None else axis
    axis %= x.ndim
    length, shift = x.shape[axis], 1
    while shift < length:
        ones = Tensor(np.ones(x.shape[:axis] + (shift,) + x.shape[axis + 1:], dtype=x.dtype))
        x = x * concatenate([ones, x[_along(x.ndim, axis, slice(0, length - shift))]],
                            axis=axis)
        shift *= 2
    return x
