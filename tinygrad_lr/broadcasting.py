"""Undoing numpy's broadcasting in backward: the one helper the ops and the backward walk share.

It sits below both (it imports nothing of the package): a gradient is summed back to its
input's shape through the tensor's own ``sum`` method, so the sum is a recorded op and
differentiates again.
"""

from __future__ import annotations

from typing import Any

_LEADING = tuple(tuple(range(n)) for n in range(8))  # the axes of n leading dimensions


def sum_to_shape(grad: Any, shape: tuple, op_name: str = "?") -> Any:
    """Undo broadcasting: sum the Tensor ``grad`` over the axes broadcasting added or stretched.

    Raises ValueError naming ``op_name`` if ``grad`` cannot have come from ``shape``.

    >>> import tinygrad_lr as tg
    >>> sum_to_shape(tg.ones(2, 3), (3,)).tolist()
    [2.0, 2.0, 2.0]
    """
    grad_shape = grad.shape
    if grad_shape == shape:
        return grad
    leading = leading_axes(grad_shape, shape)
    if leading is not None:
        # only new leading axes (a bias's gradient): the one sum the general case below
        # would make, without its two generator scans (about 1.5 µs of W2's 3 bias sums)
        return grad.sum(axis=leading)
    lead = len(grad_shape) - len(shape)
    if lead < 0 or any(s != 1 and grad_shape[lead + i] != s for i, s in enumerate(shape)):
        raise ValueError(
            f"backward of op '{op_name}' returned a gradient of shape {grad_shape} for an "
            f"input of shape {shape}"
        )
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def leading_axes(grad_shape: tuple, shape: tuple) -> tuple | None:
    """The axes :func:`sum_to_shape` sums when broadcasting only added leading axes to
    ``shape`` (``grad_shape`` ends with ``shape``, as a bias's gradient does), else None.

    >>> leading_axes((256, 16), (16,)), leading_axes((4, 3), (1, 3))
    ((0,), None)
    """
    lead = len(grad_shape) - len(shape)
    if lead > 0 and grad_shape[lead:] == shape:
        return _LEADING[lead] if lead < len(_LEADING) else tuple(range(lead))
    return None
