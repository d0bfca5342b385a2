"""logsumexp, softmax and log_softmax: stable for any input (the max is subtracted first)."""

from __future__ import annotations

import numpy as np

from ..registry import op
from .reductions import kept_shape, spread_back


def _stable_logsumexp(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    axis = tuple(axis) if isinstance(axis, list) else axis
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return total if keepdims else np.squeeze(total, axis=axis)


def _axis_cases(shape):
    if not shape:
        return [((shape,), {"axis": None})]
    return [((shape,), {"axis": -1}), ((shape,), {"axis": 0})]


@op("logsumexp", label="logΣexp", formula="∂logΣexp(x)/∂xᵢ = softmax(x)ᵢ", method=True,
    cases=lambda shape: _axis_cases(shape) + [((shape,), {"axis": None, "keepdims": True})])
class logsumexp:
    """log(sum(exp(x))) over ``axis`` (all axes by default), without overflow.

    >>> round(tg.Tensor([1000.0, 1000.0]).logsumexp().item(), 6)
    1000.693147
    """

    def forward(x, *, axis=None, keepdims=False):
        if np.size(x) == 0:
            raise ValueError("logsumexp of an empty array")
        return _stable_logsumexp(x, axis, keepdims)

    def backward(grad, out, x, *, axis=None, keepdims=False):
        kept_out = out if keepdims else out.reshape(kept_shape(x.shape, axis))
        return spread_back(grad, x.shape, axis, keepdims) * (x - kept_out).exp()


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
