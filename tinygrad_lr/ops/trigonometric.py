"""Trigonometric and hyperbolic functions, with numpy's names.

Primitives are the functions whose derivative is a new function (sin, cos, arcsin, arctan,
arctan2, arcsinh, sinc); the rest are compositions of them (see docs/autograd.md).
"""

from __future__ import annotations

import math

import numpy as np

from ..composite import composite
from ..registry import NONZERO, REAL, Domain, needs_grad, op
from .elementwise import exp, log, maximum, sqrt, where

OPEN_UNIT = Domain("−1 < x < 1", -0.9, 0.9)
ABOVE_ONE = Domain("x > 1", 1.2, 3.0)
AWAY_FROM_POLES = Domain("|x| < π/2", -1.2, 1.2)


@op("sin", label="sin", formula="∂sin x/∂x = cos x", method=True)
class sin:
    """Sine, elementwise (radians).

    >>> tg.Tensor([0.0]).sin().tolist()
    [0.0]
    """

    forward = np.sin  # sin(x)

    def backward(grad, out, x):
        return grad * cos(x)


@op("cos", label="cos", formula="∂cos x/∂x = −sin x", method=True)
class cos:
    """Cosine, elementwise (radians).

    >>> tg.Tensor([0.0]).cos().tolist()
    [1.0]
    """

    forward = np.cos  # cos(x)

    def backward(grad, out, x):
        return -grad * sin(x)


@composite("tan", formula="tan x = sin x / cos x", numpy=np.tan, method=True,
           domain=AWAY_FROM_POLES)
def tan(x):
    """Tangent, elementwise (radians).

    >>> round(tg.Tensor(0.7853981633974483).tan().item(), 12)
    1.0
    """
    return sin(x) / cos(x)


@op("arcsin", label="arcsin", formula="∂arcsin x/∂x = 1/√(1−x²)", method=True,
    domain=OPEN_UNIT)
class arcsin:
    """Inverse sine, elementwise (−1 ≤ x ≤ 1; the gradient is finite inside).

    >>> tg.Tensor([1.0]).arcsin().tolist()
    [1.5707963267948966]
    """

    forward = np.arcsin  # arcsin(x)

    def backward(grad, out, x):
        return grad / sqrt(1 - x * x)


@composite("arccos", formula="arccos x = π/2 − arcsin x", numpy=np.arccos, method=True,
           domain=OPEN_UNIT)
def arccos(x):
    """Inverse cosine, elementwise (−1 ≤ x ≤ 1).

    >>> tg.Tensor([1.0]).arccos().tolist()
    [0.0]
    """
    return math.pi / 2 - arcsin(x)


@op("arctan", label="arctan", formula="∂arctan x/∂x = 1/(1+x²)", method=True)
class arctan:
    """Inverse tangent, elementwise.

    >>> tg.Tensor([1.0]).arctan().tolist()
    [0.7853981633974483]
    """

    forward = np.arctan  # arctan(x)

    def backward(grad, out, x):
        return grad / (1 + x * x)


@op("arctan2", label="arctan2", formula="∂θ/∂y = x/(x²+y²), ∂θ/∂x = −y/(x²+y²)",
    method=True, domain=(NONZERO, REAL))
class arctan2:
    """The angle of the point (x, y), in (−π, π], elementwise with broadcasting: arctan2(y, x).

    It jumps by 2π across the negative x axis (y = 0, x < 0) and is undefined at the origin.

    >>> tg.arctan2(tg.Tensor([1.0]), tg.Tensor([-1.0])).tolist()
    [2.356194490192345]
    """

    forward = np.arctan2  # arctan2(y, x)

    def backward(grad, out, y, x):
        scale = grad / (x * x + y * y)
        return (scale * x if needs_grad(y) else None), (-scale * y if needs_grad(x) else None)


@composite("hypot", formula="hypot(u, v) = √(u² + v²)", numpy=np.hypot, method=True,
           domain=(NONZERO, REAL))
def hypot(a, b):
    """√(a² + b²), elementwise with broadcasting (the value without overflow, as numpy).

    At a = b = 0 the gradient is 0 (a subgradient), not NaN. Both inputs are divided by
    the larger magnitude m before squaring (√ of a value in [1, 2], times m), so neither
    the value nor the gradient overflows or underflows for huge or tiny inputs.

    >>> tg.hypot(tg.Tensor([3.0]), 4.0).tolist()
    [5.0]
    >>> x = tg.Tensor([1e200], requires_grad=True)
    >>> tg.hypot(x, 0.0).backward(); x.grad.tolist()
    [1.0]
    """
    scale = maximum(abs(a), abs(b))
    at_zero = scale == 0
    safe = where(at_zero, 1.0, scale)
    u, v = a / safe, b / safe
    return where(at_zero, 0.0, safe * sqrt(where(at_zero, 1.0, u * u + v * v)))


@composite("sinh", formula="sinh x = (eˣ − e⁻ˣ)/2", numpy=np.sinh, method=True)
def sinh(x):
    """Hyperbolic sine, elementwise.

    >>> tg.Tensor([0.0]).sinh().tolist()
    [0.0]
    """
    return (exp(x) - exp(-x)) / 2


@composite("cosh", formula="cosh x = (eˣ + e⁻ˣ)/2", numpy=np.cosh, method=True)
def cosh(x):
    """Hyperbolic cosine, elementwise.

    >>> tg.Tensor([0.0]).cosh().tolist()
    [1.0]
    """
    return (exp(x) + exp(-x)) / 2


@op("arcsinh", label="arcsinh", formula="∂arcsinh x/∂x = 1/√(x²+1)", method=True)
class arcsinh:
    """Inverse hyperbolic sine, elementwise.

    A primitive: the composition log(x + √(x²+1)) cancels for large negative x, in its
    gradient too.

    >>> tg.Tensor([0.0]).arcsinh().tolist()
    [0.0]
    """

    forward = np.arcsinh  # arcsinh(x)

    def backward(grad, out, x):
        return grad / sqrt(x * x + 1)


@composite("arccosh", formula="arccosh x = ln(x + √(x²−1))", numpy=np.arccosh, method=True,
           domain=ABOVE_ONE)
def arccosh(x):
    """Inverse hyperbolic cosine, elementwise (x ≥ 1; the gradient is finite for x > 1).

    >>> tg.Tensor([1.0]).arccosh().tolist()
    [0.0]
    """
    return log(x + sqrt(x * x - 1))


@composite("arctanh", formula="arctanh x = ½ (ln(1+x) − ln(1−x))", numpy=np.arctanh,
           method=True, domain=OPEN_UNIT)
def arctanh(x):
    """Inverse hyperbolic tangent, elementwise (−1 < x < 1).

    >>> tg.Tensor([0.0]).arctanh().tolist()
    [0.0]
    """
    return (log(1 + x) - log(1 - x)) / 2


@op("sinc", label="sinc", formula="∂sinc x/∂x = (cos πx − sinc x)/x, 0 at x = 0", method=True,
    domain=Domain("x ∈ ℝ", avoid=(0.0,), margin=0.05))
class sinc:
    """The normalized sinc function sin(πx)/(πx), with sinc(0) = 1, as ``np.sinc``.

    >>> tg.Tensor([0.0, 1.0]).sinc().tolist()[0]
    1.0
    """

    def forward(x):
        return np.sinc(x)

    def backward(grad, out, x):
        # (cos πx − sinc x)/x cancels catastrophically near 0 (and is 0/0 at 0): there the
        # Taylor series −π²x/3 + π⁴x³/30 − π⁶x⁵/840 is used, whose own derivatives are right
        # (the second derivative of sinc at 0 is −π²/3). Its next term is below 1e-13
        # relative for |x| < 0.01, where the formula has lost at most ~1e-12 to cancellation.
        near_zero = abs(x) < _SINC_SERIES_BELOW
        safe = where(near_zero, 1.0, x)
        x2 = x * x
        series = x * (-_PI2 / 3 + x2 * (_PI2 * _PI2 / 30 - x2 * (_PI2 ** 3 / 840)))
        return grad * where(near_zero, series, (cos(math.pi * safe) - sinc(safe)) / safe)


_PI2 = math.pi ** 2
_SINC_SERIES_BELOW = 0.01


@composite("deg2rad", formula="deg2rad x = x·π/180", numpy=np.deg2rad, method=True)
def deg2rad(x):
    """Degrees to radians, elementwise.

    >>> tg.Tensor([180.0]).deg2rad().tolist()
    [3.141592653589793]
    """
    return x * (math.pi / 180)


@composite("rad2deg", formula="rad2deg x = x·180/π", numpy=np.rad2deg, method=True)
def rad2deg(x):
    """Radians to degrees, elementwise.

    >>> tg.Tensor([3.141592653589793]).rad2deg().tolist()
    [180.0]
    """
    return x * (180 / math.pi)

