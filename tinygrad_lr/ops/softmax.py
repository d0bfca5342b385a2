"""logsumexp, softmax and log_softmax: stable for any input (the max is subtracted first)."""

from __future__ import annotations

import numpy as np

from ..registry import op
from ..tensor import Tensor
from .reductions import empty_groups, kept_shape, spread_back


def _stable_logsumexp(x: np.ndarray, axis, keepdims: bool, b=None) -> np.ndarray:
    axis = tuple(axis) if isinstance(axis, list) else axis
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    terms = np.exp(x - peak) if b is None else b * np.exp(x - peak)
    total = np.log(np.sum(terms, axis=axis, keepdims=True)) + peak
    return total if keepdims else np.squeeze(total, axis=axis)


def _weights(b, x) -> np.ndarray | None:
    """``b=`` as a constant array of x's shape (scipy's weights), or None."""
    if b is None:
        return None
    if isinstance(b, Tensor):
        if b.requires_grad:
            raise TypeError(
                "logsumexp: the weights b= are constants and get no gradient; for a gradient "
                "with respect to positive weights write (x + b.log()).logsumexp()")
        b = b.data
    try:
        return np.broadcast_to(np.asarray(b, dtype=np.result_type(x, np.float32)), np.shape(x))
    except ValueError:
        raise ValueError(f"logsumexp: weights b of shape {np.shape(b)} do not broadcast to "
                         f"the input's shape {np.shape(x)}") from None


def _weighted_cases(shape):
    weights = np.linspace(0.5, 2.0, int(np.prod(shape))).reshape(shape)
    return [((shape,), {"b": weights}), ((shape,), {"b": weights, "axis": 0 if shape else None})]


def _axis_cases(shape):
    if not shape:
        return [((shape,), {"axis": None})]
    return [((shape,), {"axis": -1}), ((shape,), {"axis": 0})]


@op("logsumexp", label="logΣexp", formula="∂logΣ(b·eˣ)/∂xᵢ = bᵢeˣⁱ / Σ b·eˣ (softmax for b = 1)",
    method=True, cases=lambda shape: _axis_cases(shape) + _weighted_cases(shape)
    + [((shape,), {"axis": None, "keepdims": True})])
class logsumexp:
    """log(sum(b * exp(x))) over ``axis`` (all axes by default), without overflow.

    ``b`` (optional, as scipy's ``logsumexp``) holds constant weights broadcast to x's shape.

    >>> round(tg.Tensor([1000.0, 1000.0]).logsumexp().item(), 6)
    1000.693147
    >>> round(tg.Tensor([0.0, 0.0]).logsumexp(b=[0.5, 1.5]).item(), 6)
    0.693147
    """

    def forward(x, *, axis=None, keepdims=False, b=None):
        if empty_groups(np.shape(x), axis):
            raise ValueError("logsumexp of an empty array")
        return _stable_logsumexp(x, axis, keepdims, _weights(b, x))

    def backward(grad, out, x, *, axis=None, keepdims=False, b=None):
        kept_out = out if keepdims else out.reshape(kept_shape(x.shape, axis))
        share = (x - kept_out).exp()
        if b is not None:
            share = share * _weights(b, np.broadcast_to(np.zeros((), x.dtype), x.shape))
        return spread_back(grad, x.shape, axis, keepdims) * share


@op("softmax", label="softmax", formula="∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)", method=True, cases=_axis_cases)
class softmax:
    """exp(x) / sum(exp(x)) along ``axis`` (default: the last), without overflow.

    >>> tg.Tensor([1.0, 1.0]).softmax().tolist()
    [0.5, 0.5]
    """

    def forward(x, *, axis=-1):
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
        shifted /= np.sum(shifted, axis=axis, keepdims=True)
        return shifted

    def backward(grad, out, x, *, axis=-1):
        return out * (grad - (grad * out).sum(axis=axis, keepdims=True))


@op("log_softmax", label="log softmax", formula="∂log sᵢ/∂xⱼ = δᵢⱼ − sⱼ", method=True,
    cases=_axis_cases)
class log_softmax:
    """x - logsumexp(x) along ``axis`` (default: the last), without overflow.

    >>> [round(v, 6) for v in tg.Tensor([0.0, 0.0]).log_softmax().tolist()]
    [-0.693147, -0.693147]
    """

    def forward(x, *, axis=-1):
        return x - _stable_logsumexp(x, axis, keepdims=True)

    def backward(grad, out, x, *, axis=-1):
        return grad - out.exp() * grad.sum(axis=axis, keepdims=True)
