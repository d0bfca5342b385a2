"""Elementwise math: each op's forward and backward side by side.

Masks for piecewise ops (relu, abs, clip, maximum ...) are comparison ops (``x > 0``) in
the rules, chosen with ``where``: a mask carries no gradient, and a rule written in ops
gives its answer from the current values wherever it runs (eager, or a compiled program).
"""

from __future__ import annotations

import numpy as np

from ..formulas import Derivatives, Name
from ..registry import BOOLEAN, KINK_AT_ZERO, NONZERO, POSITIVE, REAL, Domain, needs_grad, op
from . import kernels
from .kernels import (  # noqa: F401  (their home was here: kept importable)
    IN_PLACE_MIN_SIZE,
    scaled_in_place,
    stable_sigmoid,
    stable_softplus,
)


@op("exp", label="exp", formula="∂eˣ/∂x = eˣ", method=True,
    derivatives=Derivatives("y", x=Name("y")))
class exp:
    """e ** x, elementwise.

    >>> tg.Tensor([0.0]).exp().tolist()
    [1.0]
    """

    forward = np.exp  # exp(x)

    def backward(grad, out, x):
        return grad * out


@op("log", label="log", formula="∂ln x/∂x = 1/x", method=True, domain=POSITIVE,
    derivatives=Derivatives("y", x=1 / Name("x")))
class log:
    """Natural logarithm, elementwise (x > 0).

    >>> tg.Tensor([1.0]).log().tolist()
    [0.0]
    """

    forward = np.log  # log(x)

    def backward(grad, out, x):
        return grad / x


@op("sigmoid", label="σ", derivatives=Derivatives("a", z=Name("a") * (1 - Name("a"))), method=True)
class sigmoid:
    """The logistic function σ(z) = 1 / (1 + e^-z), stable for any z.

    >>> tg.Tensor([0.0, 1000.0]).sigmoid().tolist()
    [0.5, 1.0]
    """

    def forward(z):
        return stable_sigmoid(z)

    def backward(grad, out, z):
        return sigmoid_backward(grad, out)


@op("sigmoid_backward", label="σ′", formula="∂/∂g = a(1−a), ∂/∂a = g(1−2a)",
    domain=(REAL, Domain("0 < a < 1", 0.05, 0.95)), internal=True)
class sigmoid_backward:
    """σ's backward rule g·a·(1−a) for the output a = σ(z), as one op.

    One op call instead of three in every backward pass (and compiled program); its own
    backward keeps second derivatives exact.

    >>> tg.get_op("sigmoid_backward")(tg.Tensor(2.0), tg.Tensor(0.25)).item()  # not tg.*
    0.375
    """

    forward = kernels.sigmoid_backward  # grad · out · (1 − out)

    def backward(g, result, grad, out):
        return (sigmoid_backward(g, out) if needs_grad(grad) else None,
                g * grad * (1 - 2 * out) if needs_grad(out) else None)


@op("tanh", label="tanh", formula="∂tanh x/∂x = 1 − tanh²x", method=True,
    derivatives=Derivatives("t", x=1 - Name("t") ** 2))
class tanh:
    """Hyperbolic tangent, elementwise.

    >>> tg.Tensor([0.0]).tanh().tolist()
    [0.0]
    """

    forward = np.tanh  # tanh(x)

    def backward(grad, out, x):
        return tanh_backward(grad, out)


@op("tanh_backward", label="tanh′", formula="∂/∂g = 1 − t², ∂/∂t = −2·g·t",
    domain=(REAL, Domain("−1 < t < 1", -0.95, 0.95)), internal=True)
class tanh_backward:
    """tanh's backward rule g·(1 − t²) for the output t = tanh(x), as one op.

    One op call instead of three in every backward pass (and compiled program); its own
    backward keeps second derivatives exact.

    >>> tg.get_op("tanh_backward")(tg.Tensor(2.0), tg.Tensor(0.5)).item()  # not tg.*
    1.5
    """

    forward = kernels.tanh_backward  # grad · (1 − out²)

    def backward(g, result, grad, out):
        return (tanh_backward(g, out) if needs_grad(grad) else None,
                g * grad * out * -2 if needs_grad(out) else None)


@op("relu", label="ReLU", formula="∂relu(x)/∂x = 1 if x > 0 else 0", method=True,
    domain=KINK_AT_ZERO)
class relu:
    """max(x, 0), elementwise.

    >>> tg.Tensor([-1.0, 2.0]).relu().tolist()
    [0.0, 2.0]
    """

    def forward(x):
        return np.maximum(x, 0)

    def backward(grad, out, x):
        return where(x > 0, grad, 0.0)


@op("sqrt", label="√", formula="∂√x/∂x = 1/(2√x)", method=True, domain=POSITIVE)
class sqrt:
    """Square root, elementwise (x > 0 for a finite gradient).

    >>> tg.Tensor([4.0]).sqrt().tolist()
    [2.0]
    """

    forward = np.sqrt  # sqrt(x)

    def backward(grad, out, x):
        return grad / (out * 2)


@op("abs", label="|x|", formula="∂|x|/∂x = sign(x)", method=("__abs__", "abs"),
    domain=KINK_AT_ZERO)
class abs_:
    """|x|, elementwise.

    >>> abs(tg.Tensor([-1.5, 2.0])).tolist()
    [1.5, 2.0]
    """

    forward = np.abs  # abs(x)

    def backward(grad, out, x):
        return grad * sign(x)


@op("sign", label="sign", formula="∂sign(x)/∂x = 0 (x ≠ 0)", method=True, domain=NONZERO)
class sign:
    """-1, 0 or 1 by the sign of x; its gradient is zero.

    >>> tg.Tensor([-3.0, 0.0, 2.0]).sign().tolist()
    [-1.0, 0.0, 1.0]
    """

    forward = np.sign  # sign(x)

    def backward(grad, out, x):
        return grad * 0


@op("softplus", label="softplus", formula="∂ln(1+eˣ)/∂x = σ(x)", method=True)
class softplus:
    """ln(1 + e^x), stable for any x.

    >>> round(tg.Tensor(0.0).softplus().item(), 6)
    0.693147
    """

    def forward(x):
        return stable_softplus(x)

    def backward(grad, out, x):
        return grad * sigmoid(x)


def _clip_cases(shape):
    return [((shape,), {"min": -0.5, "max": 0.5}), ((shape,), {"min": 0.25}),
            ((shape,), {"max": -0.25})]


@op("clip", label="clip", formula="∂clip(x)/∂x = 1 inside [min, max], 0 outside", method=True,
    domain=Domain("x ∈ ℝ", avoid=(-0.5, -0.25, 0.25, 0.5), margin=0.02), cases=_clip_cases)
class clip:
    """Limit x to [min, max]; either bound may be None.

    >>> tg.Tensor([-2.0, 0.5, 2.0]).clip(-1, 1).tolist()
    [-1.0, 0.5, 1.0]
    """

    def forward(x, *, min=None, max=None):  # noqa: A002 - numpy/PyTorch names
        if min is None and max is None:
            raise ValueError("clip needs min, max or both")
        if min is not None and max is not None and min > max:
            raise ValueError(f"clip needs min <= max, got min={min}, max={max}")
        return np.clip(x, min, max)

    def backward(grad, out, x, *, min=None, max=None):  # noqa: A002
        above, below = (x >= min if min is not None else None), (x <= max if max is not None
                                                                   else None)
        inside = below if above is None else (above if below is None else above & below)
        return where(inside, grad, 0.0)


def _pick(grad, a, b, wins):
    """Route the gradient to the chosen input (``wins(u, v)``: u is chosen over v); ties
    share it equally. ``a == b`` and the rest are comparison ops: masks with no gradient."""
    tie_share = where(a == b, grad * 0.5, 0.0)
    return (where(wins(a, b), grad, tie_share) if needs_grad(a) else None,
            where(wins(b, a), grad, tie_share) if needs_grad(b) else None)


@op("maximum", label="max", formula="∂max(u,v)/∂u = 1 where u > v (½ at ties)", method=True)
class maximum:
    """The elementwise larger of a and b, with broadcasting.

    >>> tg.Tensor([1.0, 5.0]).maximum(3.0).tolist()
    [3.0, 5.0]
    """

    forward = np.maximum  # maximum(a, b)

    def backward(grad, out, a, b):
        return _pick(grad, a, b, lambda u, v: u > v)


@op("minimum", label="min", formula="∂min(u,v)/∂u = 1 where u < v (½ at ties)", method=True)
class minimum:
    """The elementwise smaller of a and b, with broadcasting.

    >>> tg.Tensor([1.0, 5.0]).minimum(3.0).tolist()
    [1.0, 3.0]
    """

    forward = np.minimum  # minimum(a, b)

    def backward(grad, out, a, b):
        return _pick(grad, a, b, lambda u, v: u < v)


@op("where", label="where", formula="∂where(c,u,v)/∂u = c, ∂/∂v = 1 − c",
    domain=(BOOLEAN, REAL, REAL))
class where:
    """Take a where ``condition`` holds and b elsewhere, with broadcasting.

    >>> x = tg.Tensor([-1.0, 2.0])
    >>> tg.where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """

    def forward(condition, a, b):
        return np.where(condition, a, b)

    def backward(grad, out, condition, a, b):
        return (None,
                where(condition, grad, 0.0) if needs_grad(a) else None,
                where(condition, 0.0, grad) if needs_grad(b) else None)


@op("astype", label="cast", formula="∂cast(x)/∂x = 1", method=True,
    cases=lambda shape: [((shape,), {"dtype": "float64"})])
class astype:
    """Convert to another dtype (the gradient is converted back).

    >>> tg.Tensor([1.0]).astype('float32').dtype
    dtype('float32')
    """

    def forward(x, *, dtype):
        return x.astype(dtype)

    def backward(grad, out, x, *, dtype):
        return grad.astype(x.dtype)
