"""The objective of logistic regression as sums over blocks of rows, computed by the engine.

The exact solvers (:mod:`tinygrad_lr.models.solvers`) never see X. They call an
``evaluate(theta, need_hessian) -> (loss, gradient, hessian or None)`` of the full
penalized objective; this module builds that evaluation from per-block sums, so the same
solvers fit data held in memory (one block, or row chunks), memory-mapped files or Dask
arrays (one :func:`block_sums` per block, added up).

**Contract** (stable: other modules build on these names and signatures).

*Parameters* ``theta``: a flat float64 vector of length ``n_outputs · (d + fit_intercept)``.
``theta.reshape(n_outputs, d + fit_intercept)`` has one row per output, ``(w_k, b_k)``:
the weights of the d features, then the intercept if ``fit_intercept``.
``n_outputs = 1`` for two classes (one logit z = w·x + b, sigmoid, class code 1 is the
positive class) and ``n_outputs = K`` for K ≥ 3 classes (K logits, softmax). Use
:func:`n_outputs` and :func:`unpack`.

*Data*: ``X_block`` (rows, d) float64; ``y_block`` (rows,) integer class codes in
``[0, n_classes)`` (``np.unique(labels, return_inverse=True)``); ``sample_weight_block``
(rows,) non-negative floats, or None for ones (class weights are folded in by the caller).

:func:`block_sums` returns a :class:`BlockSums` of *sums over the block's rows*: the
weighted data term ``Σᵢ sᵢ·Lᵢ(θ)`` (Lᵢ the cross-entropy of row i), its gradient in θ,
its Hessian in θ (only if asked) and ``Σᵢ sᵢ``. Sums over blocks add up with ``+`` (or
``sum(blocks)``), and the sum over all blocks is the data term of the whole data set.
:func:`penalized` then divides by ``S = Σᵢ sᵢ`` and adds the penalty once:

    J(θ) = (1/S)·Σᵢ sᵢ·Lᵢ(θ) + (α/2)·‖W‖²        (the intercepts are not penalized)

With scikit-learn's ``C``, ``α = 1/(C·S)`` (:func:`alpha_from_C`): then J is
scikit-learn's ``C·Σᵢ sᵢ·Lᵢ + ½‖W‖²`` divided by ``C·S``, the same minimiser. The
lecture's λ (``l2``) is α itself.

>>> import numpy as np
>>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
>>> theta = np.zeros(n_outputs(2) * 2)
>>> total = block_sums(theta, X[:2], y[:2], None, n_classes=2) + block_sums(
...     theta, X[2:], y[2:], None, n_classes=2)
>>> round(total.loss, 6), total.weight          # 4·log 2 and four rows
(2.772589, 4.0)
>>> loss, gradient, _ = penalized(total, theta, alpha=0.1, n_classes=2, n_features=1)
>>> round(loss, 6), gradient.round(6).tolist()
(0.693147, [-0.5, 0.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import functional as F
from ..autograd import grad
from ..tensor import Tensor

Evaluation = tuple[float, np.ndarray, "np.ndarray | None"]
"""What an ``evaluate(theta, need_hessian)`` returns: (J, ∇J, ∇²J or None)."""


class BlockSums(NamedTuple):
    """Sums over some rows: ``loss`` Σ sᵢLᵢ, ``gradient`` and ``hessian`` (or None) of it in
    θ, ``weight`` Σ sᵢ. ``a + b`` adds two blocks' sums (the Hessian only if both have one).

    >>> a = BlockSums(1.0, np.ones(2), None, 2.0)
    >>> (a + a).loss, (a + a).gradient.tolist(), (a + a).weight
    (2.0, [2.0, 2.0], 4.0)
    """

    loss: float
    gradient: np.ndarray
    hessian: np.ndarray | None
    weight: float

    def __add__(self, other):
        if other == 0:  # so that sum(blocks) works
            return self
        hessian = (None if self.hessian is None or other.hessian is None
                   else self.hessian + other.hessian)
        return BlockSums(self.loss + other.loss, self.gradient + other.gradient, hessian,
                         self.weight + other.weight)

    __radd__ = __add__


def n_outputs(n_classes: int) -> int:
    """Logits per row: 1 for two classes (sigmoid), K for K ≥ 3 (softmax).

    >>> n_outputs(2), n_outputs(3)
    (1, 3)
    """
    if n_classes < 2:
        raise ValueError(f"logistic regression needs at least 2 classes, got {n_classes}")
    return 1 if n_classes == 2 else n_classes


def unpack(theta, n_classes: int, n_features: int, fit_intercept: bool = True):
    """``(coef, intercept)`` from θ: coef (n_outputs, d) and intercept (n_outputs,)
    (zeros without ``fit_intercept``), as scikit-learn's ``coef_`` and ``intercept_``.

    >>> coef, intercept = unpack(np.arange(6.0), n_classes=3, n_features=1)
    >>> coef.tolist(), intercept.tolist()
    ([[0.0], [2.0], [4.0]], [1.0, 3.0, 5.0])
    """
    table = np.asarray(theta, dtype=np.float64).reshape(n_outputs(n_classes),
                                                        n_features + bool(fit_intercept))
    intercept = table[:, n_features].copy() if fit_intercept else np.zeros(len(table))
    return table[:, :n_features].copy(), intercept


def pack(coef, intercept, fit_intercept: bool = True) -> np.ndarray:
    """θ from ``coef`` (n_outputs, d) and ``intercept`` (n_outputs,): the inverse of
    :func:`unpack`.

    >>> pack(np.array([[1.0, 2.0]]), np.array([3.0])).tolist()
    [1.0, 2.0, 3.0]
    """
    coef = np.asarray(coef, dtype=np.float64)
    if not fit_intercept:
        return coef.ravel().copy()
    return np.column_stack([coef, np.asarray(intercept, dtype=np.float64)]).ravel()


def logits(theta: Tensor, X: Tensor, n_classes: int, fit_intercept: bool = True) -> Tensor:
    """The engine's logits for θ: shape (rows,) for two classes, (rows, K) for K ≥ 3."""
    d = X.shape[1]
    table = theta.reshape(n_outputs(n_classes), d + bool(fit_intercept))
    Z = X @ table[:, :d].T
    if fit_intercept:
        Z = Z + table[:, d]
    return Z.reshape(-1) if n_classes == 2 else Z


def weighted_loss_sum(Z: Tensor, y_codes: np.ndarray, sample_weight, n_classes: int) -> Tensor:
    """Σᵢ sᵢ·Lᵢ as a Tensor: binary cross-entropy on the logits for two classes, softmax
    cross-entropy for K ≥ 3. Its gradient in Z is ``sᵢ·(A − Y)`` (Y one-hot for K ≥ 3)."""
    if n_classes == 2:
        targets = Tensor(y_codes.astype(np.float64), name="y")
        per_row = F.binary_cross_entropy_with_logits(Z, targets, reduction="none")
    else:
        per_row = F.cross_entropy(Z, y_codes.astype(np.intp), reduction="none")
    if sample_weight is not None:
        per_row = per_row * Tensor(sample_weight)
    return per_row.sum()


def block_sums(theta, X_block, y_block, sample_weight_block=None, *, n_classes: int,
               fit_intercept: bool = True, need_hessian: bool = False) -> BlockSums:
    """Sums over one block's rows of the weighted loss, its gradient and (optionally) its
    Hessian in θ, computed by the engine. See the module docstring for the contract.

    The gradient is one ``backward``. The Hessian uses that the logits are linear in θ:
    the second derivatives of the loss in the logits come from double backward (one pass
    per logit, since rows do not interact), and ``∇²_θ = Σᵢ (x̃ᵢx̃ᵢᵀ) ⊗ ∇²_zLᵢ`` with
    x̃ᵢ = (xᵢ, 1), which costs K passes instead of one per parameter.

    >>> X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    >>> sums = block_sums(np.zeros(2), X, y, None, n_classes=2, need_hessian=True)
    >>> sums.gradient.tolist(), sums.hessian.tolist()    # Σ (σ−y)x̃ and Σ σ(1−σ) x̃x̃ᵀ
    ([-1.0, 0.0], [[0.5, 0.0], [0.0, 0.5]])
    """
    X_block, y_block, weights = _checked_block(theta, X_block, y_block, sample_weight_block,
                                               n_classes, fit_intercept)
    rows, d = X_block.shape
    weight = float(rows if weights is None else weights.sum())
    parameters = Tensor(np.asarray(theta, dtype=np.float64), requires_grad=True, name="theta")
    Z = logits(parameters, Tensor(X_block, name="X"), n_classes, fit_intercept)
    loss = weighted_loss_sum(Z, y_block, weights, n_classes)
    if not need_hessian:
        (gradient,) = grad(loss, parameters)
        return BlockSums(loss.item(), gradient.data, None, weight)
    gradient, logit_gradient = grad(loss, [parameters, Z], create_graph=True)
    K = n_outputs(n_classes)
    columns = logit_gradient.reshape(rows, K)
    # curvature[i, k, l] = ∂²Lᵢ/∂z_ik ∂z_il: row i of d(Σᵢ ∂L/∂z_ik)/dZ, by double backward.
    curvature = np.stack([grad(columns[:, k].sum(), Z, retain_graph=True)[0].data
                          .reshape(rows, K) for k in range(K)], axis=1)
    features = np.column_stack([X_block, np.ones(rows)]) if fit_intercept else X_block
    p = features.shape[1]
    hessian = np.empty((K, p, K, p))
    for k in range(K):
        for l in range(k, K):
            block = (features * curvature[:, k, l, None]).T @ features
            hessian[k, :, l, :] = block
            hessian[l, :, k, :] = block.T
    return BlockSums(loss.item(), gradient.data, hessian.reshape(K * p, K * p), weight)


def _checked_block(theta, X, y, sample_weight, n_classes, fit_intercept):
    """The block as float64/int arrays, or a ValueError naming what does not fit."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X_block must be 2-D (rows, features), got shape {X.shape}")
    rows, d = X.shape
    expected = n_outputs(n_classes) * (d + bool(fit_intercept))
    if np.shape(theta) != (expected,):
        raise ValueError(
            f"theta must have shape ({expected},) for {n_classes} classes, {d} features and "
            f"fit_intercept={bool(fit_intercept)}, got {np.shape(theta)}"
        )
    y = np.asarray(y)
    whole = y.dtype.kind in "iu" or (y.dtype.kind == "f" and np.array_equal(y, np.round(y)))
    if y.shape != (rows,) or (rows and (not whole or y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(
            f"y_block must hold {rows} integer class codes in [0, {n_classes}), got shape "
            f"{y.shape}, dtype {y.dtype}"
        )
    y = y.astype(np.intp, copy=False)  # float codes that are whole numbers are accepted
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (rows,):
            raise ValueError(f"sample_weight_block must have shape ({rows},), got "
                             f"{sample_weight.shape}")
    return X, y, sample_weight


def penalty_mask(n_classes: int, n_features: int, fit_intercept: bool = True) -> np.ndarray:
    """1.0 where θ holds a weight (penalized), 0.0 where it holds an intercept.

    >>> penalty_mask(2, 2).tolist()
    [1.0, 1.0, 0.0]
    """
    table = np.ones((n_outputs(n_classes), n_features + bool(fit_intercept)))
    if fit_intercept:
        table[:, n_features] = 0.0
    return table.ravel()


def penalized(total: BlockSums, theta, *, alpha: float, n_classes: int, n_features: int,
              fit_intercept: bool = True) -> Evaluation:
    """The full objective from the data term summed over all rows:
    ``J = total.loss / S + α/2·‖W‖²`` with ``S = total.weight``, its gradient and (if
    ``total`` has one) its Hessian."""
    if not total.weight > 0:
        raise ValueError(f"the sample weights sum to {total.weight}; they must sum to > 0")
    theta = np.asarray(theta, dtype=np.float64)
    mask = penalty_mask(n_classes, n_features, fit_intercept)
    weights = theta * mask
    loss = total.loss / total.weight + alpha / 2 * float(weights @ weights)
    gradient = total.gradient / total.weight + alpha * weights
    hessian = None
    if total.hessian is not None:
        hessian = total.hessian / total.weight
        hessian[np.diag_indices_from(hessian)] += alpha * mask
    return loss, gradient, hessian


def alpha_from_C(C: float, weight_sum: float) -> float:
    """scikit-learn's ``C`` as the penalty strength α on the weighted mean loss: 1/(C·S).

    >>> alpha_from_C(1.0, 200.0)
    0.005
    """
    return 1.0 / (C * weight_sum)


def in_memory(X, y_codes, sample_weight, *, n_classes: int, alpha: float,
              fit_intercept: bool = True, chunk_rows: int | None = None
              ) -> Callable[[np.ndarray, bool], Evaluation]:
    """``evaluate(theta, need_hessian)`` for arrays in memory, summing :func:`block_sums`
    over chunks of ``chunk_rows`` rows (all rows at once by default).

    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> evaluate = in_memory(X, y, None, n_classes=2, alpha=0.1, chunk_rows=3)
    >>> round(evaluate(np.zeros(2), False)[0], 6)
    0.693147
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    step = n if chunk_rows is None else max(1, int(chunk_rows))

    def evaluate(theta, need_hessian: bool = False) -> Evaluation:
        total = sum(
            block_sums(theta, X[start:start + step], y_codes[start:start + step],
                       None if sample_weight is None else sample_weight[start:start + step],
                       n_classes=n_classes, fit_intercept=fit_intercept,
                       need_hessian=need_hessian)
            for start in range(0, n, step)
        )
        return penalized(total, theta, alpha=alpha, n_classes=n_classes, n_features=d,
                         fit_intercept=fit_intercept)

    return evaluate
