"""``tg.linalg``: numpy's ``np.linalg`` functions with gradients.

>>> import tinygrad_lr as tg
>>> a = tg.Tensor([[2.0, 1.0], [1.0, 1.0]], requires_grad=True)
>>> tg.linalg.det(a).backward()
>>> a.grad.tolist()  # ∂det A/∂A = det A · A⁻ᵀ
[[1.0, -1.0], [-1.0, 2.0]]
"""

from __future__ import annotations

from .ops.decompositions import SlogdetResult, cholesky, det, inv, logabsdet, slogdet, solve
from .ops.spectral import (
    EighResult,
    EigResult,
    SVDResult,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    pinv,
    svd,
    svdvals,
)
from .ops.statistics import norm

__all__ = ["EigResult", "EighResult", "SVDResult", "SlogdetResult", "cholesky", "det", "eig",
           "eigh", "eigvals", "eigvalsh", "inv", "logabsdet", "norm", "pinv", "slogdet",
           "solve", "svd", "svdvals"]
