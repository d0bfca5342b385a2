"""Exponentials, logarithms and powers with numpy's names: all compositions of exp and log.

Each takes its value from numpy's own function (log1p and expm1 are accurate near 0, where
log(1 + x) and exp(x) − 1 are not); the gradient is the composition's, which has no such
cancellation (∂log1p(x)/∂x = 1/(1+x)).
"""

from __future__ import annotations

import math

import numpy as np

from ..composite import composite
from ..registry import NONZERO, POSITIVE, Domain
from .elementwise import exp, log, maximum

ABOVE_MINUS_ONE = Domain("x > −1", -0.8, 3.0)
LN2 = math.log(2.0)
LN10 = math.log(10.0)


@composite("log1p", formula="log1p x = ln(1 + x)", numpy=np.log1p, method=True,
           domain=ABOVE_MINUS_ONE)
def log1p(x):
    """ln(1 + x), elementwise, accurate for tiny x (x > −1).

    >>> tg.Tensor([1e-20]).log1p().tolist()
    [1e-20]
    """
    return log(1 + x)


@composite("expm1", formula="expm1 x = eˣ − 1", numpy=np.expm1, method=True)
def expm1(x):
    """e ** x − 1, elementwise, accurate for tiny x.

    >>> tg.Tensor([1e-20]).expm1().tolist()
    [1e-20]
    """
    return exp(x) - 1


@composite("log2", formula="log₂ x = ln x / ln 2", numpy=np.log2, method=True, domain=POSITIVE)
def log2(x):
    """Base-2 logarithm, elementwise (x > 0).

    >>> tg.Tensor([8.0]).log2().tolist()
    [3.0]
    """
    return log(x) / LN2


@composite("log10", formula="log₁₀ x = ln x / ln 10", numpy=np.log10, method=True,
           domain=POSITIVE)
def log10(x):
    """Base-10 logarithm, elementwise (x > 0).

    >>> tg.Tensor([1000.0]).log10().tolist()
    [3.0]
    """
    return log(x) / LN10


@composite("exp2", formula="2ˣ = e^(x ln 2)", numpy=np.exp2, method=True)
def exp2(x):
    """2 ** x, elementwise.

    >>> tg.Tensor([3.0]).exp2().tolist()
    [8.0]
    """
    return exp(x * LN2)


@composite("square", formula="square x = x·x", numpy=np.square, method=True)
def square(x):
    """x², elementwise.

    >>> tg.Tensor([-3.0]).square().tolist()
    [9.0]
    """
    return x * x


@composite("reciprocal", formula="reciprocal x = 1/x", numpy=np.reciprocal, method=True,
           domain=NONZERO)
def reciprocal(x):
    """1 / x, elementwise (x ≠ 0).

    >>> tg.Tensor([4.0]).reciprocal().tolist()
    [0.25]
    """
    return 1 / x


@composite("logaddexp", formula="logaddexp(u, v) = m + ln(e^(u−m) + e^(v−m)), m = max(u, v)",
           numpy=np.logaddexp, method=True)
def logaddexp(a, b):
    """ln(e^a + e^b), elementwise with broadcasting, without overflow.

    The gradient e^a / (e^a + e^b) does not depend on which input is the larger: the
    maximum's share cancels out.

    >>> round(tg.logaddexp(tg.Tensor(1000.0), 1000.0).item(), 6)
    1000.693147
    """
    peak = maximum(a, b)
    return peak + log(exp(a - peak) + exp(b - peak))


@composite("logaddexp2", formula="logaddexp2(u, v) = log₂(2ᵘ + 2ᵛ)", numpy=np.logaddexp2,
           method=True)
def logaddexp2(a, b):
    """log₂(2^a + 2^b), elementwise with broadcasting, without overflow.

    >>> tg.logaddexp2(tg.Tensor(3.0), 3.0).item()
    4.0
    """
    return logaddexp(a * LN2, b * LN2) / LN2
