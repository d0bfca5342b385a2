"""Comparisons and masks as ops (``<``, ``==``, ``&``, ``~``, isnan), and fmax/fmin.

A comparison's result is a boolean tensor that carries no gradient (the ops are registered
``differentiable=False``): backward rules build their masks from these ops, so a rule
computes its mask from the current values wherever it runs, eagerly or in a compiled
program. They are the engine's own (``internal``): Tensor operators, not ``tg.*`` names.
"""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..registry import register_op
from .elementwise import maximum, minimum, where


def _no_gradient(grad, out, *inputs):
    return (None,) * len(inputs) if len(inputs) > 1 else None


def _mask_op(name, ufunc, symbol, method=None, rmethod=None):
    return register_op(
        name, ufunc, _no_gradient, label=symbol, formula=f"{symbol}: a mask, no gradient",
        method=method, rmethod=rmethod, differentiable=False, internal=True,
        doc=f"Elementwise {ufunc.__name__} as a boolean tensor (no gradient).")


greater = _mask_op("greater", np.greater, ">", "__gt__")
greater_equal = _mask_op("greater_equal", np.greater_equal, "≥", "__ge__")
less = _mask_op("less", np.less, "<", "__lt__")
less_equal = _mask_op("less_equal", np.less_equal, "≤", "__le__")
equal = _mask_op("equal", np.equal, "=", "__eq__")
not_equal = _mask_op("not_equal", np.not_equal, "≠", "__ne__")
logical_and = _mask_op("logical_and", np.logical_and, "∧", "__and__", "__rand__")
logical_or = _mask_op("logical_or", np.logical_or, "∨", "__or__", "__ror__")
logical_not = _mask_op("logical_not", np.logical_not, "¬", "__invert__")
isnan = _mask_op("isnan", np.isnan, "isnan")


def _identity(x):
    return x


def _detach_method(self):
    """Return a tensor sharing this data but cut from the graph (no grad).

    >>> import tinygrad_lr as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (x * 3).detach().requires_grad
    False
    """
    out = detach(self)
    if self.name is not None:
        out.name = self.name
    return out


detach = register_op(
    "detach", _identity, _no_gradient, label="detach", formula="the value, no gradient",
    method="detach", method_impl=_detach_method, differentiable=False, internal=True,
    doc="The value of x, cut from the graph: no gradient flows back through it.")


@composite("fmax", formula="fmax(u, v) = max(u, v), the other input where one is NaN",
           numpy=np.fmax, method=True)
def fmax(a, b):
    """The elementwise larger of a and b, taking the other where one is NaN.

    The gradient goes to the chosen input (shared equally at ties), as for ``maximum``.

    >>> tg.fmax(tg.Tensor([1.0, float("nan")]), 0.5).tolist()
    [1.0, 0.5]
    """
    return maximum(where(_isnan(a), b, a), where(_isnan(b), a, b))


@composite("fmin", formula="fmin(u, v) = min(u, v), the other input where one is NaN",
           numpy=np.fmin, method=True)
def fmin(a, b):
    """The elementwise smaller of a and b, taking the other where one is NaN.

    >>> tg.fmin(tg.Tensor([1.0, float("nan")]), 0.5).tolist()
    [0.5, 0.5]
    """
    return minimum(where(_isnan(a), b, a), where(_isnan(b), a, b))


def _isnan(value):
    """A mask op on a tensor; numpy's answer on a number (which has no graph to record)."""
    return isnan(value) if hasattr(value, "_op") else np.isnan(value)
