"""Linear algebra on square matrices (and stacks of them): inv, logabsdet and cholesky are
primitives; det, solve and slogdet are built on them. ``tg.linalg`` gathers them.

The backward rules are the classical ones (∂A⁻¹ = −A⁻¹ ∂A A⁻¹, ∂ln|det A| = tr(A⁻¹ ∂A),
and for Cholesky the rule that reads the lower triangle only, as numpy does), written with
tensor ops so that second derivatives come for free.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..composite import composite
from ..registry import Domain, op
from ..tensor import Tensor
from .linalg import _swap_last_two
from .reshaping import tril
from .selection import det_sign


class MatrixDomain(Domain):
    """Well-conditioned square matrices for the op tests: I·2 plus small noise (or, with
    ``positive_definite``, M Mᵀ/n + I). Inputs that are not square are drawn as for REAL."""

    def __init__(self, text: str, positive_definite: bool = False) -> None:
        super().__init__(text, -0.5, 0.5)
        self.positive_definite = positive_definite

    def sample(self, rng, shape, dtype=np.float64):
        values = rng.uniform(self.low, self.high, size=shape)
        if len(shape) >= 2 and shape[-1] == shape[-2]:
            eye = np.eye(shape[-1])
            if self.positive_definite:
                values = values @ np.swapaxes(values, -1, -2) / shape[-1] + eye
            else:
                values = values + 2 * eye
        return values.astype(dtype)


WELL_CONDITIONED = MatrixDomain("square, invertible (tests: well-conditioned)")
POSITIVE_DEFINITE = MatrixDomain("symmetric positive definite (lower triangle read)",
                                 positive_definite=True)


def _square_cases(shape):
    n = shape[0] if shape else 2
    return [(((n, n),), {}), (((2, n, n),), {})]


def _check_square(a, name: str) -> None:
    shape = np.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name} needs square matrices in the last two axes, got shape {shape}")


@op("inv", label="A⁻¹", formula="∂A⁻¹ = −A⁻¹ (∂A) A⁻¹, so Ā = −A⁻ᵀ G A⁻ᵀ",
    domain=WELL_CONDITIONED, cases=_square_cases)
class inv:
    """The inverse of a square matrix (or of each in a stack), as ``np.linalg.inv``.

    >>> tg.linalg.inv(tg.Tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """

    def forward(a):
        _check_square(a, "inv")
        return np.linalg.inv(a)

    def backward(grad, out, a):
        inverse_t = _swap_last_two(out)
        return -(inverse_t @ grad @ inverse_t)


@op("logabsdet", label="ln|det|", formula="∂ln|det A|/∂A = A⁻ᵀ", domain=WELL_CONDITIONED,
    cases=_square_cases)
class logabsdet:
    """ln|det A| of a square matrix (or of each in a stack), without overflow.

    >>> round(tg.linalg.logabsdet(tg.Tensor([[2.0, 0.0], [0.0, -3.0]])).item(), 6)
    1.791759
    """

    def forward(a):
        _check_square(a, "logabsdet")
        sign, value = np.linalg.slogdet(a)
        if np.any(sign == 0):
            raise ValueError("logabsdet of a singular matrix is −∞")
        return value

    def backward(grad, out, a):
        return grad.reshape(grad.shape + (1, 1)) * _swap_last_two(inv(a))


def _det_forward(a):
    _check_square(a, "det")
    return np.linalg.det(a)


@composite("det", formula="det A = sign · exp(ln|det A|), so ∂det A/∂A = det A · A⁻ᵀ",
           numpy=_det_forward, domain=WELL_CONDITIONED, cases=_square_cases)
def det(a):
    """The determinant of a square matrix (or of each in a stack), as ``np.linalg.det``.

    Its gradient needs A⁻¹: at a singular matrix it is not computed (a ValueError).

    >>> tg.linalg.det(tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    -2.0000000000000004
    """
    return logabsdet(a).exp() * det_sign(a)


SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SlogdetResult.__doc__ = """What :func:`slogdet` returns: ``(sign, logabsdet)``, as numpy's.

    >>> import tinygrad_lr as tg
    >>> tg.linalg.slogdet(tg.Tensor([[2.0]])).sign
    Tensor(1.)
    """


def slogdet(a) -> SlogdetResult:
    """The sign and ln|det| of a square matrix, as ``np.linalg.slogdet``.

    The sign is a constant tensor (its gradient is zero wherever it is defined); the
    logarithm is the differentiable ``logabsdet`` op.

    >>> import tinygrad_lr as tg
    >>> sign, value = tg.linalg.slogdet(tg.Tensor([[0.0, 2.0], [3.0, 0.0]]))
    >>> sign.item(), round(value.item(), 6)
    (-1.0, 1.791759)
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    _check_square(a.data, "slogdet")
    return SlogdetResult(det_sign(a), logabsdet(a))


def _solve_forward(a, b):
    _check_square(a, "solve")
    return np.linalg.solve(a, b)


def _solve_cases(shape):
    n = shape[0] if shape else 2
    return [(((n, n), (n,)), {}), (((n, n), (n, 2)), {}), (((2, n, n), (2, n, 1)), {})]


@composite("solve", formula="solve(A, b) = A⁻¹b: Ā = −A⁻ᵀ G xᵀ, b̄ = A⁻ᵀ G",
           numpy=_solve_forward, domain=(WELL_CONDITIONED, WELL_CONDITIONED),
           cases=_solve_cases)
def solve(a, b):
    """x with A x = b, as ``np.linalg.solve`` (b a vector if 1-D, else matrices).

    >>> tg.linalg.solve(tg.Tensor([[2.0, 0.0], [0.0, 4.0]]), tg.Tensor([1.0, 1.0])).tolist()
    [0.5, 0.25]
    """
    return inv(a) @ b


def _cholesky_cases(shape):
    n = shape[0] if shape else 2
    return [(((n, n),), {}), (((2, 3, 3),), {})]


@op("cholesky", label="cholesky", formula="A = LLᵀ: Ā = tril(S + Sᵀ) − diag(S), "
    "S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹, Φ = lower triangle with half diagonal",
    domain=POSITIVE_DEFINITE, cases=_cholesky_cases)
class cholesky:
    """The lower-triangular L with A = L Lᵀ, as ``np.linalg.cholesky``.

    Like numpy it reads only the lower triangle of A, so the gradient lives there too.

    >>> tg.linalg.cholesky(tg.Tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """

    def forward(a):
        _check_square(a, "cholesky")
        try:
            return np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise ValueError("cholesky needs a symmetric positive definite matrix") from None

    def backward(grad, out, a):
        eye = np.eye(out.shape[-1], dtype=out.dtype)
        inner = tril(_swap_last_two(out) @ grad)
        inner = inner - inner * eye / 2
        inverse = inv(out)
        s = _swap_last_two(inverse) @ inner @ inverse
        return tril(s + _swap_last_two(s)) - s * eye
