"""Functions on tensors: losses, plus every registered op by name (``F.sigmoid``, ``F.exp``).

A user's op registered with :func:`tinygrad_lr.op` is available here too, with no edit.

>>> import tinygrad_lr as tg
>>> import tinygrad_lr.functional as F
>>> F.sigmoid(tg.Tensor(0.0))
Tensor(0.5)
"""

from __future__ import annotations

import numpy as np

from .ops import losses as _losses
from .registry import get_op, registered_ops
from .tensor import Tensor


def _reduce(per_element: Tensor, reduction: str) -> Tensor:
    _losses.check_reduction(reduction)
    if reduction == "none":
        return per_element
    return per_element.mean() if reduction == "mean" else per_element.sum()


def binary_cross_entropy(a, y, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy −(y·log a + (1−y)·log(1−a)) for probabilities ``a``.

    One op in the graph (the lecture's ``L(a, y)``); its backward is
    ``da = −y/a + (1−y)/(1−a)`` (divided by m for ``reduction='mean'``). ``a`` is clipped
    to [the sigmoid's smallest output, 1 − ε] so the loss is always finite (a NaN ``a`` is
    refused). ``y`` may be a Tensor, array or number. Where ``a = σ(z)`` has rounded to
    exactly 1 (z > 36.7 in float64) no probability can carry the gradient any more: train
    on logits with :func:`binary_cross_entropy_with_logits`.

    >>> import tinygrad_lr as tg
    >>> a = tg.Tensor(0.8, requires_grad=True)
    >>> loss = binary_cross_entropy(a, 1.0)
    >>> loss.backward()
    >>> round(loss.item(), 6), round(a.grad.item(), 6)
    (0.223144, -1.25)
    """
    _losses.check_reduction(reduction)
    return get_op("binary_cross_entropy")(a, y, reduction=reduction)


def binary_cross_entropy_with_logits(z, y, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of ``sigmoid(z)`` against ``y``, finite for any logit ``z``.

    Its backward is exactly ``(sigmoid(z) − y) / m`` with ``reduction='mean'``: the
    lecture's ``dz = a − y``, in one fused step.

    >>> import tinygrad_lr as tg
    >>> z = tg.Tensor([0.0, 1000.0], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(z, [1.0, 0.0])
    >>> loss.backward()
    >>> z.grad.tolist()
    [-0.25, 0.5]
    """
    _losses.check_reduction(reduction)
    return get_op("binary_cross_entropy_with_logits")(z, y, reduction=reduction)


def mse_loss(prediction, target, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(prediction − target)²`` with the given reduction.

    >>> import tinygrad_lr as tg
    >>> mse_loss(tg.Tensor([1.0, 3.0]), [0.0, 1.0]).item()
    2.5
    """
    _losses.check_reduction(reduction)
    prediction = prediction if isinstance(prediction, Tensor) else Tensor(prediction)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=prediction.dtype))
    _losses.check_targets(prediction.data, target.data, "mse_loss: prediction")
    difference = prediction - target
    return _reduce(difference * difference, reduction)


def cross_entropy(logits, targets, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy for ``logits`` of shape (n, classes).

    ``targets`` are class indices of shape (n,) (integers in [0, classes)) or class
    probabilities of shape (n, classes).

    >>> import tinygrad_lr as tg
    >>> logits = tg.Tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(cross_entropy(logits, [0, 1]).item(), 6)
    0.126928
    """
    _losses.check_reduction(reduction)
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy needs logits of shape (n, classes), got {logits.shape}")
    n, classes = logits.shape
    target_data = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    log_probs = logits.log_softmax(axis=-1)
    if target_data.dtype.kind in "iu":
        if target_data.shape != (n,):
            raise ValueError(
                f"cross_entropy: class-index targets must have shape ({n},), got "
                f"{target_data.shape}"
            )
        if n and (target_data.min() < 0 or target_data.max() >= classes):
            raise ValueError(
                f"cross_entropy: class indices must be in [0, {classes}), got values from "
                f"{target_data.min()} to {target_data.max()}"
            )
        if isinstance(targets, Tensor):  # a graph value (a traced input): picked by an op
            picked = get_op("gather_along_axis")(log_probs, targets.reshape(n, 1), axis=1)
            per_example = -picked.reshape(n)
        else:
            per_example = -log_probs[np.arange(n), target_data]
    else:
        if target_data.shape != logits.shape:
            raise ValueError(
                "cross_entropy: probability targets must have the logits' shape "
                f"{logits.shape}, got {target_data.shape} (integer arrays are class indices)"
            )
        per_example = -(log_probs * targets).sum(axis=-1)
    return _reduce(per_example, reduction)


def __getattr__(name: str):
    ops = registered_ops()
    if name in ops:
        return ops[name]
    raise AttributeError(f"module 'tinygrad_lr.functional' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(registered_ops()))
