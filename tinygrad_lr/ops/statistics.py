"""Reductions with numpy's names: prod, var, std and the vector/matrix norm.

All are compositions: prod multiplies pairs in a tree (so zeros are fine and the depth is
log n), var and std are means of squares, norm is built from abs, sums and powers. Values
come from numpy; gradients from the composition.
"""

from __future__ import annotations

import math

import numpy as np

from ..composite import composite
from ..registry import KINK_AT_ZERO
from .elementwise import sqrt, where
from .reductions import _reduce_axis, kept_shape, normalize_axes, reduction_cases
from .shape import concatenate
from .spectral import svdvals


def sqrt_or_zero(total):
    """√total, whose gradient is 0 (a subgradient, as PyTorch's norm) where total = 0 instead
    of 0·∞ = NaN: the norm of a zero vector, the std of equal values, hypot(0, 0)."""
    zero = total == 0  # a comparison op: the mask follows the values wherever this runs
    return where(zero, 0.0, sqrt(where(zero, 1.0, total)))


def product_over_last_axis(x):
    """The product along the last axis, by multiplying halves pairwise (log₂ n rounds)."""
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        paired = x[..., :half] * x[..., half:2 * half]
        x = concatenate([paired, x[..., 2 * half:]], axis=-1) if x.shape[-1] % 2 else paired
    return x[..., 0]


def _prod_forward(x, *, axis=None, keepdims=False):
    return np.prod(x, axis=_reduce_axis(axis), keepdims=keepdims)


@composite("prod", formula="∏x as a tree of products; ∂∏x/∂xᵢ = ∏ⱼ≠ᵢ xⱼ",
           numpy=_prod_forward, method=True, cases=reduction_cases)
def prod(x, *, axis=None, keepdims=False):
    """Product over ``axis`` (all axes by default), as ``np.prod``; zeros are fine.

    >>> x = tg.Tensor([2.0, 0.0, 4.0], requires_grad=True)
    >>> x.prod().backward()
    >>> x.grad.tolist()
    [0.0, 8.0, 0.0]
    """
    axes = normalize_axes(axis, x.ndim)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    if x.size == 0:
        return (x.sum(axis=axis, keepdims=keepdims) * 0 + 1)
    moved = x.transpose(axes=rest + axes) if x.ndim else x
    flat = moved.reshape(tuple(x.shape[i] for i in rest) + (-1,))
    out = product_over_last_axis(flat)
    return out.reshape(kept_shape(x.shape, axis)) if keepdims else out


def _spread_cases(shape):
    """Reduction cases on a shape whose reduced axes have at least two elements."""
    shape = tuple(max(side, 2) for side in shape) or (3,)
    return [((shape,), {}), ((shape,), {"ddof": 1}), ((shape,), {"axis": 0, "ddof": 1}),
            ((shape,), {"axis": -1, "keepdims": True}),
            ((shape,), {"axis": tuple(range(len(shape))), "ddof": 2 if len(shape) > 1 else 1})]


def _count(shape, axis) -> int:
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape)))


def _var_forward(x, *, axis=None, ddof=0, keepdims=False):
    _check_ddof(np.shape(x), axis, ddof)
    return np.var(x, axis=_reduce_axis(axis), ddof=ddof, keepdims=keepdims)


def _check_ddof(shape, axis, ddof) -> None:
    if _count(shape, axis) - ddof <= 0:
        raise ValueError(f"ddof={ddof} leaves no degrees of freedom: only "
                         f"{_count(shape, axis)} element(s) are reduced")


@composite("var", formula="var(x) = Σ(x − x̄)² / (n − ddof)", numpy=_var_forward, method=True,
           cases=lambda shape: _spread_cases(shape) + [(((),), {})])
def var(x, *, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis``, dividing by n − ``ddof``, as ``np.var``.

    >>> tg.Tensor([1.0, 2.0, 3.0, 4.0]).var(ddof=1).item()
    1.6666666666666667
    """
    axis = _reduce_axis(axis)
    centered = x - x.mean(axis=axis, keepdims=True)
    return (centered * centered).sum(axis=axis, keepdims=keepdims) / (
        _count(x.shape, axis) - ddof)


def _std_forward(x, *, axis=None, ddof=0, keepdims=False):
    _check_ddof(np.shape(x), axis, ddof)
    return np.std(x, axis=_reduce_axis(axis), ddof=ddof, keepdims=keepdims)


@composite("std", formula="std(x) = √var(x)", numpy=_std_forward, method=True,
           cases=_spread_cases)
def std(x, *, axis=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis``, dividing by n − ``ddof``, as ``np.std``.

    Its gradient is (x − x̄)/((n − ddof)·std), and 0 where all reduced elements are equal.

    >>> tg.Tensor([1.0, 3.0]).std().item()
    1.0
    """
    return sqrt_or_zero(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


_SPECTRAL_ORDERS = (2, -2, "nuc")


def _norm_axes(x_ndim, ord, axis):  # noqa: A002 - numpy's name
    """The reduced axes and whether the norm is a matrix norm, as np.linalg.norm decides."""
    if axis is None:
        if ord is None:
            return tuple(range(x_ndim)), False
        if x_ndim not in (1, 2):
            raise ValueError(f"norm with ord={ord!r} and axis=None needs a 1-D or 2-D input, "
                             f"got {x_ndim} dimensions; pass axis=")
        return tuple(range(x_ndim)), x_ndim == 2
    axes = normalize_axes(axis, x_ndim)
    if len(axes) == 1:
        return axes, False
    if len(axes) == 2 and axes[0] != axes[1]:
        return axes, True
    raise ValueError(f"norm: axis must be an int or a pair of different axes, got {axis!r}")


def _check_norm_order(x_ndim, ord, axis):  # noqa: A002
    axes, matrix = _norm_axes(x_ndim, ord, axis)
    if matrix and ord not in (None, "fro", 1, -1, math.inf, -math.inf) + _SPECTRAL_ORDERS:
        raise ValueError(f"norm: invalid matrix norm order {ord!r}")
    if not matrix and isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm, but the norm is over one axis")
    return axes, matrix


def _norm_forward(x, *, ord=None, axis=None, keepdims=False):  # noqa: A002
    _check_norm_order(np.ndim(x), ord, axis)
    if np.ndim(x) == 0:  # np.linalg.norm refuses 0-d input; |x| is its only sensible norm
        return np.abs(x) if ord != 0 else np.asarray(float(x != 0))
    return np.linalg.norm(x, ord=ord, axis=_reduce_axis(axis), keepdims=keepdims)


def _norm_cases(shape):
    if not shape:
        return [((shape,), {})]
    cases = [((shape,), {}), ((shape,), {"keepdims": True}),
             ((shape,), {"ord": 1, "axis": -1}), ((shape,), {"ord": 3, "axis": 0}),
             ((shape,), {"ord": math.inf, "axis": 0}), ((shape,), {"ord": -math.inf, "axis": -1}),
             ((shape,), {"ord": 0, "axis": 0})]
    if len(shape) == 2:
        cases += [((shape,), {"ord": "fro"}), ((shape,), {"ord": 1}), ((shape,), {"ord": 2}),
                  ((shape,), {"ord": -2, "axis": (1, 0)}), ((shape,), {"ord": "nuc"}),
                  ((shape,), {"ord": math.inf, "keepdims": True}),
                  ((shape,), {"ord": -1, "axis": (1, 0)})]
    return cases


def _spectral_norm(x, rows: int, cols: int, ord):  # noqa: A002
    """The largest (2) or smallest (−2) singular value, or their sum ('nuc'), with the
    reduced axes kept as length 1."""
    rest = tuple(i for i in range(x.ndim) if i not in (rows, cols))
    values = svdvals(x.transpose(axes=rest + (rows, cols)))
    if ord == "nuc":
        picked = values.sum(axis=-1)
    else:
        picked = values[..., 0 if ord == 2 else -1]
    return picked.reshape(kept_shape(x.shape, (rows, cols)))


@composite("norm", formula="‖x‖ₚ = (Σ|xᵢ|ᵖ)^(1/p); Frobenius √Σx²; matrix 1/∞: max column/row sum; "
           "2/−2/nuc: largest/smallest/sum of singular values",
           numpy=_norm_forward, cases=_norm_cases, domain=KINK_AT_ZERO)
def norm(x, *, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Vector or matrix norm, as ``np.linalg.norm`` (also ``tg.linalg.norm``).

    Vector orders: None/2, 1, any p, inf, −inf, 0 (the count of non-zeros, zero gradient).
    Matrix orders (a 2-D input with axis=None, or a pair of axes): None/'fro', 1, −1, inf,
    −inf, and from the singular values 2 (largest), −2 (smallest) and 'nuc' (their sum;
    gradients for distinct singular values). At the zero vector the gradient is 0 (a
    subgradient), as in PyTorch.

    >>> tg.norm(tg.Tensor([3.0, -4.0])).item()
    5.0
    >>> tg.norm(tg.Tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1).item()
    6.0
    """
    axes, matrix = _check_norm_order(x.ndim, ord, axis)
    if matrix:
        rows, cols = axes
        if ord in (None, "fro"):
            out = sqrt_or_zero((x * x).sum(axis=axes, keepdims=True))
        elif ord in _SPECTRAL_ORDERS:
            out = _spectral_norm(x, rows, cols, ord)
        else:
            summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
            sums = abs(x).sum(axis=summed, keepdims=True)
            out = sums.max(axis=over, keepdims=True) if ord > 0 else sums.min(
                axis=over, keepdims=True)
    elif ord is None or ord == 2:
        out = sqrt_or_zero((x * x).sum(axis=axes, keepdims=True))
    elif ord == math.inf:
        out = abs(x).max(axis=axes, keepdims=True)
    elif ord == -math.inf:
        out = abs(x).min(axis=axes, keepdims=True)
    elif ord == 0:
        out = (x * 0).sum(axis=axes, keepdims=True) + (x != 0).astype(x.dtype).sum(
            axis=axes, keepdims=True)
    elif ord == 1:
        out = abs(x).sum(axis=axes, keepdims=True)
    else:
        total = (abs(x) ** ord).sum(axis=axes, keepdims=True)
        zero = total == 0  # the zero vector: subgradient 0, not 0·∞
        out = where(zero, 0.0, where(zero, 1.0, total) ** (1 / ord))
    if keepdims:
        return out
    return out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))


