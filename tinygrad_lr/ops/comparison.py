"""fmax and fmin: maximum and minimum that ignore NaN, as numpy's."""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..tensor import Tensor
from .elementwise import maximum, minimum, where


def _is_nan(value) -> np.ndarray:
    return np.isnan(value.data if isinstance(value, Tensor) else value)


@composite("fmax", formula="fmax(u, v) = max(u, v), the other input where one is NaN",
           numpy=np.fmax, method=True)
def fmax(a, b):
    """The elementwise larger of a and b, taking the other where one is NaN.

    The gradient goes to the chosen input (shared equally at ties), as for ``maximum``.

    >>> tg.fmax(tg.Tensor([1.0, float("nan")]), 0.5).tolist()
    [1.0, 0.5]
    """
    return maximum(where(_is_nan(a), b, a), where(_is_nan(b), a, b))


@composite("fmin", formula="fmin(u, v) = min(u, v), the other input where one is NaN",
           numpy=np.fmin, method=True)
def fmin(a, b):
    """The elementwise smaller of a and b, taking the other where one is NaN.

    >>> tg.fmin(tg.Tensor([1.0, float("nan")]), 0.5).tolist()
    [0.5, 0.5]
    """
    return minimum(where(_is_nan(a), b, a), where(_is_nan(b), a, b))
