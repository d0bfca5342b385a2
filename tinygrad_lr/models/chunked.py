"""Chunked evaluation: sums over row blocks of arrays that need not fit in memory.

A fit whose objective is a sum over rows only ever needs one block of rows at a time: the
loss, gradient and Hessian of the whole data are the sums of those of its blocks. This
module cuts an array into row blocks that are *views* (slicing a memory map reads pages of
the file on demand and copies nothing), checks them block by block, and sums a per-block
function over them, so the memory a fit takes above the map is bounded by one block.

>>> import numpy as np
>>> X = np.arange(10.0).reshape(5, 2)
>>> [block.shape for _, block in row_blocks(X, block_rows=2)]
[(2, 2), (2, 2), (1, 2)]
>>> sum_over_blocks(lambda rows, block: (len(block), block.sum(axis=0)), X, block_rows=2)
(5, array([20., 25.]))
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator

import numpy as np

from . import objective
from .block_results import add_block_results, as_float_block, weighted_block

BLOCK_BYTES = 16 * 2**20
"""Default size of one block of rows (16 MiB of float64: 20,971 rows of 100 features)."""


def is_memory_mapped(X) -> bool:
    """True for an ``np.memmap``, a ``.npy`` opened with ``mmap_mode``, or a view of either.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.zeros((3, 2)))
    >>> is_memory_mapped(np.load(path, mmap_mode="r")), is_memory_mapped(np.zeros(3))
    (True, False)
    """
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def default_block_rows(n_features: int, itemsize: int = 8,
                       block_bytes: int | None = None) -> int:
    """How many rows of ``n_features`` columns fit in ``block_bytes`` (at least 1);
    ``None`` means :data:`BLOCK_BYTES` (read at each call, so it can be changed).

    >>> default_block_rows(100)
    20971
    """
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    return max(1, block_bytes // max(1, n_features * itemsize))


def row_blocks(X, block_rows: int | None = None) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, X[rows])`` for consecutive row ranges of ``X``; every block is a view.

    ``block_rows=None`` picks :func:`default_block_rows` for X's width.
    """
    n = len(X)
    if block_rows is None:
        block_rows = default_block_rows(X.shape[1] if X.ndim > 1 else 1, X.itemsize)
    if isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) \
            or block_rows < 1:
        raise ValueError(f"block_rows must be a positive int, got {block_rows!r}")
    for start in range(0, n, int(block_rows)):
        rows = slice(start, min(n, start + int(block_rows)))
        yield rows, X[rows]


def sum_over_blocks(function: Callable, X, *row_aligned, block_rows: int | None = None):
    """Sum ``function(rows, X[rows], *(a[rows] for a in row_aligned))`` over row blocks.

    ``row_aligned`` are arrays with one entry per row of X (labels, sample weights) or
    ``None``, passed as ``None``. The results are added with :func:`add_block_results`.
    """
    total = None
    for rows, block in row_blocks(X, block_rows):
        parts = [None if a is None else a[rows] for a in row_aligned]
        total = add_block_results(total, function(rows, block, *parts))
    return total


def check_blocks(X, *, name: str = "X", block_rows: int | None = None) -> np.ndarray:
    """Check a 2-D array of numbers block by block without copying it; return it unchanged.

    The rules are :func:`~tinygrad_lr.models.validation.check_array`'s (2-D, not empty,
    real numbers, finite), but NaN/inf are looked for one block at a time, so checking a
    memory map of any size takes one block of memory. Non-float64 data is accepted here;
    the blocks are converted when they are used.

    >>> import numpy as np
    >>> check_blocks(np.array([[1.0], [np.nan]]), block_rows=1)
    Traceback (most recent call last):
    ...
    ValueError: X contains NaN or infinity at row 1, column 0 (value nan); remove or impute ...
    """
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or memory map, got {type(X).__name__}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape={X.shape}); it needs at least one row and "
                         "one column")
    if X.dtype.kind == "f":
        for rows, block in row_blocks(X, block_rows):
            bad = ~np.isfinite(block)
            if bad.any():
                i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), block.shape)
                raise ValueError(
                    f"{name} contains NaN or infinity at row {rows.start + i}, column {j} "
                    f"(value {block[i, j]}); remove or impute such values first"
                )
    return X


def column_mean_and_scale(X, block_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population standard deviation, two passes over row blocks.

    The second pass sums squared deviations from the mean of the first, as numpy's
    ``X.std(axis=0)`` does, so the result matches it to rounding. A constant column gets
    scale 1 (as :class:`~tinygrad_lr.models.StandardScaler` does).

    >>> import numpy as np
    >>> X = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    >>> [a.round(6).tolist() for a in column_mean_and_scale(X, block_rows=2)]
    [[2.0, 5.0], [1.632993, 1.0]]
    """
    n = len(X)
    total = sum_over_blocks(lambda rows, b: as_float_block(b).sum(axis=0), X,
                            block_rows=block_rows)
    mean = total / n
    squares = sum_over_blocks(lambda rows, b: ((as_float_block(b) - mean) ** 2).sum(axis=0), X,
                              block_rows=block_rows)
    scale = np.sqrt(squares / n)
    return mean, np.where(scale > 0, scale, 1.0)


def blockwise_evaluator(X, y_codes, sample_weight=None, *, n_classes: int, alpha: float,
                        fit_intercept: bool = True, class_weights=None,
                        block_rows: int | None = None):
    """``evaluate(theta, need_hessian)`` of the penalized objective, one row block at a time.

    The same evaluation as :func:`tinygrad_lr.models.objective.in_memory`, for an array
    that is read block by block, e.g. a memory map: each block (a view, converted to
    float64 if it is not) gives its :func:`~tinygrad_lr.models.objective.block_sums` and
    the sums are added, so memory above the map is one block and its engine graph.
    ``y_codes`` are class codes per row, ``sample_weight`` row weights or None,
    ``class_weights`` a weight per class code or None.

    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> evaluate = blockwise_evaluator(X, y, n_classes=2, alpha=0.1, block_rows=3)
    >>> round(evaluate(np.zeros(2), False)[0], 6)
    0.693147
    """
    n_features = X.shape[1]

    def evaluate(theta, need_hessian: bool = False):
        def sums(rows, block, codes, weights):
            return objective.block_sums(
                theta, as_float_block(block), codes,
                weighted_block(weights, class_weights, codes), n_classes=n_classes,
                fit_intercept=fit_intercept, need_hessian=need_hessian)

        total = sum_over_blocks(sums, X, y_codes, sample_weight, block_rows=block_rows)
        return objective.penalized(total, theta, alpha=alpha, n_classes=n_classes,
                                   n_features=n_features, fit_intercept=fit_intercept)

    return evaluate


def check_features(X, *, estimator: str = "the estimator", n_features: int | None = None):
    """``check_array``'s checks, without copying a memory map: the fit's input gate.

    A memory map (or a view of one) is checked block by block by :func:`check_blocks` and
    returned as it is; anything else goes through
    :func:`~tinygrad_lr.models.validation.check_array` (which may convert it to float64).
    """
    from .validation import check_array

    if not is_memory_mapped(X):
        return check_array(X, estimator=estimator, n_features=n_features)
    check_blocks(X)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {estimator} is expecting "
                         f"{n_features} features as input")
    return X


def evaluator_for(X, y_codes, sample_weight, *, n_classes: int, alpha: float,
                  fit_intercept: bool = True):
    """The ``evaluate(theta, need_hessian)`` that suits how a numpy array is stored.

    A memory map, or an array with more rows than one block of :data:`BLOCK_BYTES`:
    :func:`blockwise_evaluator`, so the engine's graph (and the Hessian's copy of the
    rows) never exceeds one block. Otherwise the whole array is one block
    (:func:`~tinygrad_lr.models.objective.in_memory`). (Dask arrays have their own:
    :func:`~tinygrad_lr.models.distributed.dask_evaluator`.)
    """
    options = {"n_classes": n_classes, "alpha": alpha, "fit_intercept": fit_intercept}
    block_rows = default_block_rows(X.shape[1], X.itemsize)
    if is_memory_mapped(X) or len(X) > block_rows:
        return blockwise_evaluator(X, y_codes, sample_weight, block_rows=block_rows, **options)
    return objective.in_memory(X, y_codes, sample_weight, **options)
