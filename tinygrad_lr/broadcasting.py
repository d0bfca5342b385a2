"""Undoing numpy's broadcasting in backward: the one helper the ops and the backward walk share.

It sits below both (it imports nothing of the package): a gradient is summed back to its
input's shape through the tensor's own ``sum`` method, so the sum is a recorded op and
differentiates again.
"""

from __future__ import annotations

from typing import Any


def sum_to_shape(grad: Any, shape: tuple, op_name: str = "?") -> Any:
    """Undo broadcasting: sum the Tensor ``grad`` over the axes broadcasting added or stretched.

    Raises ValueError naming ``op_name`` if ``grad`` cannot have come from ``shape``.

    >>> import tinygrad_lr as tg
    >>> sum_to_shape(tg.ones(2, 3), (3,)).tolist()
    [2.0, 2.0, 2.0]
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or any(s != 1 and grad.shape[lead + i] != s for i, s in enumerate(shape)):
        raise ValueError(
            f"backward of op '{op_name}' returned a gradient of shape {grad.shape} for an "
            f"input of shape {shape}"
        )
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
