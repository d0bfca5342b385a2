"""What the op dispatcher checks and fixes around a forward: the ``axis`` setting, a
forward's error (said again with the op's name), and the float64 promotion of results
computed from integers. Used by :mod:`tinygrad_lr.registry`; ``check_axis`` is
re-exported there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class OperandTypeError(TypeError):
    """An op was given something that is not a Tensor, a number or an array."""


def check_axis(op_name: str, axis, arrays) -> None:
    """Refuse an ``axis`` setting that is not None, an int or a sequence of ints.

    Every op with an ``axis`` setting gets this check, before numpy sees the value; numpy
    itself then reports an axis beyond the input's dimensions (with the op's name).

    >>> import tinygrad_lr as tg
    >>> tg.Tensor([1.0, 2.0]).sum(axis=1.5)
    Traceback (most recent call last):
    ...
    TypeError: sum(): axis must be None, an int or a tuple of ints, got float 1.5
    """
    if axis is None:
        return
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = None  # read only for an axis beyond -1, 0 and 1, which fit any input
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise TypeError(
                f"{op_name}(): axis must be None, an int or a tuple of ints, got "
                f"{type(item).__name__} {item!r}"
            )
        if abs(int(item)) > 1:
            if ndim is None:
                ndim = max((np.ndim(a) for a in arrays), default=0)
            if abs(int(item)) > ndim + 1:  # also what numpy could not even convert (10**20)
                raise ValueError(
                    f"{op_name}(): axis {item} is out of range for an input of {ndim} "
                    "dimension(s)"
                )


def forward_error(op_name: str, arrays, error: Exception) -> Exception:
    """The forward's error again, saying which op failed on which inputs."""
    huge = [i for i, a in enumerate(arrays)
            if isinstance(a, int) and not isinstance(a, bool) and abs(a) > 2 ** 63]
    if isinstance(error, OverflowError) and huge:
        return OverflowError(
            f"{op_name}(): input {huge[0]} is an integer with {len(str(abs(arrays[huge[0]])))} "
            "digits, too large for any array dtype (float64 ends near 1.8e308)"
        )
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    message = f"{op_name}: cannot apply to inputs of shapes {shapes}: {error}"
    try:
        return type(error)(message)
    except TypeError:  # an exception class with its own constructor arguments
        base = next(b for b in (IndexError, ValueError, TypeError, OverflowError)
                    if isinstance(error, b))
        return base(message)


def float64_from_integers(forward: Callable, out: np.ndarray, arrays, params) -> np.ndarray:
    """The promotion rule: with no floating-point array among the inputs, a floating result
    is computed in float64 (numpy would give float16 for uint8/int8/bool, float32 for int16)."""
    if any(isinstance(a, np.ndarray) and a.dtype.kind in "fc" for a in arrays):
        return out  # float16/float32 inputs keep their precision
    widened = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in arrays]
    again = np.asarray(forward(*widened, **params))
    return again if again.dtype.kind == "f" else out
