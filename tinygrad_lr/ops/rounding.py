"""Rounding and remainders: floor, ceil, round, rint, trunc (zero gradient) and remainder/mod.

The rounding functions are steps: their derivative is 0 wherever it exists (everywhere but
at the jumps). floor and round are the primitives with that rule; ceil, trunc and rint are
written with them, and the remainder is the composition a − floor(a/b)·b, so its gradient
is free.
"""

from __future__ import annotations

import numpy as np

from ..composite import composite
from ..registry import Domain, op
from .elementwise import sign

AWAY_FROM_INTEGERS = Domain("x ∈ ℝ, steps at the integers", avoid=(-2, -1, 0, 1, 2))
AWAY_FROM_HALVES = Domain("x ∈ ℝ, steps halfway between integers", avoid=(-1.5, -0.5, 0.5, 1.5))
ZERO_GRADIENT = "∂/∂x = 0 (except at the steps)"


@op("floor", label="⌊x⌋", formula=ZERO_GRADIENT, method=True, domain=AWAY_FROM_INTEGERS)
class floor:
    """The largest integer ≤ x, elementwise (zero gradient).

    >>> tg.Tensor([-1.5, 1.5]).floor().tolist()
    [-2.0, 1.0]
    """

    forward = np.floor  # floor(x)

    def backward(grad, out, x):
        return grad * 0


@composite("ceil", formula="⌈x⌉ = −⌊−x⌋", numpy=np.ceil, method=True,
           domain=AWAY_FROM_INTEGERS)
def ceil(x):
    """The smallest integer ≥ x, elementwise (zero gradient).

    >>> tg.Tensor([-1.5, 1.5]).ceil().tolist()
    [-1.0, 2.0]
    """
    return -floor(-x)


@composite("trunc", formula="trunc x = sign(x)·⌊|x|⌋", numpy=np.trunc, method=True,
           domain=AWAY_FROM_INTEGERS)
def trunc(x):
    """x rounded towards zero, elementwise (zero gradient).

    >>> tg.Tensor([-1.5, 1.5]).trunc().tolist()
    [-1.0, 1.0]
    """
    return sign(x) * floor(abs(x))


@op("round", label="round", formula=ZERO_GRADIENT, method=True, domain=AWAY_FROM_HALVES,
    cases=lambda shape: [((shape,), {}), ((shape,), {"decimals": 0})])
class round_:
    """x rounded to ``decimals`` places, halves to even, as ``np.round`` (zero gradient).

    >>> tg.Tensor([1.26, 2.5]).round(1).tolist()
    [1.3, 2.5]
    """

    def forward(x, *, decimals=0):
        return np.round(x, decimals=decimals)

    def backward(grad, out, x, *, decimals=0):
        return grad * 0


@composite("rint", formula="rint x = round(x)", numpy=np.rint, method=True,
           domain=AWAY_FROM_HALVES)
def rint(x):
    """x rounded to the nearest integer, halves to even, elementwise (zero gradient).

    >>> tg.Tensor([0.5, 1.5, 2.6]).rint().tolist()
    [0.0, 2.0, 3.0]
    """
    return round_(x)


@composite("remainder", formula="remainder(u, v) = u − ⌊u/v⌋·v", numpy=np.remainder,
           method="__mod__", rmethod="__rmod__",
           domain=(Domain("x ∈ ℝ", avoid=(0.0,), margin=0.1), Domain("v > 0", 2.5, 3.5)))
def remainder(a, b):
    """a mod b with the sign of b, elementwise with broadcasting: ``a % b`` (numpy's ``mod``).

    ∂/∂a = 1 and ∂/∂b = −⌊a/b⌋, except where a/b is a whole number (the result jumps).

    >>> (tg.Tensor([5.0, -5.0]) % 3).tolist()
    [2.0, 1.0]
    """
    return a - floor(a / b) * b


@composite("mod", formula="mod(u, v) = remainder(u, v)", numpy=np.mod,
           domain=remainder.domain)
def mod(a, b):
    """The same as :func:`remainder` (numpy has both names).

    >>> tg.mod(tg.Tensor([7.0]), -3.0).tolist()
    [-2.0]
    """
    return remainder(a, b)
