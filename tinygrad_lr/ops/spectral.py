"""Spectral decompositions with gradients: eigh, eig (real spectra), svd, and pinv.

Each factor is its own primitive op (eigenvalues and eigenvectors, singular values and each
singular-vector matrix), so a loss that uses one factor pays for that factor's rule only.
The rules are the classical ones, written with tensor ops (the other factors are computed by
calling the ops again), so they differentiate a second time:

- symmetric A = V diag(λ) Vᵀ: Ā = V (diag(λ̄) + F ∘ VᵀV̄) Vᵀ, Fᵢⱼ = 1/(λⱼ − λᵢ), folded onto
  the triangle numpy reads;
- real-spectrum A = V diag(λ) V⁻¹ (unit-norm columns): Ā = V⁻ᵀ (diag(λ̄) + F ∘ VᵀV̄′) Vᵀ,
  V̄′ = V̄ − V diag(VᵀV̄);
- A = U diag(s) Vᵀ: Ā = U diag(s̄) Vᵀ + U (F∘(UᵀŪ − ŪᵀU)) S Vᵀ + (I − UUᵀ) Ū S⁻¹ Vᵀ + the
  same for V, Fᵢⱼ = 1/(sⱼ² − sᵢ²).

The vector rules need distinct eigenvalues (singular values); at repeated ones the vectors
are not unique and the gradient is infinite, as in every autodiff library.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..composite import composite
from ..registry import Domain, op
from ..tensor import Tensor
from .decompositions import _check_square, inv
from .elementwise import where
from .linalg import _swap_last_two
from .reshaping import tril, triu


# ---------------------------------------------------------------- test-input domains
def _orthogonal(rng, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


class SpectralDomain(Domain):
    """Matrices whose eigenvalues (or singular values) are at least 0.6 apart, so the
    vector rules are smooth for the op tests: ``kind`` is 'symmetric', 'real spectrum' or
    'separated singular values'. Inputs that are not matrices are drawn uniformly."""

    def __init__(self, text: str, matrix_kind: str) -> None:
        super().__init__(text, -1.0, 1.0)
        self.matrix_kind = matrix_kind

    def sample(self, rng, shape, dtype=np.float64):
        if len(shape) < 2:
            return rng.uniform(self.low, self.high, size=shape).astype(dtype)
        m, n = shape[-2:]
        out = np.empty(shape)
        for index in np.ndindex(*shape[:-2]):
            out[index] = self._one(rng, m, n)
        return out.astype(dtype)

    def _one(self, rng, m: int, n: int) -> np.ndarray:
        k = min(m, n)
        spread = np.linspace(1.0, 0.6 * k + 0.4, k)[::-1] + rng.uniform(0, 0.1, k)
        if self.matrix_kind == "separated singular values":
            return (_orthogonal(rng, m)[:, :k] * spread) @ _orthogonal(rng, n)[:, :k].T
        values = spread - spread.mean() + 0.37  # a zero trace is a branch of LAPACK's 2×2 rule
        if self.matrix_kind == "symmetric":
            q = _orthogonal(rng, n)
            return (q * values) @ q.T
        vectors = np.eye(n) + rng.uniform(-0.3, 0.3, (n, n))
        return vectors @ np.diag(values) @ np.linalg.inv(vectors)


SYMMETRIC = SpectralDomain("symmetric, distinct eigenvalues (the UPLO triangle is read)",
                           "symmetric")
REAL_SPECTRUM = SpectralDomain("square with real, distinct eigenvalues", "real spectrum")
SEPARATED = SpectralDomain("any matrix; distinct non-zero singular values for the vectors' "
                           "gradient", "separated singular values")


def _square_cases(shape):
    n = shape[0] if shape else 2
    return [(((n, n),), {}), (((2, 3, 3),), {})]


def _eigh_cases(shape):
    return _square_cases(shape) + [(((3, 3),), {"UPLO": "U"})]


# ---------------------------------------------------------------------------- helpers
def _gap_cases(shape):
    return [(((3,),), {}), (((2, 3),), {"what": "singular values"})]


class _SpacedValues(Domain):
    """Vectors of values at least 0.5 apart, for the op tests of ``inverse_gaps``."""

    def sample(self, rng, shape, dtype=np.float64):
        steps = rng.uniform(0.5, 1.0, size=shape)
        return (np.cumsum(steps, axis=-1) - 1.5).astype(dtype)


@op("inverse_gaps", label="1/Δ", formula="Fᵢⱼ = 1/(vⱼ − vᵢ): ∂Fᵢⱼ/∂vⱼ = −Fᵢⱼ², ∂Fᵢⱼ/∂vᵢ = Fᵢⱼ²",
    domain=_SpacedValues("distinct values"), cases=_gap_cases)
class inverse_gaps:
    """Fᵢⱼ = 1/(vⱼ − vᵢ) off the diagonal and 0 on it, for the last axis of v: the factor
    of every eigenvector and singular-vector gradient. Repeated values make it infinite, so
    they are refused with a ValueError naming them (``what`` says what the values are).

    >>> tg.inverse_gaps(tg.Tensor([1.0, 3.0])).tolist()
    [[0.0, 0.5], [-0.5, 0.0]]
    """

    def forward(values, *, what="eigenvalues"):
        differences = values[..., None, :] - values[..., :, None]
        off = ~np.eye(np.shape(values)[-1], dtype=bool)
        if (differences[..., off] == 0).any():
            raise ValueError(f"the gradient of the vectors needs distinct {what}; some repeat "
                             "(there the vectors are not unique and the gradient is infinite)")
        with np.errstate(divide="ignore"):
            return np.where(off, 1 / np.where(off, differences, 1), 0.0)

    def backward(grad, out, values, *, what="eigenvalues"):
        weighted = grad * out * out
        return weighted.sum(axis=-1) - weighted.sum(axis=-2)


@op("inverse_singular_values", label="1/s", formula="∂(1/s)/∂s = −1/s²",
    domain=Domain("s ≠ 0", 0.2, 3.0))
class inverse_singular_values:
    """1/s for the singular values of a rectangular matrix's vector gradients; a zero
    singular value there (rank deficiency) is a ValueError rather than an infinity.

    >>> tg.inverse_singular_values(tg.Tensor([2.0, 4.0])).tolist()
    [0.5, 0.25]
    """

    def forward(values):
        if (np.asarray(values) == 0).any():
            raise ValueError("the gradient of a rectangular matrix's singular vectors needs "
                             "non-zero singular values; this matrix is rank-deficient")
        return 1 / values

    def backward(grad, out, values):
        return -grad * out * out


def _gaps(values, what: str = "eigenvalues"):
    """Fᵢⱼ = 1/(vⱼ − vᵢ) off the diagonal and 0 on it, for the last axis of ``values``."""
    return inverse_gaps(values, what=what)


def _column_scale(matrix, values):
    """matrix · diag(values): scale column j by values[..., j]."""
    return matrix * values.reshape(values.shape[:-1] + (1, values.shape[-1]))


def _row_scale(values, matrix):
    """diag(values) · matrix: scale row i by values[..., i]."""
    return values.reshape(values.shape + (1,)) * matrix


def _fold(gradient, uplo: str):
    """The gradient for a symmetric input of which numpy reads one triangle only."""
    eye = np.eye(gradient.shape[-1], dtype=bool)
    both = gradient + _swap_last_two(gradient)
    half = tril(both) if uplo == "L" else triu(both)
    return half - where(eye, gradient, 0.0)


def _check_uplo(uplo) -> None:
    if uplo not in ("L", "U"):
        raise ValueError(f"UPLO must be 'L' or 'U', got {uplo!r}")


# ------------------------------------------------------------------------------- eigh
@op("eigvalsh", label="eigvalsh", formula="∂λᵢ/∂A = vᵢvᵢᵀ (read on the UPLO triangle)",
    domain=SYMMETRIC, cases=_eigh_cases)
class eigvalsh:
    """The eigenvalues of a symmetric matrix, ascending, as ``np.linalg.eigvalsh`` (numpy
    reads the lower triangle, or the upper with UPLO='U'; so does the gradient).

    >>> tg.linalg.eigvalsh(tg.Tensor([[2.0, 1.0], [1.0, 2.0]])).tolist()
    [1.0, 3.0]
    """

    def forward(a, *, UPLO="L"):  # noqa: N803 - numpy's name
        _check_square(a, "eigvalsh")
        _check_uplo(UPLO)
        return np.linalg.eigvalsh(a, UPLO=UPLO)

    def backward(grad, out, a, *, UPLO="L"):  # noqa: N803
        vectors = eigh_vectors(a, UPLO=UPLO)
        return _fold(_column_scale(vectors, grad) @ _swap_last_two(vectors), UPLO)


@op("eigh_vectors", label="eigh V", formula="Ā = V (F ∘ VᵀV̄) Vᵀ, Fᵢⱼ = 1/(λⱼ − λᵢ)",
    domain=SYMMETRIC, cases=_eigh_cases)
class eigh_vectors:
    """The orthonormal eigenvectors (columns) of a symmetric matrix, as the second result of
    ``np.linalg.eigh``; the gradient needs distinct eigenvalues.

    >>> abs(tg.eigh_vectors(tg.Tensor([[2.0, 0.0], [0.0, 1.0]]))).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """

    def forward(a, *, UPLO="L"):  # noqa: N803
        _check_square(a, "eigh")
        _check_uplo(UPLO)
        return np.linalg.eigh(a, UPLO=UPLO)[1]

    def backward(grad, out, a, *, UPLO="L"):  # noqa: N803
        inner = _gaps(eigvalsh(a, UPLO=UPLO)) * (_swap_last_two(out) @ grad)
        return _fold(out @ inner @ _swap_last_two(out), UPLO)


EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
EighResult.__doc__ = "What :func:`eigh` returns, as numpy's: ``(eigenvalues, eigenvectors)``."


def eigh(a, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, as
    ``np.linalg.eigh``; both differentiable (the vectors for distinct eigenvalues).

    >>> import tinygrad_lr as tg
    >>> values, vectors = tg.linalg.eigh(tg.Tensor([[2.0, 1.0], [1.0, 2.0]]))
    >>> values.tolist()
    [1.0, 3.0]
    """
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=np.float64))
    return EighResult(eigvalsh(a, UPLO=UPLO), eigh_vectors(a, UPLO=UPLO))


# -------------------------------------------------------------------------------- eig
def _real_eig(a, name: str):
    _check_square(a, name)
    values, vectors = np.linalg.eig(a)
    if np.iscomplexobj(values):
        raise ValueError(f"{name}: this matrix has complex eigenvalues; tinygrad_lr "
                         "differentiates real spectra only (use eigh for symmetric matrices)")
    return values, vectors


@op("eigvals", label="eigvals", formula="Ā = V⁻ᵀ diag(λ̄) Vᵀ", domain=REAL_SPECTRUM,
    cases=_square_cases)
class eigvals:
    """The eigenvalues of a square matrix with a real spectrum, in numpy's order (that of
    ``np.linalg.eig``); complex spectra are refused.

    >>> tg.linalg.eigvals(tg.Tensor([[2.0, 1.0], [0.0, 3.0]])).tolist()
    [2.0, 3.0]
    """

    def forward(a):
        return _real_eig(a, "eigvals")[0]

    def backward(grad, out, a):
        vectors = eig_vectors(a)
        return _swap_last_two(inv(vectors)) @ _row_scale(grad, _swap_last_two(vectors))


@op("eig_vectors", label="eig V", formula="Ā = V⁻ᵀ (F ∘ VᵀV̄′) Vᵀ, V̄′ = V̄ − V diag(VᵀV̄)",
    domain=REAL_SPECTRUM, cases=_square_cases)
class eig_vectors:
    """The unit-norm eigenvectors (columns) of a square matrix with a real spectrum, as the
    second result of ``np.linalg.eig``; the gradient needs distinct eigenvalues.

    >>> abs(tg.eig_vectors(tg.Tensor([[2.0, 0.0], [0.0, 3.0]]))).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def forward(a):
        return _real_eig(a, "eig")[1]

    def backward(grad, out, a):
        along = (out * grad).sum(axis=-2)  # diag(VᵀV̄)
        tangent = grad - _column_scale(out, along)
        inner = _gaps(eigvals(a)) * (_swap_last_two(out) @ tangent)
        return _swap_last_two(inv(out)) @ inner @ _swap_last_two(out)


EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
EigResult.__doc__ = "What :func:`eig` returns, as numpy's: ``(eigenvalues, eigenvectors)``."


def eig(a) -> EigResult:
    """Eigenvalues and unit-norm eigenvectors of a square matrix with a real spectrum, as
    ``np.linalg.eig``; a matrix with complex eigenvalues is a ValueError.

    >>> import tinygrad_lr as tg
    >>> tg.linalg.eig(tg.Tensor([[2.0, 1.0], [0.0, 3.0]])).eigenvalues.tolist()
    [2.0, 3.0]
    """
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=np.float64))
    return EigResult(eigvals(a), eig_vectors(a))


# -------------------------------------------------------------------------------- svd
def _svd_cases(shape):
    return [(((3, 2),), {}), (((2, 3),), {}), (((2, 2),), {}), (((2, 3, 2),), {})]


def _vector_cases(shape):
    return _svd_cases(shape) + [(((2, 2),), {"full_matrices": True})]


def _check_matrix(a, name: str) -> None:
    if np.ndim(a) < 2:
        raise ValueError(f"{name} needs matrices in the last two axes, got shape {np.shape(a)}")


@op("svdvals", label="svdvals", formula="Ā = U diag(s̄) Vᵀ", domain=SEPARATED,
    cases=_svd_cases)
class svdvals:
    """The singular values, descending, as ``np.linalg.svdvals`` (``svd(compute_uv=False)``).

    >>> tg.linalg.svdvals(tg.Tensor([[3.0, 0.0], [0.0, -4.0]])).tolist()
    [4.0, 3.0]
    """

    def forward(a):
        _check_matrix(a, "svdvals")
        return np.linalg.svd(a, compute_uv=False)

    def backward(grad, out, a):
        return _column_scale(svd_u(a), grad) @ svd_vh(a)


def _unique_part(a_shape, full_matrices: bool, which: str) -> None:
    m, n = a_shape[-2:]
    if full_matrices and ((which == "U" and m > n) or (which == "Vh" and n > m)):
        raise ValueError(f"svd: the gradient of {which} with full_matrices=True is not defined "
                         f"for a {m}×{n} matrix (its extra vectors are not unique); use "
                         "full_matrices=False")


@op("svd_u", label="svd U", formula="Ā = U (F∘(UᵀŪ − ŪᵀU)) S Vᵀ + (I − UUᵀ) Ū S⁻¹ Vᵀ",
    domain=SEPARATED, cases=_vector_cases)
class svd_u:
    """The left singular vectors U of ``np.linalg.svd`` (columns); the gradient needs
    distinct non-zero singular values.

    >>> abs(tg.svd_u(tg.Tensor([[3.0, 0.0], [0.0, -4.0]]))).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """

    def forward(a, *, full_matrices=False):
        _check_matrix(a, "svd")
        return np.linalg.svd(a, full_matrices=full_matrices)[0]

    def backward(grad, out, a, *, full_matrices=False):
        _unique_part(a.shape, full_matrices, "U")
        values, vh = svdvals(a), svd_vh(a)
        u_t = _swap_last_two(out)
        skew = u_t @ grad
        skew = skew - _swap_last_two(skew)
        inner = _column_scale(_gaps(values * values, "singular values") * skew, values)
        result = out @ inner @ vh
        if a.shape[-2] > a.shape[-1]:  # the part of Ū outside U's column space
            outside = grad - out @ (u_t @ grad)
            result = result + _column_scale(outside, inverse_singular_values(values)) @ vh
        return result


@op("svd_vh", label="svd Vᵀ", formula="Ā = U S (F∘(VᵀV̄ − V̄ᵀV)) Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ)",
    domain=SEPARATED, cases=_vector_cases)
class svd_vh:
    """The right singular vectors Vᵀ (rows) of ``np.linalg.svd``; the gradient needs
    distinct non-zero singular values.

    >>> abs(tg.svd_vh(tg.Tensor([[3.0, 0.0], [0.0, -4.0]]))).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """

    def forward(a, *, full_matrices=False):
        _check_matrix(a, "svd")
        return np.linalg.svd(a, full_matrices=full_matrices)[2]

    def backward(grad, out, a, *, full_matrices=False):
        _unique_part(a.shape, full_matrices, "Vh")
        values, u = svdvals(a), svd_u(a)
        v, v_bar = _swap_last_two(out), _swap_last_two(grad)
        skew = out @ v_bar
        skew = skew - _swap_last_two(skew)
        inner = _row_scale(values, _gaps(values * values, "singular values") * skew)
        result = u @ inner @ out
        if a.shape[-1] > a.shape[-2]:  # the part of V̄ outside V's column space
            outside = grad - (grad @ v) @ out
            result = result + _column_scale(u, inverse_singular_values(values)) @ outside
        return result


SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
SVDResult.__doc__ = "What :func:`svd` returns, as numpy's: ``(U, S, Vh)``."


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """The singular value decomposition A = U diag(S) Vh, as ``np.linalg.svd``: an
    ``SVDResult`` (U, S, Vh), or S alone for ``compute_uv=False``. Each factor is
    differentiable (the vectors for distinct non-zero singular values, and with
    ``full_matrices=True`` only where they are unique: for square matrices).

    >>> import tinygrad_lr as tg
    >>> tg.linalg.svd(tg.Tensor([[3.0, 0.0], [0.0, -4.0]])).S.tolist()
    [4.0, 3.0]
    """
    if hermitian:
        raise ValueError("svd: hermitian=True is not supported on tensors (numpy then picks "
                         "other signs); use tg.linalg.eigh for symmetric matrices")
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=np.float64))
    values = svdvals(a)
    if not compute_uv:
        return values
    return SVDResult(svd_u(a, full_matrices=bool(full_matrices)), values,
                     svd_vh(a, full_matrices=bool(full_matrices)))


# ------------------------------------------------------------------------------- pinv
def _pinv_tolerance(a, rcond, rtol):
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: give rcond or rtol, not both")
    if rcond is not None:
        return rcond
    return rtol if rtol is not None else max(np.shape(a)[-2:]) * np.finfo(np.float64).eps


def _pinv_forward(a, *, rcond=None, hermitian=False, rtol=None):
    _check_matrix(a, "pinv")
    return np.linalg.pinv(a, rcond=_pinv_tolerance(a, rcond, rtol), hermitian=hermitian)


@op("full_rank", label="full rank?", formula="∂A/∂A = I (A passes through; a rank-deficient A "
    "is refused)", domain=SEPARATED, cases=_svd_cases, internal=True)
class full_rank:
    """A itself, after checking that it has full rank to ``tolerance`` (relative to its largest
    singular value): an op, so a compiled program checks every call's matrix, not the first.

    >>> tg.registry.internal_op("full_rank")(tg.Tensor([[2.0], [0.0]])).tolist()
    [[2.0], [0.0]]
    """

    def forward(a, *, tolerance=None, what="pinv"):
        values = np.linalg.svd(a, compute_uv=False)
        if tolerance is None:
            tolerance = _pinv_tolerance(a, None, None)
        if not (values > tolerance * values.max(axis=-1, keepdims=True)).all():
            raise ValueError(f"{what}: the gradient is computed for full-rank matrices only; "
                             "this one is rank-deficient (where the pseudo-inverse jumps)")
        return a.copy()

    def backward(grad, out, a, *, tolerance=None, what="pinv"):
        return grad


@composite("pinv", formula="pinv(A) = (AᵀA)⁻¹Aᵀ (tall) or Aᵀ(AAᵀ)⁻¹ (wide), for full rank",
           numpy=_pinv_forward, domain=SEPARATED, cases=_svd_cases)
def pinv(a, *, rcond=None, hermitian=False, rtol=None):
    """The Moore–Penrose pseudo-inverse, as ``np.linalg.pinv``. Its gradient exists where
    the rank is constant: it is computed for full-rank matrices (a ValueError otherwise).

    >>> tg.linalg.pinv(tg.Tensor([[2.0, 0.0], [0.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.5, 0.0, 0.0], [0.0, 0.25, 0.0]]
    """
    a = full_rank(a, tolerance=_pinv_tolerance(a.data, rcond, rtol))
    a_t = _swap_last_two(a)
    if a.shape[-2] >= a.shape[-1]:
        return inv(a_t @ a) @ a_t
    return a_t @ inv(a @ a_t)
